"""Benchmark: creating a ticket, in-process: the service alone and the API's POST /api/tickets/, beside hello.

Creates a throw-away test database (`test_<name>` on PostgreSQL when DATABASE_URL points there, else a
temporary SQLite file) with 3 departments (the first the default, with an SLA policy per priority), an agent
and a requester, then times N creates of each kind through Django's test client (no network, no server):
the process's CPU time per create (what a web worker spends; the database server's CPU comes on top), the
wall clock, and the queries each takes. `hello` (a trivial view) is measured in the same run as the floor.
Notifications are queued as in production (ORM broker), not run.

    .venv/bin/python bench/bench_create.py [--count 300] [--profile]

With `--profile`, cProfile then runs over the same creates: each part's share of an API create and the top
functions, then the same for the service alone.
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


def measure(action, count: int) -> dict:
    from django.db import connection

    action(-1)  # warm: permission ids, the URL resolver, the serializers
    statements = []

    def counted(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    # Counted by a wrapper: the test client's request_started signal empties connection.queries.
    with connection.execute_wrapper(counted):
        action(-2)
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(count):
        action(n)
    return {
        "cpu_ms": round((time.process_time() - cpu) * 1000 / count, 2),
        "wall_ms": round((time.perf_counter() - wall) * 1000 / count, 2),
        "queries": len(statements),
    }


# Where an API create's time goes (cumulative time of these functions, as a share of the request).
API_PARTS = {
    "authentication (JWT, the user)": ("rest_framework/request.py", "_authenticate"),
    "parsing the body": ("rest_framework/request.py", "_parse"),
    "the input serializer (is_valid)": ("rest_framework/serializers.py", "is_valid"),
    "ticket_create": ("apps/tickets/services.py", "ticket_create"),
    "  of which the listeners of the events": ("apps/tickets/events.py", "events_record"),
    "the response (representation, ETag)": ("apps/tickets/api/views.py", "ticket_response"),
    "rendering JSON": ("rest_framework/response.py", "rendered_content"),
    "SQL (cursor execute)": ("django/db/backends/utils.py", "_execute"),
    "after the commit (on_commit callbacks)": ("django/db/backends/base/base.py", "run_and_clear_commit_hooks"),
}


def profile(action, count: int, parts: dict[str, tuple[str, str]] | None = None) -> None:
    """cProfile over `count` runs of `action`: each part's share of the time, then the top functions."""
    profiler = cProfile.Profile(time.process_time)  # CPU time: the machine may be busy with other work
    profiler.enable()
    for n in range(count):
        action(10_000 + n)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    print(f"{count} runs: {total * 1000 / count:.2f} ms each of CPU under cProfile")
    width = max(map(len, parts or {"": 0}))
    for label, (file_part, func) in (parts or {}).items():
        cumulative = sum(
            row[3] for (file, _line, name), row in stats.stats.items() if file_part in file and name == func
        )
        print(f"  {label:{width}} {cumulative / total:6.1%}")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="then profile the API create and the service")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.departments.models import SlaPolicy
    from apps.departments.services import department_create, user_create_with_departments
    from apps.tickets.services import ticket_create

    if connection.vendor == "sqlite":
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        departments = [department_create(name=f"Queue {i}", is_default=i == 0) for i in range(3)]
        for priority in ("low", "normal", "high", "urgent"):
            SlaPolicy.objects.create(
                department=departments[0], priority=priority, first_response_minutes=240, resolution_minutes=2880
            )
        agent = user_create_with_departments(
            username="agent", email="agent@example.com", role=Role.AGENT, departments=[departments[0]]
        )
        requester = User.objects.create_user(username="carol", email="carol@example.com", role=Role.REQUESTER)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(agent)}")
        browser = Client()

        def hello(n):
            assert browser.get("/bench/hello/").status_code == 200

        def service(n):
            ticket_create(actor=requester, requester=requester, title=f"Printer {n}", description="Blank pages.")

        def api_create(n):
            response = api.post("/api/tickets/", {"title": f"Printer {n}", "description": "x"}, format="json")
            assert response.status_code == 201, response.content

        results = {
            "database": connection.vendor,
            "load": round(os.getloadavg()[0], 1),
            "hello": measure(hello, args.count),
            "ticket_create (routed, SLA)": measure(service, args.count),
            "API POST /api/tickets/ (routed, SLA)": measure(api_create, args.count),
        }
        print(json.dumps(results, indent=1))
        if args.profile:
            print("\nAPI POST /api/tickets/ (routed, SLA):")
            profile(api_create, args.count, API_PARTS)
            print("\nticket_create (routed, SLA):")
            profile(service, args.count)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
