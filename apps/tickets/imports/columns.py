"""Which column of a CSV file means which ticket field: our own names, and the ones other systems use.

Headers are compared after normalising them (lower case, every run of spaces and punctuation turned into
one underscore), so `Created At`, `created-at` and `CREATED_AT` are the same column. A file from another
help desk imports without renaming its columns: `subject` is the title, `queue` the department, and so on.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .csvfile import CsvFileError

# field → the headers that mean it (normalised). The first one is the name our exports write.
TICKET_COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("reference", "ref", "ticket", "ticket_id", "ticket_no", "ticket_number", "number", "id", "key"),
    "title": ("title", "subject", "summary", "short_description", "topic", "headline"),
    "description": ("description", "body", "details", "text", "content", "message", "problem", "comment"),
    "status": ("status", "state"),
    "priority": ("priority", "urgency", "severity"),
    "category": ("category", "type", "ticket_type", "issue_type", "kind"),
    "department": ("department", "queue", "team", "group", "dept", "department_name", "assignment_group"),
    "requester": (
        "requester",
        "requester_email",
        "requester_username",
        "email",
        "e_mail",
        "from",
        "customer",
        "customer_email",
        "reporter",
        "contact",
        "contact_email",
        "requested_by",
        "submitter",
        "caller",
    ),
    "requester_name": ("requester_name", "name", "customer_name", "contact_name", "reporter_name", "from_name"),
    "assignee": ("assignee", "assignee_email", "assignee_username", "assigned_to", "agent", "owner", "technician"),
    "language": ("language", "lang", "locale"),
    "created_at": (
        "created_at",
        "created",
        "created_on",
        "creation_date",
        "date_created",
        "date",
        "opened",
        "opened_at",
        "submitted_at",
    ),
    "updated_at": ("updated_at", "updated", "updated_on", "last_updated", "modified", "modified_at", "last_modified"),
    "first_responded_at": (
        "first_responded_at",
        "first_response",
        "first_response_at",
        "first_reply_at",
        "responded_at",
    ),
    "resolved_at": ("resolved_at", "resolved", "resolved_on", "solved_at", "resolution_date"),
    "closed_at": ("closed_at", "closed", "closed_on", "close_date"),
    # Written by our exports for people to read; an imported ticket's source is always "import".
    "source": ("source", "channel", "via"),
}
REQUIRED_FIELDS = ("title", "description", "requester")

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise_header(header: str) -> str:
    return _NOT_WORD.sub("_", header.strip().lower()).strip("_")


def _aliases(columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {alias: field for field, aliases in columns.items() for alias in aliases}


_TICKET_ALIASES = _aliases(TICKET_COLUMNS)


@dataclass(frozen=True)
class ColumnMap:
    """The file's columns: field → index, plus the headers no field answers to."""

    fields: dict[str, int]  # field → index of its column in each row
    headers: tuple[str, ...]  # the headers as written in the file
    ignored: tuple[str, ...]  # headers no field answers to

    def header_of(self, field: str) -> str:
        """The column's name as the file writes it, for messages ("row 7, column “queue”")."""
        return self.headers[self.fields[field]] if field in self.fields else field

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """(header in the file, field) for every column that is read, in file order."""
        by_index = {index: field for field, index in self.fields.items()}
        return [(self.headers[i], by_index[i]) for i in sorted(by_index)]


def map_columns(
    headers: tuple[str, ...], columns: dict[str, tuple[str, ...]], *, required: tuple[str, ...]
) -> ColumnMap:
    """Map a header row to fields through `columns` (field → accepted headers); raise CsvFileError for missing
    required or ambiguous columns."""
    aliases = _TICKET_ALIASES if columns is TICKET_COLUMNS else _aliases(columns)
    fields: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(headers):
        field = aliases.get(normalise_header(header))
        if field is None:
            if header.strip():
                ignored.append(header)
            continue
        if field in fields:
            raise CsvFileError(
                _("The columns “%(first)s” and “%(second)s” both mean “%(field)s”. Remove or rename one of them.")
                % {"first": headers[fields[field]], "second": header, "field": field},
                code="duplicate_column",
            )
        fields[field] = index
    missing = [field for field in required if field not in fields]
    if missing:
        example = [*required, *(field for field in columns if field not in required)][:5]
        raise CsvFileError(
            _(
                "Required columns are missing: %(missing)s. The first row must name the columns, for example: "
                "%(example)s."
            )
            % {"missing": ", ".join(f"“{field}”" for field in missing), "example": ", ".join(example)},
            code="missing_columns",
        )
    return ColumnMap(fields=fields, headers=headers, ignored=tuple(ignored))


def ticket_columns(headers: tuple[str, ...]) -> ColumnMap:
    """Map a header row to ticket fields (see TICKET_COLUMNS)."""
    return map_columns(headers, TICKET_COLUMNS, required=REQUIRED_FIELDS)
