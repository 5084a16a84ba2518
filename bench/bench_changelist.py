"""Benchmark: the back-office ticket list (the changelist) beside the API list and a trivial view, in one run.

Creates a throw-away test database (SQLite in memory, or `test_<name>` on PostgreSQL when DATABASE_URL points
there), fills it with N tickets (bench/data.py: 10 departments, their real grants; the agent works in one of
them) and requests, in this process through Django's test client with `bench.settings`:

- /bench/hello/, the ceiling: a trivial view through the same middleware;
- /api/tickets/ as the agent (JWT), the API list of 25;
- the agent's (empty) page of saved views: what any unfold admin page costs (session, sidebar, header);
- the changelist of 50 rows as the agent and as an admin: its lean table (apps/tickets/templatetags/
  ticket_list.py) and, for comparison, unfold's own table (`--unfold-table` rows, the same page otherwise);
- the changelist sorted by "Updated", by priority both ways, filtered to "Unassigned", and page 3;
- then the agent's changelist and the API list again, requested in turn (at least 100 times each), for their
  ratio: on a shared machine, the ratio of two pages measured one after the other moves with the load between them.

For each: median and maximum wall time and CPU time of this process per request (the database server's own
time is in the wall time only), the response size and the number of queries. Then a profile of the agent's
changelist (cProfile over 30 requests): the share of template rendering, of SQL and of the rest. `--explain`
(PostgreSQL) prints, for each list, the database's own time of each of its queries on the tickets
(`EXPLAIN (ANALYZE, BUFFERS)`: execution time and shared buffers), which does not depend much on the machine's load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ts_bench .venv/bin/python bench/bench_changelist.py \\
        [--tickets 100000] [--repeat 30]
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django

django.setup()

from django.db import connection  # noqa: E402
from django.template.base import Template  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.data import throwaway_database  # noqa: E402


def measure(client, url: str, repeat: int, **headers) -> dict:
    client.get(url, **headers)  # warm up (templates, content types, plans)
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, **headers)
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    return {
        "wall": statistics.median(walls),
        "wall_max": max(walls),
        "cpu": statistics.median(cpus),
        "kb": len(response.content) / 1024,
        "queries": len(queries),
    }


def paired(first: tuple, second: tuple, repeat: int) -> tuple[float, float]:
    """Median CPU ms of two pages requested in turn, `repeat` times each: (client, url, headers) for each. Taken
    in turn, both see the same moments of a shared machine, so their ratio holds steadier than that of two runs
    one after the other."""
    times = ([], [])
    for client, url, headers in (first, second):
        client.get(url, **headers)  # warm up
    for _ in range(repeat):
        for (client, url, headers), spent in zip((first, second), times, strict=True):
            cpu = time.process_time()
            response = client.get(url, **headers)
            spent.append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times[0]), statistics.median(times[1])


def explain(client, url: str, headers: dict) -> None:
    """The database's own time of each query on the tickets that one request of `url` makes (PostgreSQL)."""
    import re

    with CaptureQueriesContext(connection) as queries:
        client.get(url, **headers)
    for query in queries:
        sql = query["sql"]
        if 'FROM "tickets_ticket"' not in sql and 'FROM (("tickets_ticket"' not in sql:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        ms = float(re.search(r"Execution Time: ([\d.]+)", plan).group(1))
        buffers = re.search(r"Buffers: shared ([^\n]*)", plan)
        kind = "count" if sql.startswith("SELECT COUNT(") else "rows"
        print(f"    {kind:5} {ms:8.1f} ms  {buffers.group(1) if buffers else '':28} {sql[:70]}")


# Where a changelist request's time goes: a label, then (a part of the file name, the function name).
CHANGELIST_PARTS = {
    "template rendering": ("django/template/response.py", "render"),
    "  of which the rows (ticket_list.py)": ("ticket_list.py", "ticket_result_list"),
    "  of which the sidebar (navigation)": ("config/unfold.py", "sidebar"),
    "SQL (cursor execute)": ("django/db/backends/utils.py", "_execute"),
    "changelist (filters, queryset, count)": ("django/contrib/admin/options.py", "get_changelist_instance"),
}


