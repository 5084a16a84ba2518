"""Benchmark: `manage.py import_messages` on a generated messages file (50,000 rows by default).

Creates a throw-away test database (a temporary SQLite file, or `test_<name>` on PostgreSQL when DATABASE_URL
points there) with 5,000 tickets (bench/data.py), then writes a CSV file of messages naming them by reference,
alternating the requester and an agent, one in five an internal note, and imports it as an operator would
(every row checked, then all written in one transaction). Reported: rows per second (wall clock and CPU) and
the process's peak memory before and after.

    .venv/bin/python bench/bench_messages.py [--rows 50000]
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
    from django.core.management import call_command

    from apps.tickets.models import Ticket
    from bench.data import fill

    agent, _requester = fill(5000)
    tickets = list(Ticket.objects.values_list("reference", "requester__email"))
    path = workdir / "messages.csv"
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
    wall, cpu = time.perf_counter(), cpu_seconds()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile(time.process_time)  # CPU, not the other work's wall clock
        profile.enable()
        call_command("import_messages", str(path), stdout=io.StringIO())
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(40)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    else:
        call_command("import_messages", str(path), stdout=io.StringIO())
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    print(
        f"{connection_vendor()}, {args.rows:,} messages: {args.rows / wall:,.0f} rows/s wall clock ({wall:.1f} s), "
        f"{args.rows / cpu:,.0f} rows/s CPU; peak memory {before:.0f} MB before, {peak_mb():.0f} MB after"
    )


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
