"""The ticket page of the back office: the conversation first, each property changed on its own.

A GET of a ticket's change URL renders admin/tickets/ticket/page.html from one context (`ticket_page_context`)
without building the admin's model form: the header (reference, title, badges, SLA clocks, requester), the
thread (the description, then replies and internal notes with their files, oldest first; the history events
interleaved with ?history=1), the composer and the side panel. Each of them posts to its own URL, which parses the
input, calls one service and redirects back to the page with a message:

| URL name | form | service |
|---|---|---|
| `admin:tickets_ticket_send` | the composer: Send, Send and wait for requester, Send and resolve | `comment_send` |
| `admin:tickets_ticket_property` | one property of the side panel, with the version | `ticket_transition` ... |
| `admin:tickets_ticket_details` | "Edit title and description", with the version | `ticket_update` |
| `admin:tickets_ticket_comment_edit`, `..._delete` | Edit, Delete of your own message | `comment_edit` ... |

A stale version is refused with the current value beside the one the agent chose; nothing is written. The
queries of the page do not depend on the number of messages (tests/tickets/test_ticket_page.py;
bench/bench_ticket_page.py): the agent's grants on the ticket are read once, then its row by id
(`selectors.ticket_get_with_access`), and that change answer also says which of their messages they may still
edit.
The thread, the property forms and the header's badges are written as prepared strings
(templatetags/ticket_page.py), not through an include each.
"""

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.permissions import is_admin
from apps.departments.models import Department

from .. import extensions, services, sla
from ..choices import TRANSITIONS, Category, Priority, Status
from ..forms import AttachmentsField
from ..history import HistoryLine, history_lines
from ..mentions import mentions_unreached
from ..models import Ticket
from ..permissions import comments_editable_until
from ..selectors import attachments_visible_to, comments_visible_to, events_visible_to, ticket_get_with_access

User = get_user_model()

# The composer's three buttons: the status each one leaves the ticket in (None: as it is).
SEND_ACTIONS = {"send": None, "wait": Status.WAITING, "resolve": Status.RESOLVED}
PROPERTIES = ("status", "priority", "category", "department", "assignee", "language")
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
STALE_PROPERTY = gettext_lazy(
    "Someone else changed this ticket in the meantime, so your change was not saved: %(field)s is now "
    "“%(current)s” (you chose “%(chosen)s”). Choose again if you still want it."
)


class ComposerForm(forms.Form):
    """The composer's input: the message, reply or note, files and which button was pressed."""

    body = forms.CharField(required=False, strip=False)
    kind = forms.ChoiceField(choices=(("reply", "reply"), ("note", "note")))
    files = AttachmentsField()
    action = forms.ChoiceField(choices=[(key, key) for key in SEND_ACTIONS])


class DetailsForm(forms.Form):
    """The explicit edit of the requester's title and description."""

    title = forms.CharField(strip=False)
    description = forms.CharField(strip=False)
    version = forms.IntegerField()


@dataclass(frozen=True)
class ThreadItem:
    """One entry of the thread: the description (`comment` None, `event` None), a comment, or a history line."""

    created_at: datetime
    comment: object = None
    event: HistoryLine | None = None


def _language_choices(current: str) -> list[tuple[str, str]]:
    choices = [("", _("Not set")), *((code, str(name)) for code, name in settings.LANGUAGES)]
    if current and current not in dict(choices):
        choices.append((current, current))
    return choices


def _assignee_choices(ticket: Ticket) -> list[dict]:
    """Active agents and admins, the ticket's department's members first (one query)."""
    members = User.groups.through.objects.filter(user=OuterRef("pk"), group_id=ticket.department.group_id)
    people = (
        User.objects.filter(Q(is_active=True, role__in=STAFF_ROLES) | Q(pk=ticket.assignee_id or 0))
        .annotate(in_department=Exists(members))
        .order_by("-in_department", "first_name", "last_name", "username")
        .values_list("pk", "first_name", "last_name", "username", "in_department")
    )
    # Rows, not users: the name as User.get_full_name() gives it, without building an object per agent.
    return [
        {"pk": pk, "name": f"{first} {last}".strip() or username, "member": member}
        for pk, first, last, username, member in people
    ]


