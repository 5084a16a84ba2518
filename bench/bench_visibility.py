"""Benchmark: the visibility selector and the first changelist page at scale.

Creates a throw-away test database (SQLite in memory, or `test_<name>` on PostgreSQL when DATABASE_URL
points there), fills it with N tickets spread over departments with their real grants, then times the
queries every list page runs: the first 25 visible tickets, newest first, and a filtered count.

    .venv/bin/python bench/bench_visibility.py [--tickets 100000]
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.data import timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()

    from apps.tickets.selectors import tickets_visible_to
    from bench.data import fill

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
