"""Login and password-reset throttling: small counters per account (or e-mail address) and per client address.

Log-in failures are counted in Django's cache over a fixed window (LOGIN_ATTEMPTS_WINDOW seconds). Once an
account has LOGIN_ATTEMPTS_LIMIT failures, or an address LOGIN_ATTEMPTS_ADDRESS_LIMIT, further attempts are
refused before the password is checked, until the window that started with the first failure ends. A refused
attempt changes nothing: it is not counted, does not extend the window and does not touch the account. The
counters are the same for every way in: the portal's log-in, the back office's (accounts/forms.py) and the
API's token endpoint (accounts/api/serializers.py), so failures on one lock the others too.

Wrong second-factor codes (accounts/two_factor.py: the back office's /admin/2fa/ pages and the token endpoint's
`otp`) count the same way, and also on a third counter per account that only a right code clears: a right
password clears the account's password failures, so without it someone holding the password could log in
again after every few guesses and try the 6 digits for ever.

Password-reset requests are counted the same way (PASSWORD_RESET_EMAIL_LIMIT per e-mail address,
PASSWORD_RESET_ADDRESS_LIMIT per client, over PASSWORD_RESET_WINDOW seconds): past a limit no e-mail is
sent, and the page answers as for any address, so the limit reveals nothing about which accounts exist.

The counters live where the cache lives. The default cache (local memory) keeps them per process, which is
right for one process (`make run`, tests); a deployment with several processes or machines configures a
shared cache (Redis or the database cache) so that all of them count together.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

# The address rule lives in apps.common (the audit log records it too); callers here keep using this name.
from apps.common.addresses import client_address as client_address

KEY_PREFIX = "login-throttle"


@dataclass(frozen=True)
class Lockout:
    """A refusal: how long until the counter that caused it expires."""

    retry_after: int  # seconds


def _key(kind: str, value: str) -> str:
    # Hashed: user names and addresses can hold characters some cache backends refuse in keys.
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{kind}:{digest}"


def _keys(username: str, address: str, *, second_factor: bool = True) -> list[tuple[str, int]]:
    keys = [(_key("address", address), settings.LOGIN_ATTEMPTS_ADDRESS_LIMIT)]
    if username:
        keys.append((_key("account", username.strip().casefold()), settings.LOGIN_ATTEMPTS_LIMIT))
        if second_factor:
            keys.append((_key("second-factor", username.strip().casefold()), settings.LOGIN_ATTEMPTS_LIMIT))
    return keys


def login_lockout(*, username: str, address: str) -> Lockout | None:
    """A Lockout if this account or this address has used up its failures in the current window."""
    now = time.time()
    counters = cache.get_many([key for key, _limit in _keys(username, address)])
    waits = [
        max(1, int(counters[key]["expires"] - now))
        for key, limit in _keys(username, address)
        if key in counters and counters[key]["count"] >= limit and counters[key]["expires"] > now
    ]
    return Lockout(retry_after=max(waits)) if waits else None


def _count(keys: list[str], *, window: int) -> None:
    now = time.time()
    for key in keys:
        counter = cache.get(key)
        if counter is None or counter["expires"] <= now:
            counter = {"count": 0, "expires": now + window}
        counter["count"] += 1
        # Read-modify-write: two simultaneous requests may count as one. A throttle can afford that.
        cache.set(key, counter, timeout=max(1, int(counter["expires"] - now) + 1))


def login_failed(*, username: str, address: str) -> None:
    """Count one failed attempt against the account and the address."""
    keys = _keys(username, address, second_factor=False)
    _count([key for key, _limit in keys], window=settings.LOGIN_ATTEMPTS_WINDOW)


def second_factor_failed(*, username: str, address: str) -> None:
    """Count one wrong second-factor code against the account, the address and the account's code counter."""
    _count([key for key, _limit in _keys(username, address)], window=settings.LOGIN_ATTEMPTS_WINDOW)


def second_factor_succeeded(*, username: str) -> None:
    """Forget the account's failures, wrong codes included (a right code proves more than a right password)."""
    if username:
        name = username.strip().casefold()
        cache.delete_many([_key("account", name), _key("second-factor", name)])


def login_succeeded(*, username: str) -> None:
    """Forget the account's failures (the address keeps its count: one good password must not clear it)."""
    if username:
        cache.delete(_key("account", username.strip().casefold()))


def password_reset_allowed(*, email: str, address: str) -> bool:
    """Count one password-reset request against the e-mail address and the client address, or refuse it.

    False once either has used up its limit in the current window; a refused request is not counted and does
    not extend the window.
    """
    keys = [
        (_key("reset-email", email.strip().casefold()), settings.PASSWORD_RESET_EMAIL_LIMIT),
        (_key("reset-address", address), settings.PASSWORD_RESET_ADDRESS_LIMIT),
    ]
    now = time.time()
    counters = cache.get_many([key for key, _limit in keys])
    if any(
        key in counters and counters[key]["count"] >= limit and counters[key]["expires"] > now for key, limit in keys
    ):
        return False
    _count([key for key, _limit in keys], window=settings.PASSWORD_RESET_WINDOW)
    return True
