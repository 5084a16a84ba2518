"""Benchmark: `manage.py import_tickets` on a generated CSV file (100,000 rows by default).

Creates a throw-away test database (a temporary SQLite file, or `test_<name>` on PostgreSQL when DATABASE_URL
points there) with 10 departments (an SLA policy per priority, round robin in half of them, one routing
rule), 40 agents and 2,000 requesters, writes a CSV file in the column names of another help desk (subject,
body, email, queue, ...) in which one requester in ten has no account yet and one row in ten names no queue
(routed), then runs the import command as an operator would: it checks every row, then imports them all
in one transaction.
Reported: rows per second for the whole command (wall clock), the CPU time the process used (on a machine
shared with other work the wall clock is partly theirs; on PostgreSQL the server's CPU comes on top), and the
process's peak memory (ru_maxrss) before and after the import. Each size runs in a fresh process, so that the
peaks can be compared: memory should not grow with the file.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--rows 10000 ...] [--batch-size 1000]
    BENCH_PROFILE=1 .venv/bin/python bench/bench_import.py --rows 20000   # and the profile of the import
    BENCH_PROFILE=import.prof ...                                          # the same, also saved for pstats
    BENCH_SQL=1 .venv/bin/python bench/bench_import.py --rows 20000       # and the statements' time by table
                                                                           # (COPY too, with the text it sends)
"""

import argparse
import csv
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

STATUSES = ["new", "open", "in_progress", "waiting", "resolved", "closed"]
PRIORITIES = ["low", "normal", "normal", "high", "urgent"]


def cpu_seconds() -> float:
    """CPU time of this process (user + system): on a machine shared with other work, the wall clock is not ours."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


class StatementTimes:
    """A connection.execute_wrapper adding up the statements' wall time by their kind and first table."""

    def __init__(self):
        self.times: dict[str, list] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            words = sql.split(None, 40)
            after = {"INTO", "FROM", "UPDATE"}
            table = next((b.strip('"') for a, b in itertools.pairwise(words) if a.upper() in after), "")
            self.add(f"{words[0].upper() if words else '?'} {table}", time.perf_counter() - started)

    def add(self, name: str, seconds: float) -> None:
        entry = self.times.setdefault(name, [0, 0.0])
        entry[0] += 1
        entry[1] += seconds

    def report(self, stream) -> None:
        total = sum(seconds for _count, seconds in self.times.values())
        stream.write(f"statements: {total:.2f} s wall\n")
        for name, (count, seconds) in sorted(self.times.items(), key=lambda item: -item[1][1]):
            stream.write(f"  {seconds:8.2f} s {count:7d}  {name}\n")


def _time_copies(timer: StatementTimes) -> None:
    """COPY goes around the execute wrapper (psycopg2's copy_expert): timed where the code calls rows_copy."""
    import apps.common.bulk
    import apps.tickets.aggregates

    copy = apps.common.bulk.rows_copy

    def timed_copy(cursor, table, columns, rows, **options):
        started = time.perf_counter()
        try:
            return copy(cursor, table, columns, rows, **options)
        finally:
            timer.add(f"COPY {table.replace(chr(34), '')}", time.perf_counter() - started)

    apps.common.bulk.rows_copy = timed_copy
    apps.tickets.aggregates.rows_copy = timed_copy


def write_csv(path: Path, rows: int, *, departments: list[str], agents: list[str], seed: int = 11) -> None:
    """A file the way another help desk exports it, streamed to disk."""
    from django.utils import timezone

    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    now = timezone.now().replace(microsecond=0)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Ticket #", "Subject", "Body", "E-mail", "Queue", "Urgency", "State", "Created", "Owner"])
        for n in range(rows):
            created = now - timedelta(minutes=rng.randrange(1, 365 * 24 * 60))
            requester = rng.randrange(2200)  # 0..1999 have accounts, the rest are created by the import
            out.writerow(
                [
                    f"OLD-{n + 1}",
                    f"Printer on floor {n % 40} prints blank pages #{n}",
                    "It stopped after the update.\nTried turning it off and on again.",
                    f"requester{requester}@example.com",
                    rng.choice(departments) if rng.random() < 0.9 else "",  # one row in ten is routed
                    rng.choice(PRIORITIES),
                    rng.choice(STATUSES),
                    created.isoformat(),
                    rng.choice(agents) if rng.random() < 0.6 else "",
                ]
            )


