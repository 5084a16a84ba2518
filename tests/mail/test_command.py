"""`manage.py ingest_email`: files or standard input, exit status per the issue."""

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.mail.choices import Status
from apps.mail.models import Mailbox, MailMessage
from apps.tickets.models import Ticket
from tests.mail import corpus

pytestmark = pytest.mark.django_db


def run(*args, stdin: bytes = b"") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    stdin_wrapper = io.TextIOWrapper(io.BytesIO(stdin))
    real = sys.stdin
    sys.stdin = stdin_wrapper
    try:
        call_command("ingest_email", *args, stdout=out, stderr=err)
    finally:
        sys.stdin = real
    return out.getvalue(), err.getvalue()


def test_files_become_tickets_and_rejections(tmp_path, it_dept, requester):
    good = tmp_path / "good.eml"
    good.write_bytes(corpus.message(message_id="<good@example.com>"))
    ooo = tmp_path / "ooo.eml"
    ooo.write_bytes(corpus.OUT_OF_OFFICE)

    out, err = run(str(good), str(ooo), str(good))

    ticket = Ticket.objects.get()
    assert out.splitlines() == [
        f"{good}: Processed: New ticket {ticket.reference}",
        f"{ooo}: Rejected: Automatic reply or bulk mail",
        f"{good}: Processed: New ticket {ticket.reference} (seen before)",
    ]
    assert err == ""


def test_standard_input_is_one_message(it_dept, requester):
    out, _err = run(stdin=corpus.message(subject="From a pipe"))
    assert Ticket.objects.get().title == "From a pipe"
    assert out.startswith("-: Processed: New ticket")


def test_the_mailbox_option_names_the_department(tmp_path, it_dept, billing_dept, requester):
    Mailbox.objects.create(name="billing", address="b@example.com", host="h", username="u", department=billing_dept)
    path = tmp_path / "m.eml"
    path.write_bytes(corpus.message())
    run("--mailbox", "billing", str(path))
    assert Ticket.objects.get().department == billing_dept


def test_an_unknown_mailbox_or_file_is_exit_status_2(tmp_path, it_dept):
    with pytest.raises(CommandError, match="No mailbox named 'nope'") as unknown:
        run("--mailbox", "nope", str(tmp_path / "x.eml"))
    with pytest.raises(CommandError, match="No such file") as missing:
        run(str(tmp_path / "missing.eml"))
    assert (unknown.value.returncode, missing.value.returncode) == (2, 2)
    assert MailMessage.objects.count() == 0


def test_a_failed_message_is_exit_status_1_with_the_reason(tmp_path, requester):
    # No department exists, so nothing can route the ticket: the message fails and is kept to resubmit.
    path = tmp_path / "m.eml"
    path.write_bytes(corpus.message())
    with pytest.raises(CommandError, match="1 of 1 message") as failed:
        run(str(path))
    assert failed.value.returncode == 1
    assert MailMessage.objects.get().status == Status.FAILED


def test_the_command_runs_as_a_process_with_its_exit_statuses(tmp_path):
    """As Postfix runs it: a process reading standard input, the exit status its answer. A database of its own (a
    SQLite file, migrated), holding no department: a message to route fails (1), a recorded rejection is 0."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'mail.sqlite3'}", "DJANGO_ENV": ""}

    def manage(*args, stdin=b""):
        return subprocess.run(  # noqa: S603 -- our own manage.py with fixed arguments
            [sys.executable, "manage.py", *args], input=stdin, capture_output=True, env=env, check=False, timeout=300
        )

    assert manage("migrate", "--no-input").returncode == 0
    rejected = manage("ingest_email", stdin=corpus.OUT_OF_OFFICE)
    failed = manage("ingest_email", stdin=corpus.message())
    unknown = manage("ingest_email", "--mailbox", "nope")

    assert (rejected.returncode, failed.returncode, unknown.returncode) == (0, 1, 2)
    assert rejected.stdout == b"-: Rejected: Automatic reply or bulk mail\n"
    assert failed.stderr.startswith(b"-: failed: No default department is set up")
    assert b"No mailbox named 'nope'" in unknown.stderr
