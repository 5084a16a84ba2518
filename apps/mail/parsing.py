"""The one parse path: RFC 5322 bytes to what the channel needs (addresses, threading headers, text, files).

Python's `email` package with `policy.default` reads the message. Mail in the wild is often broken, so nothing
here raises on bad input: undecodable headers are read with replacement characters, an unknown charset falls back
to UTF-8 then Latin-1, a malformed address is simply absent, and a part that cannot be read is skipped.
"""

import hashlib
import html
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# Headers that mark a message sent by a program, not a person (RFC 3834 and the common vendor ones).
AUTO_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Block-level HTML elements whose end is a line break in the text.
BLOCK_END = re.compile(r"(?i)<\s*(br\s*/?|/p|/div|/li|/tr|/h[1-6]|/blockquote|/table|hr\s*/?)\s*>")


@dataclass
class Attachment:
    name: str
    content_type: str
    content: bytes


@dataclass
class Parsed:
    """A message as the channel reads it. `sender` is the bare address, lower-cased ('' when there is none)."""

    key: str
    message_id: str
    sender: str
    sender_name: str
    subject: str
    to: list[str]
    cc: list[str]
    in_reply_to: list[str]
    references: list[str]
    text: str
    is_auto: bool
    bounce_of: list[str] | None
    headers: str
    attachments: list[Attachment] = field(default_factory=list)


def _clean(value: str) -> str:
    """Header text without undecodable bytes (8-bit headers arrive as surrogates) or control characters."""
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", value).strip()


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:
        value = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    return _clean(str(value)) if value is not None else ""


def _address(value: str) -> str:
    address = value.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


def _addresses(msg: EmailMessage, *names: str) -> list[str]:
    values = [_header(msg, n) for n in names]
    found = []
    for _name, addr in getaddresses([v for v in values if v]):
        addr = _address(addr)
        if addr and addr not in found:
            found.append(addr)
    return found


def _ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value)[:50]


def _decode(part) -> str:
    """The text of a text/* part, whatever its charset claims."""
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True) or b""
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("latin-1")


def html_to_text(markup: str) -> str:
    """Readable text from HTML: no script, style, image or any other element survives, only the words."""
    markup = BLOCK_END.sub("\n", markup)
    cleaned = nh3.clean(markup, tags=set(), attributes={}, strip_comments=True)
    text = html.unescape(cleaned)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\n\s*\n\s*(\n\s*)+", "\n\n", text).strip()


def _is_attachment(part) -> bool:
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    if part.get_content_maintype() in ("text", "multipart") and not part.get_filename():
        return False
    # Inline images and any other non-text part (a calendar invite, a file with no disposition) are files.
    return part.get_content_type() not in ("text/plain", "text/html")


def _file_name(part, number: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = _clean(name).replace("/", "_").replace("\\", "_")
    if not name:
        subtype = re.sub(r"[^a-z0-9]", "", part.get_content_subtype().lower())[:10] or "bin"
        name = f"attachment-{number}.{subtype}"
    return name[:255]


def _bounce_of(msg: EmailMessage) -> list[str] | None:
    """The Message-IDs a delivery status notification reports on, or None when the message is not one."""
    if msg.get_content_type() != "multipart/report":
        return None
    if msg.get_param("report-type", "").lower() != "delivery-status":
        return None
    ids = []
    for part in msg.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            text = str(inner) if inner is not None else _decode(part) if isinstance(payload, str) else ""
            match = re.search(r"(?im)^message-id:\s*(<[^>]+>)", text)
            if match:
                ids.append(match.group(1))
    return ids


def _is_auto(msg: EmailMessage) -> bool:
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if _header(msg, "Precedence").lower() in AUTO_PRECEDENCE:
        return True
    return any(_header(msg, name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"))


def parse(raw: bytes) -> Parsed:
    """Read a message; never raises on malformed input."""
    msg = message_from_bytes(raw, policy=policy.default)
    message_id = next(iter(_ids(_header(msg, "Message-ID"))), "")[:255]
    name, address = parseaddr(_header(msg, "From"))
    plain, markup, files = [], [], []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_type().startswith("message/"):
            continue
        try:
            if _is_attachment(part):
                content = part.get_payload(decode=True) or b""
                files.append(Attachment(_file_name(part, len(files) + 1), part.get_content_type(), content))
            elif part.get_content_type() == "text/html":
                markup.append(_decode(part))
            else:
                plain.append(_decode(part))
        except Exception:  # noqa: S112 (a part that cannot be read is left out; the whole message is kept)
            continue
    text = "\n\n".join(p for p in plain if p.strip()) or html_to_text("\n".join(markup))
    headers = "\n".join(f"{k}: {_clean(str(v))}" for k, v in msg.raw_items())
    return Parsed(
        key=message_id or "sha256:" + hashlib.sha256(raw).hexdigest(),
        message_id=message_id,
        sender=_address(address),
        sender_name=_clean(name)[:150],
        subject=_header(msg, "Subject")[:255],
        to=_addresses(msg, "To", "Delivered-To", "X-Original-To", "Envelope-To"),
        cc=_addresses(msg, "Cc"),
        in_reply_to=_ids(_header(msg, "In-Reply-To")),
        references=_ids(_header(msg, "References")),
        text=text.replace("\x00", ""),
        is_auto=_is_auto(msg),
        bounce_of=_bounce_of(msg),
        headers=headers[:20000],
        attachments=files,
    )


def headers_only(raw: bytes) -> bytes:
    """The header block of a message (up to the first empty line), for the record of one too large to keep."""
    end = re.search(rb"\r?\n\r?\n", raw[: 256 * 1024])
    return raw[: end.start()] if end else raw[: 64 * 1024]
