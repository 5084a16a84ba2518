"""What an import did, or would do: counts, the first rows as a preview, and every error by row and column."""

from dataclasses import dataclass, field

from django.conf import settings


class Action:
    CREATE = "create"
    UPDATE = "update"
    SKIP = "skip"
    ERROR = "error"


@dataclass(frozen=True)
class ImportOptions:
    """How an import behaves; the defaults come from the TICKET_IMPORT_* settings.

    `notify` and `triage` say whether imported tickets should get notifications and AI triage like tickets
    opened by hand. Both are off by default (an import of 50,000 old tickets must not e-mail 50,000 people).
    With `notify` off the whole import runs with the notifications' event listener silenced; on, each imported
    "created" event is fanned out like a new ticket's. `triage` likewise lets the AI app's listener queue the
    triage of each imported ticket. Every imported "created" event records both.
    """

    create_requesters: bool
    notify: bool
    triage: bool
    batch_size: int
    max_errors: int = 1000
    max_preview: int = 50

    @classmethod
    def from_settings(cls, **overrides) -> "ImportOptions":
        values = {
            "create_requesters": settings.TICKET_IMPORT_CREATE_REQUESTERS,
            "notify": settings.TICKET_IMPORT_NOTIFY,
            "triage": settings.TICKET_IMPORT_TRIAGE,
            "batch_size": settings.TICKET_IMPORT_BATCH_SIZE,
            "max_errors": settings.TICKET_IMPORT_MAX_ERRORS,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["batch_size"] < 1:
            raise ValueError("batch_size must be at least 1")
        return cls(**values)


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
    """The outcome of `tickets_import` (or of one of the user and department imports)."""

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

    @property
    def ok(self) -> bool:
        return self.error_count == 0

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
