"""Fixtures of the e-mail channel's tests: a real Dovecot IMAP server (tests/mail/dovecot.py)."""

import pytest
from imap_tools import MailBoxUnencrypted

from tests.mail.dovecot import dovecot_binary, free_port, running_dovecot
from tests.support import component_missing


def _unavailable(reason: str):
    component_missing(reason, tests="the IMAP tests", hint="install Debian's `dovecot-imapd`")


@pytest.fixture(scope="session")
def dovecot_server():
    binary = dovecot_binary()
    if binary is None:
        _unavailable("No Dovecot binary")
    with running_dovecot(binary) as server:
        yield server


@pytest.fixture
def imap(dovecot_server):
    """The test account, emptied: every folder but INBOX deleted, INBOX without messages."""
    with MailBoxUnencrypted(dovecot_server.host, dovecot_server.port).login(
        dovecot_server.user, dovecot_server.password
    ) as box:
        for folder in box.folder.list():
            if folder.name != "INBOX":
                box.folder.delete(folder.name)
        box.folder.set("INBOX")
        uids = box.uids("ALL")
        if uids:
            box.delete(uids)  # the test server's own mail, between tests
        yield box


class _Collector:
    """aiosmtpd handler: keeps what arrives, as (envelope sender, recipients, message bytes)."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1; Django's SMTP backend sends to it. `.received` lists messages."""
    from aiosmtpd.controller import Controller

    collector = _Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield collector
    finally:
        controller.stop()
