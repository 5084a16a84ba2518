"""The portal's Help section (namespace "portal", joined through apps/tickets/extensions.py portal_urls):
categories, articles and search in the reader's language with English as the fallback, "Was this helpful?",
the new-ticket page's suggestions and deflection, and satisfaction ratings (the ticket page's banner, the
e-mail's signed links, the profile's opt-out).

Anonymous visitors read public articles unless KNOWLEDGE_REQUIRE_LOGIN (then they go to the log-in page).
An article a reader may not read is a 404, as everywhere.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.tickets.extensions import PortalInclude, PortalTicketContext
from apps.tickets.views import own_ticket, requester_required

from . import services
from .forms import DeflectionForm, HelpSearchForm, RatingForm
from .models import Category
from .permissions import may_rate, may_read_help
from .rendering import markdown_to_html, markdown_to_text
from .search import articles_search, articles_suggest
from .selectors import (
    article_get_for_reader,
    article_variants,
    articles_in_language,
    articles_visible_to,
    categories_with_articles,
    satisfaction_of,
)
from .signing import LinkInvalid

SEARCH_RESULTS = 20
VOTED_SESSION_KEY = "knowledge_voted"


def reader_language() -> str:
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def help_readers(view):
    """Anyone, unless KNOWLEDGE_REQUIRE_LOGIN: then signed-in people only."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not may_read_help(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def _results(request: HttpRequest, text: str, limit: int, *, suggest: bool = False):
    visible = articles_in_language(articles_visible_to(request.user), reader_language())
    find = articles_suggest if suggest else articles_search
    found = find(visible, text=text).only("pk", "slug", "title", "body", "language")[:limit]
    return [
        {
            "id": article.pk,
            "title": article.title,
            "url": reverse("portal:help_article", args=[article.slug]),
            "excerpt": markdown_to_text(article.body, limit=160),
            "language": article.language,
        }
        for article in found
    ]


@help_readers
def help_home(request: HttpRequest) -> HttpResponse:
    """Categories with their articles, or the results of a search."""
    form = HelpSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    context = {"form": form, "query": query}
    if query:
        context["results"] = _results(request, query, SEARCH_RESULTS)
    else:
        context["categories"] = categories_with_articles(request.user, reader_language())
    return render(request, "knowledge/portal/help_home.html", context)


@help_readers
def help_category(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    articles = (
        articles_in_language(articles_visible_to(request.user), reader_language())
        .filter(category=category)
        .order_by("title")
    )
    if not articles:
        raise Http404
    return render(request, "knowledge/portal/help_category.html", {"category": category, "articles": articles})


@help_readers
def help_article(request: HttpRequest, slug: str) -> HttpResponse:
    article = article_get_for_reader(user=request.user, slug=slug, language=reader_language())
    context = {
        "article": article,
        "body": markdown_to_html(article.body),
        "variants": article_variants(article, user=request.user),
        "fallback": article.language != reader_language(),
        "voted": slug in request.session.get(VOTED_SESSION_KEY, []),
    }
    return render(request, "knowledge/portal/help_article.html", context)


@require_POST
@help_readers
def help_article_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Was this helpful?": counted once per browser session and article."""
    article = article_get_for_reader(user=request.user, slug=slug, language=reader_language())
    voted = request.session.get(VOTED_SESSION_KEY, [])
    if slug not in voted:
        services.article_feedback(article=article, helpful=request.POST.get("helpful") == "yes")
        request.session[VOTED_SESSION_KEY] = [*voted, slug][-200:]
    messages.success(request, _("Thank you for your feedback."))
    return redirect("portal:help_article", slug=slug)


# Suggestions and deflection on the new-ticket page -------------------------------------------------------------


@require_GET
@never_cache
def help_suggest(request: HttpRequest) -> JsonResponse:
    """Published articles matching what a requester types (JSON), in their language; nothing they may not read."""
    if not may_read_help(request.user):
        return JsonResponse({"articles": []}, status=401)
    text = request.GET.get("q", "")[:300]
    return JsonResponse({"articles": _results(request, text, settings.KNOWLEDGE_SUGGESTIONS, suggest=True)})


@require_POST
@login_required
def help_suggested(request: HttpRequest) -> JsonResponse:
    """The new-ticket page showed suggestions: counted once per page (its token)."""
    form = DeflectionForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"ok": False}, status=400)
    services.deflection_suggested(token=form.cleaned_data["deflection_token"], user=request.user)
    return JsonResponse({"ok": True})


