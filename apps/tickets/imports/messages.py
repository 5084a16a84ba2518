"""The conversation of imported tickets: a second CSV file of messages, and optionally a ZIP of their files.

    report = messages_import(actor=None, csv_file=csv_file, dry_run=True, preset="zammad", attachments=zip_path)

Run after the tickets import. Each row is one message: the ticket (our reference TCK-000123, or the other
system's id that the ticket import kept), the author (e-mail or username of an existing account: people are
matched, never created; `default_author` stands in for those we cannot match), the body, internal or not,
the time it was written, and the files of the message (paths inside the ZIP, separated by `;` or `|`).
An importing user (the back office's import page) adds messages only to tickets they may change; any other
ticket reads as one we do not know, as in the tickets import.

As for tickets: every row is checked first (dry run: nothing else), then, when all are valid, the file is
written in one transaction, batch by batch (the comments in one insert per batch, their history events in
another), or nothing is. Values we cannot place (a ticket or a person we do not know) are listed once per
column with their row count. Re-runnable: a message already on its ticket (same author, time and text) is
left unchanged. Files are checked like uploads (apps/tickets/uploads.py: size, allowed type, content that
matches the name) before anything is written, and read one at a time (a ZIP entry is never larger than
ATTACHMENT_MAX_BYTES in memory). Messages are history: nobody is notified and they move no ticket.
"""

import contextlib
import hashlib
import re
import time
import zipfile
from collections.abc import Container
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import islice
from pathlib import PurePosixPath
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import STAFF_ROLES, Role
from apps.accounts.permissions import is_admin
from apps.common.bulk import instance_builder, rows_insert
from apps.common.csv.columns import ColumnMap, normalise_header
from apps.common.csv.files import CsvFile, CsvFileError, restore_formula
from apps.common.csv.report import Action, ImportReport, PreviewRow, RowError
from apps.common.text import normalise_text

from .. import events
from ..choices import EventKind
from ..models import Attachment, Comment, Ticket, TicketEvent
from ..permissions import CHANGE
from ..selectors import tickets_visible_to
from ..uploads import clean_file_name, validate_upload
from .dates import detect_date_format
from .fields import unknown_count, unknown_rows
from .presets import MESSAGE_COLUMNS, MESSAGE_PRESETS, MessagePreset

User = get_user_model()

YES = frozenset({"yes", "y", "true", "1", "internal", "private", "note", "sim", "ja", "oui"})
NO = frozenset({"no", "n", "false", "0", "public", "n_o", "nao", "nein", "non", ""})
FILE_SEPARATORS = re.compile(r"[;|]")
BODY_MAX = 20_000
PENDING = 0  # the ticket id of a message, in a dry run, whose ticket the tickets file beside it would create


class _Message(NamedTuple):
    """A message to add: the values of its Comment row (written as a plain row, see _write)."""

    ticket_id: int
    author_id: int
    body: str
    is_internal: bool
    created_at: datetime


@dataclass
class _Plan:
    number: int
    action: str = Action.CREATE
    errors: list[RowError] = field(default_factory=list)
    unknown: bool = False
    comment: _Message | None = None
    files: list[str] = field(default_factory=list)
    preview: PreviewRow | None = None


class AttachmentsZip:
    """The ZIP of a messages import: entries found by their path (as the messages file writes it)."""

    def __init__(self, path):
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            message = _("The attachments file is not a ZIP file (%(reason)s).") % {"reason": exc}
            raise CsvFileError(message, code="zip") from None
        self.entries = {_zip_key(info.filename): info for info in self.zip.infolist() if not info.is_dir()}

    def upload(self, path: str) -> SimpleUploadedFile | None:
        info = self.entries.get(_zip_key(path))
        if info is None:
            return None
        name = PurePosixPath(info.filename).name
        if info.file_size > settings.ATTACHMENT_MAX_BYTES:  # refused from its size: never read into memory
            return _TooLarge(name, info.file_size)
        return SimpleUploadedFile(name, self.zip.read(info), content_type="application/octet-stream")

    def close(self) -> None:
        self.zip.close()


class _TooLarge(SimpleUploadedFile):
    """A ZIP entry over the size limit, with its real size and none of its bytes (validate_upload refuses it)."""

    def __init__(self, name: str, size: int):
        super().__init__(name, b"")
        self.size = size


def _zip_key(path: str) -> str:
    return path.strip().replace("\\", "/").lstrip("./").lower()


