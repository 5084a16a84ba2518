"""Benchmark: the REST API and the back office through the real HTTP stack (gunicorn on 127.0.0.1, wrk).

Builds a dedicated database with N tickets (PostgreSQL by default: ticket_system_bench, dropped and created
anew), starts gunicorn with `bench.settings` (the project plus a trivial /bench/hello/ view, the ceiling),
then measures with wrk: hello, the ticket list as an agent, a ticket's detail, and ticket creation, and the
back office's ticket list and ticket page (50 messages) with the agent's session cookie. Prints requests/s,
p50/p99 latency and the CPU per request of gunicorn's processes and of the database's backends (PostgreSQL) for
each, and the list's share of the ceiling.

    .venv/bin/python bench/api.py [--tickets 100000] [--database-url postgres://...] [--workers 3]
        [--connections 8] [--only hello,create] [--port 8791]

Needs Debian's `wrk` (apt-get install wrk) and gunicorn (a project dependency).
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ticket_system_bench"
PORT = 8791


def recreate_postgres_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def prepare(n: int, env: dict) -> dict:
    """Migrate and fill the database in a child process; return the ids and token the load needs."""
    script = f"""
import django, json
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from rest_framework_simplejwt.tokens import RefreshToken
from apps.tickets.selectors import tickets_visible_to
from bench.data import fill
agent, requester = fill({n})
ticket = tickets_visible_to(agent).order_by("-created_at", "-id").first()
# The back-office pages: the ticket gets a conversation of 50 messages, written a day ago (out of the edit
# window, as a long conversation is), and the agent a session, whose cookie wrk sends.
from datetime import timedelta
from django.conf import settings
from django.db.models import F
from django.test import Client
from apps.tickets.models import Comment
from bench.bench_ticket_page import conversation
conversation(ticket, agent, ticket.requester, 50)
Comment.objects.filter(ticket=ticket).update(created_at=F("created_at") - timedelta(days=1))
browser = Client()
browser.force_login(agent)
session = settings.SESSION_COOKIE_NAME + "=" + browser.cookies[settings.SESSION_COOKIE_NAME].value
from django.db import connection
if connection.vendor == "postgresql":
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE")  # else autovacuum works through the new rows during the first runs
print(json.dumps({{"token": str(RefreshToken.for_user(agent).access_token), "ticket": ticket.pk,
                  "requester_token": str(RefreshToken.for_user(requester).access_token),
                  "department": ticket.department_id, "session": session}}))
