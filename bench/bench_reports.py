"""Benchmark: the dashboard and the reports, read from the aggregates, beside the trivial "hello" view.

The same data as bench/bench_dashboard.py (N tickets over three years, 10 departments, 40 agents, every status;
the figures counted once with `stats_rebuild`, whose time is printed). Requests go through Django's test client
in this process with `bench.settings` (the test environment's template instrumentation off, as on a server).
Each row: median and maximum wall time and median CPU time over 20 requests, and the queries of one request.

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_reports.py [--tickets 1000000] [--no-grants]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.bench_dashboard import fill  # noqa: E402
from bench.data import throwaway_database  # noqa: E402


def measure(fn, repeat: int = 20) -> dict:
    fn()  # warm up
    queries = []
    # Counted below the request machinery (which resets Django's own query log at each request).
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: queries.append(sql) or execute(sql, params, many, context)
    ):
        fn()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        response = fn()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        if hasattr(response, "status_code"):
            assert response.status_code == 200, response.status_code
    return {"wall": statistics.median(walls), "max": max(walls), "cpu": statistics.median(cpus), "q": len(queries)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--no-grants", action="store_true", help="Skip the permission rows: a faster fill.")
    args = parser.parse_args()

    from django.utils import timezone

    from apps.tickets.dashboard import dashboard_context
    from tests.support import jwt_client

    with throwaway_database(partial(fill, grants=not args.no_grants), args.tickets) as (admin, agent):
        today = timezone.localdate()
        year = {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()}
        anonymous = Client()
        rows = [("hello (ceiling)", lambda: anonymous.get("/bench/hello/"))]
        for label, user in (("admin", admin), ("agent", agent)):
            browser = Client()
            browser.force_login(user)
            api = jwt_client(user)
            rows += [
                (f"{label}: dashboard figures", lambda user=user: dashboard_context(user)),
                (f"{label}: GET /admin/ (dashboard page)", lambda b=browser: b.get("/admin/")),
                (f"{label}: GET /api/stats/", lambda a=api: a.get("/api/stats/")),
                (
                    f"{label}: 12-month volume by day, API",
                    lambda a=api: a.get("/api/stats/reports/volume/", {**year, "group": "day"}),
                ),
                (
                    f"{label}: 12-month response by week, API",
                    lambda a=api: a.get("/api/stats/reports/response/", {**year, "group": "week"}),
                ),
                (f"{label}: 12-month per agent, API", lambda a=api: a.get("/api/stats/reports/agents/", year)),
                (
                    f"{label}: 12-month volume by day, page",
                    lambda b=browser: b.get("/admin/tickets/ticket/reports/", {**year, "kind": "volume"}),
                ),
                (
                    f"{label}: 12-month volume by day, CSV",
                    lambda b=browser: b.get("/admin/tickets/ticket/reports/", {**year, "format": "csv"}),
                ),
            ]
        print(f"{'':44} {'median':>8} {'max':>8} {'CPU':>8} {'queries':>7}")
        for name, fn in rows:
            r = measure(fn)
            print(f"{name:44} {r['wall']:8.1f} {r['max']:8.1f} {r['cpu']:8.1f} {r['q']:7d}")


if __name__ == "__main__":
    main()