def child(rows: int, batch_size: int) -> dict:
    """One measured run, in this (fresh) process."""
    import django

    django.setup()

    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.departments.choices import AssignmentPolicy, RuleField
    from apps.departments.models import RoutingRule, SlaPolicy
    from apps.departments.services import department_create, user_create_with_departments
    from apps.tickets.models import Ticket, TicketEvent, TicketGroupObjectPermission, TicketUserObjectPermission

    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    if connection.vendor == "sqlite":
        # A file, not the in-memory default: an in-memory database would grow the process with every row.
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(workdir / "bench.sqlite3")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        departments = [department_create(name=f"Queue {i}", is_default=i == 0) for i in range(10)]
        agents = [
            user_create_with_departments(
                username=f"agent{i}", email=f"agent{i}@example.com", role=Role.AGENT, departments=[departments[i % 10]]
            )
            for i in range(40)
        ]
        # The one creation path's work on every row: SLA due dates (a policy per department and priority),
        # the assignment policy (round robin in half of the departments), routing (a rule and the default).
        for number, department in enumerate(departments):
            for priority in ("low", "normal", "high", "urgent"):
                SlaPolicy.objects.create(
                    department=department, priority=priority, first_response_minutes=240, resolution_minutes=2880
                )
            if number % 2 == 0:
                department.assignment_policy = AssignmentPolicy.ROUND_ROBIN
                department.save(update_fields=["assignment_policy"])
        RoutingRule.objects.create(department=departments[1], order=1, field=RuleField.KEYWORDS, pattern="floor 7")
        unusable = make_password(None)
        User.objects.bulk_create(
            User(username=f"requester{i}", email=f"requester{i}@example.com", role=Role.REQUESTER, password=unusable)
            for i in range(2000)
        )
        path = workdir / "tickets.csv"
        write_csv(path, rows, departments=[d.name for d in departments], agents=[a.username for a in agents])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        before = peak_mb()
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        arguments = (str(path), "--no-progress", "--batch-size", str(batch_size))
        if os.environ.get("BENCH_PROFILE"):  # where the time goes, on stderr (sorted by own time)
            import cProfile
            import pstats

            profile = cProfile.Profile(time.process_time)  # CPU, not the other work's wall clock
            profile.enable()
            call_command("import_tickets", *arguments, verbosity=0)
            profile.disable()
            if os.environ["BENCH_PROFILE"].endswith(".prof"):  # BENCH_PROFILE=import.prof: also saved for pstats
                profile.dump_stats(os.environ["BENCH_PROFILE"])
            pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(40)
            pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        elif os.environ.get("BENCH_SQL"):  # wall time of the statements, by kind and table, on stderr
            timer = StatementTimes()
            commit = connection._commit

            def timed_commit():  # the deferred foreign-key checks run here, not in a statement
                started = time.perf_counter()
                try:
                    return commit()
                finally:
                    timer.add("COMMIT", time.perf_counter() - started)

            connection._commit = timed_commit
            _time_copies(timer)
            with connection.execute_wrapper(timer):
                call_command("import_tickets", *arguments, verbosity=0)
            del connection._commit
            timer.report(sys.stderr)
        else:
            call_command("import_tickets", *arguments, verbosity=0)
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        result = {
            "database": connection.vendor,
            "rows": rows,
            "file_mb": round(path.stat().st_size / 1024 / 1024, 1),
            "seconds": round(seconds, 1),
            "rows_per_second": round(rows / seconds),
            "cpu_seconds": round(cpu, 1),
            "load": round(os.getloadavg()[0], 1),
            "peak_mb_before": round(before),
            "peak_mb_after": round(peak_mb()),
            "tickets": Ticket.objects.count(),
            "events": TicketEvent.objects.count(),
            "grants": TicketUserObjectPermission.objects.count() + TicketGroupObjectPermission.objects.count(),
            "new_requesters": User.objects.count() - 2000 - 40,
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="Rows in the file (repeatable; default 100000).")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.rows or [100_000]
    if args.child:
        print(json.dumps(child(sizes[0], args.batch_size)))
        return
    for rows in sizes:
        command = [sys.executable, __file__, "--child", "--rows", str(rows), "--batch-size", str(args.batch_size)]
        done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
        sys.stderr.write(done.stderr)
        output = done.stdout
        r = json.loads(output.strip().splitlines()[-1])
        print(
            f"{r['database']}: {r['rows']:,} rows ({r['file_mb']} MB) in {r['seconds']} s = {r['rows_per_second']:,} "
            f"rows/s (this process used {r['cpu_seconds']} s of CPU; load average {r['load']}); peak memory "
            f"{r['peak_mb_before']} MB before the import, {r['peak_mb_after']} MB after; "
            f"{r['tickets']:,} tickets, {r['events']:,} events, {r['grants']:,} grants, "
            f"{r['new_requesters']:,} new requesters"
        )


if __name__ == "__main__":
    main()
