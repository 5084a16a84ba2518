"""The messages of imported tickets: `import_messages` (a second CSV file, and a ZIP of attachments)."""

import csv
import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.common.csv.files import CsvFileError, inspect_csv
from apps.notifications.models import Notification
from apps.tickets.choices import EventKind
from apps.tickets.imports import ImportMapping, ImportOptions, tickets_import
from apps.tickets.imports.messages import messages_import
from apps.tickets.models import Attachment, Comment, Ticket, TicketEvent
from tests.support import db_state

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def as_file(data: bytes, name="messages.csv"):
    return inspect_csv(lambda: io.BytesIO(data), name=name, size=len(data))


@pytest.fixture
def imported(it_dept, requester, agent):
    """Two tickets imported from a Zammad export (numbers 31001 and 31002 kept as their external references)."""
    data = csv_bytes(
        [
            ["number", "title", "note", "group", "customer"],
            ["31001", "VPN", "It is down", "IT Support", requester.email],
            ["31002", "Mail", "Slow", "IT Support", requester.email],
        ]
    )
    options = ImportOptions.from_settings(mapping=ImportMapping.parse(preset="zammad"))
    report = tickets_import(actor=None, csv_file=as_file(data, "tickets.csv"), dry_run=False, options=options)
    assert report.applied
    return {t.title: t for t in Ticket.objects.all()}


