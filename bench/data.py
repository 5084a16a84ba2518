"""Bulk data for the benchmarks: N tickets over 10 departments and 500 requesters, with their real grants."""

import contextlib
import random
import statistics
import time

from django.db import transaction

BATCH = 5000


@contextlib.contextmanager
def throwaway_database(fill_fn, tickets: int, *, keep: bool = False, reuse_fn=None):
    """A fresh test database filled by `fill_fn(tickets)` (and VACUUM ANALYZEd on PostgreSQL); destroyed afterwards.

    Yields what `fill_fn` returned; prints the database, the size and the fill time. With `keep` the database
    stays for the next run, which yields `reuse_fn()` instead of filling it again when it holds tickets.
    """
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=not keep, serialize=False, keepdb=keep)
    if keep and reuse_fn is not None:
        reused = reuse_fn()
        if reused is not None:
            print(f"database: {connection.vendor}; kept from an earlier run")
            yield reused
            return
    try:
        start = time.perf_counter()
        result = fill_fn(tickets)
        fill_s = time.perf_counter() - start
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(f"database: {connection.vendor}; tickets: {tickets:,}; fill: {fill_s:.1f} s")
        yield result
    finally:
        if not keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def timed(fn, repeat: int = 20) -> tuple[float, float]:
    """Median and maximum wall time of `fn()` over `repeat` runs, in milliseconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def fill(n: int, *, password: str | None = None):
    """Create the departments, one agent of the first department, 500 requesters and `n` tickets.

    Uses the batched path (reference_allocate(count=...) + grants_for_new_tickets) that large imports use.
    Returns (agent, a requester).
    """
    from apps.accounts.choices import Role
    from apps.accounts.services import user_create
    from apps.departments.services import department_create, user_create_with_departments
    from apps.tickets.choices import Priority, Status
    from apps.tickets.models import Ticket
    from apps.tickets.permissions import grants_for_new_tickets
    from apps.tickets.services import reference_allocate

    rng = random.Random(7)  # noqa: S311 - deterministic benchmark data, not security
    departments = [department_create(name=f"Dept {i}", is_default=i == 0) for i in range(10)]
    agent = user_create_with_departments(
        username="agent", email="agent@example.com", password=password, role=Role.AGENT, departments=[departments[0]]
    )
    requesters = [user_create(username=f"r{i}", email=f"r{i}@example.com") for i in range(500)]
    for start in range(0, n, BATCH):
        size = min(BATCH, n - start)
        refs = reference_allocate(count=size)
        with transaction.atomic():
            tickets = Ticket.objects.bulk_create(
                Ticket(
                    reference=ref,
                    title=f"Ticket {ref}",
                    description="x",
                    department=rng.choice(departments),
                    requester=rng.choice(requesters),
                    status=rng.choice(Status.values),
                    priority=rng.choice(Priority.values),
                )
                for ref in refs
            )
            grants_for_new_tickets(tickets)
    return agent, requesters[0]
