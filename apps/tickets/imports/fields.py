"""Reading the cells of a ticket row: title, description, choices, language and dates, each with its message.

A mixin of TicketRowPlanner: every reader returns the cell's value, or records a RowError on the row's plan
(naming the column as the file names it) and returns None.
"""

import re
from datetime import datetime, timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.common.csv.columns import normalise_header
from apps.common.csv.report import RowError
from apps.common.text import normalise_text

from ..choices import OPEN_STATUSES, Category, Priority, Status
from ..models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Ticket
from .mapping import IGNORE, ImportMapping

LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][a-z0-9]{2,4})?$")
SYNONYMS = {
    "priority": {
        "medium": Priority.NORMAL,
        "moderate": Priority.NORMAL,
        "critical": Priority.URGENT,
        "highest": Priority.URGENT,
        "lowest": Priority.LOW,
    },
    "status": {
        "pending": Status.WAITING,
        "on_hold": Status.WAITING,
        "solved": Status.RESOLVED,
        "reopened": Status.OPEN,
        "cancelled": Status.CLOSED,
        "canceled": Status.CLOSED,
    },
    "category": {
        "problem": Category.INCIDENT,
        "bug": Category.INCIDENT,
        "service_request": Category.REQUEST,
        "access_request": Category.ACCESS,
        "invoice": Category.BILLING,
    },
}
CHOICES = {"status": Status, "priority": Priority, "category": Category}
DEFAULTS = {"status": Status.NEW, "priority": Priority.NORMAL, "category": Category.QUESTION}
UNKNOWN_VALUES_LISTED = 1000  # distinct unknown values listed per column
OTHER_VALUES = "…"
DATE_ONLY = ("%d.%m.%Y", "%Y/%m/%d")
DATE_TIME = ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")


def choice_keys(name: str, mapping: ImportMapping) -> dict[str, str]:
    """Normalised value → ours for a choice field: our values and labels (in English and the active language),
    the usual synonyms, then the mapping's values (a preset's, then --value), which win."""
    choices = CHOICES[name]
    keys = dict(SYNONYMS[name])
    with translation.override("en"):
        english = {value: str(label) for value, label in choices.choices}
    for value, label in choices.choices:
        keys[normalise_header(value)] = value
        keys[normalise_header(str(label))] = value
        keys[normalise_header(english[value])] = value
    keys.update(mapping.value_table(name))
    return keys


