"""From CSV cells to a plan per row (create, update, skip) or to the errors that stop it, without writing.

The planner reads the database (departments once; people and existing tickets once per batch of rows, in
one query each) and keeps in memory only what later rows depend on: the tickets already updated by an
earlier row and the requesters that the import is going to create. Both grow with the people and tickets
named in the file, never with its size in bytes.

Rules, which the import page and `manage.py import_tickets --help` repeat:
- A row whose `reference` names one of our tickets (TCK-000123) updates that ticket; an empty cell leaves a
  field as it is, and `none` in `assignee` unassigns. The ticket must be one the importer can change;
  status moves must follow the lifecycle; the requester and the time stamps of an existing ticket are not
  changed. A reference of ours that names no ticket here (our own export, imported into another
  instance) creates the ticket under that reference.
- Another system's id (an `external_id` cell, else a `reference` that is not one of ours) with its
  `external_source` (else "import") finds the ticket an earlier import created from it: the row updates it or
  leaves it as it is (a re-run never duplicates); otherwise the row creates a ticket that keeps the id. One
  file may create a ticket from an id or a kept reference once.
- A new ticket needs a title, a description and a requester (e-mail or username). A requester e-mail
  without an account creates a requester account when TICKET_IMPORT_CREATE_REQUESTERS is on (the default),
  else it is an error. No department means routing (the rules, then the default department), as for tickets
  opened by hand.
- Status, priority and category are matched on their value or their name (`in_progress`, "In progress"),
  plus a few words other systems use (medium → normal, critical → urgent, pending → waiting, solved →
  resolved). Dates are ISO 8601 (2025-03-01, 2025-03-01 14:30, with or without an offset) or 01.03.2025;
  times without an offset are in the importer's time zone. A resolved or closed ticket without its time
  takes the row's `updated` time, or else its `created` time, so that a migration does not show up as
  thousands of tickets resolved today; the end times of tickets that are not resolved or closed are ignored.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.permissions import is_admin
from apps.common.csv.columns import normalise_header
from apps.common.csv.files import restore_formula
from apps.common.csv.report import Action, PreviewRow, RowError
from apps.common.text import normalise_text
from apps.departments.models import Department, RoutingRule
from apps.departments.patterns import matches
from apps.departments.routing import Route

from ..choices import TRANSITIONS, Status
from ..models import TITLE_MAX_LENGTH, Ticket
from ..permissions import CHANGE
from ..references import reference_format, reference_number
from ..selectors import tickets_visible_to
from .columns import ColumnPlan
from .fields import CHOICES, DEFAULTS, TicketCellReader, choice_keys
from .mapping import IGNORE, MappingError
from .options import ImportOptions

User = get_user_model()

NOBODY = frozenset({"none", "nobody", "-", "unassigned"})
# The external source of rows that name another system's id but no `external_source`.
DEFAULT_EXTERNAL_SOURCE = "import"
USER_CACHE_LIMIT = 200_000
CREATED_LIMIT = 200_000
UNCHANGED = object()
# "Ada Lovelace <ada@example.com>" or "ada@example.com (Ada Lovelace)": the address inside a display name.
ANGLED_EMAIL = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>")
PAREN_NAME = re.compile(r"^([^()\s]+@[^()\s]+)\s*\((.*)\)$")


@dataclass(eq=False)
class NewDepartment:
    """A department the import will create (--create-departments), once however many rows name it."""

    name: str


@dataclass(eq=False)
class NewRequester:
    """A requester account the import will create (once, however many rows name the address)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    user_id: int | None = None


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    email: str
    is_active: bool
    role: str

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES


