"""Benchmark: the visibility selector and the first changelist page at scale.

Creates a throw-away test database (SQLite in memory, or `test_<name>` on PostgreSQL when DATABASE_URL
points there), fills it with N tickets spread over departments with their real grants, then times the
queries every list page runs: the first 25 visible tickets, newest first, and a filtered count.

    .venv/bin/python bench/bench_visibility.py [--tickets 100000]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def timed(fn, repeat: int = 20) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def fill(n: int):
    import random

    from apps.accounts.choices import Role
    from apps.accounts.services import user_create
    from apps.departments.services import department_create
    from apps.tickets.choices import Priority, Status
    from apps.tickets.models import Ticket
    from apps.tickets.permissions import grants_for_new_tickets
    from apps.tickets.services import reference_allocate

    rng = random.Random(7)  # noqa: S311 - deterministic test data, not security
    departments = [department_create(name=f"Dept {i}", is_default=i == 0) for i in range(10)]
    agent = user_create(username="agent", email="agent@example.com", role=Role.AGENT, departments=[departments[0]])
    requesters = [user_create(username=f"r{i}", email=f"r{i}@example.com") for i in range(500)]
    batch = 5000
    for start in range(0, n, batch):
        size = min(batch, n - start)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()

    from apps.tickets.selectors import tickets_visible_to

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        start = time.perf_counter()
        agent, requester = fill(args.tickets)
        fill_s = time.perf_counter() - start
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"database: {connection.vendor}; tickets: {args.tickets}; fill: {fill_s:.1f} s")
        for label, user in (("agent (1 of 10 departments)", agent), ("requester", requester)):
            qs = tickets_visible_to(user).select_related("department", "requester", "assignee")
            page = timed(lambda qs=qs: list(qs.order_by("-created_at", "-id")[:25]))
            count = timed(lambda qs=qs: qs.filter(status="open").count())
            print(
                f"{label:30} first page of 25: median {page[0]:.1f} ms (max {page[1]:.1f}); "
                f"open count: median {count[0]:.1f} ms (max {count[1]:.1f})"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
