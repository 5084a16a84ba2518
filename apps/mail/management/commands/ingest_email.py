"""`manage.py ingest_email [--mailbox NAME] [FILE ...]`: messages from files, or one from standard input.

For MTAs (Postfix: `support: "|/path/to/venv/bin/python /path/to/manage.py ingest_email --mailbox support"`).
Exit status 0 when every message was handled (a ticket, a reply, a recorded rejection, or one seen before);
1 when one failed (its error on standard error; it stays in the mail log, failed, to resubmit); 2 for bad usage
(an unknown mailbox, an unreadable file). Postfix keeps and retries a message on a temporary error (75) only,
so a failure here is recorded in the mail log instead of bounced back to the sender.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.mail.choices import Status
from apps.mail.models import Mailbox
from apps.mail.services import mail_ingest


class Command(BaseCommand):
    help = "Turn RFC 5322 messages (files, or standard input) into tickets and replies."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="Message files; none: read one message from standard input.")
        parser.add_argument("--mailbox", help="The mailbox (name) the message arrived at: its department.")

    def handle(self, *args, files, mailbox, **options):
        box = None
        if mailbox:
            box = Mailbox.objects.filter(name=mailbox).first()
            if box is None:
                raise CommandError(f"No mailbox named {mailbox!r}.", returncode=2)
        sources = files or ["-"]
        failed = 0
        for source in sources:
            try:
                raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
            except OSError as exc:
                raise CommandError(f"{source}: {exc.strerror}", returncode=2) from None
            result = mail_ingest(raw=raw, mailbox=box)
            message = result.message
            if message.status == Status.FAILED:
                failed += 1
                self.stderr.write(f"{source}: failed: {message.detail}")
                continue
            what = message.get_outcome_display() if message.status == Status.PROCESSED else message.get_reason_display()
            ticket = f" {message.ticket.reference}" if message.ticket_id else ""
            seen = " (seen before)" if result.duplicate else ""
            self.stdout.write(f"{source}: {message.get_status_display()}: {what}{ticket}{seen}")
        if failed:
            raise CommandError(f"{failed} of {len(sources)} message(s) failed.", returncode=1)
