"""Back office of the knowledge base: articles (agents of the owner department and admins; every edit through the
services, with its history on the article's page), categories (admins change, agents look), satisfaction
ratings and deflections (read-only, scoped to the tickets the user sees).

An article's page shows the placeholder that puts its title and portal link into a canned response
(`{article:<slug>}`, placeholders.py), and whether a reply may use it yet.

On the ticket page: the composer's article search (a panel of column "composer": insert a link or the text
through `window.ticketComposer.insert(text)`), and a side panel with the ticket's rating and the
"Create article from this ticket" button (a draft from the public conversation only).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from apps.accounts.permissions import AdminsChangeMixin, NoWritesMixin, is_admin
from apps.common.admin.forms import ServiceAdminMixin, ServiceModelForm
from apps.tickets.extensions import AdminPanel, AdminUrl
from apps.tickets.search import search_words

from .choices import ArticleStatus
from .models import Article, Category, Deflection, Satisfaction
from .permissions import (
    REQUESTER_AUDIENCES,
    managed_departments,
    may_manage_article,
    may_manage_articles,
    may_read_ratings,
)
from .placeholders import placeholder_for
from .rendering import markdown_to_text
from .search import articles_search
from .selectors import articles_manageable_by, articles_visible_to, ratings_visible_to, satisfaction_of
from .services import ARTICLE_FIELDS, article_create, article_create_from_ticket, article_delete, article_update

COMPOSER_RESULTS = 8


def sidebar_may_manage_articles(request) -> bool:
    """The sidebar's "Articles" link (config/unfold.py)."""
    return may_manage_articles(request.user)


def sidebar_may_read_ratings(request) -> bool:
    return may_read_ratings(request.user)


class ArticleForm(ServiceModelForm):
    class Meta:
        model = Article
        fields = ARTICLE_FIELDS

    def apply(self) -> Article:
        data = {field: self.cleaned_data[field] for field in ARTICLE_FIELDS}
        if self.before.pk is None:
            return article_create(actor=self.actor, **data)
        return article_update(actor=self.actor, article=self.before, **data)


