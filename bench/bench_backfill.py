"""Benchmark: `manage.py triage_tickets` (the AI backfill) on N existing tickets with the local provider.

Creates a throw-away test database (a temporary SQLite file, or `test_<name>` on PostgreSQL when DATABASE_URL
points there) with 10 departments and N tickets in six languages (bench/triage_history.py texts, no language
set), then runs the backfill as an operator would. Reported, for the same process: a trivial "hello" (the
local provider on one ticket's text, nothing else: the provider's floor), the backfill's tickets per second
(wall clock and CPU), and where its time goes (provider, suggestions, database), with the peak memory.

    .venv/bin/python bench/bench_backfill.py [--tickets 5000] [--batch-size 500]
"""

import argparse
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
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.AI_PROVIDER = "local"
    settings.AI_TRIAGE_ENABLED = False  # the tickets below are written without queuing triage
    workdir = Path(tempfile.mkdtemp(prefix="bench-backfill-"))
    if connection.vendor == "sqlite":
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(workdir / "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> None:
    from apps.ai import backfill, services
    from apps.ai.providers import get_provider
    from apps.tickets.models import Ticket
    from bench.data import fill
    from bench.triage_history import generate

    fill(args.tickets)
    texts = generate(args.tickets, seed=3)
    tickets = list(Ticket.objects.order_by("pk").only("pk"))
    for ticket, item in zip(tickets, texts, strict=False):
        ticket.title, ticket.description, ticket.language = item.title, item.description, ""
    Ticket.objects.bulk_update(tickets, ["title", "description", "language"], batch_size=2000)

    provider = get_provider()
    sample = f"{texts[0].title}\n\n{texts[0].description}"
    provider.detect_language(sample)  # build the detector once, as a worker does at its first ticket
    start = time.perf_counter()
    for item in texts[:1000]:
        text = f"{item.title}\n\n{item.description}"
        provider.detect_language(text)
        provider.analyze(text)
    hello = 1000 / (time.perf_counter() - start)

    spent = {"provider": 0.0, "suggestions": 0.0}
    detect, analyze, suggest = provider.detect_language, provider.analyze, services.triage_suggestions

    def timed(name, function):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                spent[name] += time.perf_counter() - t

        return wrapper

    provider.detect_language, provider.analyze = timed("provider", detect), timed("provider", analyze)
    backfill.get_provider = lambda: provider
    backfill.triage_suggestions = timed("suggestions", suggest)
    before_mb = peak_mb()
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = backfill.tickets_triage_backfill(batch_size=args.batch_size)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    rest = wall - spent["provider"] - spent["suggestions"]
    print(f"{connection_label()}, {args.tickets:,} tickets, batches of {args.batch_size}")
    print(f"  hello (local provider alone, 1,000 texts): {hello:,.0f} texts/s")
    print(
        f"  backfill: {result.triaged:,} triaged, {result.languages_filled:,} languages filled in {wall:.1f} s: "
        f"{result.triaged / wall:,.0f} tickets/s wall clock, {cpu:.1f} s CPU ({result.triaged / cpu:,.0f}/s CPU)"
    )
    print(
        f"  time: provider {spent['provider']:.1f} s, suggestions {spent['suggestions']:.1f} s, "
        f"reading and writing {rest:.1f} s; peak memory {before_mb:.0f} MB before, {peak_mb():.0f} MB after"
    )


def connection_label() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
