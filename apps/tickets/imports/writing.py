"""The writes of an import, batch by batch, inside the caller's transaction.

New tickets go in with bulk inserts: requester accounts, tickets (references reserved in advance), their
search documents (one UPDATE per batch, apps/tickets/search.py), their grants
(apps.tickets.permissions.grants_for_new_tickets) and their history events, a few statements per batch. The
events are announced as a batch (apps/tickets/events.py): the listeners of the apps above decide about
notifications and triage, silenced as the import's options say (see tickets_import). Updates are rare and go
through the ticket services one row at a time, so they move grants and write events exactly as an edit in the
back office does.
"""

import re
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.audit.models import Action as AuditAction
from apps.audit.registry import created_changes
from apps.audit.services import Change, audit_record_many
from apps.common.csv.report import Action, RowError

from .. import services
from ..choices import EventKind, Source
from ..events import events_record
from ..models import ReferenceSequence, Ticket, TicketEvent
from ..permissions import grants_for_new_tickets
from ..search import search_documents_refresh
from .options import ImportOptions
from .planning import UNCHANGED, NewRequester, PlannedRow

User = get_user_model()
USERNAME_MAX = User._meta.get_field("username").max_length
NOT_USERNAME = re.compile(r"[^\w.@+-]")


class ImportRefused(Exception):
    """A service refused a row while writing (the data changed since it was checked): nothing is kept."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


def ticket_imported_events(
    *, tickets: list[Ticket], plans: list[PlannedRow], actor, file_name: str, options: ImportOptions
) -> list[TicketEvent]:
    """The history of freshly imported tickets: "created" (source import, with the file and row), and
    "assigned" when the row names an assignee, the same events ticket_create writes."""
    now = timezone.now()
    actor_id = actor.pk if actor is not None and actor.pk else None
    events = []
    for ticket, plan in zip(tickets, plans, strict=True):
        data = {
            "status": ticket.status,
            "priority": ticket.priority,
            "department": ticket.department_id,
            "source": Source.IMPORT,
            "file": file_name[:200],
            "row": plan.number,
            "notify": options.notify,
            "triage": options.triage,
        }
        if plan.external_reference:
            data["external_reference"] = plan.external_reference
        data.update(plan.history)  # what the mapping kept or filled in (planning.PlannedRow.history)
        events.append(
            TicketEvent(ticket_id=ticket.pk, actor_id=actor_id, kind=EventKind.CREATED, data=data, created_at=now)
        )
        if ticket.assignee_id:
            events.append(
                TicketEvent(
                    ticket_id=ticket.pk,
                    actor_id=actor_id,
                    kind=EventKind.ASSIGNED,
                    data={"from": None, "to": ticket.assignee_id},
                    created_at=now,
                )
            )
    return events


def references_reserve(*, count: int) -> Iterator[str]:
    """Reserve `count` ticket references with one atomic UPDATE (as services.reference_allocate does) and hand
    them out one by one: a 1,000,000-row import does not hold a million strings in memory."""
    prefix = settings.TICKET_REFERENCE_PREFIX
    with transaction.atomic():
        ReferenceSequence.objects.get_or_create(name=prefix)
        ReferenceSequence.objects.filter(name=prefix).update(value=F("value") + count)
        last = ReferenceSequence.objects.values_list("value", flat=True).get(name=prefix)
    return (f"{prefix}-{n:06d}" for n in range(last - count + 1, last + 1))


class TicketWriter:
    """Writes planned rows; `references` are reserved before the import transaction (see tickets_import)."""

    def __init__(self, *, actor, file_name: str, options: ImportOptions, references: Iterator[str]):
        self.actor = actor
        self.file_name = file_name
        self.options = options
        self.references = references
        self.new_requesters = 0

    def write(self, plans: list[PlannedRow]) -> None:
        creates = [plan for plan in plans if plan.action == Action.CREATE]
        if creates:
            self._create(creates)
        for plan in plans:
            if plan.action == Action.UPDATE:
                self._update(plan)

    def _next_reference(self) -> str:
        reference = next(self.references, None)
        if reference is None:  # more rows create tickets than were counted: reserve more (in the transaction)
            self.references = references_reserve(count=self.options.batch_size)
            reference = next(self.references)
        return reference

    def _create(self, plans: list[PlannedRow]) -> None:
        pending = {id(p.new_requester): p.new_requester for p in plans if p.new_requester is not None}
        missing = [person for person in pending.values() if person.user_id is None]
        if missing:
            self._create_requesters(missing)
        tickets = []
        for plan in plans:
            fields = dict(plan.fields)
            if plan.new_requester is not None:
                fields["requester_id"] = plan.new_requester.user_id
            tickets.append(Ticket(reference=self._next_reference(), source=Source.IMPORT, **fields))
        Ticket.objects.bulk_create(tickets)
        search_documents_refresh(ticket_ids=[ticket.pk for ticket in tickets])
        grants_for_new_tickets(tickets)
        events_record(
            ticket_imported_events(
                tickets=tickets, plans=plans, actor=self.actor, file_name=self.file_name, options=self.options
            )
        )

    def _create_requesters(self, people: list[NewRequester]) -> None:
        """Requester accounts for e-mail addresses that have none: no password (they use "forgot password")."""
        wanted = {person: _username_for(person.email) for person in people}
        taken = set(User.objects.filter(username__in=wanted.values()).values_list("username", flat=True))
        now = timezone.now()
        accounts = []
        for person, username in wanted.items():
            candidate, suffix = username, 1
            while candidate in taken:
                suffix += 1
                candidate = f"{username[: USERNAME_MAX - len(str(suffix)) - 1]}-{suffix}"
            taken.add(candidate)
            accounts.append(
                User(
                    username=candidate,
                    email=person.email,
                    first_name=person.first_name,
                    last_name=person.last_name,
                    role=Role.REQUESTER,
                    # User.save() derives these from the role; bulk_create does not call it.
                    is_staff=False,
                    is_superuser=False,
                    is_active=True,
                    password=make_password(None),
                    language=settings.LANGUAGE_CODE,
                    date_joined=now,
                )
            )
        User.objects.bulk_create(accounts)
        # bulk_create sends no model signal: the new accounts are audited here.
        audit_record_many(
            [Change(action=AuditAction.CREATED, obj=account, changes=created_changes(account)) for account in accounts],
            actor=self.actor,
        )
        for person, account in zip(wanted, accounts, strict=True):
            person.user_id = account.pk
        self.new_requesters += len(accounts)

    def _update(self, plan: PlannedRow) -> None:
        ticket = plan.ticket
        actor = self.actor
        try:
            if plan.edits:
                ticket = services.ticket_update(ticket=ticket, actor=actor, **plan.edits)
            if plan.transition:
                ticket = services.ticket_transition(ticket=ticket, actor=actor, to_status=plan.transition)
            if plan.transfer is not None:
                ticket = services.ticket_transfer(ticket=ticket, actor=actor, department=plan.transfer)
            if plan.assign is not UNCHANGED:
                assignee = User.objects.get(pk=plan.assign) if plan.assign is not None else None
                ticket = services.ticket_assign(ticket=ticket, actor=actor, assignee=assignee)
        except (ValidationError, PermissionDenied) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            message = _("%(reference)s: %(reason)s") % {"reference": ticket.reference, "reason": reason}
            raise ImportRefused(RowError(plan.number, "", message)) from exc


def _username_for(email: str) -> str:
    return NOT_USERNAME.sub("_", email.strip())[:USERNAME_MAX]
