"""What an import did, or would do: counts, the first rows as a preview, and every error by row and column."""

from dataclasses import dataclass, field


class Action:
    CREATE = "create"
    UPDATE = "update"
    SKIP = "skip"
    ERROR = "error"


@dataclass(frozen=True)
class RowError:
    """One problem: the row as a spreadsheet numbers it (the header is row 1) and the column as the file names it."""

    row: int
    column: str
    message: str
    value: str = ""

    def __str__(self) -> str:
        where = f"row {self.row}, column “{self.column}”" if self.column else f"row {self.row}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class PreviewRow:
    row: int
    action: str
    reference: str
    title: str
    department: str
    requester: str
    notes: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """The outcome of an import (tickets, users, departments): counts, preview and errors."""

    file_name: str
    dry_run: bool
    encoding: str = ""
    delimiter: str = ""
    columns: list[tuple[str, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    max_errors: int = 1000
    max_preview: int = 50
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    invalid_rows: int = 0
    error_count: int = 0
    new_requesters: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)
    applied: bool = False
    seconds: float = 0.0
    # How the columns were read when a rule or a detection chose (which column won, date formats).
    decisions: list[str] = field(default_factory=list)
    # Values nobody mapped, once per column: column → value → rows. Any of them stops the import.
    unknown_values: dict[str, dict[str, int]] = field(default_factory=dict)
    # Rows that took the default requester; tickets whose title came from the description; free text kept.
    default_requester_rows: int = 0
    titles_from_description: int = 0
    kept_values: int = 0
    new_departments: list[str] = field(default_factory=list)
    invited: int = 0  # new requester accounts sent a set-your-password e-mail

    @classmethod
    def for_file(cls, csv_file, columns, *, dry_run: bool, **limits) -> "ImportReport":
        """An empty report about `csv_file` (a files.CsvFile) read through `columns` (a columns.ColumnMap)."""
        return cls(
            file_name=csv_file.name,
            dry_run=dry_run,
            encoding=csv_file.encoding.label,
            delimiter=str(csv_file.delimiter_label),
            columns=columns.pairs,
            ignored_columns=list(columns.ignored),
            **limits,
        )

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and not self.unknown_values

    @property
    def unknown_rows(self) -> int:
        return sum(sum(counts.values()) for counts in self.unknown_values.values())

    @property
    def hidden_errors(self) -> int:
        return self.error_count - len(self.errors)

    @property
    def hidden_preview(self) -> int:
        return self.created + self.updated + self.skipped - len(self.preview)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def add_errors(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        room = self.max_errors - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    def count(self, action: str, preview: PreviewRow | None, errors: list[RowError]) -> None:
        self.rows += 1
        if action == Action.ERROR:
            self.invalid_rows += 1
            self.add_errors(errors)
            return
        if action == Action.CREATE:
            self.created += 1
        elif action == Action.UPDATE:
            self.updated += 1
        else:
            self.skipped += 1
        if preview is not None and len(self.preview) < self.max_preview:
            self.preview.append(preview)