def _department_choices(ticket: Ticket) -> list[dict]:
    """Active departments (and the ticket's own), each saying whether a transfer there keeps the assignee."""
    assignee = ticket.assignee
    departments = Department.objects.filter(Q(is_active=True) | Q(pk=ticket.department_id)).order_by("name")
    groups: set[int] = set()
    keeps_all = assignee is None or assignee.is_superuser
    if not keeps_all:
        groups = set(User.groups.through.objects.filter(user_id=assignee.pk).values_list("group_id", flat=True))
    return [
        {"pk": d.pk, "name": d.name, "keeps_assignee": keeps_all or d.group_id in groups}
        for d in departments.only("pk", "name", "group_id")
    ]


def _thread(comments, history: list[HistoryLine], ticket: Ticket) -> list[ThreadItem]:
    items = [ThreadItem(created_at=ticket.created_at)]
    items += [ThreadItem(created_at=c.created_at, comment=c) for c in comments]
    items += [ThreadItem(created_at=line.created_at, event=line) for line in history]
    # sorted() is stable: the description stays first, and a message before the event written with it.
    return sorted(items, key=lambda item: item.created_at)


def _sla_clocks(ticket: Ticket) -> list[dict]:
    state = sla.sla_state(ticket)
    now = timezone.now()
    clocks = []
    targets = (
        (_("First response"), ticket.first_response_due_at, ticket.first_responded_at),
        (_("Resolution"), ticket.resolution_due_at, ticket.resolved_at),
    )
    for label, due, done in targets:
        if due is None or done is not None:
            continue
        clocks.append({"label": label, "due": due, "overdue": due <= now, "paused": state == sla.SlaState.PAUSED})
    return clocks


