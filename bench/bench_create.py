"""Benchmark: creating a ticket, in-process: the service alone and the API's POST /api/tickets/, beside hello.

Creates a throw-away test database (`test_<name>` on PostgreSQL when DATABASE_URL points there, else a
temporary SQLite file) with 3 departments (the first the default, with an SLA policy per priority), an agent
and a requester, then times N creates of each kind through Django's test client (no network, no server):
the process's CPU time per create (what a web worker spends; the database server's CPU comes on top), the
wall clock, and the queries each takes. `hello` (a trivial view) is measured in the same run as the floor.
Notifications are queued as in production (ORM broker), not run.

    .venv/bin/python bench/bench_create.py [--count 300]
"""

import argparse
import json
import os
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
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
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
