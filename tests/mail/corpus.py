"""Messages for the tests, written as the bytes an MTA would hand over, awkward ones included (the issue's
"Bad input" corpus)."""

from email.message import EmailMessage
from email.utils import make_msgid

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def message(
    *,
    sender="carol@example.com",
    to="support@example.com",
    subject="Printer is broken",
    body="The printer on floor 2 is jammed.",
    message_id=None,
    cc=None,
    headers=None,
    html=None,
    files=(),
) -> bytes:
    """A well-formed message built with the email package; `message_id=False` leaves it out."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    if message_id is not False:
        msg["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    for name, value in (headers or {}).items():
        msg[name] = value
    if html is not None and body is None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    for name, content, (maintype, subtype) in files:
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


def reply_to(
    original_id: str, *, sender="carol@example.com", body="Thanks, that works.", subject="Re: Printer", **kw
) -> bytes:
    return message(
        sender=sender,
        subject=subject,
        body=body,
        headers={"In-Reply-To": original_id, "References": original_id},
        **kw,
    )


BROKEN_MIME = (
    b"From: carol@example.com\r\n"
    b"To: support@example.com\r\n"
    b"Subject: Broken MIME\r\n"
    b"Message-ID: <broken-mime@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="never-closed"\r\n'
    b"\r\n"
    b"--never-closed\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"VGhlIFZQTiBkcm9wcyBldmVyeSBob3Vy!!!not-base64\r\n"
)

NO_FROM = b"To: support@example.com\r\nSubject: Who am I\r\nMessage-ID: <no-from@example.com>\r\n\r\nHello\r\n"

MALFORMED_FROM = (
    b"From: <<not an address>>\r\nTo: support@example.com\r\nSubject: Hi\r\n"
    b"Message-ID: <bad-from@example.com>\r\n\r\nHello\r\n"
)

EIGHT_BIT_HEADERS = (
    "From: Müller Gün <guen@example.com>\r\nTo: support@example.com\r\n"
    "Subject: Drucker geht nicht – Yazıcı bozuk\r\nMessage-ID: <eight-bit@example.com>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "Der Drucker ist kaputt. Yazıcı çalışmıyor.\r\n"
).encode()

UNKNOWN_CHARSET = (
    b"From: carol@example.com\r\nTo: support@example.com\r\nSubject: Odd charset\r\n"
    b"Message-ID: <unknown-charset@example.com>\r\n"
    b"Content-Type: text/plain; charset=x-klingon-9\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    b"Caf\xe9 machine is broken\r\n"
)

HTML_SCRIPT = message(
    subject="HTML only",
    body=None,
    message_id="<html-only@example.com>",
    html=(
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
        "<p>The <b>VPN</b> is down &amp; nobody can log in.</p>"
        '<img src="https://tracker.example.net/pixel.gif"><p>Second line</p>'
        '<a href="javascript:alert(1)">click</a></body></html>'
    ),
)

CALENDAR_INVITE = message(
    subject="Meeting: printer review",
    body="You are invited.",
    message_id="<invite@example.com>",
    files=[("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", ("text", "calendar"))],
)

OUT_OF_OFFICE = message(
    subject="Out of office",
    body="I am away until Monday.",
    message_id="<ooo@example.com>",
    headers={"Auto-Submitted": "auto-replied"},
)


def bounce(original_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mail.example.com\r\nTo: support@example.com\r\nSubject: Undelivered Mail\r\n"
        "Message-ID: <dsn-1@mail.example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.example.com\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@example.com\r\nTo: gone@example.org\r\nMessage-ID: {original_id}\r\n"
        "--b1--\r\n"
    ).encode()
