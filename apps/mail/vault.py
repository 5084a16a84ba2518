"""Mailbox passwords at rest: Fernet (AES + HMAC) with a key derived from MAIL_SECRET_KEY, else SECRET_KEY.

Only the poller decrypts, right before it logs in; nothing shows, logs or returns the clear text.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    secret = settings.MAIL_SECRET_KEY or settings.SECRET_KEY
    key = hashlib.sha256(b"ticket-system mailbox password\0" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(clear: str) -> str:
    return _fernet().encrypt(clear.encode()).decode() if clear else ""


class UnreadablePassword(Exception):
    """The stored password was encrypted with another key (MAIL_SECRET_KEY changed): enter it again."""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UnreadablePassword from None
