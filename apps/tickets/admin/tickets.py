"""The ticket back office: the changelist agents work from and the ticket page they answer on.

Other apps add sections to the ticket page (AI triage, machine translation) and URLs to this admin through
apps/tickets/extensions.py.
"""

from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdminMixin
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesCheckboxFilter
from unfold.decorators import display

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.permissions import is_admin
from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.common.admin.filters import DayRangeFilter
from apps.common.admin.forms import ServiceAdminMixin
from apps.departments.models import Department

from .. import extensions, services, sla
from ..choices import PRIORITY_RANK, STATUS_RANK, Priority, Status
from ..downloads import attachment_response
from ..history import history_lines
from ..models import Attachment, Ticket
from ..permissions import (
    CHANGE,
    SHAREABLE_PERMS,
    VIEW,
    can_delete_ticket,
    shared_grants,
    ticket_access,
)
from ..selectors import FIRST_ROWS, agent_reach, events_visible_to, tickets_visible_to
from . import actions
from .comments import CommentEditMixin
from .filters import AssigneeFilter, DepartmentFilter, LanguageFilter, SlaFilter, StatusFilter
from .forms import RequesterByEmailField, TicketAddForm, TicketChangeForm
from .page import TicketPageMixin
from .paging import CappedPaginator, TicketChangeList
from .saved_views import SavedViewsMixin
from .search import TicketSearchMixin
from .ticket_csv import TicketCsvMixin

STATUS_BADGES = {
    Status.NEW: "info",
    Status.OPEN: "primary",
    Status.IN_PROGRESS: "warning",
    Status.WAITING: "default",
    Status.RESOLVED: "success",
    Status.CLOSED: "default",
}
PRIORITY_BADGES = {
    Priority.LOW: "default",
    Priority.NORMAL: "info",
    Priority.HIGH: "warning",
    Priority.URGENT: "danger",
}
SLA_BADGES = {
    sla.SlaState.ON_TRACK: "success",
    sla.SlaState.AT_RISK: "warning",
    sla.SlaState.BREACHED: "danger",
    sla.SlaState.PAUSED: "info",
}
SLA_LABELS = {
    sla.SlaState.ON_TRACK: _("On track"),
    sla.SlaState.AT_RISK: _("Breaching soon"),
    sla.SlaState.BREACHED: _("Breached"),
    sla.SlaState.PAUSED: _("Paused"),
}


# The list's columns whose order an index keeps: reference (unique), Updated (-updated_at, -id), Age (-created_at,
# -id) and priority (by urgency, then newest first: the two ticket_priority_rank indexes, one per direction). Sorted
# by one of them, an agent's list walks that index and stops after the page.
INDEXED_COLUMNS = frozenset({"reference_link", "updated", "age", "priority_badge"})


# What the changelist's rows read (templatetags/ticket_list.py RowRenderer, and the list_display columns below):
# of a ticket its reference, title, status, priority, the SLA badge's dates, its times and its people and
# department by id; of the department its name, of the assignee and requester their names. Nothing else is
# loaded: fewer columns to write into the query, read and set on each of the 50 rows and their 100 related rows.
LIST_COLUMNS = (
    "reference",
    "title",
    "status",
    "priority",
    *(name for pair in sla.TARGET_FIELDS.values() for name in pair),
    "sla_paused_at",
    "created_at",
    "updated_at",
    "department",
    "department__name",
    *(
        f"{person}{name}"
        for person in ("assignee", "requester")
        for name in ("", "__username", "__first_name", "__last_name")
    ),
)


