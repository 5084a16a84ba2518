"""Who acts and from where, without passing the request through every service.

`AuditRequestMiddleware` keeps the current request in a context variable for the length of the request. The
recorder reads `request.user` when it writes an entry, not when the request arrives, so the user that DRF's
JWT authentication finds (it sets it on the underlying HttpRequest) is seen as well as the session's.
Outside a request (management commands, workers) there is none: the services' explicit `actor`, or the
system, is recorded; `acting(actor=...)` sets one for a block of code (a command run on someone's behalf).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest

from apps.common.addresses import client_address

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_actor: ContextVar[object | None] = ContextVar("audit_actor", default=None)


class AuditRequestMiddleware:
    """Makes the request available to the audit recorder (after AuthenticationMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


@contextmanager
def acting(*, actor):
    """Record `actor` as the one who acts for the changes made in this block (outside a request)."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor(explicit=None):
    """The explicit actor, else the block's (`acting`), else the request's authenticated user, else None."""
    if explicit is not None:
        return explicit
    actor = _actor.get()
    if actor is not None:
        return actor
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and user.is_authenticated:
        return user
    return None


def current_address() -> str:
    """The client's address of the current request; empty outside a request."""
    request = _request.get()
    return client_address(request) if request is not None else ""
