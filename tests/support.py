"""Plain helpers shared by the tests: logged-in clients, query-count checks, database snapshots, portal URLs, and
what a test does when a real component it needs (Chromium, Redis, Dovecot, Node) is missing.

Fixtures live in the conftest.py files (pytest finds them without imports); test modules import what they use
from here, never from a conftest.
"""

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts.models import User
from apps.tickets.models import (
    Attachment,
    Comment,
    ReferenceSequence,
    Ticket,
    TicketEvent,
    TicketGroupObjectPermission,
    TicketUserObjectPermission,
)

# Real components --------------------------------------------------------------------------------------------------


def component_missing(reason: str, *, tests: str, hint: str = "") -> NoReturn:
    """A real component the test needs is missing: skip it on a developer's machine, fail when CI is set, so that a
    CI machine cannot silently stop testing against it. `tests` names what is skipped ("browser tests")."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, and CI is set: {tests} must run on CI machines.")
    pytest.skip(f"{reason}: {tests} skipped{f' ({hint})' if hint else ''}.")


# Clients ----------------------------------------------------------------------------------------------------------


def logged_in(user: User) -> Client:
    """A browser with `user`'s session: the back office or the portal."""
    browser = Client()
    browser.force_login(user)
    return browser


def jwt_client(user: User | None) -> APIClient:
    """A client sending `Authorization: Bearer <access token>` for `user` (no header for None), as programs do."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def reset_throttles() -> None:
    """Throttle counters live in the cache, which outlives a test."""
    cache.clear()


def references(response) -> list[str]:
    """The ticket references of an API list response, in order."""
    return [row["reference"] for row in response.json()["results"]]


# Query counts -----------------------------------------------------------------------------------------------------


def count_queries(action: Callable[[], Any]) -> int:
    """How many database queries `action()` runs."""
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


@dataclass(frozen=True)
class Measured:
    """What assert_constant_queries saw: the query count (the same at both sizes) and what `request` returned."""

    queries: int
    few: Any
    many: Any


def assert_constant_queries(
    request: Callable[[], Any],
    *,
    add_rows: Callable[[int], object],
    rows: tuple[int, int] = (2, 30),
    existing: int = 0,
    status: int | None = 200,
) -> Measured:
    """Assert that `request()` runs as many queries with rows[0] rows as with rows[1] rows (no query per row).

    `add_rows(n)` adds n rows; `existing` of the rows[0] are there already (made by fixtures or by the test).
    `request` is run once at each size; each of its results must be a response with status code `status`
    (None when `request` returns something else). A test that needs per-process caches warm (content types,
    the site's permissions) runs `request` once before calling this.
    """
    few, many = rows
    if few > existing:
        add_rows(few - existing)
    with CaptureQueriesContext(connection) as at_few:
        first = request()
    add_rows(many - few)
    with CaptureQueriesContext(connection) as at_many:
        last = request()
    if status is not None:
        codes = (first.status_code, last.status_code)
        assert codes == (status, status), f"status codes {codes} at {few} and {many} rows, expected {status}"
    assert len(at_few) == len(at_many), f"{len(at_few)} queries at {few} rows, {len(at_many)} at {many} rows"
    return Measured(queries=len(at_few), few=first, many=last)


# Database snapshots -----------------------------------------------------------------------------------------------


def db_state() -> dict:
    """Everything a ticket, user, grant or import write could change: compare it before and after a refusal."""
    return {
        "tickets": list(Ticket.objects.order_by("pk").values()),
        "comments": list(Comment.objects.order_by("pk").values()),
        "attachments": list(Attachment.objects.order_by("pk").values()),
        "events": list(TicketEvent.objects.order_by("pk").values_list("pk", "kind", "data")),
        "user grants": TicketUserObjectPermission.objects.count(),
        "group grants": TicketGroupObjectPermission.objects.count(),
        "users": list(User.objects.order_by("pk").values_list("pk", "role", "is_active", "last_login")),
        "groups": list(Group.objects.order_by("pk").values_list("pk", "user")),
        "reference sequences": list(ReferenceSequence.objects.order_by("name").values_list("name", "value")),
    }


# The portal, as requesters see it ---------------------------------------------------------------------------------

PDF = b"%PDF-1.4 a small pdf"


def detail_url(ticket) -> str:
    return reverse("portal:ticket_detail", args=[ticket.pk])


def reply_url(ticket) -> str:
    return reverse("portal:ticket_reply", args=[ticket.pk])


def transition_url(ticket) -> str:
    return reverse("portal:ticket_transition", args=[ticket.pk])


def run_at_once(count: int, action: Callable[[int], Any]) -> list[Any]:
    """Run `action(0)` ... `action(count - 1)` in `count` threads released together by a barrier; each thread
    closes its own database connection. Returns the results (in finishing order); any exception fails the test."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(action(n))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def field_errors(response) -> dict:
    """The field (or query parameter, or header) messages of a 400: the `errors` of its problem document."""
    body = response.json()
    assert (response["Content-Type"], body["status"]) == ("application/problem+json", response.status_code)
    return body["errors"]