def message_columns(headers: tuple[str, ...], preset: MessagePreset | None) -> ColumnMap:
    """Map a messages file's header to fields; refuse it when the ticket, the body or the author has no column."""
    aliases = {alias: name for name, names in MESSAGE_COLUMNS.items() for alias in names}
    if preset is not None:
        aliases.update(preset.columns)
    fields, ignored = {}, []
    for index, header in enumerate(headers):
        name = aliases.get(normalise_header(header))
        if name is None or name in fields:
            if header.strip():
                ignored.append(header)
            continue
        fields[name] = index
    missing = [name for name in ("ticket", "author", "body") if name not in fields]
    if missing:
        by_index = {index: name for name, index in fields.items()}
        read_as = ", ".join(
            f"“{header}” → {by_index.get(index, _('not read'))}" for index, header in enumerate(headers)
        )
        raise CsvFileError(
            _("Required columns are missing: %(missing)s. The file's columns were read as: %(read)s.")
            % {"missing": ", ".join(missing), "read": read_as},
            code="missing_columns",
        )
    return ColumnMap(fields=fields, headers=headers, ignored=tuple(ignored))


def messages_check_columns(csv_file: CsvFile, *, preset: str = "") -> ColumnMap:
    """The columns of a messages file; CsvFileError for an unknown preset or a required column missing."""
    if preset and preset not in MESSAGE_PRESETS:
        raise CsvFileError(
            _("There is no preset “%(name)s”. Presets: %(names)s.")
            % {"name": preset, "names": ", ".join(MESSAGE_PRESETS)},
            code="mapping",
        )
    return message_columns(csv_file.header, MESSAGE_PRESETS.get(preset))


def messages_import(
    *,
    actor,
    csv_file: CsvFile,
    dry_run: bool,
    preset: str = "",
    attachments=None,
    default_author: str = "",
    date_format: str = "",
    batch_size: int | None = None,
    max_errors: int = 1000,
    pending_tickets: Container[int] = frozenset(),
    pending_people: Container[str] = frozenset(),
) -> ImportReport:
    """Check every message row; unless `dry_run`, write them all in one transaction, or none if any is wrong.

    `attachments`: a path or file object of a ZIP, or None. Raises CsvFileError for an unusable file, preset,
    ZIP or default author, before any row is read. `pending_tickets`: beside a tickets file (together.py), the
    `pending_key` of each ticket that file creates (its importer may add their messages); in a dry run, a
    message to one of them is checked as if its ticket existed. `pending_people`: the lower-case addresses of the
    requester accounts that file creates; in a dry run, their messages are checked as a requester's. A run that
    writes looks up the tickets and the people themselves.
    """
    columns = messages_check_columns(csv_file, preset=preset)
    batch_size = batch_size or settings.TICKET_IMPORT_BATCH_SIZE
    started = time.monotonic()
    archive = AttachmentsZip(attachments) if attachments is not None else None

    def new_planner():
        return _MessagePlanner(
            actor=actor,
            columns=columns,
            preset=MESSAGE_PRESETS.get(preset),
            archive=archive,
            default_author=default_author,
            date_format=date_format,
            csv_file=csv_file,
            pending=pending_tickets if dry_run else frozenset(),
            created_here=pending_tickets,
            pending_people=pending_people if dry_run else frozenset(),
        )

    passes = {"batch_size": batch_size, "max_errors": max_errors}
    try:
        report = _run_pass(csv_file, new_planner(), columns, dry_run=dry_run, **passes)
        if not dry_run and report.ok and report.created:
            planner = new_planner()
            written: list[str] = []
            try:
                with events.silenced(events.NOTIFICATIONS, events.TRIAGE, events.MAIL), transaction.atomic():
                    report = _run_pass(csv_file, planner, columns, dry_run=False, written=written, **passes)
                    if not report.ok:
                        raise _RolledBack
                    report.applied = True
            except _RolledBack:
                for name in written:  # the rows went; their files go too
                    with contextlib.suppress(Exception):
                        Attachment.file.field.storage.delete(name)
    finally:
        if archive is not None:
            archive.close()
    report.seconds = time.monotonic() - started
    return report


class _RolledBack(Exception):
    pass


def _run_pass(csv_file, planner, columns, *, dry_run, batch_size, max_errors, written=None) -> ImportReport:
    report = ImportReport.for_file(csv_file, columns, dry_run=dry_run, max_errors=max_errors)
    with csv_file.reader() as rows:
        while batch := list(islice(rows, batch_size)):
            plans = planner.plan(batch)
            for plan in plans:
                report.count(plan.action, plan.preview, plan.errors)
            if written is not None and report.ok:
                _write(plans, planner=planner, written=written)
    report.unknown_values = {column: dict(counts) for column, counts in planner.unknown.items()}
    unknown = planner.unknown_errors()
    if unknown:
        report.error_count += len(unknown)
        report.errors = sorted(unknown + report.errors, key=lambda error: error.row)[:max_errors]
    return report


