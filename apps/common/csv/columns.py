"""Which column of a CSV file means which field: header matching shared by every import.

Headers are compared after normalising them (lower case, every run of spaces and punctuation turned into
one underscore), so `Created At`, `created-at` and `CREATED_AT` are the same column. Each import names its
fields and the headers that mean each one (e.g. apps.tickets.imports.columns.TICKET_COLUMNS); `map_columns`
maps a header row through such a table and refuses missing required or ambiguous columns.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .files import CsvFileError

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise_header(header: str) -> str:
    return _NOT_WORD.sub("_", header.strip().lower()).strip("_")


def _aliases(columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {alias: field for field, aliases in columns.items() for alias in aliases}


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
    aliases = _aliases(columns)
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
