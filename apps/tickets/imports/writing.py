"""The writes of an import, batch by batch, inside the caller's transaction.

New tickets go through the one creation path, a batch at a time (apps/tickets/creation.py
`tickets_create_bulk`): requester accounts first (one bulk insert), then the tickets with their references
(or the reference of our own export, when it is free), routing, the assignment policy for open tickets, SLA
due dates, search documents, grants and history, a few statements per batch, exactly as a ticket opened by
hand gets them. The events are announced as a batch (apps/tickets/events.py): the listeners of the apps above
decide about notifications and triage, silenced as the import's options say (see tickets_import). Updates are
rare and go through the ticket services one row at a time, so they move grants and write events exactly as
an edit in the back office does.

On PostgreSQL the writer refreshes the tickets table's statistics (ANALYZE, which counts the rows this
transaction wrote) each time the import has doubled what it wrote since, from 10,000 tickets: the check of each
later batch looks its rows' references and external ids up in that table, and with statistics of the table
before the import (empty, on a first import) PostgreSQL scanned every ticket written so far for each batch.
"""

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, router
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.audit.models import Action as AuditAction
from apps.audit.registry import created_changes
from apps.audit.services import Change, audit_record_many
from apps.common.csv.report import Action, RowError

from .. import services
from ..choices import Source
from ..creation import STAMPS, NewTicket, tickets_create_bulk
from ..models import Ticket
from .options import ImportOptions
from .planning import UNCHANGED, NewRequester, PlannedRow

User = get_user_model()
USERNAME_MAX = User._meta.get_field("username").max_length
FIRST_ANALYZE = 10_000  # new tickets; then at every doubling
NOT_USERNAME = re.compile(r"[^\w.@+-]")


class ImportRefused(Exception):
    """A service refused a row while writing (the data changed since it was checked): nothing is kept."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


def imported_row(*, plan: PlannedRow, file_name: str, options: ImportOptions) -> NewTicket:
    """A planned row as a row of the one creation path (apps/tickets/creation.py), with its history: the file
    and row it came from, the import's notify/triage switches and the other system's id."""
    fields = dict(plan.fields)
    if plan.new_requester is not None:
        fields["requester_id"] = plan.new_requester.user_id
    stamps = {name: fields.pop(name) for name in STAMPS if name in fields}
    history = {"file": file_name[:200], "row": plan.number, "notify": options.notify, "triage": options.triage}
    if plan.external_reference:
        history["external_reference"] = plan.external_reference
    history.update(plan.history)  # what the mapping kept or filled in (planning.PlannedRow.history)
    department_id = fields.pop("department_id")
    return NewTicket(
        **fields,
        department_id=None if plan.route is not None else department_id,
        route=plan.route,
        reference=plan.keep_reference,
        external_source=plan.external_source,
        external_id=plan.external_id,
        stamps=stamps,
        history=history,
    )


class TicketWriter:
    """Writes planned rows: new tickets through tickets_create_bulk, a batch at a time; updates through the
    ticket services."""

    def __init__(self, *, actor, file_name: str, options: ImportOptions):
        self.actor = actor
        self.file_name = file_name
        self.options = options
        self.new_requesters = 0
        self.created = 0
        self.analyze_at = FIRST_ANALYZE

    def write(self, plans: list[PlannedRow]) -> None:
        creates = [plan for plan in plans if plan.action == Action.CREATE]
        if creates:
            self._create(creates)
            self.created += len(creates)
            if self.created >= self.analyze_at:
                self.analyze_at *= 2
                _analyze_tickets()
        for plan in plans:
            if plan.action == Action.UPDATE:
                self._update(plan)

    def _create(self, plans: list[PlannedRow]) -> None:
        pending = {id(p.new_requester): p.new_requester for p in plans if p.new_requester is not None}
        missing = [person for person in pending.values() if person.user_id is None]
        if missing:
            self._create_requesters(missing)
        rows = [imported_row(plan=plan, file_name=self.file_name, options=self.options) for plan in plans]
        try:
            tickets_create_bulk(actor=self.actor, rows=rows, source=Source.IMPORT)
        except ValidationError as exc:  # the data changed since the check (a department lost its default)
            raise ImportRefused(RowError(plans[0].number, "", " ".join(exc.messages))) from exc
        except IntegrityError as exc:  # a reference or external id twice in a file too large to remember all
            message = _("Rows %(first)d to %(last)d name a reference or an external id that is already taken.") % {
                "first": plans[0].number,
                "last": plans[-1].number,
            }
            raise ImportRefused(RowError(plans[0].number, "reference", message)) from exc

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


def _analyze_tickets() -> None:
    connection = connections[router.db_for_write(Ticket)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Ticket._meta.db_table)}")


def _username_for(email: str) -> str:
    return NOT_USERNAME.sub("_", email.strip())[:USERNAME_MAX]
