"""Benchmark: webhook fan-out by the workers, and the API with an API key against a JWT.

1. Fan-out. A fresh database (PostgreSQL by default: ts_hooks_bench, dropped and created anew), 10 endpoints
   of an admin listening to `ticket.created` on a receiver in this process (127.0.0.1, a ThreadingHTTPServer
   that answers 200 and checks a sample of the signatures with the `standardwebhooks` package), and N tickets
   created while no worker runs, so their N fan-out tasks wait in the ORM broker. Then `manage.py qcluster`
   starts with Q_WORKERS workers and the clock runs until all N × 10 deliveries have succeeded.
2. API list. In this process (Django's test client, no network): the first page of the ticket list of a
   requester, with `Authorization: Bearer <JWT>` and with `Authorization: Bearer tsk_...`, median of 200 each
   (interleaved in rounds of 20).

    .venv/bin/python bench/bench_webhooks.py [--events 1000] [--endpoints 10] [--workers 2]
        [--database-url postgres://postgres@127.0.0.1:5432/ts_hooks_bench]
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ts_hooks_bench"


def recreate_database(url: str) -> None:
    if not url.startswith("postgres"):
        db_file = Path(url.removeprefix("sqlite:///"))
        db_file.unlink(missing_ok=True)
        return
    import psycopg2
    from psycopg2 import sql

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


class Receiver:
    """Counts requests per path; verifies every 100th signature with the receivers' own library."""

    def __init__(self):
        self.count = 0
        self.verified = 0
        self.failed = 0
        self.secrets: dict[str, str] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"
            disable_nagle_algorithm = True  # headers and body leave at once (no delayed-ACK stall)

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    receiver.count += 1
                    check = receiver.count % 100 == 0
                if check:
                    from standardwebhooks import Webhook

                    try:
                        Webhook(receiver.secrets[self.path]).verify(body, dict(self.headers.items()))
                        receiver.verified += 1
                    except Exception:  # a bad signature is counted, not raised in the server's thread
                        receiver.failed += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 256
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "Q_WORKERS": str(args.workers),
        "Q_SYNC": "false",
        "NOTIFICATIONS_ENABLED": "false",
        "AI_TRIAGE_ENABLED": "false",
    }
    os.environ.update(env)
    recreate_database(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.db import connection
    from django_q.models import OrmQ

    from apps.accounts.choices import Role
    from apps.departments.services import department_create, user_create_with_departments
    from apps.integrations.choices import DeliveryStatus
    from apps.integrations.models import WebhookDelivery
    from apps.integrations.services import api_key_create, webhook_create
    from apps.tickets.services import ticket_create

    receiver = Receiver()
    admin = user_create_with_departments(username="bench-admin", email="a@example.com", password=None, role=Role.ADMIN)
    department = department_create(name="Bench", slug="bench", is_default=True)
    requester = user_create_with_departments(
        username="bench-requester", email="r@example.com", password=None, role=Role.REQUESTER
    )
    for n in range(args.endpoints):
        _webhook, secret = webhook_create(actor=admin, url=receiver.url(f"/e{n}"), events=["ticket.created"])
        receiver.secrets[f"/e{n}"] = secret

    start = time.perf_counter()
    for n in range(args.events):
        ticket_create(
            actor=requester,
            requester=requester,
            department=department,
            title=f"Bench ticket {n}",
            description="Fan-out benchmark.",
        )
    created_s = time.perf_counter() - start
    queued = OrmQ.objects.count()
    expected = args.events * args.endpoints
    print(f"database: {connection.vendor}; {args.events} tickets created in {created_s:.1f} s; {queued} tasks queued")
    connection.close()

    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    start = time.perf_counter()
    done = 0
    try:
        while time.perf_counter() - start < args.timeout:
            done = WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count()
            if done >= expected:
                break
            if int(time.perf_counter() - start) % 10 == 0:
                print(f"  {time.perf_counter() - start:.0f} s: {done:,} deliveries", flush=True)
            time.sleep(0.25)
        elapsed = time.perf_counter() - start
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()
    others = WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).count()
    print(
        f"fan-out: {done:,} of {expected:,} deliveries succeeded in {elapsed:.1f} s with {args.workers} workers "
        f"({done / elapsed:.0f}/s); not succeeded: {others}; received: {receiver.count:,}; "
        f"signatures checked: {receiver.verified} ok, {receiver.failed} bad"
    )

    # The API list with a JWT and with an API key.
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    _api_key, key = api_key_create(actor=requester, owner=requester, name="bench", expires_at=None)
    by_jwt, by_key = APIClient(), APIClient()
    by_jwt.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(requester)}")
    by_key.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    def timed(client, runs: list[float], count: int = 20) -> None:
        for _ in range(count):
            began = time.perf_counter()
            response = client.get("/api/tickets/", HTTP_HOST="127.0.0.1")
            runs.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.status_code

    timed(by_jwt, []), timed(by_key, [])  # warm up
    jwt_runs, key_runs = [], []
    for _ in range(10):  # interleaved, so that a busy moment of the machine hits both alike
        timed(by_jwt, jwt_runs)
        timed(by_key, key_runs)
    jwt_ms, key_ms = statistics.median(jwt_runs), statistics.median(key_runs)
    print(f"ticket list (requester, page of 25): JWT {jwt_ms:.2f} ms, API key {key_ms:.2f} ms (median of 200 each)")
    receiver.server.shutdown()


if __name__ == "__main__":
    main()
