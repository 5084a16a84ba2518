"""Bulk data for the benchmarks: N tickets over 10 departments and 500 requesters, with their real grants."""

import random
import statistics
import time

from django.db import transaction

BATCH = 5000


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
    from apps.departments.services import department_create
    from apps.tickets.choices import Priority, Status
    from apps.tickets.models import Ticket
    from apps.tickets.permissions import grants_for_new_tickets
    from apps.tickets.services import reference_allocate

    rng = random.Random(7)  # noqa: S311 - deterministic benchmark data, not security
    departments = [department_create(name=f"Dept {i}", is_default=i == 0) for i in range(10)]
    agent = user_create(
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