@require_POST
@requester_required
def help_deflect(request: HttpRequest) -> HttpResponse:
    """ "This answered my question": leave the new-ticket page without a ticket, counted as deflected."""
    form = DeflectionForm(request.POST)
    if not form.is_valid() or not form.cleaned_data.get("article"):
        return redirect("portal:ticket_create")
    article = get_object_or_404(articles_visible_to(request.user), pk=form.cleaned_data["article"])
    services.deflection_record(token=form.cleaned_data["deflection_token"], user=request.user, article=article)
    messages.success(request, _("Glad the article “%(title)s” answered your question.") % {"title": article.title})
    return redirect("portal:ticket_list")


# Satisfaction -------------------------------------------------------------------------------------------------


def _banner_context(request: HttpRequest, ticket, comments) -> dict:
    """The ticket page's rating banner: shown to the requester while the ticket is resolved, or once rated."""
    satisfaction = satisfaction_of(ticket)
    if satisfaction is None or satisfaction.requester_id != request.user.pk:
        return {"satisfaction": None}
    initial = {"rating": satisfaction.rating, "comment": satisfaction.comment} if satisfaction.rating else None
    satisfaction.ticket = ticket
    return {
        "satisfaction": satisfaction,
        "satisfaction_form": RatingForm(initial=initial),
        "satisfaction_open": may_rate(request.user, satisfaction),
    }


@require_POST
@requester_required
def satisfaction_rate(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = own_ticket(request.user, pk)
    satisfaction = satisfaction_of(ticket)
    if satisfaction is None:
        raise Http404
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the ratings."))
    else:
        try:
            services.satisfaction_rate(
                satisfaction=satisfaction,
                actor=request.user,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Thank you for rating our help."))
    return redirect("portal:ticket_detail", pk=ticket.pk)


LINK_REFUSALS = {
    "bad": _("This rating link is not valid."),
    "expired": _("This rating link has expired."),
    "used": _("This rating link has been used already. Signed in, you can change your rating on the ticket page."),
    "closed": _("This ticket is closed or open again, so it can no longer be rated."),
}


@never_cache
def satisfaction_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail's link: GET shows the rating it carries (nothing is written, so that mail scanners that open
    links do not use it up); POST records the rating and closes the link."""
    try:
        satisfaction, rating = services.satisfaction_link_check(token=token)
    except LinkInvalid as exc:
        return render(
            request, "knowledge/portal/satisfaction_link.html", {"refused": LINK_REFUSALS[exc.reason]}, status=410
        )
    form = RatingForm(request.POST or None, initial={"rating": rating})
    if request.method == "POST" and form.is_valid():
        try:
            services.satisfaction_rate_from_link(
                token=token, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
        except LinkInvalid as exc:
            context = {"refused": LINK_REFUSALS[exc.reason]}
            return render(request, "knowledge/portal/satisfaction_link.html", context, status=410)
        context = {"thanks": True, "ticket": satisfaction.ticket}
        return render(request, "knowledge/portal/satisfaction_link.html", context)
    context = {"form": form, "ticket": satisfaction.ticket}
    return render(request, "knowledge/portal/satisfaction_link.html", context)


@require_POST
@requester_required
def satisfaction_opt_out(request: HttpRequest) -> HttpResponse:
    opt_out = request.POST.get("opt_out") == "1"
    services.satisfaction_opt_out_set(user=request.user, opt_out=opt_out)
    if opt_out:
        messages.success(request, _("We will not ask you to rate our help any more."))
    else:
        messages.success(request, _("We will ask you how we did when a ticket is resolved."))
    return redirect(reverse("accounts:profile") + "#satisfaction")


SATISFACTION_BANNER = PortalTicketContext(name="knowledge-satisfaction", context=_banner_context)
PORTAL_INCLUDES = [
    PortalInclude(name="knowledge-nav", slot="nav", template="knowledge/portal/includes/nav.html"),
    PortalInclude(
        name="knowledge-suggestions", slot="ticket_create", template="knowledge/portal/includes/suggestions.html"
    ),
    PortalInclude(
        name="knowledge-satisfaction", slot="ticket_detail", template="knowledge/portal/includes/satisfaction.html"
    ),
    PortalInclude(name="knowledge-profile", slot="profile", template="knowledge/portal/includes/profile.html"),
]
