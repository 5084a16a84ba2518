"""The one creation path of tickets: `tickets_create_bulk`, of which services.ticket_create is the one-row case.

Every channel opens tickets through it (portal, API, back office and e-mail through ticket_create; the CSV
import with a batch of rows at a time), so every new ticket gets the same things, in a few statements per
batch whatever its size:
- a reference (apps/tickets/references.py: one statement for the batch), or the one its row keeps;
- its department: the row's, else routing (apps.departments.routing.Router: the rules and the default
  department read once), recorded in a "routed" event;
- an assignee: the row's, else, for a ticket in an open status, its department's assignment policy
  (choose_assignees: three queries per department of the batch), recorded in the "assigned" event;
- the SLA due dates of its department and priority (the policies read in one query);
- its search documents, written by its INSERT (apps/tickets/search.py);
- the grants of its department, requester and assignee (one INSERT per grant table; a large batch's by COPY on
  PostgreSQL, apps/common/bulk.py);
- its history ("created", "routed", "assigned"), written by events.events_record in one statement and handed
  to the listeners of the apps above as one batch: they decide about notifications, triage, webhooks and
  e-mail (each queues its work for after the commit).

The rows name people and departments the caller has already checked (ticket_create checks the objects it is
given; the import's planner checks every cell): this module checks the text, the choices and the source.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.common.bulk import instance_builder, rows_insert
from apps.common.text import normalise_text
from apps.departments.models import Department
from apps.departments.routing import Route, Router, choose_assignees

from . import events, sla
from . import permissions as perms
from .choices import OPEN_STATUSES, SLA_PAUSED_STATUSES, Category, Priority, Source, Status
from .models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Ticket
from .references import reference_counter_advance, reference_number, references_allocate
from .search import NEW_DOCUMENTS_SQL, search_documents_new_values, uses_full_text

# The time stamps a row may bring (an import's); the others are the moment of the creation.
STAMPS = ("created_at", "updated_at", "first_responded_at", "resolved_at", "closed_at")


@dataclass
class NewTicket:
    """One ticket to open: a row of tickets_create_bulk.

    Either `department` (an object) or `department_id`; neither means routing. `route` is a routing the
    caller already did (an import plans its rows with the rules read once); its department is the ticket's.
    `requester` / `assignee` objects, when the caller has them, spare the listeners a query.
    """

    title: str
    description: str
    requester_id: int
    requester_email: str = ""  # what routing rules on the e-mail address read
    requester: object = None
    department: Department | None = None
    department_id: int | None = None
    route: Route | None = None
    category: str = Category.QUESTION
    priority: str = Priority.NORMAL
    status: str = Status.NEW
    language: str = ""
    assignee_id: int | None = None
    assignee: object = None
    reference: str = ""  # a reference to keep (the caller checked that it is free); empty: a new one
    external_source: str = ""  # the other system an imported ticket comes from, and its id there
    external_id: str = ""
    stamps: dict[str, datetime | None] = field(default_factory=dict)
    history: dict = field(default_factory=dict)  # more data for the "created" event (an import's file and row)


# Read once: `Priority.values` builds a new list at every access, and this check runs for every row.
_CHOICES = {name: frozenset(choices.values) for name, choices in (("priority", Priority), ("category", Category),
                                                                   ("status", Status))}  # fmt: skip
_LIMITS = (("title", TITLE_MAX_LENGTH), ("description", DESCRIPTION_MAX_LENGTH))
_LANGUAGE_MAX = Ticket._meta.get_field("language").max_length
_STAMPS = frozenset(STAMPS)
# Ticket(**values) resolves every keyword and default field by field: building the tickets and their events took a
# fifth of an import's Python time (docs/benchmarks.md, CSV import).
_new_ticket = instance_builder(
    Ticket,
    ("reference", "title", "description", "status", "priority", "category", "requester_id", "department_id",
     "assignee_id", "language", "source", "external_source", "external_id", "created_at", "updated_at"),
)  # fmt: skip
_DEPARTMENT = Ticket._meta.get_field("department")


def _check_row(row: NewTicket) -> None:
    row.title, row.description = normalise_text(row.title), normalise_text(row.description)
    errors = {}
    for name, limit in _LIMITS:
        value = getattr(row, name)
        if not value:
            errors[name] = [ValidationError(_("This field cannot be blank."), code="blank")]
            continue
        if len(value) > limit:  # the validator only for its message
            try:
                MaxLengthValidator(limit)(value)
            except ValidationError as exc:
                errors[name] = exc.error_list
    for name, values in _CHOICES.items():
        if getattr(row, name) not in values:
            errors[name] = [_("“%(value)s” is not a valid choice.") % {"value": getattr(row, name)}]
    if len(row.language) > _LANGUAGE_MAX:
        errors["language"] = [_("The language code is too long.")]
    if errors:
        raise ValidationError(errors)
    if not row.stamps.keys() <= _STAMPS:
        raise ValueError(f"NewTicket.stamps cannot set {sorted(set(row.stamps) - _STAMPS)}")


def _no_department() -> ValidationError:
    return ValidationError(
        {
            "department": ValidationError(
                _("No default department is set up; choose a department."), code="no_department"
            )
        }
    )


@transaction.atomic
def tickets_create_bulk(*, actor, rows: Sequence[NewTicket], source: str) -> list[Ticket]:
    """Open the tickets of `rows` (see the module docstring); returns them in the order of the rows.

    `actor` is the person the history shows as their author (None: the system). Raises ValidationError
    naming the field when a row's text or choices are wrong, or when a row needs routing and there is no
    default department; nothing is written then.
    """
    if source not in Source.values:
        raise ValidationError({"source": _("“%(value)s” is not a valid choice.") % {"value": source}})
    if not rows:
        return []
    now = timezone.now()
    router = None
    departments: dict[int, Department] = {}
    routed: list[Route | None] = []
    for row in rows:
        _check_row(row)
        route = row.route
        if route is None and row.department is None and row.department_id is None:
            router = router or Router()
            route = router.route(
                title=row.title,
                description=row.description,
                category=row.category,
                requester_email=row.requester_email,
            )
            if route is None:
                raise _no_department()
        routed.append(route)
        department = route.department if route is not None else row.department
        if department is not None:
            departments[department.pk] = department
    wanted = {row.department_id for row in rows if row.department_id is not None} - departments.keys()
    if wanted:
        departments.update(Department.objects.in_bulk(wanted))

    new_references = iter(references_allocate(count=sum(1 for row in rows if not row.reference)))
    tickets = []
    for row, route in zip(rows, routed, strict=True):
        if route is not None:
            department = route.department
        else:
            department = departments[row.department.pk if row.department is not None else row.department_id]
        ticket = _new_ticket(
            row.reference or next(new_references),
            row.title,
            row.description,
            row.status,
            row.priority,
            row.category,
            row.requester_id,
            department.pk,
            row.assignee_id,
            row.language,
            source,
            row.external_source,
            row.external_id,
            now,
            now,
        )
        _DEPARTMENT.set_cached_value(ticket, department)
        for name, value in row.stamps.items():
            if value is not None:
                setattr(ticket, name, value)
        if row.requester is not None:
            ticket.requester = row.requester
        if row.assignee is not None and row.assignee_id is not None:
            ticket.assignee = row.assignee
        tickets.append(ticket)

    # The department's assignment policy for the open tickets that name no assignee, department by department.
    policies: dict[int, str] = {}
    waiting: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        if ticket.assignee_id is None and ticket.status in OPEN_STATUSES:
            waiting[ticket.department_id].append(ticket)
    for department_id, unassigned in waiting.items():
        department = departments[department_id]
        chosen = choose_assignees(department=department, count=len(unassigned), open_statuses=OPEN_STATUSES)
        for ticket, agent in zip(unassigned, chosen, strict=True):
            if agent is not None:
                ticket.assignee = agent
                policies[id(ticket)] = department.assignment_policy

    slas = sla.policies_for(departments, setup=router.setup if router is not None else None)
    for ticket in tickets:
        sla.sla_apply(ticket, slas.get((ticket.department_id, ticket.priority)), looked_up=True)
        if ticket.status in SLA_PAUSED_STATUSES:
            ticket.sla_paused_at = ticket.updated_at
    _insert(tickets)

    kept = [reference_number(row.reference) for row in rows if row.reference]
    kept = [n for n in kept if n is not None]
    if kept:
        reference_counter_advance(to=max(kept))
    perms.grants_for_new_tickets(tickets, group_ids={d.pk: d.group_id for d in departments.values()})
    history = []
    for row, route, ticket in zip(rows, routed, tickets, strict=True):
        history += events.ticket_opened_events(
            ticket=ticket,
            actor=actor,
            history=row.history,
            routed=route is not None,
            rule=route.rule if route is not None else None,
            policy=policies.get(id(ticket)),
        )
    events.events_record(history)
    return tickets


def _insert(tickets: list[Ticket]) -> None:
    """bulk_create's INSERT, from the tickets' values as plain rows (apps/common/bulk.py), with their search
    documents built by the same statement (PostgreSQL): preparing each of a ticket's 25 values through its field
    cost an import more than the statement itself."""
    using = router.db_for_write(Ticket)
    documents = NEW_DOCUMENTS_SQL if uses_full_text(using) else {}
    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    names = [f.name for f in fields]
    attnames = [f.attname for f in fields]
    rows = []
    for ticket in tickets:
        row = [getattr(ticket, attname) for attname in attnames]
        if documents:
            values = search_documents_new_values(
                reference=ticket.reference, title=ticket.title, description=ticket.description
            )
            for index, name in enumerate(names):
                if name in documents:
                    row[index] = values[name]
        rows.append(row)
    ids = rows_insert(
        Ticket, names, rows, returning="id", sql_values={name: sql for name, (sql, _n) in documents.items()}
    )
    for ticket, pk in zip(tickets, ids, strict=True):
        ticket.pk = pk
        ticket._state.adding = False
        ticket._state.db = using
        # The documents were written by the INSERT; the objects do not hold them (deferred, as when loaded).
        ticket.__dict__.pop("search_public", None)
        ticket.__dict__.pop("search_internal", None)
