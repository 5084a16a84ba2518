"""Benchmark: IMAP polling of the e-mail channel, from a real Dovecot into tickets (500 messages by default).

Creates a throw-away test database (a temporary SQLite file, or `test_<name>` on PostgreSQL when DATABASE_URL
points there) with a default department and 200 requesters, starts a throw-away Dovecot (tests/mail/dovecot.py),
delivers N messages with IMAP APPEND (one in two with a small PNG attachment, one in five a reply to an earlier
message), then polls the mailbox until its folder is empty, as the scheduled task does. Reported: messages per
second for the polls (wall clock), the CPU time this process used, and its peak memory (ru_maxrss) before and
after. Each size runs in a fresh process, so that the peaks can be compared: memory should not grow with N.

    .venv/bin/python bench/bench_mail.py [--messages 500] [--messages 2000 ...]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def child(count: int) -> dict:
    import django

    django.setup()

    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment
    from imap_tools import MailBoxUnencrypted

    from apps.accounts.choices import Role
    from apps.departments.services import department_create, user_create_with_departments
    from apps.mail import imap
    from apps.mail.choices import Security
    from apps.mail.models import Mailbox, MailMessage
    from apps.mail.services import mailbox_save
    from apps.tickets.models import Attachment, Comment, Ticket
    from tests.mail import corpus
    from tests.mail.dovecot import dovecot_binary, running_dovecot

    binary = dovecot_binary()
    if binary is None:
        raise SystemExit("No Dovecot binary: install Debian's dovecot-imapd.")
    workdir = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    if connection.vendor == "sqlite":
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(workdir / "bench.sqlite3")
    settings.MEDIA_ROOT = str(workdir / "media")
    settings.MAIL_MAX_PER_SENDER_PER_HOUR = count
    settings.MAIL_IMAP_BATCH = count
    settings.AI_TRIAGE_ENABLED = False
    imap.POLL_SECONDS = 3600
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        department_create(name="Support", is_default=True)
        for i in range(200):
            user_create_with_departments(username=f"r{i}", email=f"r{i}@example.com", role=Role.REQUESTER)
        with running_dovecot(binary) as server:
            box = mailbox_save(
                mailbox=Mailbox(
                    name="support",
                    address="support@example.com",
                    host=server.host,
                    port=server.port,
                    security=Security.NONE,
                    username=server.user,
                ),
                actor=None,
                password=server.password,
            )
            with MailBoxUnencrypted(server.host, server.port).login(server.user, server.password) as client:
                for n in range(count):
                    sender = f"r{n % 200}@example.com"
                    files = [("screen.png", corpus.PNG, ("image", "png"))] if n % 2 else ()
                    if n % 5 == 4:
                        raw = corpus.reply_to(f"<bench-{n - 1}@example.com>", sender=f"r{(n - 1) % 200}@example.com")
                    else:
                        raw = corpus.message(
                            sender=sender, subject=f"Problem {n}", message_id=f"<bench-{n}@example.com>", files=files
                        )
                    client.append(raw, "INBOX")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            before = peak_mb()
            cpu_before = cpu_seconds()
            started = time.perf_counter()
            handled = 0
            while handled < count:
                result = imap.mailbox_poll(mailbox=box)
                if not (result.processed + result.failed):
                    break
                handled += result.processed + result.failed
            seconds = time.perf_counter() - started
            cpu = cpu_seconds() - cpu_before
        result = {
            "database": connection.vendor,
            "messages": count,
            "handled": handled,
            "seconds": round(seconds, 1),
            "per_second": round(handled / seconds, 1),
            "cpu_seconds": round(cpu, 1),
            "load": round(os.getloadavg()[0], 1),
            "peak_mb_before": round(before),
            "peak_mb_after": round(peak_mb()),
            "tickets": Ticket.objects.count(),
            "replies": Comment.objects.count(),
            "attachments": Attachment.objects.count(),
            "failed": MailMessage.objects.filter(status="failed").count(),
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, action="append", help="Messages to deliver (repeatable; 500).")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.messages or [500]
    if args.child:
        print(json.dumps(child(sizes[0])))
        return
    for count in sizes:
        command = [sys.executable, __file__, "--child", "--messages", str(count)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
        r = json.loads(output.strip().splitlines()[-1])
        print(
            f"{r['database']}: {r['handled']:,} of {r['messages']:,} messages in {r['seconds']} s = "
            f"{r['per_second']} messages/s (this process used {r['cpu_seconds']} s of CPU; load average {r['load']}); "
            f"peak memory {r['peak_mb_before']} MB before the polls, {r['peak_mb_after']} MB after; "
            f"{r['tickets']:,} tickets, {r['replies']:,} replies, {r['attachments']:,} files, {r['failed']} failed"
        )


if __name__ == "__main__":
    main()
