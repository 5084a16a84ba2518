"""Benchmark: the visibility selector and the first changelist page at scale.

Creates a throw-away test database (SQLite in memory, or `test_<name>` on PostgreSQL when DATABASE_URL
points there), fills it with N tickets spread over departments with their real grants, then times the
queries every list page runs: the first 25 visible tickets, newest first, and a filtered count. Then the
agent's pages further down, with the grants checked row by row (`first_rows=True`) and as a set: where
the two cross is where the API stops checking row by row (`FIRST_ROWS`).

    .venv/bin/python bench/bench_visibility.py [--tickets 100000]
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()


from bench.data import throwaway_database, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()

    from apps.tickets.selectors import tickets_visible_to
    from bench.data import fill

    with throwaway_database(fill, args.tickets) as (agent, requester):
        for label, user in (("agent (1 of 10 departments)", agent), ("requester", requester)):
            qs = tickets_visible_to(user).select_related("department", "requester", "assignee")
            page = timed(lambda qs=qs: list(qs.order_by("-created_at", "-id")[:25]))
            count = timed(lambda qs=qs: qs.filter(status="open").count())
            print(
                f"{label:30} first page of 25: median {page[0]:.1f} ms (max {page[1]:.1f}); "
                f"open count: median {count[0]:.1f} ms (max {count[1]:.1f})"
            )
        print("agent, 25 rows after the first N, grants checked row by row / as a set (median ms):")
        for offset in (0, 100, 250, 1000):
            medians = []
            for first_rows in (True, False):
                qs = tickets_visible_to(agent, first_rows=first_rows).order_by("-created_at", "-id")
                medians.append(timed(lambda qs=qs, offset=offset: list(qs[offset : offset + 25]))[0])
            print(f"  N = {offset:5}: {medians[0]:6.1f} / {medians[1]:6.1f}")


if __name__ == "__main__":
    main()
