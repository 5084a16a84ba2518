"""`Idempotency-Key` on POST (IETF draft "The Idempotency-Key HTTP Header Field"): a client that retries a POST
with the same key and the same body within IDEMPOTENCY_KEY_TTL seconds (24 h) gets the first answer again, and
nothing is done twice.

- The key is the caller's: it is stored per user, so two callers never share one.
- The same key with a different request (method, path, query, media type or body) is a 422.
- The same key while the first request is still running is a 409 (retry later).
- Answers are kept unless they were 5xx, 401 or 429, which say "try again" (the key is then free again).
- A replayed answer carries `Idempotent-Replayed: true`.

Records live in Django's cache, like the throttles' counters: a deployment with several processes configures a
shared cache (REDIS_URL), or each process keeps its own records.
"""

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# A request holds its key at most this long (seconds) while it runs; a crashed one frees it after.
PENDING_SECONDS = 300
# Answers that say "try again" are not kept: the retry is done afresh.
NOT_KEPT = frozenset({status.HTTP_401_UNAUTHORIZED, status.HTTP_429_TOO_MANY_REQUESTS})
KEPT_HEADERS = ("Location", "ETag")


class KeyReusedForAnotherRequest(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was used for a different request. Use a new key for a new request.")
    default_code = "idempotency_key_reused"


class KeyInUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is still being processed. Retry in a moment.")
    default_code = "idempotency_key_in_use"


class Replayed(Exception):
    """Raised by the view's `initial` to answer with the stored response (see SafeViewMixin.handle_exception)."""

    def __init__(self, response: Response):
        self.response = response


@dataclass
class Claim:
    """A key this request holds while it runs; `finish` stores its answer (or frees the key)."""

    cache_key: str
    fingerprint: str

    def release(self) -> None:
        cache.delete(self.cache_key)

    def finish(self, response) -> None:
        if response.status_code >= 500 or response.status_code in NOT_KEPT:
            self.release()
            return
        data = None if response.data is None else json.loads(JSONRenderer().render(response.data))
        record = {
            "state": "done",
            "fingerprint": self.fingerprint,
            "status": response.status_code,
            "data": data,
            "headers": {name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
        }
        cache.set(self.cache_key, record, timeout=settings.IDEMPOTENCY_KEY_TTL)


def request_key(request) -> str | None:
    """The Idempotency-Key of a POST (None when there is none), or a 400 when it is malformed."""
    if request.method != "POST":
        return None
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [_("Give 1 to %(max)d printable ASCII characters.") % {"max": MAX_KEY_LENGTH}]}
        )
    return key


def fingerprint(request) -> str:
    """What makes two requests the same: method, path and query, media type and body (read before parsing)."""
    digest = hashlib.sha256()
    for part in (request.method, request.get_full_path(), request.META.get("CONTENT_TYPE", "")):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def idempotency_begin(request, *, key: str, fingerprint: str) -> Claim:
    """Hold `key` for this request, or raise: Replayed (the first answer), 422 (another request) or 409."""
    scope = hashlib.sha256(f"{request.user.pk}:{key}".encode()).hexdigest()[:40]
    cache_key = f"idempotency:{scope}"
    if cache.add(cache_key, {"state": "pending", "fingerprint": fingerprint}, timeout=PENDING_SECONDS):
        return Claim(cache_key=cache_key, fingerprint=fingerprint)
    record = cache.get(cache_key)
    if record is None:  # it expired between the two calls: take it now
        cache.set(cache_key, {"state": "pending", "fingerprint": fingerprint}, timeout=PENDING_SECONDS)
        return Claim(cache_key=cache_key, fingerprint=fingerprint)
    if record["fingerprint"] != fingerprint:
        raise KeyReusedForAnotherRequest()
    if record["state"] == "pending":
        raise KeyInUse()
    headers = {**record["headers"], REPLAYED_HEADER: "true"}
    raise Replayed(Response(record["data"], status=record["status"], headers=headers))
