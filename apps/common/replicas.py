"""Read replicas: list and report reads go to a PostgreSQL streaming replica, everything else to the primary.

Off unless DATABASE_REPLICA_URL is set (config/settings.py adds the `replica` database alias, this router and
the middleware). Then:
- `ReplicaReadsMiddleware` lets a GET or HEAD request read from the replica when its path is a list or a
  report (DATABASE_REPLICA_PATHS, a regular expression; by default the API's ticket list, statistics and
  reports, the back office's start page, its ticket list and its reports), unless the client wrote
  something within the last DATABASE_REPLICA_PIN_SECONDS (a cookie set by every request that was not
  GET/HEAD/OPTIONS): a client that has just written reads its own write from the primary, whatever the
  replica's lag.
- `ReplicaRouter` sends those reads to the replica, but never inside a transaction and never after the
  request has written anything (read-after-write within the request). Writes and migrations always go to
  the primary; code outside a request (workers, commands) reads from the primary unless it asks with
  `replica_reads()`.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PIN_COOKIE = "db_pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_replica_allowed: ContextVar[bool] = ContextVar("replica_reads_allowed", default=False)
_wrote: ContextVar[bool] = ContextVar("primary_written", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in the block may go to the replica (outside transactions, until something is written)."""
    allowed, wrote = _replica_allowed.set(True), _wrote.set(False)
    try:
        yield
    finally:
        _replica_allowed.reset(allowed)
        _wrote.reset(wrote)


class ReplicaRouter:
    """Reads allowed by `replica_reads` go to the replica; writes, transactions and migrations to the primary."""

    def db_for_read(self, model, **hints):
        if (
            _replica_allowed.get()
            and not _wrote.get()
            and replica_configured()
            and not connections["default"].in_atomic_block
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        _wrote.set(True)
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadsMiddleware:
    """GET/HEAD requests of lists and reports read from the replica; a client that wrote recently is pinned
    to the primary for DATABASE_REPLICA_PIN_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.paths = re.compile(settings.DATABASE_REPLICA_PATHS)
        self.pin_seconds = settings.DATABASE_REPLICA_PIN_SECONDS

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            response = self.get_response(request)
            response.set_cookie(PIN_COOKIE, "1", max_age=self.pin_seconds, httponly=True, samesite="Lax")
            return response
        if request.method == "OPTIONS" or PIN_COOKIE in request.COOKIES or not self.paths.search(request.path):
            return self.get_response(request)
        with replica_reads():
            return self.get_response(request)