@dataclass
class PlannedRow:
    number: int
    action: str
    errors: list[RowError] = field(default_factory=list)
    fields: dict = field(default_factory=dict)  # create: Ticket(**fields) apart from the reference
    new_requester: NewRequester | None = None
    external_reference: str = ""
    external_source: str = ""  # create: the other system's id, stored on the ticket (re-runnable imports)
    external_id: str = ""
    keep_reference: str = ""  # create: our own export's reference, free here
    route: Route | None = None  # create: the routing that chose the department (no department in the row)
    ticket: Ticket | None = None  # update/skip: the existing ticket
    edits: dict = field(default_factory=dict)  # update: ticket_update(**edits)
    transition: str = ""
    transfer: Department | None = None
    assign: object = UNCHANGED  # update: a user id, None (unassign) or UNCHANGED
    preview: PreviewRow | None = None
    history: dict = field(default_factory=dict)  # create: added to the "created" event (kept values, notes)
    unknown: bool = False  # a cell holds a value the mapping does not know (counted per column, not per row)
    defaulted_requester: bool = False
    new_department: NewDepartment | None = None


class TicketRowPlanner(TicketCellReader):
    """Plans rows batch by batch for one import run."""

    def __init__(self, *, actor, columns: ColumnPlan, options: ImportOptions):
        self.actor = actor
        self.columns = columns.columns
        self.kept = columns.kept
        self.date_formats = columns.date_formats
        self.column_order = {header: index for index, header in enumerate(self.columns.headers)}
        self.options = options
        self.mapping = options.mapping
        self.previews_left = options.max_preview
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.reference_re = re.compile(rf"^{re.escape(settings.TICKET_REFERENCE_PREFIX)}-\d+$", re.IGNORECASE)
        self.departments = {d.pk: d for d in Department.objects.all()}
        self.department_keys = {}
        for department in self.departments.values():
            self.department_keys[department.slug.lower()] = department
            self.department_keys[department.name.strip().lower()] = department
        self.default_department = next((d for d in self.departments.values() if d.is_default and d.is_active), None)
        # Rows that name no department are routed like tickets opened by hand (rules read once per import).
        self.rules = list(
            RoutingRule.objects.filter(is_active=True, department__is_active=True).order_by("order", "id")
        )
        self.choice_keys = {name: choice_keys(name, self.mapping) for name in CHOICES}
        # normalised their name → our department's name or slug, or "ignore"
        self.department_values = self.mapping.value_table("department")
        self.unknown: dict[str, dict[str, int]] = {}  # column → value → rows (see TicketCellReader._unknown)
        self.unknown_first: dict[tuple[str, str], tuple[int, str]] = {}  # (column, value) → (first row, field)
        self.new_departments: dict[str, NewDepartment] = {}
        self.default_requester = self._default_requester()
        self.people: dict[str, Person | None] = {}  # "e:<lower email>" / "u:<username>" → person or None
        self.new_requesters: dict[str, NewRequester] = {}
        self.updated: dict[int, int] = {}  # ticket id → the row that updates it
        self.tickets: dict[str, Ticket] = {}
        self.external: dict[tuple[str, str], Ticket] = {}
        self.changeable: set[int] = set()
        # hash of a kept reference or an external id → the row that creates it, for up to CREATED_LIMIT rows
        # (memory stays bounded: beyond it the database's unique constraints refuse a duplicate when written).
        self.created: dict[int, int] = {}

    # Batches ------------------------------------------------------------------------------------------------

    def plan(self, batch: list[tuple[int, list[str]]]) -> list[PlannedRow]:
        rows = []
        for number, cells in batch:
            values = self._values(cells)
            if values is None:
                continue  # a blank line
            rows.append((number, cells, values))
        self._prefetch_people(values for _, _, values in rows)
        self._prefetch_tickets(values for _, _, values in rows)
        return [self._plan_row(number, cells, values) for number, cells, values in rows]

    def _values(self, cells: list[str]) -> dict[str, str] | None:
        if not any(cell.strip() for cell in cells):
            return None
        values = {}
        for name, index in self.columns.fields.items():
            if index < len(cells):
                values[name] = restore_formula(cells[index])
        for header, index in self.kept.items():
            if index < len(cells) and cells[index].strip():
                values.setdefault("_kept", {})[header] = restore_formula(cells[index]).strip()[:200]
        return values

    def _default_requester(self) -> Person | None:
        """The --default-requester account (checked before any row is read)."""
        raw = self.mapping.default_requester
        if not raw:
            return None
        people = User.objects.filter(is_active=True)
        found = people.filter(email__iexact=raw) if "@" in raw else people.filter(username=raw)
        row = found.values_list("id", "username", "email", "is_active", "role").first()
        if row is None:
            raise MappingError(_("--default-requester: no active account is named “%(value)s”.") % {"value": raw})
        return Person(*row)

    def _prefetch_people(self, rows) -> None:
        emails, usernames = set(), set()
        for values in rows:
            for name in ("requester", "assignee"):
                raw = self._person_cell(values, name)
                if not raw or raw.lower() in NOBODY:
                    continue
                key = self._person_key(raw)
                if key not in self.people:
                    (emails if key.startswith("e:") else usernames).add(key[2:])
        if not emails and not usernames:
            return
        if len(self.people) > USER_CACHE_LIMIT:
            self.people.clear()
        fields = ("id", "username", "email", "is_active", "role")
        if emails:
            for key in emails:
                self.people[f"e:{key}"] = None
            found = User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
            for row in found.values_list(*fields):
                self.people[f"e:{row[2].lower()}"] = Person(*row)
        if usernames:
            for key in usernames:
                self.people[f"u:{key}"] = None
            for row in User.objects.filter(username__in=usernames).values_list(*fields):
                self.people[f"u:{row[1]}"] = Person(*row)

    def _prefetch_tickets(self, rows) -> None:
        """The tickets the batch names, by our reference or by the other system's id, and which the importer
        may change (a reference that names a ticket the importer cannot change is not free either)."""
        references, external = set(), set()
        for values in rows:
            raw = values.get("reference", "").strip()
            if raw and self.reference_re.match(raw):
                references.update({raw, raw.upper()})
            key = self._external_key(values)
            if key is not None:
                external.add(key)
        self.tickets, self.external, self.changeable = {}, {}, set()
        if not references and not external:
            return
        wanted = Q(reference__in=references)
        for source in {source for source, _id in external}:
            ids = [i for s, i in external if s == source]
            # `external_id <> ''` as the unique index's condition says, so that PostgreSQL uses that index.
            wanted |= Q(external_source=source, external_id__in=ids) & ~Q(external_id="")
        found = list(Ticket.objects.filter(wanted).select_related("department", "assignee", "requester"))
        self.tickets = {ticket.reference.upper(): ticket for ticket in found}
        self.external = {(t.external_source, t.external_id): t for t in found if t.external_id}
        if self.actor is not None and not is_admin(self.actor):
            changeable = tickets_visible_to(self.actor, perm=CHANGE).filter(pk__in=[t.pk for t in found])
            self.changeable = set(changeable.values_list("pk", flat=True))
        else:
            self.changeable = {ticket.pk for ticket in found}

    def _external_key(self, values: dict[str, str]) -> tuple[str, str] | None:
        """(external source, external id) of a row: its `external_id`, else a `reference` that is not ours."""
        external_id = values.get("external_id", "").strip()
        if not external_id:
            reference = values.get("reference", "").strip()
            if reference and not self.reference_re.match(reference):
                external_id = reference
        if not external_id:
            return None
        source = values.get("external_source", "").strip() or DEFAULT_EXTERNAL_SOURCE
        return source[:50], external_id[:100]

    # One row ------------------------------------------------------------------------------------------------

    def _plan_row(self, number: int, cells: list[str], values: dict[str, str]) -> PlannedRow:
        plan = PlannedRow(number=number, action=Action.CREATE)
        extra = [cell for cell in cells[len(self.columns.headers) :] if cell.strip()]
        if extra:
            self._error(
                plan,
                "",
                _(
                    "This row has %(cells)d cells but the header names %(columns)d columns: a delimiter or a "
                    "quote is probably missing."
                )
                % {"cells": len(cells), "columns": len(self.columns.headers)},
            )
        reference = values.get("reference", "").strip()
        external = self._external_key(values)
        if reference and self.reference_re.match(reference):
            ticket = self.tickets.get(reference.upper())
            if ticket is None:
                # Our own export imported here: the ticket keeps its reference, which is free.
                kept = reference_format(settings.TICKET_REFERENCE_PREFIX, reference_number(reference))
                self._claim(plan, kept, reference)
                plan.keep_reference = kept
            else:
                self._take(plan, ticket, reference)
        elif reference:
            plan.external_reference = reference[:100]
        if external is not None and plan.ticket is None and not plan.errors:
            ticket = self.external.get(external)
            if ticket is None:
                self._claim(plan, external, external[1])
                plan.external_source, plan.external_id = external
            else:
                self._take(plan, ticket, external[1])
        if plan.errors:
            plan.action = Action.ERROR
            return plan
        if plan.ticket is not None:
            self._plan_update(plan, values)
        else:
            self._plan_create(plan, values)
        if plan.errors or plan.unknown:
            plan.action = Action.ERROR
            plan.preview = None
            plan.errors.sort(key=lambda error: self.column_order.get(error.column, -1))  # as the file reads
        return plan

    def _take(self, plan: PlannedRow, ticket: Ticket, raw: str) -> None:
        """The row updates (or leaves as it is) an existing ticket, if the importer may change it."""
        if ticket.pk not in self.changeable:
            self._error(
                plan,
                "reference",
                _("There is no ticket %(reference)s that you can change.") % {"reference": raw},
                raw,
            )
        elif ticket.pk in self.updated:
            self._error(
                plan,
                "reference",
                _("Ticket %(reference)s is already updated by row %(row)d.")
                % {"reference": ticket.reference, "row": self.updated[ticket.pk]},
                raw,
            )
        else:
            self.updated[ticket.pk] = plan.number
            plan.ticket = ticket

    def _claim(self, plan: PlannedRow, key, raw: str) -> None:
        """The row creates the ticket of a kept reference or an external id; no other row of the file may."""
        key = hash(key)
        if key in self.created:
            self._error(
                plan,
                "reference",
                _("“%(value)s” is already created by row %(row)d.") % {"value": raw, "row": self.created[key]},
                raw,
            )
        elif len(self.created) < CREATED_LIMIT:
            self.created[key] = plan.number

    def _plan_create(self, plan: PlannedRow, values: dict[str, str]) -> None:
        values = self._fill_title_and_description(plan, values)
        title = self._title(plan, values, required=True)
        description = self._description(plan, values, required=True)
        status = self._choice(plan, values, "status") or DEFAULTS["status"]
        priority = self._choice(plan, values, "priority") or DEFAULTS["priority"]
        category = self._choice(plan, values, "category") or DEFAULTS["category"]
        department = self._department(
            plan, values, routed={"title": title, "description": description, "category": category}
        )
        requester_id, new_requester = self._requester(plan, values)
        assignee = self._assignee(plan, values)
        language = self._language(plan, values)
        stamps = self._stamps(plan, values, status)
        if plan.errors or plan.unknown:
            return
        if values.get("_kept"):
            plan.history.setdefault("kept", {}).update(values["_kept"])
        plan.new_requester = new_requester
        if isinstance(department, NewDepartment):
            plan.new_department = department
        plan.fields = {
            "title": title,
            "description": description,
            "status": status,
            "priority": priority,
            "category": category,
            "department_id": department.pk if not isinstance(department, NewDepartment) else None,
            "requester_id": requester_id,
            "assignee_id": assignee if assignee is not UNCHANGED else None,
            "language": language or "",
            **stamps,
        }
        if self.previews_left <= 0:  # the report shows the first rows only: spare the others the wording
            return
        self.previews_left -= 1
        notes = []
        if new_requester is not None:
            notes.append(_("new requester account %(email)s") % {"email": new_requester.email})
        if not values.get("department", "").strip():
            notes.append(_("routed"))
        elif plan.new_department is not None:
            notes.append(_("new department %(name)s") % {"name": department.name})
        if plan.defaulted_requester:
            notes.append(_("default requester"))
        if plan.history.get("title_from"):
            notes.append(_("title from the description"))
        if plan.history.get("kept"):
            notes.append(_("kept: %(values)s") % {"values": "; ".join(plan.history["kept"].values())})
        if plan.external_reference:
            notes.append(_("was %(reference)s") % {"reference": plan.external_reference})
        if plan.defaulted_requester:
            requester = self.default_requester.email or self.default_requester.username
        else:
            requester = new_requester.email if new_requester else self._person_cell(values, "requester")
        plan.preview = PreviewRow(
            plan.number, Action.CREATE, "", title, department.name, requester, tuple(str(n) for n in notes)
        )

    def _plan_update(self, plan: PlannedRow, values: dict[str, str]) -> None:
        ticket = plan.ticket
        notes = []
        edits = {}
        for name, old in (("title", ticket.title), ("description", normalise_text(ticket.description))):
            if values.get(name, "").strip():
                new = self._title(plan, values) if name == "title" else self._description(plan, values)
                if new is not None and new != old:
                    edits[name] = new
                    notes.append(_("%(field)s edited") % {"field": Ticket._meta.get_field(name).verbose_name})
        for name in ("priority", "category"):
            new = self._choice(plan, values, name)
            if new and new != getattr(ticket, name):
                edits[name] = new
                notes.append(self._change_note(name, getattr(ticket, name), new))
        if values.get("language", "").strip():
            language = self._language(plan, values)
            if language and language != ticket.language:
                edits["language"] = language
                notes.append(self._change_note("language", ticket.language, language))
        status = self._choice(plan, values, "status")
        if status and status != ticket.status:
            if status in TRANSITIONS[ticket.status]:
                plan.transition = status
                notes.append(self._change_note("status", ticket.status, status))
            else:
                self._error(
                    plan,
                    "status",
                    _("A ticket cannot move from “%(from)s” to “%(to)s”.")
                    % {"from": Status(ticket.status).label, "to": Status(status).label},
                    values.get("status", ""),
                )
        if values.get("department", "").strip():
            department = self._department(plan, values)
            if department is not None and department.pk != ticket.department_id:
                plan.transfer = department
                notes.append(self._change_note("department", ticket.department.name, department.name))
        assignee = self._assignee(plan, values)
        if assignee is not UNCHANGED and assignee != ticket.assignee_id:
            plan.assign = assignee
            notes.append(_("assignee changed"))
        if values.get("requester", "").strip():
            self._same_requester(plan, values, ticket)
        plan.edits = edits
        changed = bool(edits or plan.transition or plan.transfer or plan.assign is not UNCHANGED)
        plan.action = Action.UPDATE if changed else Action.SKIP
        plan.preview = PreviewRow(
            plan.number,
            plan.action,
            ticket.reference,
            edits.get("title", ticket.title),
            (plan.transfer or ticket.department).name,
            ticket.requester.email,
            tuple(str(n) for n in notes) or (str(_("no changes")),),
        )

    # Fields -------------------------------------------------------------------------------------------------

    def _fill_title_and_description(self, plan: PlannedRow, values: dict[str, str]) -> dict[str, str]:
        """An empty subject takes the first line of the body (and an empty body the subject), noted in the history."""
        title = " ".join(values.get("title", "").split())
        description = values.get("description", "").strip()
        if not title and description:
            first = next(line for line in (" ".join(line.split()) for line in description.splitlines()) if line)
            if len(first) > TITLE_MAX_LENGTH:
                first = first[: TITLE_MAX_LENGTH - 1].rstrip() + "…"
            plan.history["title_from"] = "description"
            return {**values, "title": first}
        if title and not description:
            plan.history["description_from"] = "title"
            return {**values, "description": values["title"]}
        return values

    def _department(self, plan, values, routed: dict | None = None) -> Department | NewDepartment | None:
        raw = values.get("department", "").strip()
        mapped = self.department_values.get(normalise_header(raw)) if raw else None
        if mapped == IGNORE:
            raw = ""
        elif mapped:
            raw = mapped
        if not raw and routed is not None:
            email = self._person_cell(values, "requester")
            for rule in self.rules:
                if matches(rule.field, rule.pattern, email=email if "@" in email else "", **routed):
                    plan.route = Route(department=self.departments[rule.department_id], rule=rule)
                    return plan.route.department
        if not raw:
            if routed is not None and self.default_department is not None:
                plan.route = Route(department=self.default_department, rule=None)
            if self.default_department is None:
                self._error(
                    plan,
                    "department",
                    _("The row names no department and there is no active default department."),
                )
            return self.default_department
        department = self.department_keys.get(raw.lower())
        if department is None:
            if self.mapping.create_departments and routed is not None:
                name = raw[:100]
                return self.new_departments.setdefault(name.lower(), NewDepartment(name=name))
            self._unknown(plan, "department", raw)
            return None
        if not department.is_active:
            self._error(plan, "department", _("Department “%(name)s” is not active.") % {"name": department.name}, raw)
            return None
        return department

    @staticmethod
    def _person_key(raw: str) -> str:
        return f"e:{raw.lower()}" if "@" in raw else f"u:{raw}"

    @staticmethod
    def _split_person(raw: str) -> tuple[str, str]:
        """(e-mail or username, display name) of a cell such as "Ada Lovelace <ada@example.com>"."""
        raw = raw.strip()
        angled = ANGLED_EMAIL.search(raw)
        if angled:
            return angled.group(1), raw[: angled.start()].strip().strip('"')
        paren = PAREN_NAME.match(raw)
        if paren:
            return paren.group(1), paren.group(2).strip()
        return raw, ""

    def _person_cell(self, values, name: str) -> str:
        return self._split_person(values.get(name, ""))[0]

    def _requester(self, plan, values) -> tuple[int | None, NewRequester | None]:
        raw, display_name = self._split_person(values.get("requester", ""))
        if not raw:
            if self.default_requester is not None:
                plan.defaulted_requester = True
                return self.default_requester.id, None
            self._error(plan, "requester", _("A requester (e-mail address or username) is required."))
            return None, None
        person = self.people.get(self._person_key(raw))
        if person is not None:
            if not person.is_active:
                self._error(
                    plan, "requester", _("The account %(name)s is not active.") % {"name": person.username}, raw
                )
            return person.id, None
        if "@" not in raw:
            # A display name without an address ("Ada Lovelace", GLPI's "Name (2970)"): nobody we can match.
            if self.default_requester is not None:
                plan.defaulted_requester = True
                return self.default_requester.id, None
            self._unknown(plan, "requester", raw)
            return None, None
        pending = self.new_requesters.get(raw.lower())
        if pending is not None:
            return None, pending
        try:
            validate_email(raw)
        except ValidationError:
            self._error(plan, "requester", _("“%(value)s” is not a valid e-mail address.") % {"value": raw}, raw)
            return None, None
        if not self.options.create_requesters:
            self._error(
                plan,
                "requester",
                _("No account has the e-mail address %(value)s (creating requesters on import is turned off).")
                % {"value": raw},
                raw,
            )
            return None, None
        full_name = values.get("requester_name", "").strip() or display_name
        first, _space, last = " ".join(full_name.split()).partition(" ")
        pending = NewRequester(email=raw, first_name=first[:150], last_name=last[:150])
        self.new_requesters[raw.lower()] = pending
        return None, pending

    def _same_requester(self, plan, values, ticket: Ticket) -> None:
        raw = self._person_cell(values, "requester")
        person = self.people.get(self._person_key(raw))
        if person is None or person.id != ticket.requester_id:
            self._error(
                plan,
                "requester",
                _("The requester of %(reference)s is %(email)s; an import does not change the requester.")
                % {"reference": ticket.reference, "email": ticket.requester.email},
                raw,
            )

    def _assignee(self, plan, values):
        raw = self._person_cell(values, "assignee")
        if not raw:
            return UNCHANGED
        if raw.lower() in NOBODY:
            return None
        person = self.people.get(self._person_key(raw))
        if person is None:
            what = _("e-mail address") if "@" in raw else _("username")
            self._error(
                plan, "assignee", _("No account has the %(what)s “%(value)s”.") % {"what": what, "value": raw}, raw
            )
            return UNCHANGED
        if not (person.is_active and person.is_staff_role):
            self._error(
                plan,
                "assignee",
                _("%(name)s cannot be assigned tickets: only active agents and admins can.") % {"name": raw},
                raw,
            )
            return UNCHANGED
        return person.id
