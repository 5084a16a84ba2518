"""Benchmark: the dashboard and the reports, read from the aggregates, beside the trivial "hello" view.

The same data as bench/bench_dashboard.py (N tickets over three years, 10 departments, 40 agents, every status;
the figures counted once with `stats_rebuild`, whose time is printed). Requests go through Django's test client
in this process with `bench.settings` (the test environment's template instrumentation off, as on a server).
Each row: median and maximum wall time and median CPU time over 20 requests, and the queries of one request.

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_reports.py [--tickets 1000000] [--no-grants]
        [--sql-fill] [--keep] [--fold] [--explain]

--fold folds the figures' past days (stats_fold_days, as the daily task does) before measuring; --explain prints,
for the admin's 12-month reports, the day rows each query of the figures reads and its time in EXPLAIN ANALYZE.
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


def explain(label: str, fn) -> None:
    """EXPLAIN ANALYZE each query of `fn()` that reads the day figures: the rows its scan returned and its time."""
    captured = []
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: (
            captured.append((sql, params)) or execute(sql, params, many, context)
        )
    ):
        fn()
    with connection.cursor() as cursor:
        for sql, params in captured:
            if "ticketdaystat" not in sql:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0][0]
            scans = []

            def walk(node, scans=scans):
                if "Scan" in node["Node Type"] and "ticketdaystat" in node.get("Relation Name", ""):
                    scans.append(node["Actual Rows"] * node["Actual Loops"])
                for child in node.get("Plans", []):
                    walk(child)

            walk(plan["Plan"])
            print(f"{label}: {sum(scans):,} day rows read, {plan['Execution Time']:.1f} ms (EXPLAIN ANALYZE)")


# One INSERT … SELECT over generate_series: the same shape of data as bench_dashboard.fill, written by PostgreSQL
# itself into the table without its secondary indexes, which are built afterwards (_drop_ticket_indexes).
SQL_FILL = """
WITH raw AS (
    SELECT n, random() AS r_dept, random() AS r_status, random() AS r_prio, random() AS r_agent, random() AS r_resp,
           random() AS r_req, now() - (random() * interval '1095 days') - interval '1 minute' AS created
    FROM generate_series(1, %(n)s) AS n
), shaped AS (
    SELECT n, created,
           (%(departments)s)[1 + floor(r_dept * 10)::int] AS department_id,
           (ARRAY['new','open','in_progress','waiting','resolved','closed'])[1 + floor(r_status * 6)::int] AS status,
           (ARRAY['low','normal','high','urgent'])[1 + floor(r_prio * 4)::int] AS priority,
           r_agent, r_resp, r_req, r_prio, floor(r_dept * 10)::int AS d
    FROM raw
)
INSERT INTO tickets_ticket (reference, title, description, status, priority, category, requester_id, department_id,
    assignee_id, language, source, first_responded_at, resolved_at, closed_at, sla_paused, created_at, updated_at,
    version, external_source, external_id)
SELECT 'B-' || n, 'Ticket B-' || n, 'x', status, priority, 'question',
       (%(requesters)s)[1 + floor(r_req * %(requester_count)s)::int], department_id,
       CASE WHEN r_agent < 0.7 THEN (%(agents)s)[1 + d + 10 * floor(r_agent / 0.7 * 4)::int] END, '', 'portal',
       CASE WHEN r_resp < 0.8 THEN LEAST(now(), created + (r_resp * interval '3 days') + interval '5 minutes') END,
       CASE WHEN status IN ('resolved', 'closed')
            THEN LEAST(now(), created + r_prio * interval '14 days' + interval '1 hour') END,
       CASE WHEN status = 'closed' THEN LEAST(now(), created + r_prio * interval '14 days' + interval '25 hours') END,
       interval '0', created, created, 1, '', ''
FROM shaped
"""


def _drop_ticket_indexes(cursor) -> list[str]:
    """Drop the tickets' indexes and unique constraints except the primary key (which other tables' keys need);
    return the statements that create them again. Building each index once after the insert is several times
    faster than keeping all of them up to date row by row."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'tickets_ticket'::regclass AND contype = 'u'"
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = current_schema() AND tablename = 'tickets_ticket'"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'tickets_ticket'::regclass)"
    )
    indexes = cursor.fetchall()
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE tickets_ticket DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE tickets_ticket ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints
    ]


