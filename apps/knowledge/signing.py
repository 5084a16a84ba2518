"""The signed links of the satisfaction e-mail: one per rating, for one ticket, valid CSAT_LINK_MAX_AGE_DAYS days
and once (the row's `link_nonce` is in the signature and the first use closes the link).

The signature (Django's TimestampSigner, keyed by SECRET_KEY and this module's salt) covers the request's id,
the nonce and the rating, so a link cannot be turned into another ticket's or another rating's link.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

SALT = "knowledge.satisfaction.link"


class LinkInvalid(Exception):
    """The link was altered, is for nothing we know, has expired, or was used already."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "bad", "expired" or "used"


@dataclass(frozen=True)
class LinkData:
    satisfaction_id: int
    nonce: str
    rating: int


def link_token(*, satisfaction, rating: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object(
        {"s": satisfaction.pk, "n": satisfaction.link_nonce, "r": rating}, compress=False
    )


def link_read(token: str) -> LinkData:
    """What a link says, if its signature is good and it has not expired (whether it was used: the service)."""
    max_age = settings.CSAT_LINK_MAX_AGE_DAYS * 86400
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkInvalid("expired") from exc
    except signing.BadSignature as exc:
        raise LinkInvalid("bad") from exc
    try:
        return LinkData(satisfaction_id=int(data["s"]), nonce=str(data["n"]), rating=int(data["r"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid("bad") from exc