class _MessagePlanner:
    def __init__(self, *, actor, columns, preset, archive, default_author, date_format, csv_file, pending,
                 created_here, pending_people):  # fmt: skip
        self.actor = actor
        self.pending = pending
        self.pending_people = pending_people
        self.created_here = created_here
        self.columns = columns
        self.preset = preset
        self.archive = archive
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.reference_re = re.compile(rf"^{re.escape(settings.TICKET_REFERENCE_PREFIX)}-\d+$", re.IGNORECASE)
        self.unknown: dict[str, dict[str, int]] = {}
        self.unknown_first: dict[tuple[str, str], tuple[int, str]] = {}
        self.people: dict[str, tuple | None] = {}
        self.tickets: dict[str, int] = {}
        self.previews_left = 50
        self.default_author = None
        if default_author:
            found = User.objects.filter(is_active=True)
            found = (
                found.filter(email__iexact=default_author)
                if "@" in default_author
                else found.filter(username=default_author)
            )
            self.default_author = found.values_list("id", "role").first()
            if self.default_author is None:
                raise CsvFileError(
                    _("--default-author: no active account is named “%(value)s”.") % {"value": default_author},
                    code="mapping",
                )
        self.date_format = None
        if "created_at" in columns.fields:
            index = columns.fields["created_at"]
            with csv_file.reader() as rows:
                sample = [cells[index] for _n, cells in islice(rows, 2000) if index < len(cells)]
            self.date_format, _note = detect_date_format(sample, preferred=date_format)

    def _created_here(self, key: str) -> bool:
        """Whether the tickets file of this run creates the ticket (its importer may then add its messages)."""
        return pending_key(key) in self.created_here or pending_key(key.upper()) in self.created_here

    def _values(self, cells) -> dict[str, str]:
        """A row's mapped cells by field name, cleaned once (the check reads some of them twice)."""
        width = len(cells)
        return {name: restore_formula(cells[index]).strip() for name, index in self.columns.fields.items()
                if index < width}  # fmt: skip

    @staticmethod
    def _cell(values: dict[str, str], name: str) -> str:
        return values.get(name, "")

    def _error(self, plan: _Plan, name: str, message: str, value: str = "") -> None:
        plan.errors.append(RowError(plan.number, self.columns.header_of(name) if name else "", message, value[:200]))

    def _unknown(self, plan: _Plan, name: str, value: str, message: str) -> None:
        unknown_count(self.unknown, self.unknown_first, self.columns.header_of(name), value, row=plan.number,
                      note=message)  # fmt: skip
        plan.unknown = True

    def unknown_errors(self) -> list[RowError]:
        return unknown_rows(self.unknown, self.unknown_first, lambda message, _value: message)

    def plan(self, batch) -> list[_Plan]:
        rows = [(number, self._values(cells)) for number, cells in batch if any(cell.strip() for cell in cells)]
        self._prefetch(rows)
        plans = [self._plan_row(number, cells) for number, cells in rows]
        self._mark_existing([plan for plan in plans if plan.comment is not None])
        return plans

    def _prefetch(self, rows) -> None:
        # Forgotten before this batch is read, not after: a ticket or person the last batch named is looked up again.
        self.tickets = {}  # per batch: memory does not grow with the file
        if len(self.people) > 100_000:
            self.people.clear()
        references, external, emails, usernames = set(), set(), set(), set()
        for _number, cells in rows:
            ticket = self._cell(cells, "ticket")
            if ticket:
                (references if self.reference_re.match(ticket) else external).add(ticket)
            author = self._cell(cells, "author")
            if author and author.lower() not in self.people:
                (emails if "@" in author else usernames).add(author.lower() if "@" in author else author)
        if references:
            for pk, reference in Ticket.objects.filter(reference__in={r.upper() for r in references}).values_list(
                "pk", "reference"
            ):
                self.tickets[str(reference)] = pk
            for reference in references:
                if reference.upper() in self.tickets:
                    self.tickets[reference] = self.tickets[reference.upper()]
        if external:
            created = TicketEvent.objects.filter(kind=EventKind.CREATED, data__external_reference__in=list(external))
            for pk, reference in created.values_list("ticket_id", "data__external_reference"):
                self.tickets[str(reference)] = pk
        if self.tickets and self.actor is not None and not is_admin(self.actor):
            # No existence oracle: a ticket the importer may not change is "no ticket has the reference".
            changeable = tickets_visible_to(self.actor, perm=CHANGE).filter(pk__in=set(self.tickets.values()))
            allowed = set(changeable.values_list("pk", flat=True))
            self.tickets = {key: pk for key, pk in self.tickets.items() if pk in allowed or self._created_here(key)}
        if self.pending:  # ours are matched whatever their case, as above; the other system's ids exactly
            for key in references - self.tickets.keys():
                if pending_key(key.upper()) in self.pending:
                    self.tickets[key] = PENDING
            for key in external - self.tickets.keys():
                if pending_key(key) in self.pending:
                    self.tickets[key] = PENDING
        fields = ("id", "role", "is_active")
        for key in emails | usernames:
            self.people[key.lower()] = None
        if emails:
            for row in User.objects.filter(email__in=emails).values_list("email", *fields):
                self.people[row[0].lower()] = row[1:]
            missing = [e for e in emails if self.people.get(e) is None]
            if missing:  # addresses stored with capitals
                found = User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=missing)
                for row in found.values_list("email", *fields):
                    self.people[row[0].lower()] = row[1:]
            for email in emails:  # a dry run beside a tickets file: the requester accounts that file would create
                if self.people.get(email) is None and email in self.pending_people:
                    self.people[email] = (PENDING, Role.REQUESTER, True)
        if usernames:
            for row in User.objects.filter(username__in=usernames).values_list("username", *fields):
                self.people[row[0].lower()] = row[1:]

    def _internal(self, plan: _Plan, cells) -> bool | None:
        for name, inverted in (("internal", False), ("public", True)):
            if name in self.columns.fields:
                raw = normalise_header(self._cell(cells, name))
                if raw in YES:
                    return not inverted
                if raw in NO:
                    return inverted if raw else False
                self._error(plan, name, _("“%(value)s” is not yes or no.") % {"value": raw}, raw)
                return None
        if "type" in self.columns.fields and self.preset is not None:
            raw = normalise_header(self._cell(cells, "type"))
            if raw in self.preset.internal_types:
                return True
            if raw in self.preset.public_types or not raw:
                return False
            self._unknown(plan, "type", raw, _("“%(value)s” is not a type of message we know.") % {"value": raw})
            return None
        return False

    def _plan_row(self, number: int, cells) -> _Plan:
        plan = _Plan(number=number)
        reference = self._cell(cells, "ticket")
        ticket_id = self.tickets.get(reference) if reference else None
        if not reference:
            self._error(plan, "ticket", _("The ticket is required."))
        elif ticket_id is None:
            self._unknown(
                plan, "ticket", reference, _("No ticket has the reference “%(value)s”.") % {"value": reference}
            )
        author_raw = self._cell(cells, "author")
        person = self.people.get(author_raw.lower()) if author_raw else None
        if person is None or not person[2]:
            person = self.default_author
            if person is None:
                if author_raw:
                    self._unknown(
                        plan,
                        "author",
                        author_raw,
                        _("No active account is named “%(value)s” (people are matched, never created).")
                        % {"value": author_raw},
                    )
                else:
                    self._error(plan, "author", _("The author is required."))
        body = normalise_text(self._cell(cells, "body"))
        if not body:
            self._error(plan, "body", _("The message is empty."))
        elif len(body) > BODY_MAX:
            self._error(plan, "body", _("The message has %(length)d characters; at most %(max)d are allowed.")
                        % {"length": len(body), "max": BODY_MAX})  # fmt: skip
        internal = self._internal(plan, cells)
        if internal and person is not None and person[1] not in STAFF_ROLES:
            self._error(plan, "author", _("Only agents and admins write internal notes."), author_raw)
        created = self.now
        raw_date = self._cell(cells, "created_at")
        if raw_date:
            parsed = self.date_format.parse(raw_date, self.tz) if self.date_format else None
            if parsed is None:
                self._error(plan, "created_at", _("“%(value)s” is not a date.") % {"value": raw_date}, raw_date)
            elif parsed > self.now + timedelta(minutes=5):
                self._error(plan, "created_at", _("“%(value)s” is in the future.") % {"value": raw_date}, raw_date)
            else:
                created = parsed
        files = [path.strip() for path in FILE_SEPARATORS.split(self._cell(cells, "attachments")) if path.strip()]
        for path in files:
            self._check_file(plan, path)
        if plan.errors or plan.unknown:
            plan.action = Action.ERROR
            return plan
        plan.comment = _Message(ticket_id, person[0], body, bool(internal), created)
        plan.files = files
        if self.previews_left > 0:
            self.previews_left -= 1
            note = (_("internal note"),) if internal else ()
            plan.preview = PreviewRow(
                number, Action.CREATE, reference, body[:80], "", author_raw, tuple(map(str, note))
            )
        return plan

    def _check_file(self, plan: _Plan, path: str) -> None:
        if self.archive is None:
            self._error(plan, "attachments", _("The row names files but no ZIP of attachments was given."), path)
            return
        upload = self.archive.upload(path)
        if upload is None:
            self._error(plan, "attachments", _("The ZIP holds no file “%(path)s”.") % {"path": path}, path)
            return
        try:
            validate_upload(upload)
        except ValidationError as exc:
            self._error(plan, "attachments", " ".join(exc.messages), path)

    def _mark_existing(self, plans: list[_Plan]) -> None:
        """A message already on its ticket (same author, time and text) is left unchanged: re-runs add nothing."""
        plans = [plan for plan in plans if plan.comment.ticket_id != PENDING]  # a ticket not written yet: no messages
        if not plans:
            return
        times = [p.comment.created_at for p in plans]
        # A range over the (ticket, created_at) index: far cheaper than a list of a thousand times.
        found = Comment.objects.filter(
            ticket_id__in={p.comment.ticket_id for p in plans}, created_at__range=(min(times), max(times))
        ).values_list("ticket_id", "author_id", "created_at", "pk")
        # Texts only of the comments with a row's ticket, author and time: on a first import, none.
        wanted = {(p.comment.ticket_id, p.comment.author_id, p.comment.created_at) for p in plans}
        same = [pk for t, a, c, pk in found if (t, a, c) in wanted]
        if not same:
            return
        texts = Comment.objects.filter(pk__in=same).values_list("ticket_id", "author_id", "created_at", "body")
        existing = {(t, a, c, _digest(b)) for t, a, c, b in texts}
        for plan in plans:
            comment = plan.comment
            if (comment.ticket_id, comment.author_id, comment.created_at, _digest(comment.body)) in existing:
                plan.action = Action.SKIP
                if plan.preview is not None:
                    plan.preview = replace(plan.preview, action=Action.SKIP, notes=(str(_("already imported")),))


