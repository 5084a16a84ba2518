"""Saved views of the ticket list: "Save this view" on the changelist, the sidebar's list of views with their
counts, and the page where people rename, reorder and delete their views.

A view is the changelist's query string, limited to the parameters the list itself reads (its filters, search
and ordering: `view_parameters`); every write goes through apps.tickets.services (saved_view_create / _update /
_delete). Opening a view is opening the list with that query: the visibility rule applies as on any list, so a
view shared with a department shows each member only the tickets they may see.

The sidebar shows at most SIDEBAR_VIEWS views, read as rows and kept in the cache per user until a view, its
sharing or a department membership changes (selectors.sidebar_saved_views), so a page of the back office
usually runs no query for them. Each count is the list's own capped count (exact to 10,000), kept COUNT_SECONDS
in the cache (a ticket written meanwhile shows in the count when it expires), and counted again, a bounded number
of queries, when a view changes or the count expires.
"""

import copy
from urllib.parse import parse_qsl, urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, QueryDict
from django.urls import path, reverse
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from apps.accounts.permissions import is_admin
from apps.common.admin.forms import ServiceAdminMixin, ServiceModelForm
from apps.departments.models import Department

from .. import services
from ..models import SavedView, Ticket
from ..permissions import can_change_saved_view, can_save_view, can_share_view
from ..selectors import sidebar_saved_views
from .paging import count_display

SIDEBAR_VIEWS = 10
COUNT_SECONDS = 60
# What the list's address holds that is not part of a view: the page, an error flag, "show all".
NOT_A_FILTER = frozenset({"p", "e", "all", "_changelist_filters"})


def view_parameters(cl) -> frozenset[str]:
    """The parameters the ticket list reads: each filter's own, the search box and the ordering."""
    names = {SEARCH_VAR, ORDER_VAR}
    for spec in cl.filter_specs:
        names.update(spec.expected_parameters())
    return frozenset(names)


def list_query(request) -> str:
    """The filters, search and ordering of the list `request` shows (without its page)."""
    return urlencode([(k, v) for k, v in parse_qsl(request.GET.urlencode()) if k not in NOT_A_FILTER])


