"""IMAP polling with imap-tools: fetch each message of a mailbox's folder, hand it to `mail_ingest`, then move it
to the processed folder (or the failed one), MOVE_BATCH messages per UID MOVE. Mail is never deleted.

One message at a time (memory stays flat however full the folder is), at most MAIL_IMAP_BATCH per poll. A crash
between ingesting and moving is harmless: the next poll fetches the message again, `mail_ingest` finds it in the
mail log (idempotent) and the move happens then.

`connection_check` answers the back office's "Test connection" in plain words: DNS, connection, TLS, log-in or
folder. No message here ever contains the password.
"""

import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError, UnexpectedCommandStatusError

from .choices import Security, Status
from .models import Mailbox
from .services import mail_ingest
from .vault import UnreadablePassword, decrypt

logger = logging.getLogger(__name__)
POLL_SECONDS = 40
# Handled messages are moved out of the folder this many at a time (one UID MOVE per folder).
MOVE_BATCH = 50


class ConnectionProblem(Exception):
    """What went wrong, in words an admin can act on."""


@dataclass
class PollResult:
    processed: int = 0
    failed: int = 0
    duplicates: int = 0


def _client(mailbox: Mailbox):
    timeout = settings.MAIL_IMAP_TIMEOUT
    if mailbox.security == Security.SSL:
        return MailBox(mailbox.host, mailbox.port, timeout=timeout, ssl_context=ssl.create_default_context())
    if mailbox.security == Security.STARTTLS:
        return MailBoxStartTls(mailbox.host, mailbox.port, timeout=timeout, ssl_context=ssl.create_default_context())
    return MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=timeout)


@contextlib.contextmanager
def connect(mailbox: Mailbox) -> Iterator:
    """A logged-in imap-tools mailbox on the mailbox's folder; problems become ConnectionProblem in plain words."""
    where = {"host": mailbox.host, "port": mailbox.port}
    try:
        password = decrypt(mailbox.password)
    except UnreadablePassword:
        raise ConnectionProblem(
            _("The stored password cannot be read (MAIL_SECRET_KEY changed?): enter the password again.")
        ) from None
    try:
        client = _client(mailbox)
    except socket.gaierror:
        raise ConnectionProblem(_("The host name “%(host)s” could not be found (DNS).") % where) from None
    except ssl.SSLError as exc:
        raise ConnectionProblem(
            _("The secure connection (TLS) to %(host)s:%(port)s failed: %(reason)s")
            % {**where, "reason": exc.reason or exc}
        ) from None
    except (TimeoutError, ConnectionError, OSError) as exc:
        raise ConnectionProblem(
            _("Could not connect to %(host)s:%(port)s: %(reason)s") % {**where, "reason": exc.strerror or exc}
        ) from None
    except UnexpectedCommandStatusError:  # STARTTLS refused
        raise ConnectionProblem(_("The server at %(host)s:%(port)s refused STARTTLS.") % where) from None
    try:
        try:
            client.login(mailbox.username, password, initial_folder=None)
        except MailboxLoginError:
            raise ConnectionProblem(_("The server refused the user name or the password.")) from None
        if not client.folder.exists(mailbox.folder):
            raise ConnectionProblem(_("The folder “%(folder)s” does not exist.") % {"folder": mailbox.folder})
        client.folder.set(mailbox.folder)
        yield client
    finally:
        with contextlib.suppress(Exception):  # the session may already be gone; nothing to keep
            client.logout()


def connection_check(mailbox: Mailbox) -> str:
    """Log in and open the folder; the number of messages waiting, or ConnectionProblem."""
    with connect(mailbox) as client:
        waiting = len(client.uids("ALL"))
    return _("Connected: %(count)s message(s) waiting in “%(folder)s”.") % {
        "count": waiting,
        "folder": mailbox.folder,
    }


def _ensure_folder(client, name: str) -> None:
    if not client.folder.exists(name):
        client.folder.create(name)


def _fetch_raw(client, uid: str) -> bytes | None:
    status, data = client.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


def _move(client, done: dict[str, list[str]], mailbox: Mailbox) -> None:
    """Move the handled messages to their folders (one UID MOVE per folder), and forget them."""
    for folder, uids in done.items():
        if not uids:
            continue
        try:
            client.move(uids, folder)
        except UnexpectedCommandStatusError:  # moved meanwhile by an overlapping poll: handled already
            logger.info("mailbox %s: messages %s were already moved", mailbox.name, ",".join(uids))
        uids.clear()


def mailbox_poll(*, mailbox: Mailbox) -> PollResult:
    """Ingest the messages waiting in the mailbox's folder and move them out of it, MOVE_BATCH at a time."""
    result = PollResult()
    # Under the workers' task timeout (Q_CLUSTER "timeout", 60 s): what is left waits for the next poll.
    deadline = time.monotonic() + POLL_SECONDS
    try:
        with connect(mailbox) as client:
            _ensure_folder(client, mailbox.processed_folder)
            _ensure_folder(client, mailbox.failed_folder)
            # A message handled but not yet moved (the poll died) is fetched again next time and recognised as
            # handled (mail_ingest is idempotent), so the moves can wait for a batch: fewer round trips.
            done: dict[str, list[str]] = {mailbox.processed_folder: [], mailbox.failed_folder: []}
            for uid in client.uids("ALL")[: settings.MAIL_IMAP_BATCH]:
                raw = _fetch_raw(client, uid)
                if raw is None:
                    continue
                ingested = mail_ingest(raw=raw, mailbox=mailbox)
                failed = ingested.message.status == Status.FAILED
                result.failed += failed
                result.duplicates += ingested.duplicate
                result.processed += not failed
                done[mailbox.failed_folder if failed else mailbox.processed_folder].append(uid)
                if sum(map(len, done.values())) >= MOVE_BATCH:
                    _move(client, done, mailbox)
                if time.monotonic() > deadline:
                    break
            _move(client, done, mailbox)
    except ConnectionProblem as exc:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=str(exc))
        logger.warning("mailbox %s: %s", mailbox.name, exc)
        return result
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error="")
    return result
