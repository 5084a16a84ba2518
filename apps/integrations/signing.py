"""Webhook secrets and signatures, per the Standard Webhooks convention.

A secret is `whsec_` + base64 of 32 random bytes, shown once when an endpoint is created. It is stored
encrypted with Fernet (AES-128-CBC + HMAC-SHA256), because the server must read it back to sign; the key is
WEBHOOK_ENCRYPTION_KEY when set (a Fernet key), otherwise one derived from SECRET_KEY (then changing
SECRET_KEY makes the stored secrets unreadable: endpoints need new secrets). Nothing here logs a secret.

Each request carries `webhook-id` (the message id, the same on every retry), `webhook-timestamp` (Unix
seconds of this attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
"""

import base64
import hashlib
import hmac
import secrets as random

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SECRET_PREFIX = "whsec_"  # noqa: S105 (the convention's prefix, not a secret)
MESSAGE_PREFIX = "msg_"


def _fernet() -> Fernet:
    key = settings.WEBHOOK_ENCRYPTION_KEY
    if not key:
        digest = hashlib.sha256(b"ticket-system webhook secrets|" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    try:
        return Fernet(key)
    except ValueError as exc:
        raise ImproperlyConfigured("WEBHOOK_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64 bytes).") from exc


def new_secret() -> str:
    """A fresh signing secret, in the form receivers' libraries expect."""
    return SECRET_PREFIX + base64.b64encode(random.token_bytes(32)).decode()


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(stored: str) -> str:
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured("A webhook secret cannot be decrypted: was the encryption key changed?") from None


def new_message_id() -> str:
    return MESSAGE_PREFIX + random.token_hex(12)


def signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one attempt."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(*, secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret=secret, message_id=message_id, timestamp=timestamp, body=body),
    }