def profile(client, url: str, repeat: int, parts: dict[str, tuple[str, str]] = CHANGELIST_PARTS) -> None:
    """cProfile over `repeat` GETs of `url`: each part's share of the time, then the top functions."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    print(f"profile of {repeat} requests of {url}: {total * 1000 / repeat:.1f} ms per request under cProfile")
    width = max(map(len, parts))
    for label, (file_part, func) in parts.items():
        cumulative = sum(
            row[3] for (file, _line, name), row in stats.stats.items() if file_part in file and name == func
        )
        print(f"  {label:{width}} {cumulative / total:6.1%}")
    stats.sort_stats("tottime").print_stats(12)


def kept_users():
    """The agent and a requester of a kept database (bench/data.py's names), or None when it is empty."""
    from apps.accounts.models import User

    agent = User.objects.filter(username="agent").first()
    return (agent, User.objects.get(username="r0")) if agent else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--explain", action="store_true", help="the database's time of each list query (PostgreSQL)")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the database for the next run, and reuse it (also one that bench_search.py --keep filled)",
    )
    args = parser.parse_args()

    from django.contrib.admin import site
    from django.test import Client
    from django.urls import reverse
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.accounts.models import User
    from apps.tickets.admin.tickets import TicketAdmin
    from apps.tickets.models import Ticket
    from bench.data import fill

    plain_render = Template._render
    with throwaway_database(fill, args.tickets, keep=args.keep, reuse_fn=kept_users) as (agent, _requester):
        # The test environment records every rendered template for the test client (a copy of the context per
        # template): not what a server does.
        Template._render = plain_render
        boss, _ = User.objects.get_or_create(
            username="boss", defaults={"email": "boss@example.com", "role": "admin", "is_staff": True}
        )
        print(f"tickets: {Ticket.objects.count():,}; load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        agent_client, admin_client, anonymous = Client(), Client(), Client()
        agent_client.force_login(agent)
        admin_client.force_login(boss)
        changelist = reverse("admin:tickets_ticket_changelist")
        updated = TicketAdmin.list_display.index("updated") + 1  # after the action checkbox
        priority = TicketAdmin.list_display.index("priority_badge") + 1
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {AccessToken.for_user(agent)}"}
        runs = {
            "hello (ceiling)": (anonymous, "/bench/hello/", {}),
            "API list of 25 (agent)": (Client(), "/api/tickets/", bearer),
            "empty admin list (unfold's floor)": (agent_client, reverse("admin:tickets_savedview_changelist"), {}),
            "changelist 50 (agent)": (agent_client, changelist, {}),
            "changelist 50 (admin)": (admin_client, changelist, {}),
            "  sorted by Updated": (agent_client, f"{changelist}?o=-{updated}", {}),
            "  most urgent first": (agent_client, f"{changelist}?o={priority}", {}),
            "  least urgent first": (agent_client, f"{changelist}?o=-{priority}", {}),
            "  Unassigned (open)": (
                agent_client,
                f"{changelist}?assignee=none&status__in=new,open,in_progress,waiting",
                {},
            ),
            "  page 3": (agent_client, f"{changelist}?p=3", {}),
        }
        results = {name: measure(client, url, args.repeat, **headers) for name, (client, url, headers) in runs.items()}
        # The same page with unfold's own result table, for comparison.
        # (django-import-export keeps the admin's own changelist template as `ie_base_change_list_template`.)
        ticket_admin = site._registry[Ticket]
        lean = ticket_admin.ie_base_change_list_template
        ticket_admin.ie_base_change_list_template = "admin/change_list.html"
        try:
            results["changelist 50 (agent), unfold's table"] = measure(agent_client, changelist, args.repeat)
        finally:
            ticket_admin.ie_base_change_list_template = lean

        print(f"{'':42} {'wall ms':>8} {'(max)':>7} {'CPU ms':>7} {'KB':>7} {'queries':>7}")
        for name, r in results.items():
            print(f"{name:42} {r['wall']:8.1f} {r['wall_max']:7.1f} {r['cpu']:7.1f} {r['kb']:7.1f} {r['queries']:7d}")
        api = results["API list of 25 (agent)"]
        page = results["changelist 50 (agent)"]
        wall, cpu = page["wall"] / api["wall"], page["cpu"] / api["cpu"]
        print(f"changelist (agent) / API list: {wall:.1f}× wall, {cpu:.1f}× CPU")
        list_cpu, api_cpu = paired(runs["changelist 50 (agent)"], runs["API list of 25 (agent)"], max(args.repeat, 100))
        print(
            f"taken in turn ({max(args.repeat, 100)} each): changelist (agent) {list_cpu:.1f} ms CPU, API list "
            f"{api_cpu:.1f} ms: {list_cpu / api_cpu:.2f}×"
        )
        if args.explain and connection.vendor == "postgresql":
            print("the database's own time of each query on the tickets (EXPLAIN ANALYZE):")
            for name, (client, url, headers) in runs.items():
                if "changelist" in name or name.startswith("  "):
                    print(f"  {name.strip()}")
                    explain(client, url, headers)
        if not args.no_profile:
            profile(agent_client, changelist, args.repeat)


if __name__ == "__main__":
    main()