class TicketPageMixin:
    """The ticket page and the URLs its forms post to (for TicketAdmin)."""

    page_template = "admin/tickets/ticket/page.html"

    def get_page_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/send/", wrap(self.send_view), name="tickets_ticket_send"),
            path("<path:object_id>/property/", wrap(self.property_view), name="tickets_ticket_property"),
            path("<path:object_id>/details/", wrap(self.details_view), name="tickets_ticket_details"),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method in ("GET", "HEAD"):
            # The agent's grants on the ticket, then its row: cheaper than get_object's grant subqueries, and the
            # change answer is kept for the request (has_change_permission, the panels, the edit window).
            ticket, may_change = ticket_get_with_access(
                user=request.user, pk=unquote(object_id), select_related=self.list_select_related
            )
            self.remember_access(request, ticket, (True, may_change))
            # Who may change a ticket may see it: one check for the agents who work it.
            if not (self.has_change_permission(request, ticket) or self.has_view_permission(request, ticket)):
                raise PermissionDenied
            context = self.ticket_page_context(request, ticket)
            return TemplateResponse(request, self.page_template, context)
        return super().change_view(request, object_id, form_url, extra_context)

    def ticket_page_context(self, request, ticket: Ticket) -> dict:
        user = request.user
        can_change = self.has_change_permission(request, ticket)
        # The files of the whole thread in one query (not one prefetch for the messages and one for the ticket).
        comments = list(comments_visible_to(user, ticket=ticket).prefetch_related(None))
        files: dict[int | None, list] = {}
        for attachment in attachments_visible_to(user, ticket=ticket).order_by("created_at", "pk"):
            files.setdefault(attachment.comment_id, []).append(attachment)
        for comment in comments:
            comment.page_files = files.get(comment.pk, [])
        # The history is read only when the agent asks for it in the thread ("Show history": ?history=1).
        show_history = request.GET.get("history") == "1"
        history = history_lines(events_visible_to(user, ticket=ticket)) if show_history else []
        panels = {"main": [], "side": [], "composer": []}
        sla_state = sla.sla_state(ticket)
        context = {
            **self.admin_site.each_context(request),
            "title": ticket.reference,
            "subtitle": ticket.title,
            "opts": self.opts,
            "original": ticket,
            "ticket": ticket,
            "has_change_permission": can_change,
            "has_view_permission": True,
            "show_object_permissions": is_admin(user),
            "thread": _thread(comments, history, ticket),
            # The agent's own messages still in their edit window, with its end (admin/comments.py).
            # ticket_access's change answer is can_change_ticket, staff's can_comment: asked once for the page.
            "editable_comments": comments_editable_until(
                user, comments, ticket=ticket, may_change=self._access(request, ticket)[1]
            ),
            "loose_attachments": files.get(None, []),
            "image_types": IMAGE_TYPES,
            "status_variant": self.status_variants.get(ticket.status),
            "priority_variant": self.priority_variants.get(ticket.priority),
            "sla_variant": self.sla_variants.get(sla_state),
            "sla_label": self.sla_labels.get(sla_state, ""),
            "sla_clocks": _sla_clocks(ticket),
            "requester_name": _name(ticket.requester),
            "assignee_name": _name(ticket.assignee) if ticket.assignee_id else "",
            "requester_tickets_url": reverse("admin:tickets_ticket_changelist") + f"?q={ticket.requester.email}",
            "sent": request.GET.get("sent") == "1",
            "show_history": show_history,
            # The agent's own text of an edit refused as stale, shown again in the form (details_view).
            "details_draft": request.session.pop(f"ticket-details-{ticket.pk}", None) if can_change else None,
        }
        if can_change:
            context.update(
                status_choices=[
                    (value, label)
                    for value, label in Status.choices
                    if value == ticket.status or value in TRANSITIONS[ticket.status]
                ],
                priority_choices=Priority.choices,
                category_choices=Category.choices,
                language_choices=_language_choices(ticket.language),
                department_choices=_department_choices(ticket),
                assignee_choices=_assignee_choices(ticket),
                upload_field=AttachmentsField(),
                property_url=reverse("admin:tickets_ticket_property", args=[ticket.pk]),
                can_wait=_reachable(ticket.status, Status.WAITING),
                can_resolve=_reachable(ticket.status, Status.RESOLVED),
            )
        for panel in extensions.admin_ticket_panels:
            panels[panel.column].append(panel)
            context.update(panel.context(self, request, ticket))
        context["ticket_panels"] = panels
        return context

    # Writes -------------------------------------------------------------------------------------------------

    def _page_ticket(self, request, object_id) -> Ticket:
        ticket = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, ticket):
            raise PermissionDenied
        return ticket

    def _back(self, request, ticket: Ticket, *, anchor: str = "", query: str = "") -> HttpResponseRedirect:
        """To the ticket page, or to the list when the change took the ticket out of the user's scope."""
        self.forget_permissions(request)
        if not self.has_view_permission(request, ticket):
            messages.success(
                request, _("%(ticket)s was saved and is now outside your departments.") % {"ticket": ticket.reference}
            )
            return HttpResponseRedirect(reverse("admin:tickets_ticket_changelist"))
        url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
        return HttpResponseRedirect(f"{url}{query}{anchor}")

    def _refused(self, request, error: ValidationError) -> None:
        for text in error.messages:
            messages.error(request, text)

    def send_view(self, request, object_id):
        """The composer: one reply or internal note, and the status it leaves the ticket in, in one service call."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self._page_ticket(request, object_id)
        form = ComposerForm(request.POST, request.FILES)
        if not form.is_valid():
            for errors in form.errors.values():
                for text in errors:
                    messages.error(request, text)
            return self._back(request, ticket, anchor="#composer")
        data = form.cleaned_data
        internal = data["kind"] == "note"
        to_status = SEND_ACTIONS[data["action"]]
        try:
            comment = services.comment_send(
                ticket=ticket,
                actor=request.user,
                body=data["body"],
                is_internal=internal,
                uploads=data["files"] or [],
                to_status=to_status,
            )
        except ValidationError as exc:
            self._refused(request, exc)
            return self._back(request, ticket, anchor="#composer")
        sent = _("The internal note was added.") if internal else _("The reply was sent.")
        if to_status is not None:
            sent = f"{sent} " + _("The ticket is now “%(status)s”.") % {"status": Status(to_status).label}
        messages.success(request, sent)
        unreached = mentions_unreached(comment=comment)
        if unreached:
            names = ", ".join(f"@{name}" for name in unreached)
            if internal:
                text = _("These mentions reached nobody (no such agent, or no access to this ticket): %(names)s") % {
                    "names": names
                }
            else:
                text = _("Mentions only notify agents from internal notes; nobody was told about %(names)s") % {
                    "names": names
                }
            messages.warning(request, text)
        return self._back(request, ticket, anchor=f"#comment-{comment.pk}", query="?sent=1")

    def property_view(self, request, object_id):
        """One property of the side panel, changed with the version the page was rendered with."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self._page_ticket(request, object_id)
        field = request.POST.get("field")
        raw = request.POST.get("value", "")
        if field not in PROPERTIES:
            messages.error(request, _("Choose something to change."))
            return self._back(request, ticket)
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1  # refused as stale below: a change is only made against the version it was chosen on
        try:
            value, shown = self._parse_property(ticket, field, raw, request.user)
        except ValidationError as exc:
            self._refused(request, exc)
            return self._back(request, ticket)
        outside = field == "assignee" and value is not None and not self._is_member(value, ticket)
        if outside and not request.POST.get("confirm"):
            return TemplateResponse(
                request,
                "admin/tickets/ticket/confirm_assignee.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Assign someone outside the department?"),
                    "opts": self.opts,
                    "ticket": ticket,
                    "person": value,
                    "version": version,
                },
            )
        try:
            changed = self._change_property(ticket, field, value, version, request.user)
        except services.StaleTicketError:
            current = Ticket.objects.select_related("department", "assignee").get(pk=ticket.pk)
            messages.error(
                request,
                STALE_PROPERTY % {"field": _field_label(field), "current": _shown(current, field), "chosen": shown},
            )
            return self._back(request, ticket)
        except ValidationError as exc:
            self._refused(request, exc)
            return self._back(request, ticket)
        messages.success(request, _("%(field)s: %(value)s") % {"field": _field_label(field), "value": shown})
        return self._back(request, changed)

    def _parse_property(self, ticket: Ticket, field: str, raw: str, actor):
        """The value a property form sent, and how the page names it; ValidationError when it names nothing."""
        invalid = ValidationError(_("“%(value)s” is not a valid choice.") % {"value": raw[:40]})
        if field == "department":
            found = Department.objects.filter(pk=raw).first() if raw.isdigit() else None
            if found is None:
                raise invalid
            return found, found.name
        if field == "assignee":
            if raw == "":
                return None, _("Unassigned")
            if raw == "me":
                return actor, actor.get_full_name() or actor.username
            found = User.objects.filter(pk=raw).first() if raw.isdigit() else None
            if found is None:
                raise invalid
            return found, found.get_full_name() or found.username
        choices = {
            "status": Status.choices,
            "priority": Priority.choices,
            "category": Category.choices,
            "language": _language_choices(ticket.language),
        }[field]
        labels = {value: str(label) for value, label in choices}
        if raw not in labels:
            raise invalid
        return raw, labels[raw]

    def _is_member(self, person, ticket: Ticket) -> bool:
        return person.is_superuser or person.groups.filter(pk=ticket.department.group_id).exists()

    def _change_property(self, ticket: Ticket, field: str, value, version: int, actor) -> Ticket:
        if field == "status":
            return services.ticket_transition(ticket=ticket, actor=actor, to_status=value, expected_version=version)
        if field == "assignee":
            return services.ticket_assign(ticket=ticket, actor=actor, assignee=value, expected_version=version)
        if field == "department":
            return services.ticket_transfer(ticket=ticket, actor=actor, department=value, expected_version=version)
        return services.ticket_update(ticket=ticket, actor=actor, expected_version=version, **{field: value})

    def details_view(self, request, object_id):
        """The explicit edit of the title and description (the history keeps the old text)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self._page_ticket(request, object_id)
        form = DetailsForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for text in errors:
                    messages.error(request, text)
            return self._back(request, ticket, anchor="#ticket-details")
        data = form.cleaned_data
        try:
            services.ticket_update(
                ticket=ticket,
                actor=request.user,
                expected_version=data["version"],
                title=data["title"],
                description=data["description"],
            )
        except services.StaleTicketError:
            messages.error(
                request,
                _(
                    "Someone else changed this ticket in the meantime, so your edit was not saved. Your text is "
                    "kept in the form below; compare it with the current one and save again."
                ),
            )
            request.session[f"ticket-details-{ticket.pk}"] = {
                "title": data["title"],
                "description": data["description"],
            }
            return self._back(request, ticket, anchor="#ticket-details")
        except ValidationError as exc:
            self._refused(request, exc)
            return self._back(request, ticket, anchor="#ticket-details")
        messages.success(request, _("The title and description were saved; the history keeps the old text."))
        return self._back(request, ticket)


def _name(person) -> str:
    return person.get_full_name() or person.get_username()


def _reachable(from_status: str, to_status: str) -> bool:
    try:
        return bool(services.status_path(from_status, to_status))
    except ValidationError:
        return False


def _field_label(field: str) -> str:
    return str(Ticket._meta.get_field(field).verbose_name).capitalize()


def _shown(ticket: Ticket, field: str) -> str:
    if field == "assignee":
        person = ticket.assignee
        return (person.get_full_name() or person.username) if person else _("Unassigned")
    if field == "department":
        return ticket.department.name
    if field == "language":
        return dict(_language_choices(ticket.language)).get(ticket.language, ticket.language)
    return str(getattr(ticket, f"get_{field}_display")())