class SaveViewForm(forms.Form):
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=SavedView.QUERY_MAX_LENGTH)
    name = forms.CharField(
        label=_("name"),
        max_length=SavedView.NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("Name"), "required": True}),
    )
    shared_with = forms.ModelChoiceField(
        label=_("shared with"),
        queryset=Department.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("Only me"),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_saved_view_%s"
        if not can_share_view(actor):
            del self.fields["shared_with"]


class SavedViewsMixin:
    """For TicketAdmin: the "Save this view" form on the changelist, its URL, and counting a view's tickets."""

    def get_urls(self):
        return [
            path("views/save/", self.admin_site.admin_view(self.save_view_view), name="tickets_ticket_save_view"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context and can_save_view(request.user):
            allowed = view_parameters(context["cl"])
            query = urlencode([(k, v) for k, v in parse_qsl(list_query(request)) if k in allowed])
            context["save_view_form"] = SaveViewForm(initial={"query": query}, actor=request.user)
        return response

    def list_request(self, request, query: str):
        """`request` as if it asked for the list with `query` (to count a view or check its parameters)."""
        self.list_reach(request)  # read once, before the copies that each count a view
        sub = copy.copy(request)
        sub.GET = QueryDict(query)
        sub.POST = QueryDict()
        sub.method = "GET"
        sub.resolver_match = None  # counts read the whole visible set (tickets_visible_to, first_rows=False)
        return sub

    def view_changelist(self, request, query: str):
        """The changelist of `query` for `request.user`, or None if the list refuses those parameters."""
        try:
            return self.get_changelist_instance(self.list_request(request, query))
        except (IncorrectLookupParameters, SuspiciousOperation, ValidationError, ValueError):
            return None

    def count_view(self, request, query: str) -> int | None:
        """How many tickets the list shows `request.user` for `query`, capped as the list's own total."""
        cl = self.view_changelist(request, query)
        return None if cl is None else cl.result_count

    def save_view_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_view_permission(request) and can_save_view(request.user)):
            raise PermissionDenied
        form = SaveViewForm(request.POST, actor=request.user)
        changelist = reverse("admin:tickets_ticket_changelist")
        query = urlencode(parse_qsl(request.POST.get("query", "")[: SavedView.QUERY_MAX_LENGTH]))
        back = f"{changelist}?{query}" if query else changelist
        if not form.is_valid():
            for errors in form.errors.values():
                self.message_user(request, " ".join(errors), messages.ERROR)
            return HttpResponseRedirect(back)
        cl = self.view_changelist(request, form.cleaned_data["query"])
        if cl is None:
            self.message_user(request, _("These filters cannot be kept as a view."), messages.ERROR)
            return HttpResponseRedirect(changelist)
        try:
            view = services.saved_view_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                query=form.cleaned_data["query"],
                allowed=view_parameters(cl),
                shared_with=form.cleaned_data.get("shared_with"),
            )
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(changelist)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(back)
        self.message_user(request, _("Saved the view “%(name)s”.") % {"name": view.name}, messages.SUCCESS)
        return HttpResponseRedirect(f"{changelist}?{view.query}" if view.query else changelist)


# The sidebar ----------------------------------------------------------------------------------------------------


def _count_key(user_id: int, view_id: int, updated_at) -> str:
    return f"tickets:saved-view-count:{user_id}:{view_id}:{updated_at.timestamp()}"


def sidebar_views(request) -> list[dict]:
    """The sidebar items of the user's saved views (unfold navigation items), each with its ticket count."""
    user = request.user
    if not can_save_view(user):
        return []
    views = sidebar_saved_views(user, SIDEBAR_VIEWS)
    if not views:
        return []
    keys = {pk: _count_key(user.pk, pk, updated_at) for pk, _name, _owner, _query, updated_at in views}
    counts = cache.get_many(keys.values())
    ticket_admin = admin.site._registry[Ticket]
    fresh = {}
    for pk, _name, _owner, query, _updated in views:
        if keys[pk] not in counts:
            fresh[keys[pk]] = ticket_admin.count_view(request, query)
    if fresh:
        cache.set_many(fresh, COUNT_SECONDS)
        counts.update(fresh)
    changelist = reverse("admin:tickets_ticket_changelist")
    items = []
    for pk, name, owner_id, query, _updated in views:
        count = counts.get(keys[pk])
        items.append(
            {
                # unfold prints item titles unescaped: the name is the user's text.
                "title": escape(name),
                "icon": "bookmark" if owner_id == user.pk else "group",
                "link": f"{changelist}?{query}" if query else changelist,
                "list_query": query,
                "badge": "" if count is None else count_display(count),
                "badge_variant": "primary",
                "permission": "apps.accounts.permissions.sidebar_is_staff",
            }
        )
    return items


# The page of saved views ----------------------------------------------------------------------------------------


class SavedViewForm(ServiceModelForm):
    class Meta:
        model = SavedView
        fields = ("name", "position", "shared_with")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "shared_with" in self.fields:
            self.fields["shared_with"].queryset = Department.objects.filter(is_active=True).order_by("name")

    def apply(self):
        changes = {"name": self.cleaned_data["name"], "position": self.cleaned_data["position"]}
        if "shared_with" in self.cleaned_data:
            changes["shared_with"] = self.cleaned_data["shared_with"]
        return services.saved_view_update(view=self.before, actor=self.actor, **changes)


@admin.register(SavedView)
class SavedViewAdmin(ServiceAdminMixin, ModelAdmin):
    """Rename, reorder and delete saved views: one's own (admins: all). Views are made on the ticket list."""

    form = SavedViewForm
    list_display = ("name", "owner", "shared_with", "position")
    list_display_links = ("name",)
    ordering = ("position", "name")

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("owner", "shared_with")
        return qs if is_admin(request.user) else qs.filter(owner=request.user)

    def get_fields(self, request, obj=None):
        return ("name", "position", "shared_with") if can_share_view(request.user) else ("name", "position")

    def has_module_permission(self, request):
        return can_save_view(request.user)

    def has_view_permission(self, request, obj=None):
        return can_save_view(request.user) and (obj is None or can_change_saved_view(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def delete_with_service(self, request, obj):
        services.saved_view_delete(view=obj, actor=request.user)