def zip_of(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def test_messages_are_added_in_order_with_files_and_nobody_is_notified(imported, requester, agent, tmp_path):
    vpn = imported["VPN"]
    data = csv_bytes(
        [
            ["ticket_number", "from", "body", "internal", "created_at", "attachments"],
            ["31001", requester.email, "Still down.", "false", "2024-02-01 10:00", "files/screen.png"],
            ["31001", agent.username, "Looking into it.", "true", "2024-02-01 11:00", ""],
            [vpn.reference, agent.email, "Fixed: the router was restarted.", "no", "2024-02-01 12:00", ""],
        ]
    )
    notifications = Notification.objects.count()

    dry = messages_import(actor=None, csv_file=as_file(data), dry_run=True, preset="zammad",
                          attachments=zip_of({"files/screen.png": PNG}))  # fmt: skip
    assert (dry.ok, dry.created, Comment.objects.count()) == (True, 3, 0)

    report = messages_import(actor=None, csv_file=as_file(data), dry_run=False, preset="zammad",
                             attachments=zip_of({"files/screen.png": PNG}))  # fmt: skip

    assert (report.applied, report.created) == (True, 3)
    comments = list(vpn.comments.order_by("created_at"))
    assert [(c.author, c.is_internal, c.body) for c in comments] == [
        (requester, False, "Still down."),
        (agent, True, "Looking into it."),
        (agent, False, "Fixed: the router was restarted."),
    ]
    assert comments[0].created_at.strftime("%Y-%m-%d %H:%M") == "2024-02-01 10:00"
    attachment = Attachment.objects.get()
    assert (attachment.comment, attachment.original_name, attachment.content_type, attachment.size) == (
        comments[0],
        "screen.png",
        "image/png",
        len(PNG),
    )
    assert attachment.file.read() == PNG
    kinds = list(
        TicketEvent.objects.filter(ticket=vpn).exclude(kind=EventKind.CREATED).values_list("kind", "is_internal")
    )
    assert sorted(kinds) == sorted(
        [("commented", False), ("note_added", True), ("commented", False), ("attachment_added", False)]
    )
    assert Notification.objects.count() == notifications

    again = messages_import(actor=None, csv_file=as_file(data), dry_run=False, preset="zammad",
                            attachments=zip_of({"files/screen.png": PNG}))  # fmt: skip
    assert (again.ok, again.created, again.skipped, Comment.objects.count()) == (True, 0, 3, 3)


def test_a_bad_row_or_file_imports_nothing(imported, requester, agent):
    data = csv_bytes(
        [
            ["ticket", "author", "body", "internal", "attachments"],
            ["31001", requester.email, "Hello", "no", ""],
            ["31001", requester.email, "Secret", "yes", ""],
            ["99999", agent.email, "Where?", "no", ""],
            ["99999", agent.email, "Where 2?", "no", ""],
            ["31002", "ghost@example.com", "Boo", "no", ""],
            ["31002", agent.email, "File", "no", "evil.exe"],
            ["31002", agent.email, "Renamed", "no", "fake.png"],
        ]
    )
    before = db_state()

    report = messages_import(actor=None, csv_file=as_file(data), dry_run=False,
                             attachments=zip_of({"evil.exe": b"MZ" * 10, "fake.png": b"not a png"}))  # fmt: skip

    assert report.applied is False
    assert [str(e) for e in report.errors] == [
        "row 3, column “author”: Only agents and admins write internal notes.",
        "row 4, column “ticket”: No ticket has the reference “99999”. 2 rows have this value.",
        "row 6, column “author”: No active account is named “ghost@example.com” (people are matched, never created).",
        "row 7, column “attachments”: Files of type “.exe” are not accepted. Allowed: "
        + report.errors[3].message[len("Files of type “.exe” are not accepted. Allowed: ") :],
        "row 8, column “attachments”: The file “fake.png” does not contain what its name says (.png).",
    ]
    assert report.unknown_values == {"ticket": {"99999": 2}, "author": {"ghost@example.com": 1}}
    assert db_state() == before


def test_unknown_tickets_are_listed_up_to_a_bound(imported, agent, monkeypatch):
    """Memory stays flat with a file whose every row names an unknown ticket: past the bound, one line."""
    monkeypatch.setattr("apps.tickets.imports.fields.UNKNOWN_VALUES_LISTED", 2)
    data = csv_bytes([["ticket", "author", "body"]] + [[f"9000{n}", agent.email, "Hi"] for n in range(5)])
    before = db_state()

    report = messages_import(actor=None, csv_file=as_file(data), dry_run=False)

    assert report.applied is False
    assert [str(e) for e in report.errors] == [
        "row 2, column “ticket”: No ticket has the reference “90000”.",
        "row 3, column “ticket”: No ticket has the reference “90001”.",
        "row 4, column “ticket”: More values that are not known here. 3 rows have this value.",
    ]
    assert report.unknown_values == {"ticket": {"90000": 1, "90001": 1, "…": 3}}
    assert db_state() == before


def test_presets_read_other_systems_internal_flags(imported, requester, agent):
    osticket = csv_bytes(
        [
            ["Ticket Number", "Poster", "Body", "Type", "Created"],
            ["31001", agent.email, "Note to self", "N", "3/14/2024 4:05 PM"],
            ["31001", requester.email, "Thanks", "M", "3/14/2024 5:05 PM"],
        ]
    )
    assert messages_import(actor=None, csv_file=as_file(osticket), dry_run=False, preset="osticket").applied
    helpdesk = csv_bytes([["ticket", "user", "comment", "public", "date"], ["31002", agent.username, "Hi", "False",
                                                                            "2024-01-01 09:00"]])  # fmt: skip
    assert messages_import(actor=None, csv_file=as_file(helpdesk), dry_run=False, preset="helpdesk").applied
    assert list(Comment.objects.order_by("body").values_list("body", "is_internal")) == [
        ("Hi", True),
        ("Note to self", True),
        ("Thanks", False),
    ]


def test_missing_columns_and_unknown_preset_are_refused_before_reading(db):
    with pytest.raises(CsvFileError) as refused:
        messages_import(actor=None, csv_file=as_file(csv_bytes([["ticket", "text"], ["1", "x"]])), dry_run=True)
    assert refused.value.message == (
        "Required columns are missing: author. The file's columns were read as: “ticket” → ticket, “text” → body."
    )
    with pytest.raises(CsvFileError, match="There is no preset"):
        messages_import(actor=None, csv_file=as_file(csv_bytes([["a"], ["b"]])), dry_run=True, preset="nosuch")


def test_the_command(imported, agent, tmp_path):
    path = tmp_path / "messages.csv"
    path.write_bytes(csv_bytes([["ticket", "author", "body"], ["31001", agent.email, "Done"]]))
    out = io.StringIO()
    call_command("import_messages", str(path), "--dry-run", stdout=out)
    assert "Dry run, nothing written: 1 messages to add, 0 already there" in out.getvalue()
    call_command("import_messages", str(path), stdout=out)
    assert Comment.objects.get().body == "Done"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["ticket", "author", "body"], ["nope", agent.email, "x"]]))
    with pytest.raises(CommandError, match="Nothing was imported: 1 of 1 rows have errors"):
        call_command("import_messages", str(bad), stdout=io.StringIO())


def test_batches_read_every_row_with_its_number_and_find_the_tickets_of_the_last_batch(imported, requester, agent):
    """Batches of 2: each names the tickets the one before named, and the error is in the third batch."""
    vpn, mail = imported["VPN"], imported["Mail"]
    rows = [["ticket", "author", "body", "created_at"]]
    rows += [
        [ticket, agent.email, f"Note {n}", f"2024-02-01 1{n}:00"] for n, ticket in enumerate(["31001", "31002"] * 3)
    ]
    rows.insert(6, [vpn.reference, "ghost@example.com", "Boo", ""])  # row 7 of the file, in the third batch (rows 6, 7)

    dry = messages_import(actor=None, csv_file=as_file(csv_bytes(rows)), dry_run=True, batch_size=2)

    assert (dry.rows, dry.created, dry.invalid_rows) == (7, 6, 1)
    assert [str(error) for error in dry.errors] == [
        "row 7, column “author”: No active account is named “ghost@example.com” (people are matched, never created)."
    ]

    del rows[6]
    report = messages_import(actor=None, csv_file=as_file(csv_bytes(rows)), dry_run=False, batch_size=2)

    assert (report.applied, report.rows, report.created) == (True, 6, 6)
    assert (vpn.comments.count(), mail.comments.count()) == (3, 3)