@admin.register(Article)
class ArticleAdmin(ServiceAdminMixin, ModelAdmin):
    form = ArticleForm
    list_display = ("title", "language", "category", "status", "audience", "department", "helpful", "updated_at")
    list_filter = ("status", "audience", "language", "category", "department")
    list_select_related = ("category", "department")
    search_fields = ("title", "slug")
    readonly_fields = ("placeholder", "helpful_counts", "source_ticket_link", "revisions_list")

    def get_queryset(self, request):
        return articles_manageable_by(request.user)

    def get_fields(self, request, obj=None):
        fields = list(ARTICLE_FIELDS)
        if obj is not None:
            fields += ["placeholder", "helpful_counts", "source_ticket_link", "revisions_list"]
        return fields

    def has_module_permission(self, request):
        return may_manage_articles(request.user)

    def has_view_permission(self, request, obj=None):
        return may_manage_articles(request.user)

    def has_add_permission(self, request):
        return may_manage_articles(request.user)

    def has_change_permission(self, request, obj=None):
        return may_manage_articles(request.user) if obj is None else may_manage_article(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return may_manage_articles(request.user) if obj is None else may_manage_article(request.user, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = managed_departments(request.user).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def delete_with_service(self, request, obj):
        article_delete(actor=request.user, article=obj)

    @display(description=_("helpful"))
    def helpful(self, obj):
        return f"{obj.helpful_count} / {obj.helpful_count + obj.not_helpful_count}"

    @display(description=_("in a canned response"))
    def placeholder(self, obj):
        if obj.status != ArticleStatus.PUBLISHED or obj.audience not in REQUESTER_AUDIENCES:
            usable = _("A reply may use it once it is published for requesters (public or signed-in requesters).")
        else:
            usable = _("Copy it into a canned response's text: the reply gets the title and the portal link.")
        return format_html(
            '<code class="select-all" data-article-placeholder>{}</code> <span class="text-xs">{}</span>',
            placeholder_for(obj),
            usable,
        )

    @display(description=_("was this helpful?"))
    def helpful_counts(self, obj):
        return _("%(yes)d yes, %(no)d no") % {"yes": obj.helpful_count, "no": obj.not_helpful_count}

    @display(description=_("created from ticket"))
    def source_ticket_link(self, obj):
        if not obj.source_ticket_id:
            return "—"
        url = reverse("admin:tickets_ticket_change", args=[obj.source_ticket_id])
        return format_html('<a href="{}">{}</a>', url, obj.source_ticket_id)

    @display(description=_("history of edits"))
    def revisions_list(self, obj):
        rows = obj.revisions.select_related("author")[:50]
        return format_html(
            '<ul class="flex flex-col gap-1">{}</ul>',
            format_html_join(
                "",
                "<li>{} · {} · {}</li>",
                (
                    (
                        revision.created_at.strftime("%Y-%m-%d %H:%M"),
                        revision.author or "—",
                        ", ".join(sorted(revision.changes)),
                    )
                    for revision in rows
                ),
            ),
        )


@admin.register(Category)
class CategoryAdmin(AdminsChangeMixin, ModelAdmin):
    list_display = ("name", "slug", "order")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("order", "name")


@admin.register(Satisfaction)
class SatisfactionAdmin(NoWritesMixin, ModelAdmin):
    """Ratings of the tickets the user sees; the dashboard's CSAT figures link here, filtered."""

    list_display = ("ticket_link", "rating", "department", "agent", "rated_at", "comment_excerpt")
    list_filter = ("rating", "department", "agent")
    list_select_related = ("ticket", "department", "agent")
    date_hierarchy = "rated_at"

    def get_queryset(self, request):
        return ratings_visible_to(request.user)

    def has_module_permission(self, request):
        return may_read_ratings(request.user)

    def has_view_permission(self, request, obj=None):
        return may_read_ratings(request.user)

    @display(description=_("ticket"), ordering="ticket__reference")
    def ticket_link(self, obj):
        url = reverse("admin:tickets_ticket_change", args=[obj.ticket_id])
        return format_html('<a href="{}">{}</a>', url, obj.ticket.reference)

    @display(description=_("comment"))
    def comment_excerpt(self, obj):
        return obj.comment[:80]


@admin.register(Deflection)
class DeflectionAdmin(NoWritesMixin, ModelAdmin):
    """The new-ticket pages that showed suggestions, and those left with "This answered my question" (admins)."""

    list_display = ("suggested_at", "deflected_at", "article", "user")
    list_select_related = ("article", "user")
    date_hierarchy = "suggested_at"

    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)


# The ticket page ----------------------------------------------------------------------------------------------


def _ticket_or_404(model_admin, request, object_id):
    ticket = model_admin.get_object(request, unquote(object_id))
    if ticket is None or not model_admin.has_view_permission(request, ticket):
        raise Http404(_("No ticket matches the given query."))
    return ticket


def composer_context(model_admin, request, ticket) -> dict:
    return {
        "knowledge_search_url": reverse("admin:tickets_ticket_article_search", args=[ticket.pk]),
    }


def side_context(model_admin, request, ticket) -> dict:
    return {
        "knowledge_satisfaction": satisfaction_of(ticket),
        "knowledge_may_write": may_manage_articles(request.user) and model_admin.has_view_permission(request, ticket),
        "knowledge_create_url": reverse("admin:tickets_ticket_article_create", args=[ticket.pk]),
    }


def article_search_view(model_admin, request, object_id):
    """JSON for the composer: published articles matching `q` (agents read every audience), with the portal link
    and the text to insert."""
    _ticket_or_404(model_admin, request, object_id)
    text = request.GET.get("q", "")[:100]
    if not search_words(text):
        return JsonResponse({"articles": []})
    found = articles_search(articles_visible_to(request.user), text=text).only(
        "pk", "slug", "title", "body", "language", "audience"
    )[:COMPOSER_RESULTS]
    return JsonResponse(
        {
            "articles": [
                {
                    "id": article.pk,
                    "title": article.title,
                    "language": article.language,
                    "audience": article.audience,
                    "url": request.build_absolute_uri(reverse("portal:help_article", args=[article.slug])),
                    "excerpt": markdown_to_text(article.body, limit=160),
                    "text": article.body,
                }
                for article in found
            ]
        }
    )


def article_create_view(model_admin, request, object_id):
    """POST: a draft article from the ticket's public conversation, then its page in the back office."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ticket = _ticket_or_404(model_admin, request, object_id)
    try:
        article = article_create_from_ticket(actor=request.user, ticket=ticket)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
        return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    messages.success(request, _("A draft article was made from the ticket's public conversation. Edit and publish it."))
    return HttpResponseRedirect(reverse("admin:knowledge_article_change", args=[article.pk]))


COMPOSER_PANEL = AdminPanel(
    name="knowledge-composer",
    template="knowledge/admin/composer_panel.html",
    column="composer",
    context=composer_context,
)
TICKET_SIDE_PANEL = AdminPanel(
    name="knowledge-side", template="knowledge/admin/ticket_side.html", column="side", context=side_context
)
TICKET_URLS = [
    AdminUrl(name="tickets_ticket_article_search", route="<str:object_id>/articles/search/", view=article_search_view),
    AdminUrl(name="tickets_ticket_article_create", route="<str:object_id>/articles/create/", view=article_create_view),
]