@admin.register(Ticket)
class TicketAdmin(
    TicketPageMixin,
    CommentEditMixin,
    TicketSearchMixin,
    ServiceAdminMixin,
    SavedViewsMixin,
    TicketCsvMixin,
    GuardedModelAdminMixin,
    ModelAdmin,
):
    """Tickets, scoped to what the user holds grants on; every write goes through apps.tickets.services."""

    # The add page; an existing ticket has its own page (admin/page.py, admin/tickets/ticket/page.html).
    change_form_template = "admin/tickets/ticket/change_form.html"
    form = TicketChangeForm
    # Labels above the inputs: the form shares its width with the history column.
    compressed_fields = False

    # The list renders these columns itself (templatetags/ticket_list.py, lean_results.html): compact rows
    # that fit 1280 px beside the sidebar.
    change_list_template = "admin/tickets/ticket/change_list.html"
    list_before_template = "admin/tickets/ticket/save_view.html"
    list_display = (
        "reference_link",
        "title",
        "status_badge",
        "priority_badge",
        "sla_badge",
        "department_name",
        "assignee_name",
        "requester",
        "updated",
        "age",
    )
    list_display_links = ("reference_link", "title")
    list_select_related = ("department", "assignee", "requester")
    sortable_by = (
        "reference_link",
        "title",
        "status_badge",
        "priority_badge",
        "sla_badge",
        "department_name",
        "assignee_name",
        "updated",
        "age",
    )
    status_variants = STATUS_BADGES
    priority_variants = PRIORITY_BADGES
    sla_variants = SLA_BADGES
    sla_labels = SLA_LABELS
    list_filter = (
        StatusFilter,
        ("priority", ChoicesCheckboxFilter),
        ("department", DepartmentFilter),
        AssigneeFilter,
        SlaFilter,
        LanguageFilter,
        ("created_at", DayRangeFilter),
        # The dashboard's figures link here: first responses and resolutions per day.
        ("first_responded_at", DayRangeFilter),
        ("resolved_at", DayRangeFilter),
    )
    list_filter_submit = True
    show_facets = admin.ShowFacets.NEVER
    # What the search box reads is apps/tickets/search.py (TicketSearchMixin); this only shows the box.
    search_fields = ("reference",)
    search_help_text = _("Words of the title, description or conversation; a reference; a requester's e-mail")
    # The total is counted up to LIST_COUNT_CAP rows, never the whole table ("10,000+" above): admin/paging.py.
    paginator = CappedPaginator
    show_full_result_count = False
    list_disable_select_all = True
    list_per_page = 50
    list_max_show_all = 50
    actions = (actions.assign_to_me, actions.change_status, actions.transfer_department)

    autocomplete_fields = ("requester",)
    main_fields = ("title", "description", ("category", "priority"), ("status", "department"), "assignee")
    detail_fields = (
        "reference",
        "requester",
        "source",
        "created_at",
        "updated_at",
        "first_response_due_at",
        "resolution_due_at",
        "first_responded_at",
        "resolved_at",
        "closed_at",
    )

    # Scope --------------------------------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return TicketChangeList

    def get_queryset(self, request):
        reach = self.list_reach(request) if self._in_index_order(request) else None
        if reach is not None:
            # An agent's list in an indexed order, at any page: walk the index, testing each row for the agent's
            # reach and looking up the grants of those in it (tickets_visible_to's department form).
            qs = tickets_visible_to(request.user, by_department=True, reach=reach)
        else:
            qs = tickets_visible_to(request.user, first_rows=self._reads_first_rows(request))
        if self._shows_list(request):
            # The list shows none of the descriptions (up to 20,000 characters each), and of the department and
            # the people only their names (LIST_COLUMNS).
            qs = qs.only(*LIST_COLUMNS)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def _shows_list(self, request) -> bool:
        match = getattr(request, "resolver_match", None)
        return request.method == "GET" and match is not None and match.url_name == "tickets_ticket_changelist"

    def _reads_first_rows(self, request) -> bool:
        """The changelist's first pages in its own order (newest first) are found row by row; sorting by a
        column, paging further down or exporting reads the whole visible set (see tickets_visible_to)."""
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name != "tickets_ticket_changelist":
            return False
        try:
            page = int(request.GET.get(PAGE_VAR) or 1)
        except ValueError:
            return False
        return ORDER_VAR not in request.GET and page * self.list_per_page <= FIRST_ROWS

    def _in_index_order(self, request) -> bool:
        """The changelist in an order an index of the tickets keeps: its own (newest first), or sorted first by a
        column of INDEXED_COLUMNS (either way). Other orders (status, SLA, names) read every visible row."""
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name != "tickets_ticket_changelist":
            return False
        order = request.GET.get(ORDER_VAR, "")
        if not order:
            return True
        # The admin numbers the columns from its action checkbox, when the user has actions (ChangeList).
        columns = list(self.get_list_display(request))
        if self.get_actions(request):
            columns.insert(0, "action_checkbox")
        try:
            return columns[abs(int(order.split(".")[0]))] in INDEXED_COLUMNS
        except (ValueError, IndexError):
            return False

    def list_reach(self, request):
        """The agent's reach (selectors.agent_reach: kept in the cache, else one query), once per request and the
        copies of it that count the saved views; None for admins."""
        if "_ticket_list_reach" not in request.__dict__:
            request._ticket_list_reach = agent_reach(request.user)
        return request._ticket_list_reach

    def count_root(self, request):
        """What the list's total counts from when it is not the list's own rows: an agent's visible tickets in the
        department form, when the list itself reads another form (sorted by a column no index keeps, or counted
        for a saved view); None when the list counts itself (an admin's, or an agent's in an indexed order).
        An agent's total is counted by department either way (the paginator's `count_reach`)."""
        reach = self.list_reach(request)
        if reach is None or self._in_index_order(request):
            return None
        return tickets_visible_to(request.user, by_department=True, reach=reach)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        count_queryset = getattr(request, "ticket_list_count_queryset", None)
        return self.paginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            count_queryset=count_queryset,
            count_reach=self.list_reach(request),
            count_first=getattr(request, "ticket_list_count_first", None),
            count_all=getattr(request, "ticket_list_count_all", None),
        )

    def get_object(self, request, object_id, from_field=None):
        """The ticket if the user may see it, else a real 404 (the admin would redirect with a message)."""
        if from_field not in (None, "id"):
            raise Http404(_("No ticket matches the given query."))
        try:
            # One row: its grants are looked up by its id (tickets_visible_to(first_rows=True)).
            scope = tickets_visible_to(request.user, first_rows=True)
            return scope.select_related(*self.list_select_related).get(pk=object_id)
        except (Ticket.DoesNotExist, ValueError, TypeError, ValidationError):
            raise Http404(_("No ticket matches the given query.")) from None

    # Permissions --------------------------------------------------------------------------------------------

    def forget_permissions(self, request) -> None:
        """Drop the request's cached answers (after a write that may have moved grants)."""
        request.__dict__.pop("_ticket_permission_cache", None)

    def remember_access(self, request, obj, access: tuple[bool, bool]) -> None:
        """Keep (may view, may change) `obj` for this request, when a read has answered it already (the page)."""
        request.__dict__.setdefault("_ticket_permission_cache", {})[obj.pk] = access

    def _access(self, request, obj) -> tuple[bool, bool]:
        """(may view, may change) `obj`, asked once per request and ticket (one query for both)."""
        cache = request.__dict__.setdefault("_ticket_permission_cache", {})
        if obj.pk not in cache:
            cache[obj.pk] = ticket_access(request.user, obj)
        return cache[obj.pk]

    def has_view_permission(self, request, obj=None):
        if not super().has_view_permission(request):
            return False
        return obj is None or self._access(request, obj)[0]

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request):
            return False
        return obj is None or self._access(request, obj)[1]

    def has_delete_permission(self, request, obj=None):
        return can_delete_ticket(request.user)

    def get_actions(self, request):
        # Asked three times by a changelist request (the page, its action form, its select box): worked out once.
        kept = request.__dict__.get("_ticket_actions")
        if kept is None:
            kept = super().get_actions(request)
            if not can_delete_ticket(request.user):
                kept.pop("delete_selected", None)
            for extra in extensions.admin_ticket_actions:  # the apps above tickets add theirs (extensions.py)
                if extra.allowed(request.user):
                    kept[extra.name] = (extra.action, extra.name, extra.description)
            request._ticket_actions = kept
        return dict(kept)

    # Forms --------------------------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    None,
                    {"fields": ("title", "description", ("category", "priority"), ("department", "assignee"))},
                ),
                (_("Requester"), {"fields": ("requester",)}),
            ]
        fieldsets = [(None, {"fields": self.main_fields})]
        if self.has_change_permission(request, obj):
            fieldsets.append(
                (
                    _("Reply or internal note"),
                    {"classes": ["ticket-reply"], "fields": ("reply_body", "reply_internal", "reply_files")},
                )
            )
        fieldsets.append((_("Details"), {"classes": ["ticket-side"], "fields": self.detail_fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return self.detail_fields if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = TicketChangeForm if obj is not None else TicketAddForm
        request.ticket_admin_obj = obj  # read by formfield_for_foreignkey, which is not given the object
        return super().get_form(request, obj, change, **kwargs)

    def get_autocomplete_fields(self, request):
        # Agents type a requester's e-mail address (RequesterByEmailField); admins pick anyone.
        return self.autocomplete_fields if is_admin(request.user) else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Active departments and active staff, plus the ticket's current ones so that a ticket whose department
        # was deactivated (or whose assignee left) can still be saved.
        obj = getattr(request, "ticket_admin_obj", None)
        if db_field.name == "requester" and not is_admin(request.user):
            return RequesterByEmailField(actor=request.user, label=db_field.verbose_name.capitalize())
        if db_field.name == "department":
            current = Q(pk=obj.department_id) if obj else Q(pk__in=[])
            kwargs["queryset"] = Department.objects.filter(Q(is_active=True) | current).order_by("name")
        elif db_field.name == "assignee":
            current = Q(pk=obj.assignee_id) if obj and obj.assignee_id else Q(pk__in=[])
            staff = Q(is_active=True, role__in=STAFF_ROLES)
            kwargs["queryset"] = db_field.related_model.objects.filter(staff | current).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_form(self, request, form, change):
        self.forget_permissions(request)  # grants may have moved
        return super().save_form(request, form, change)

    def response_change(self, request, obj):
        # A transfer can take the ticket out of the user's scope: go back to the list instead of a 404.
        self.forget_permissions(request)
        if not self.has_view_permission(request, obj):
            self.message_user(
                request,
                _("%(ticket)s was saved and is now outside your departments.") % {"ticket": obj.reference},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:tickets_ticket_changelist"))
        return super().response_change(request, obj)

    def delete_with_service(self, request, obj):
        services.ticket_delete(ticket=obj, actor=request.user)

    # The change page ----------------------------------------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            # A refused save of the whole-ticket form (still accepted by POST): the ticket page, with its errors.
            page = self.ticket_page_context(request, obj)
            page["adminform"] = context["adminform"]
            page["form_errors"] = context["adminform"].form.errors
            return TemplateResponse(request, self.page_template, page)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        """The "History" button: the ticket's own events (Django's admin log is never written for tickets)."""
        ticket = self.get_object(request, unquote(object_id))
        if not self.has_view_or_change_permission(request, ticket):
            raise PermissionDenied
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": _("History of %(reference)s") % {"reference": ticket.reference},
            "subtitle": ticket.title,
            "opts": self.opts,
            "original": ticket,
            "object": ticket,
            "history": history_lines(events_visible_to(request.user, ticket=ticket)),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/tickets/ticket/object_history.html", context)

    # Changelist columns -------------------------------------------------------------------------------------

    @display(description=_("reference"), ordering="reference")
    def reference_link(self, obj):
        # References contain a hyphen; keep them on one line.
        return format_html('<span class="whitespace-nowrap">{}</span>', obj.reference)

    # Status along the lifecycle (new first), priority by urgency (the first click puts the most urgent first).
    @display(description=_("status"), ordering=STATUS_RANK, label=STATUS_BADGES)
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("priority"), ordering=PRIORITY_RANK.desc(), label=PRIORITY_BADGES)
    def priority_badge(self, obj):
        return obj.priority, obj.get_priority_display()

    @display(description=_("SLA"), ordering=sla.next_due_ordering(), label=SLA_BADGES)
    def sla_badge(self, obj):
        # From the row's own columns: no query per row.
        state = sla.sla_state(obj)
        return state, SLA_LABELS.get(state, "")

    @display(description=_("department"), ordering="department__name")
    def department_name(self, obj):
        return obj.department.name if obj.department_id else None

    @display(description=_("assignee"), ordering="assignee__username")
    def assignee_name(self, obj):
        return obj.assignee

    @display(description=_("updated"), ordering="updated_at")
    def updated(self, obj):
        return timesince(obj.updated_at, depth=1)

    @display(description=_("age"), ordering="created_at")
    def age(self, obj):
        return timesince(obj.created_at, depth=1)

    # Extra URLs ---------------------------------------------------------------------------------------------

    def get_urls(self):
        extra = [
            path(
                "<str:object_id>/attachments/<int:attachment_id>/download/",
                self.admin_site.admin_view(self.attachment_download_view),
                name="tickets_ticket_attachment_download",
            ),
        ]
        extra += self.get_page_urls()
        extra += self.get_comment_urls()
        extra += [
            path(url.route, self.admin_site.admin_view(partial(url.view, self)), name=url.name)
            for url in extensions.admin_ticket_urls
        ]
        return extra + super().get_urls()

    def attachment_download_view(self, request, object_id, attachment_id):
        """Serve an attachment of a ticket the user can see, always as a download."""
        ticket = self.get_object(request, unquote(object_id))
        if not self.has_view_or_change_permission(request, ticket):
            raise PermissionDenied
        attachment = get_object_or_404(Attachment, ticket=ticket, pk=attachment_id)
        return attachment_response(attachment)

    # guardian's object-permission pages: admins only (guardian #305, #756) -----------------------------------

    def _admins_only(self, request) -> None:
        if not is_admin(request.user):
            raise Http404(_("No ticket matches the given query."))

    def get_obj_perms_manage_user_form(self, request):
        return audited_grants_form(super().get_obj_perms_manage_user_form(request), holder="user", actor=request.user)

    def get_obj_perms_manage_group_form(self, request):
        return audited_grants_form(super().get_obj_perms_manage_group_form(request), holder="group", actor=request.user)

    def obj_perms_manage_view(self, request, object_pk):
        self._admins_only(request)
        return super().obj_perms_manage_view(request, object_pk)

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        self._admins_only(request)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        self._admins_only(request)
        return super().obj_perms_manage_group_view(request, object_pk, group_id)


def audited_grants_form(form_class, *, holder: str, actor):
    """guardian's form for one user's (or group's) grants on a ticket: only view and change are offered, saving
    is services.ticket_share (recorded in the ticket's history), and an audit entry records the change.

    Only the shares an admin makes here are audited; the grants the ticket services write as tickets are
    routed and assigned are derived from the ticket and not logged.
    """

    class AuditedGrantsForm(form_class):
        def get_obj_perms_field_choices(self):
            labels = {VIEW: _("View the ticket"), CHANGE: _("Change the ticket")}
            return [(codename, labels[codename]) for codename in SHAREABLE_PERMS]

        def get_obj_perms_field_initial(self):
            return sorted(shared_grants(ticket=self.obj, **{holder: getattr(self, holder)}))

        def save_obj_perms(self):
            with transaction.atomic():
                before = self.get_obj_perms_field_initial()
                who = getattr(self, holder)
                changed = services.ticket_share(
                    ticket=self.obj,
                    actor=actor,
                    codenames=self.cleaned_data[self.get_obj_perms_field_name()],
                    **{holder: who},
                )
                if not changed:
                    return
                after = self.get_obj_perms_field_initial()
                audit_record(
                    action=Action.GRANTED if set(after) - set(before) else Action.REVOKED,
                    obj=self.obj,
                    changes={f"{holder} {who}": [before, after]},
                )

    return AuditedGrantsForm