def pending_key(reference: str) -> int:
    """How a dry run remembers a ticket that a tickets file would create (a hash: memory stays small)."""
    return hash(reference)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


# TicketEvent(**values) by position (apps/common/bulk.py): building the events cost a tenth of a messages import.
_new_event = instance_builder(TicketEvent, ("ticket_id", "actor_id", "kind", "data", "is_internal", "created_at"))


def _write(plans: list[_Plan], *, planner: _MessagePlanner, written: list[str]) -> None:
    creates = [plan for plan in plans if plan.action == Action.CREATE]
    if not creates:
        return
    # Plain rows (apps/common/bulk.py): a Comment instance per message would cost more than its INSERT.
    now = timezone.now()
    comments = [plan.comment for plan in creates]
    ids = rows_insert(
        Comment,
        ("ticket", "author", "body", "is_internal", "created_at", "updated_at"),
        [(*comment, now) for comment in comments],
        returning="id",
    )
    history = [
        _new_event(
            comment.ticket_id,
            comment.author_id,
            EventKind.NOTE_ADDED if comment.is_internal else EventKind.COMMENTED,
            {"comment": pk, "source": "import"},
            comment.is_internal,
            comment.created_at,
        )
        for comment, pk in zip(comments, ids, strict=True)
    ]
    files = []
    for plan, comment, comment_id in zip(creates, comments, ids, strict=True):
        for path in plan.files:
            upload = planner.archive.upload(path)
            content_type = validate_upload(upload)
            attachment = Attachment(
                ticket_id=comment.ticket_id,
                comment_id=comment_id,
                uploaded_by_id=comment.author_id,
                original_name=clean_file_name(upload),
                size=upload.size,
                content_type=content_type,
                sha256=hashlib.sha256(upload.read()).hexdigest(),
                created_at=comment.created_at,
            )
            upload.seek(0)
            attachment.file.save(attachment.original_name, upload, save=False)
            written.append(attachment.file.name)
            files.append((attachment, comment.is_internal))
    if files:
        Attachment.objects.bulk_create([attachment for attachment, _internal in files])
        history += [
            TicketEvent(
                ticket_id=attachment.ticket_id,
                actor_id=attachment.uploaded_by_id,
                kind=EventKind.ATTACHMENT_ADDED,
                data={"attachment": attachment.pk, "name": attachment.original_name, "comment": attachment.comment_id},
                is_internal=internal,
                created_at=attachment.created_at,
            )
            for attachment, internal in files
        ]
    events.events_record(history)
