"""Benchmark: the back office's dashboard with 100,000 tickets.

Creates a throw-away test database (SQLite in memory, or `test_<name>` on PostgreSQL when DATABASE_URL points
there), fills it through the batched path (`reference_allocate(count=…)` + `grants_for_new_tickets`) with N
tickets spread over three years, 10 departments, 40 agents and all statuses (first responses and resolutions
included), then counts them into the figures (`stats_rebuild`, timed: the batched fill writes no events), then
times the dashboard's figures (apps.tickets.dashboard.dashboard_context) and the whole start
page (GET /admin/, rendered) for an admin and for an agent of one department. Median and maximum of 20 runs,
and the number of queries.

    .venv/bin/python bench/bench_dashboard.py [--tickets 100000]
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.data import throwaway_database, timed  # noqa: E402


def fill(n: int, *, grants: bool = True):
    """`grants=False` skips the tickets' permission rows (nothing measured here reads them for an agent's figures)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.accounts.services import user_create
    from apps.departments.services import department_create, user_create_with_departments
    from apps.tickets.aggregates import stats_rebuild
    from apps.tickets.choices import OPEN_STATUSES, Priority, Status
    from apps.tickets.models import Ticket
    from apps.tickets.permissions import grants_for_new_tickets
    from apps.tickets.services import reference_allocate

    rng = random.Random(7)  # noqa: S311 - deterministic test data, not security
    departments = [department_create(name=f"Dept {i}", is_default=i == 0) for i in range(10)]
    agents = [
        user_create_with_departments(
            username=f"agent{i}", email=f"agent{i}@example.com", role=Role.AGENT, departments=[departments[i % 10]]
        )
        for i in range(40)
    ]
    admin = user_create(username="boss", email="boss@example.com", role=Role.ADMIN)
    unusable = make_password(None)
    User.objects.bulk_create(
        User(username=f"r{i}", email=f"r{i}@example.com", role=Role.REQUESTER, password=unusable) for i in range(500)
    )
    requesters = list(User.objects.filter(role=Role.REQUESTER).values_list("pk", flat=True))
    now = timezone.now()
    batch = 5000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        refs = reference_allocate(count=size)
        tickets = []
        for ref in refs:
            department = rng.randrange(10)
            status = rng.choice(Status.values)
            created = now - timedelta(minutes=rng.randrange(1, 3 * 365 * 24 * 60))
            responded = created + timedelta(minutes=rng.randrange(5, 3 * 24 * 60)) if rng.random() < 0.8 else None
            resolved = closed = None
            if status in (Status.RESOLVED, Status.CLOSED):
                resolved = created + timedelta(hours=rng.randrange(1, 24 * 14))
                closed = resolved + timedelta(hours=24) if status == Status.CLOSED else None
            if responded and responded > now:
                responded = now
            if resolved and resolved > now:
                resolved, closed = now, (now if closed else None)
            tickets.append(
                Ticket(
                    reference=ref,
                    title=f"Ticket {ref}",
                    description="x",
                    department=departments[department],
                    requester_id=rng.choice(requesters),
                    assignee=rng.choice(agents[department::10]) if rng.random() < 0.7 else None,
                    status=status,
                    priority=rng.choice(Priority.values),
                    created_at=created,
                    updated_at=created,
                    first_responded_at=responded,
                    resolved_at=resolved if status not in OPEN_STATUSES else None,
                    closed_at=closed,
                )
            )
        with transaction.atomic():
            created = Ticket.objects.bulk_create(tickets)
            if grants:
                grants_for_new_tickets(created)
    with transaction.atomic():
        started = time.perf_counter()
        days, opens = stats_rebuild()
        print(f"figures recounted: {days:,} day rows, {opens:,} open counts in {time.perf_counter() - started:.1f} s")
    return admin, agents[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()

    from apps.tickets.dashboard import dashboard_context

    with throwaway_database(fill, args.tickets) as (admin, agent):
        for label, user in (("admin (all tickets)", admin), ("agent (1 of 10 departments)", agent)):
            browser = Client()
            browser.force_login(user)
            browser.get("/admin/")  # warm up
            with CaptureQueriesContext(connection) as queries:
                figures = dashboard_context(user)
            query_count = len(queries)  # now: the page loads below reset the connection's query log
            callback = timed(lambda user=user: dashboard_context(user))
            page = timed(lambda browser=browser: browser.get("/admin/"))
            print(
                f"{label:28} open {figures['open']['total']:,}; figures: median {callback[0]:.0f} ms "
                f"(max {callback[1]:.0f}), {query_count} queries; whole page: median {page[0]:.0f} ms "
                f"(max {page[1]:.0f})"
            )


if __name__ == "__main__":
    main()