"""
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a fixed http://127.0.0.1 address
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer at {url}")


def cpu_seconds(session: int, database: str) -> tuple[float, float]:
    """CPU seconds used so far by gunicorn's processes (its session) and by PostgreSQL's backends of `database`
    (Linux: /proc). On a shared machine the CPU per request is the figure that other work disturbs least."""
    web = db = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])  # utime, stime
            if int(fields[3]) == session:
                web += ticks
            elif database and (entry / "cmdline").read_bytes().split(b" ")[3:4] == [database.encode()]:
                db += ticks
        except (OSError, IndexError, ValueError):  # a process that ended meanwhile
            continue
    hertz = os.sysconf("SC_CLK_TCK")
    return web / hertz, db / hertz


def wrk(
    url: str,
    *,
    token: str | None,
    seconds: int,
    connections: int,
    script: str | None = None,
    cookie: str | None = None,
    cpu=None,
) -> dict:
    time.sleep(3)  # let the requests still running from the previous measurement finish
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    if script:
        cmd += ["-s", script]
    before = cpu() if cpu else None
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    after = cpu() if cpu else None
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": latency.get("50"),
        "p99": latency.get("99"),
        "errors": int(errors.group(1)) if errors else 0,
        # CPU milliseconds per request of the web processes and of the database (None: not measured).
        "web_ms": (after[0] - before[0]) * 1000 / requests if cpu and requests else None,
        "db_ms": (after[1] - before[1]) * 1000 / requests if cpu and requests else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=PORT, help="gunicorn's port on 127.0.0.1")
    parser.add_argument(
        "--only", default="", help="measure only these, comma-separated (e.g. hello,create: the write path)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")

    if args.database_url.startswith("postgres"):
        recreate_postgres_database(args.database_url)
    media = tempfile.mkdtemp(prefix="bench-media-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": args.database_url,
        "MEDIA_ROOT": media,
        "PYTHONPATH": str(ROOT),
    }
    started = time.monotonic()
    data = prepare(args.tickets, env)
    print(
        f"database: {args.database_url.split('://')[0]}; tickets: {args.tickets}; "
        f"fill: {time.monotonic() - started:.0f} s; gunicorn workers: {args.workers}"
    )

    base = f"http://127.0.0.1:{args.port}"
    gunicorn = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{args.port}",
            "-w",
            str(args.workers),
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    lua = Path(media) / "create.lua"
    lua.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.body = \'{{"title": "Load test", "description": "x", "department": {data["department"]}}}\'\n'
    )
    routed = Path(media) / "create-routed.lua"  # no department: the routing rules and the default decide
    routed.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        'wrk.body = \'{"title": "Load test", "description": "x"}\'\n'
    )
    try:
        wait_until_up(f"{base}/bench/hello/")
        # wrk counts a redirect as a success: the session must reach the page itself, not the log-in page.
        page = urllib.request.Request(f"{base}/admin/tickets/ticket/", headers={"Cookie": data["session"]})  # noqa: S310
        with urllib.request.urlopen(page, timeout=30) as answer:  # noqa: S310 - a fixed http://127.0.0.1 address
            if answer.url != page.full_url:
                raise RuntimeError(f"the agent's session was sent to {answer.url}")
        database = args.database_url.rsplit("/", 1)[1] if args.database_url.startswith("postgres") else ""
        common = {
            "seconds": args.seconds,
            "connections": args.connections,
            "cpu": lambda: cpu_seconds(gunicorn.pid, database),
        }
        token = data["token"]
        runs = {
            "hello (ceiling)": lambda: wrk(f"{base}/bench/hello/", token=None, **common),
            "API no-op (JWT + user)": lambda: wrk(f"{base}/bench/whoami/", token=token, **common),
            "ticket list (agent)": lambda: wrk(f"{base}/api/tickets/", token=token, **common),
            "list, by activity": lambda: wrk(f"{base}/api/tickets/?ordering=-updated_at", token=token, **common),
            "list, page 40": lambda: wrk(f"{base}/api/tickets/?page=40", token=token, **common),
            "list, count=true": lambda: wrk(f"{base}/api/tickets/?count=true", token=token, **common),
            "list (requester)": lambda: wrk(f"{base}/api/tickets/", token=data["requester_token"], **common),
            "ticket detail": lambda: wrk(f"{base}/api/tickets/{data['ticket']}/", token=token, **common),
            "ticket create": lambda: wrk(f"{base}/api/tickets/", token=token, script=str(lua), **common),
            "ticket create (routed)": lambda: wrk(f"{base}/api/tickets/", token=token, script=str(routed), **common),
            "back office: ticket list of 50 (agent)": lambda: wrk(
                f"{base}/admin/tickets/ticket/", token=None, cookie=data["session"], **common
            ),
            "back office: ticket page, 50 messages (agent)": lambda: wrk(
                f"{base}/admin/tickets/ticket/{data['ticket']}/change/", token=None, cookie=data["session"], **common
            ),
        }
        wanted = [word.strip() for word in args.only.split(",") if word.strip()]
        results = {name: run() for name, run in runs.items() if not wanted or any(word in name for word in wanted)}
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
        shutil.rmtree(media, ignore_errors=True)
    for name, r in results.items():
        cpu = ""
        if r["web_ms"] is not None:
            cpu = f"   CPU/request: web {r['web_ms']:.2f} ms, database {r['db_ms']:.2f} ms"
        print(f"{name:46} {r['rps']:8.1f} req/s   p50 {r['p50']:>8}   p99 {r['p99']:>8}   non-2xx {r['errors']}{cpu}")
    for ceiling in ("hello (ceiling)", "API no-op (JWT + user)"):
        if ceiling not in results or "ticket list (agent)" not in results:
            continue
        share = results["ticket list (agent)"]["rps"] / results[ceiling]["rps"]
        print(f"ticket list (agent) at {share:.0%} of {ceiling}")


if __name__ == "__main__":
    main()
