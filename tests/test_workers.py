"""Real workers: a `manage.py qcluster` process, on the ORM broker and on Redis, delivers the notification and the
e-mail of a new ticket, and triages it (AI, local provider).

Every other test runs tasks inline (`sync`). Here nothing is faked: each test builds a small world of its own that
separate processes share, the way a web node and a worker share a deployment:

- a database of its own: a SQLite file under the test's tmp directory, or (when DATABASE_URL names PostgreSQL) a
  database created next to the test database and dropped afterwards. The test suite's own test database would not
  do on SQLite (it lives in this process's memory); a separate one keeps both backends on one path;
- e-mail through Django's file-based backend into a tmp folder (EMAIL_BACKEND / EMAIL_FILE_PATH);
- for Redis, a database number of its own (TEST_REDIS_URL, default redis://127.0.0.1:6379/15) and a cluster name
  of its own (Q_CLUSTER_NAME), whose keys are deleted afterwards: two test runs at once never share a queue.

`migrate` and the set-up run as `manage.py` commands, the worker is started as a process group and stopped with
SIGTERM (SIGKILL after 20 s). The wait for the notification is bounded (WAIT_SECONDS). Without Redis the Redis
test is skipped, unless CI is set: then it fails, so that CI cannot silently stop testing the Redis broker.
"""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
import pytest
from django.conf import settings

from tests.support import component_missing

BASE_DIR = Path(settings.BASE_DIR)
WAIT_SECONDS = 60
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

SET_UP = """
from apps.departments.services import department_create, user_create_with_departments
it = department_create(name="IT Support", slug="it-support", is_default=True)
user_create_with_departments(username="alice", email="alice@example.com", role="agent", departments=[it], language="de")
user_create_with_departments(username="carol", email="carol@example.com", role="requester")
"""
OPEN_TICKET = """
from apps.accounts.models import User
from apps.tickets.services import ticket_create
carol = User.objects.get(username="carol")
ticket = ticket_create(actor=carol, requester=carol, title="Printer on fire", description="Smoke everywhere.")
print(ticket.reference)
"""
TASKS = "SELECT func, success FROM django_q_task WHERE func LIKE 'apps.notifications.%'"
INSIGHTS = "SELECT status, provider FROM ai_ticketinsight"
NOTIFICATIONS = """
SELECT u.username, n.kind, n.email_status
FROM notifications_notification n JOIN accounts_user u ON u.id = n.recipient_id ORDER BY n.id
"""


@dataclass
class World:
    """A database, an e-mail folder and the environment of every process that shares them."""

    database_url: str
    mail_dir: Path
    env: dict

    def manage(self, *args: str, timeout: int = 120) -> str:
        done = subprocess.run(  # noqa: S603 -- our own manage.py with fixed arguments
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def query(self, sql: str) -> list[tuple]:
        if self.database_url.startswith("sqlite"):
            with sqlite3.connect(urlsplit(self.database_url).path, timeout=20) as connection:
                return connection.execute(sql).fetchall()
        import psycopg2

        connection = psycopg2.connect(self.database_url)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        finally:
            connection.close()

    def emails(self) -> list[str]:
        return [path.read_text(encoding="utf-8") for path in sorted(self.mail_dir.glob("*.log"))]


def _postgres_database(suffix: str):
    """A fresh PostgreSQL database beside the test database: (url, drop)."""
    import psycopg2

    url = os.environ["DATABASE_URL"]
    config = environ.Env.db_url_config(url)
    name = f"test_{config['NAME']}_workers_{suffix}"[:63]
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))

    def run(statement: str) -> None:
        connection = psycopg2.connect(admin)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}")), lambda: run(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


@pytest.fixture
def world(tmp_path):
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        database_url, drop = _postgres_database(str(os.getpid()))
    else:
        database_url, drop = f"sqlite:///{tmp_path / 'worker.sqlite3'}", lambda: None
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "Q_SYNC": "false",
        "Q_WORKERS": "1",
        "REDIS_URL": "",
        "Q_CLUSTER_NAME": f"test-workers-{uuid.uuid4().hex[:12]}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    built = World(database_url=database_url, mail_dir=mail_dir, env=env)
    built.manage("migrate", "--noinput", "-v", "0")
    built.manage("shell", "--no-imports", "-c", SET_UP)
    yield built
    drop()


def _redis_or_skip():
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        component_missing(f"Redis at {TEST_REDIS_URL} is not reachable ({exc})", tests="the Redis broker tests")
    return client


@pytest.fixture(params=["orm", "redis"])
def broker(request, world):
    """The broker the web side and the worker share: the ORM (the default) or Redis (REDIS_URL)."""
    if request.param == "redis":
        client = _redis_or_skip()
        world.env["REDIS_URL"] = TEST_REDIS_URL
        yield request.param
        for key in client.scan_iter(f"django_q:{world.env['Q_CLUSTER_NAME']}:*"):
            client.delete(key)
    else:
        yield request.param


@pytest.fixture
def qcluster(world, broker, tmp_path):
    log = (tmp_path / "qcluster.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=BASE_DIR,
        env=world.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield process
    # SIGTERM to the cluster's main process, which stops its workers; what is left after that is killed.
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    log.close()


def test_a_worker_delivers_the_notification_and_the_email(world, broker, qcluster, tmp_path):
    started = time.monotonic()
    reference = world.manage("shell", "--no-imports", "-c", OPEN_TICKET).strip().splitlines()[-1]

    deadline = started + WAIT_SECONDS
    notifications, emails, tasks, insights = [], [], [], []
    while time.monotonic() < deadline:
        assert qcluster.poll() is None, (tmp_path / "qcluster.log").read_text()
        notifications = world.query(NOTIFICATIONS)
        emails = world.emails()
        # The worker's task log, written by the cluster's monitor once each task has returned.
        tasks = world.query(TASKS)
        insights = world.query(INSIGHTS)  # the AI triage (local provider) runs in the same worker
        if notifications and notifications[0][2] == "sent" and emails and len(tasks) == 2 and insights:
            break
        time.sleep(0.5)
    log = (tmp_path / "qcluster.log").read_text()

    assert notifications == [("alice", "ticket_created", "sent")], log
    assert insights == [("done", "local")], log
    assert len(emails) == 1, log
    email = emails[0]
    assert "To: alice@example.com" in email
    assert f"[{reference}]" in email
    assert f"Neues Ticket {reference} in IT Support: Printer on fire" in email  # alice reads German
    # The broker really carried both tasks: the worker's task log names them.
    assert sorted((func, bool(success)) for func, success in tasks) == [
        ("apps.notifications.tasks.deliver_event", True),
        ("apps.notifications.tasks.send_email", True),
    ]
    print(json.dumps({"broker": broker, "seconds": round(time.monotonic() - started, 1)}))
