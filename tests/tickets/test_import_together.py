"""Moving in with one run: `import_tickets TICKETS.csv --messages MESSAGES.csv [--attachments FILES.zip]`."""

import csv
import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.common.csv.files import CsvFileError, inspect_csv
from apps.notifications.models import Notification
from apps.tickets.imports import ImportMapping, ImportOptions
from apps.tickets.imports.together import tickets_and_messages_import
from apps.tickets.models import Attachment, Comment, Ticket
from tests.support import db_state

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def as_file(data: bytes, name: str):
    return inspect_csv(lambda: io.BytesIO(data), name=name, size=len(data))


def zip_of(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


@pytest.fixture
def files(it_dept, requester, agent):
    """A Zammad export: two tickets (numbers 31001, 31002) and three messages, one with a file."""
    tickets = csv_bytes(
        [
            ["number", "title", "note", "group", "customer"],
            ["31001", "VPN", "It is down", "IT Support", requester.email],
            ["31002", "Mail", "Slow", "IT Support", requester.email],
        ]
    )
    messages = csv_bytes(
        [
            ["ticket_number", "from", "body", "internal", "created_at", "attachments"],
            ["31001", requester.email, "Still down.", "false", "2024-02-01 10:00", "files/screen.png"],
            ["31001", agent.username, "Looking into it.", "true", "2024-02-01 11:00", ""],
            ["31002", agent.email, "Fixed.", "no", "2024-02-01 12:00", ""],
        ]
    )
    return tickets, messages


def run(tickets: bytes, messages: bytes, *, dry_run: bool, archive=None):
    return tickets_and_messages_import(
        actor=None,
        tickets_file=as_file(tickets, "tickets.csv"),
        messages_file=as_file(messages, "messages.csv"),
        dry_run=dry_run,
        options=ImportOptions.from_settings(mapping=ImportMapping.parse(preset="zammad")),
        messages={
            "preset": "zammad",
            "attachments": archive if archive is not None else zip_of({"files/screen.png": PNG}),
        },
    )


def test_both_files_in_one_run_dry_run_first_and_again_unchanged(files, requester, agent):
    tickets, messages = files
    before = db_state()
    notifications = Notification.objects.count()

    dry = run(tickets, messages, dry_run=True)

    # The messages of tickets not written yet are checked as if they were.
    assert (dry.ok, dry.applied, dry.tickets.created, dry.messages.created, dry.messages.errors) == (
        True,
        False,
        2,
        3,
        [],
    )
    assert db_state() == before

    report = run(tickets, messages, dry_run=False)

    assert (report.ok, report.applied, report.tickets.created, report.messages.created) == (True, True, 2, 3)
    vpn, mail = Ticket.objects.get(title="VPN"), Ticket.objects.get(title="Mail")
    assert [(c.author, c.is_internal, c.body) for c in vpn.comments.order_by("created_at")] == [
        (requester, False, "Still down."),
        (agent, True, "Looking into it."),
    ]
    assert [(c.author, c.body) for c in mail.comments.all()] == [(agent, "Fixed.")]
    attachment = Attachment.objects.get()
    assert (attachment.ticket, attachment.original_name, attachment.size) == (vpn, "screen.png", len(PNG))
    assert Notification.objects.count() == notifications

    written = db_state()
    again = run(tickets, messages, dry_run=False)

    assert (again.ok, again.tickets.created, again.tickets.skipped, again.messages.created, again.messages.skipped) == (
        True,
        0,
        2,
        0,
        3,
    )
    assert db_state() == written


def test_a_bad_message_refuses_the_tickets_too(files, requester, agent):
    tickets, messages = files
    bad = messages + csv_bytes([["31002", "ghost@example.com", "Boo", "no", "2024-02-01 13:00", ""]])
    before = db_state()

    dry = run(tickets, bad, dry_run=True)
    report = run(tickets, bad, dry_run=False)

    for result in (dry, report):
        assert (result.ok, result.applied, result.tickets.ok, result.tickets.applied) == (False, False, True, False)
        assert [str(error) for error in result.messages.errors] == [
            "row 5, column “from”: No active account is named “ghost@example.com” (people are matched, never created)."
        ]
    assert db_state() == before
    assert (Ticket.objects.count(), Comment.objects.count(), Attachment.objects.count()) == (0, 0, 0)


def test_a_bad_ticket_refuses_the_messages_and_both_files_errors_are_listed(files, requester):
    tickets, messages = files
    bad_tickets = tickets + csv_bytes([["31003", "", "", "IT Support", requester.email]])
    bad_messages = messages + csv_bytes([["99999", requester.email, "Where?", "no", "", ""]])
    before = db_state()

    report = run(bad_tickets, bad_messages, dry_run=False)

    assert (report.ok, report.applied, report.tickets.ok, report.messages.ok) == (False, False, False, False)
    assert [(e.row, e.column) for e in report.tickets.errors] == [(4, "title"), (4, "note")]
    # 31001 and 31002 would be created by the tickets file; 99999 by nothing.
    assert [str(e) for e in report.messages.errors] == [
        "row 5, column “ticket_number”: No ticket has the reference “99999”."
    ]
    assert db_state() == before


def test_a_requester_the_tickets_file_creates_writes_messages_in_the_same_run(it_dept, agent):
    # A move-in's replies come from requesters who have no account here yet: the tickets file creates them.
    tickets = csv_bytes(
        [
            ["number", "title", "note", "group", "customer"],
            ["31005", "Printer", "Jammed", "IT Support", "New@Example.com"],
        ]
    )
    messages = csv_bytes(
        [
            ["ticket_number", "from", "body", "internal", "created_at", "attachments"],
            ["31005", "new@example.com", "Still jammed.", "false", "2024-02-01 10:00", ""],
            ["31005", agent.email, "On my way.", "false", "2024-02-01 11:00", ""],
        ]
    )
    before = db_state()

    dry = run(tickets, messages, dry_run=True, archive=zip_of({}))

    assert (dry.ok, dry.tickets.created, dry.messages.created, dry.messages.errors) == (True, 1, 2, [])
    assert db_state() == before

    report = run(tickets, messages, dry_run=False, archive=zip_of({}))

    assert (report.applied, report.messages.created) == (True, 2)
    ticket = Ticket.objects.get(title="Printer")
    assert [(c.author, c.body) for c in ticket.comments.order_by("created_at")] == [
        (ticket.requester, "Still jammed."),
        (agent, "On my way."),
    ]
    assert ticket.requester.email.lower() == "new@example.com"

    # Still a requester: an internal note of theirs is refused, in the dry run as in the run.
    other = tickets.replace(b"31005", b"31006").replace(b"New@Example.com", b"other@example.com")
    internal = csv_bytes(
        [
            ["ticket_number", "from", "body", "internal", "created_at", "attachments"],
            ["31006", "other@example.com", "Psst", "true", "2024-02-01 12:00", ""],
        ]
    )
    written = db_state()
    for dry_run in (True, False):
        refused = run(other, internal, dry_run=dry_run, archive=zip_of({}))
        assert [str(error) for error in refused.messages.errors] == [
            "row 2, column “from”: Only agents and admins write internal notes."
        ]
    assert db_state() == written


def test_a_refused_messages_file_is_named(files):
    tickets, _messages = files
    before = db_state()
    for dry_run in (True, False):
        with pytest.raises(CsvFileError) as refused:
            run(tickets, csv_bytes([["ticket", "text"], ["31001", "Hi"]]), dry_run=dry_run)
        assert refused.value.message.startswith("messages.csv: Required columns are missing: author.")
    assert db_state() == before


def test_the_command(files, requester, agent, tmp_path):
    tickets, messages = files
    (tmp_path / "tickets.csv").write_bytes(tickets)
    (tmp_path / "messages.csv").write_bytes(messages)
    (tmp_path / "files.zip").write_bytes(zip_of({"files/screen.png": PNG}).getvalue())
    args = [str(tmp_path / "tickets.csv"), "--from", "zammad", "--messages", str(tmp_path / "messages.csv")]
    args += ["--attachments", str(tmp_path / "files.zip"), "--no-progress"]

    out = io.StringIO()
    call_command("import_tickets", *args, "--dry-run", stdout=out)
    assert "Tickets: 2 to create, 0 to update, 0 unchanged" in out.getvalue()
    assert "Dry run, nothing written: 3 messages to add, 0 already there." in out.getvalue()
    assert (Ticket.objects.count(), Comment.objects.count()) == (0, 0)

    out = io.StringIO()
    call_command("import_tickets", *args, stdout=out)
    assert "Imported tickets and messages: 3 messages added, 0 already there." in out.getvalue()
    assert (Ticket.objects.count(), Comment.objects.count(), Attachment.objects.count()) == (2, 3, 1)

    (tmp_path / "bad.csv").write_bytes(messages + csv_bytes([["31009", agent.email, "?", "no", "", ""]]))
    before = db_state()
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_tickets", *args[:4], str(tmp_path / "bad.csv"), *args[5:], stdout=out)
    assert str(refused.value) == "Nothing was imported: 1 of 4 rows of bad.csv have errors."
    assert "No ticket has the reference “31009”." in out.getvalue()
    assert db_state() == before

    with pytest.raises(CommandError, match=r"--attachments and --default-author go with --messages\."):
        call_command("import_tickets", args[0], "--attachments", str(tmp_path / "files.zip"))