class TicketCellReader:
    """Cell readers shared by the create and update plans (the planner provides columns, now, tz, choice_keys)."""

    def _error(self, plan, name: str, message: str, value: str = "") -> None:
        column = self.columns.header_of(name) if name else ""
        plan.errors.append(RowError(plan.number, column, str(message), value[:200]))

    def _title(self, plan, values, *, required: bool = False) -> str | None:
        title = " ".join(values.get("title", "").split())
        if not title:
            if required:
                self._error(plan, "title", _("A title is required."))
            return None
        if len(title) > TITLE_MAX_LENGTH:
            self._error(
                plan,
                "title",
                _("The title has %(length)d characters; at most %(max)d are allowed.")
                % {"length": len(title), "max": TITLE_MAX_LENGTH},
                title,
            )
            return None
        return title

    def _description(self, plan, values, *, required: bool = False) -> str | None:
        description = normalise_text(values.get("description", ""))
        if not description:
            if required:
                self._error(plan, "description", _("A description is required."))
            return None
        if len(description) > DESCRIPTION_MAX_LENGTH:
            self._error(
                plan,
                "description",
                _("The description has %(length)d characters; at most %(max)d are allowed.")
                % {"length": len(description), "max": DESCRIPTION_MAX_LENGTH},
                description,
            )
            return None
        return description

    def _choice(self, plan, values, name: str) -> str | None:
        """The cell's value among ours; an unknown value is counted once per column (see _unknown), not a row error.

        An unknown category is no reason to refuse a row: the ticket takes the default category and the
        cell's text is kept in its history. A value mapped to "ignore" reads as an empty cell.
        """
        raw = values.get(name, "").strip()
        if not raw:
            return None
        value = self.choice_keys[name].get(normalise_header(raw))
        if value == IGNORE:
            return None
        if value is None:
            if name == "category":
                plan.history.setdefault("kept", {})[self.columns.header_of(name)] = raw[:200]
                return None
            self._unknown(plan, name, raw)
        return value

    def _unknown(self, plan, name: str, raw: str) -> None:
        """A value the mapping does not know: listed once per column with its row count; the row is not imported."""
        unknown_count(self.unknown, self.unknown_first, self.columns.header_of(name), raw, row=plan.number, note=name)
        plan.unknown = True

    def unknown_errors(self) -> list[RowError]:
        """One error per unknown value of each column, at the first row that holds it, with its row count."""
        return unknown_rows(self.unknown, self.unknown_first, self._unknown_message)

    def _unknown_message(self, name: str, value: str) -> str:
        if name == "department":
            known = sorted(d.name for d in self.departments.values() if d.is_active)
            hint = _(" Departments: %(names)s.") % {"names": ", ".join(known)} if len(known) <= 12 else ""
            return _("No department is named “%(value)s”.") % {"value": value} + hint
        if name == "requester":
            return _("No account has the username “%(value)s”.") % {"value": value}
        return _("“%(value)s” is not a %(field)s. Use one of: %(allowed)s.") % {
            "value": value,
            "field": Ticket._meta.get_field(name).verbose_name,
            "allowed": ", ".join(CHOICES[name].values),
        }

    def _change_note(self, name: str, old, new) -> str:
        def shown(value):
            choices = CHOICES.get(name)
            return str(choices(value).label) if choices and value in choices.values else (value or "-")

        return _("%(field)s: %(old)s → %(new)s") % {
            "field": Ticket._meta.get_field(name).verbose_name,
            "old": shown(old),
            "new": shown(new),
        }

    def _language(self, plan, values) -> str | None:
        raw = values.get("language", "").strip()
        if not raw:
            return None
        language = raw.lower().replace("_", "-")
        if not LANGUAGE.match(language) or len(language) > 8:
            self._error(
                plan,
                "language",
                _("“%(value)s” is not a language code; write it like en, de or pt-br.") % {"value": raw},
                raw,
            )
            return None
        return language

    def _datetime(self, plan, values, name: str) -> datetime | None:
        raw = values.get(name, "").strip()
        if not raw:
            return None
        date_format = self.date_formats.get(name)
        parsed = date_format.parse(raw, self.tz) if date_format is not None else parse_when(raw, self.tz)
        if parsed is None:
            self._error(
                plan,
                name,
                _("“%(value)s” is not a date. Write dates as 2025-03-01 or 2025-03-01 14:30 (or 01.03.2025).")
                % {"value": raw},
                raw,
            )
            return None
        if parsed > self.now + timedelta(minutes=5):
            self._error(plan, name, _("“%(value)s” is in the future.") % {"value": raw}, raw)
            return None
        return parsed

    def _stamps(self, plan, values, status: str) -> dict[str, datetime | None]:
        created = self._datetime(plan, values, "created_at") or self.now
        updated = self._datetime(plan, values, "updated_at")
        responded = self._datetime(plan, values, "first_responded_at")
        resolved = self._datetime(plan, values, "resolved_at")
        closed = self._datetime(plan, values, "closed_at")
        # As ticket_transition leaves them: open tickets have no end times, resolved ones no closed time.
        if status in OPEN_STATUSES:
            resolved = closed = None
        elif status == Status.RESOLVED:
            closed = None
        for name, value in (
            ("updated_at", updated),
            ("first_responded_at", responded),
            ("resolved_at", resolved),
            ("closed_at", closed),
        ):
            if value is not None and value < created:
                self._error(
                    plan,
                    name,
                    _("The %(field)s time is earlier than the created time (%(created)s).")
                    % {
                        "field": Ticket._meta.get_field(name).verbose_name,
                        "created": timezone.localtime(created, self.tz).strftime("%Y-%m-%d %H:%M"),
                    },
                    values.get(name, ""),
                )
        if status == Status.RESOLVED:
            resolved = resolved or updated or created
        elif status == Status.CLOSED:
            closed = closed or updated or created
        known = [value for value in (created, responded, resolved, closed) if value is not None]
        return {
            "created_at": created,
            "updated_at": updated or max(known),
            "first_responded_at": responded,
            "resolved_at": resolved,
            "closed_at": closed,
        }


def parse_when(raw: str, tz) -> datetime | None:
    """A date or date-time from a CSV cell, made aware; values without an offset are taken in `tz`."""
    value = raw.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
        for pattern in DATE_TIME + DATE_ONLY:
            try:
                parsed = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return timezone.make_aware(parsed, tz) if timezone.is_naive(parsed) else parsed


def unknown_count(unknown: dict, first: dict, column: str, raw: str, *, row: int, note) -> None:
    """Count `raw` as a value of `column` the mapping does not know (`unknown`: column → value → rows; `first`:
    (column, value) → (its first row, `note`)). Past UNKNOWN_VALUES_LISTED distinct values, a column's others
    count as one, so memory stays flat however large the file."""
    counts = unknown.setdefault(column, {})
    value = raw[:200]
    if value not in counts and len(counts) >= UNKNOWN_VALUES_LISTED:
        value = OTHER_VALUES
    if value not in counts:
        counts[value] = 0
        first[(column, value)] = (row, note)
    counts[value] += 1


def unknown_rows(unknown: dict, first: dict, message) -> list[RowError]:
    """One error per counted unknown value, at its first row, with its row count; `message(note, value)` says
    what is wrong with it."""
    errors = []
    for column, counts in unknown.items():
        for value, count in counts.items():
            row, note = first[(column, value)]
            text = _("More values that are not known here.") if value == OTHER_VALUES else message(note, value)
            if count > 1:
                text += " " + _("%(count)d rows have this value.") % {"count": count}
            errors.append(RowError(row, column, text, value))
    errors.sort(key=lambda error: error.row)
    return errors