def fill_sql(n: int):
    """Departments, agents and requesters as bench_dashboard.fill, the tickets by SQL, then the figures counted."""
    from django.db import transaction

    from apps.accounts.models import User
    from apps.departments.models import Department
    from apps.tickets.aggregates import stats_rebuild

    admin, agent = fill(0)
    departments = list(Department.objects.order_by("pk").values_list("pk", flat=True))
    agents = list(User.objects.filter(username__startswith="agent").order_by("pk").values_list("pk", flat=True))
    requesters = list(User.objects.filter(role="requester").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        started = time.perf_counter()
        rebuild = _drop_ticket_indexes(cursor)
        # The foreign keys' deferred checks would queue three trigger events a ticket until the commit (30 million
        # at 10,000,000); the ids come from the rows read above, so the checks are skipped for this statement.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            SQL_FILL,
            {
                "n": n,
                "departments": departments,
                "agents": agents,
                "requesters": requesters,
                "requester_count": len(requesters),
            },
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        inserted = time.perf_counter()
        print(f"tickets written: {n:,} in {inserted - started:.1f} s", flush=True)
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for statement in rebuild:
            cursor.execute(statement)
        cursor.execute("RESET maintenance_work_mem")
        print(f"indexes rebuilt: {len(rebuild)} in {time.perf_counter() - inserted:.1f} s", flush=True)
    with transaction.atomic():
        started = time.perf_counter()
        days, opens = stats_rebuild()
        print(f"figures recounted: {days:,} day rows, {opens:,} open counts in {time.perf_counter() - started:.1f} s")
    return admin, agent


def _kept_users():
    """The admin and the agent measured, from a database kept by an earlier run (None when it holds no tickets)."""
    from apps.accounts.models import User
    from apps.tickets.models import Ticket

    if not Ticket.objects.exists():
        return None
    return User.objects.get(username="boss"), User.objects.get(username="agent0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--no-grants", action="store_true", help="Skip the permission rows: a faster fill.")
    parser.add_argument("--sql-fill", action="store_true", help="PostgreSQL: write the tickets by one SQL statement.")
    parser.add_argument(
        "--keep", action="store_true", help="Keep the database for the next run, which measures it without a fill."
    )
    parser.add_argument("--fold", action="store_true", help="Fold the figures' past days before measuring.")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the figures' queries of the admin's 12-month reports."
    )
    args = parser.parse_args()

    from django.utils import timezone

    from apps.tickets.dashboard import dashboard_context
    from tests.support import jwt_client

    fill_fn = fill_sql if args.sql_fill else partial(fill, grants=not args.no_grants)
    with throwaway_database(fill_fn, args.tickets, keep=args.keep, reuse_fn=_kept_users) as (admin, agent):
        if args.fold:
            from apps.tickets.aggregates import stats_fold_days
            from apps.tickets.models import TicketDayStat

            rows = TicketDayStat.objects.count()
            started, cpu = time.perf_counter(), time.process_time()
            removed = stats_fold_days()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"figures folded: {rows:,} day rows, {removed:,} removed in {wall:.1f} s ({cpu * 1000:.0f} ms CPU)")
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE tickets_ticketdaystat")
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
        if args.explain:
            admin_api = jwt_client(admin)
            for kind, extra in (("volume", {"group": "day"}), ("response", {"group": "week"}), ("agents", {})):
                explain(
                    f"admin: 12-month {kind}",
                    lambda k=kind, e=extra: admin_api.get(f"/api/stats/reports/{k}/", {**year, **e}),
                )
        print(f"{'':44} {'median':>8} {'max':>8} {'CPU':>8} {'queries':>7}")
        for name, fn in rows:
            r = measure(fn)
            print(f"{name:44} {r['wall']:8.1f} {r['max']:8.1f} {r['cpu']:8.1f} {r['q']:7d}")


if __name__ == "__main__":
    main()
