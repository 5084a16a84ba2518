"""Benchmark: `manage.py import_messages` on a generated messages file (50,000 rows by default).

Creates a throw-away test database (a temporary SQLite file, or `test_<name>` on PostgreSQL when DATABASE_URL
points there) with 5,000 tickets (bench/data.py), then writes a CSV file of messages naming them by reference,
alternating the requester and an agent, one in five an internal note, and imports it as an operator would
(every row checked, then all written in one transaction). Reported: rows per second (wall clock and CPU) and
the process's peak memory before and after.

--as-agent imports as the benchmark's agent (`--as agent`, as the back office's import page does for an agent
holding the import permission), with messages to the tickets of the agent's department only: the import then
also checks, per batch, which of the named tickets the agent may change.

    .venv/bin/python bench/bench_messages.py [--rows 50000] [--as-agent]
"""

import argparse
import csv
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--as-agent", action="store_true", help="Import as an agent, into their department's tickets.")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    workdir = Path(tempfile.mkdtemp(prefix="bench-messages-"))
    if connection.vendor == "sqlite":
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(workdir / "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args, workdir)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args, workdir: Path) -> None:
    from django.core.management import CommandError, call_command
    from django.db import connection

    from apps.tickets.models import Ticket
    from bench.data import fill

    agent, _requester = fill(5000)
    tickets = Ticket.objects.order_by("pk")
    if args.as_agent:
        tickets = tickets.filter(department__group__user=agent)
    tickets = list(tickets.values_list("reference", "requester__email"))
    path = workdir / "messages.csv"
    command = ["import_messages", str(path)] + (["--as", agent.username] if args.as_agent else [])
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["ticket", "author", "body", "internal", "created_at"])
        for n in range(args.rows):
            reference, email = tickets[n % len(tickets)]
            internal = n % 5 == 4
            author = agent.email if internal or n % 2 else email
            created = f"2024-01-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d}"
            body = f"Message {n}: the printer still prints blank pages."
            out.writerow([reference, author, body, "yes" if internal else "no", created])
    before = peak_mb()
    queries = 0

    def counted(execute, *params):
        nonlocal queries
        queries += 1
        return execute(*params)

    wall, cpu = time.perf_counter(), cpu_seconds()
    with connection.execute_wrapper(counted):
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile(time.process_time)  # CPU, not the other work's wall clock
            profile.enable()
            call_command(*command, stdout=io.StringIO())
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(40)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        else:
            out = io.StringIO()
            try:
                call_command(*command, stdout=out)
            except CommandError:
                raise SystemExit(out.getvalue()[-3000:]) from None
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    who = " as an agent" if args.as_agent else ""
    print(
        f"{connection.vendor}, {args.rows:,} messages{who}: {args.rows / wall:,.0f} rows/s wall clock "
        f"({wall:.1f} s), {args.rows / cpu:,.0f} rows/s CPU, {queries:,} queries; peak memory {before:.0f} MB "
        f"before, {peak_mb():.0f} MB after"
    )


if __name__ == "__main__":
    main()
