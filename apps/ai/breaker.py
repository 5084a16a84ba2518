"""A circuit breaker around every call of the AI provider (triage and translation).

Closed: calls go through; AI_BREAKER_FAILURES consecutive failures within AI_BREAKER_WINDOW seconds open it.
Open: for AI_BREAKER_COOLDOWN seconds no call goes out, each raises CircuitOpen at once (triage marks the insight
failed with the reason, translation answers "try again later", the API with 503 and Retry-After). Half-open:
after the cool-down one trial call is let through; its success closes the breaker, its failure opens it again.
Only failures that say the provider is unhealthy count (ProviderError.trips_breaker: not a rejected request,
not "this provider cannot translate"). AI_BREAKER_FAILURES=0 turns the breaker off.

The state lives in Django's cache, per provider name: shared by every web and worker process with Redis
(REDIS_URL); with the local-memory cache (no REDIS_URL) each process has its own breaker.
"""

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from .providers.base import CircuitOpen, ProviderError


def _now() -> float:
    return time.time()


def _keys(name: str) -> tuple[str, str, str]:
    prefix = f"ai-breaker:{name}"
    return f"{prefix}:failures", f"{prefix}:open-until", f"{prefix}:trial"


@dataclass(frozen=True)
class BreakerState:
    """What the back office shows: consecutive failures counted, and when the breaker opened until (or None)."""

    failures: int
    open_until: float | None

    @property
    def is_open(self) -> bool:
        return self.open_until is not None and _now() < self.open_until

    @property
    def is_half_open(self) -> bool:
        return self.open_until is not None and not self.is_open

    @property
    def open_until_time(self) -> datetime | None:
        return None if self.open_until is None else datetime.fromtimestamp(self.open_until, tz=UTC)


def state(name: str) -> BreakerState:
    failures_key, open_key, _trial_key = _keys(name)
    values = cache.get_many([failures_key, open_key])
    return BreakerState(failures=values.get(failures_key) or 0, open_until=values.get(open_key))


def _refuse(until: float) -> CircuitOpen:
    local = timezone.localtime(datetime.fromtimestamp(until, tz=UTC))
    message = _("AI provider unavailable: circuit open until %(time)s.") % {"time": local.strftime("%H:%M")}
    return CircuitOpen(message, retry_after=max(1, math.ceil(until - _now())))


def _admit(name: str) -> bool:
    """Raise CircuitOpen unless the call may go out; True when it is the half-open state's trial call."""
    _failures_key, open_key, trial_key = _keys(name)
    open_until = cache.get(open_key)
    if open_until is None:
        return False
    if _now() < open_until:
        raise _refuse(open_until)
    # Half-open: the first caller to take the trial (an atomic add) goes; the others wait for its outcome. The
    # trial key expires by itself, so a trial whose process died does not keep the breaker half-open for ever.
    if cache.add(trial_key, 1, timeout=max(1, settings.AI_BREAKER_COOLDOWN)):
        return True
    raise _refuse(_now() + settings.AI_TIMEOUT + settings.AI_RETRY_DEADLINE)


def _open(name: str) -> None:
    failures_key, open_key, trial_key = _keys(name)
    cache.set(open_key, _now() + settings.AI_BREAKER_COOLDOWN, timeout=None)
    cache.delete_many([failures_key, trial_key])


def _failed(name: str, *, trial: bool) -> None:
    failures_key, open_key, _trial_key = _keys(name)
    if trial:
        _open(name)
        return
    if cache.get(open_key) is not None:
        return  # a call that went out before the breaker opened: it is open already
    cache.add(failures_key, 0, timeout=max(1, settings.AI_BREAKER_WINDOW))
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # the window ended between add and incr
        cache.set(failures_key, 1, timeout=max(1, settings.AI_BREAKER_WINDOW))
        failures = 1
    if failures >= settings.AI_BREAKER_FAILURES:
        _open(name)


def _succeeded(name: str, *, trial: bool) -> None:
    failures_key, open_key, trial_key = _keys(name)
    if trial:
        cache.delete_many([failures_key, open_key, trial_key])
    elif cache.get(failures_key):
        cache.delete(failures_key)


def call(name: str, method, *args, **kwargs):
    """`method(*args, **kwargs)` (a call of provider `name`) through the breaker; raises CircuitOpen when open."""
    if settings.AI_BREAKER_FAILURES <= 0:
        return method(*args, **kwargs)
    trial = _admit(name)
    try:
        result = method(*args, **kwargs)
    except ProviderError as exc:
        if exc.trips_breaker:
            _failed(name, trial=trial)
        elif trial:
            cache.delete(_keys(name)[2])  # the trial said nothing about the provider: the next call tries again
        raise
    except BaseException:
        if trial:
            cache.delete(_keys(name)[2])
        raise
    _succeeded(name, trial=trial)
    return result
