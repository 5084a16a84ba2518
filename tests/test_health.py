"""/healthz and /readyz: unauthenticated, cheap, and saying nothing but "ok" or "unavailable"."""

import logging

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder

from apps.common import health

OK = {"status": "ok"}
UNAVAILABLE = {"status": "unavailable"}


@pytest.fixture(autouse=True)
def _fresh_probe_state(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    monkeypatch.setattr(health, "_redis_clients", {})


def assert_bare(response, status: int, body: dict):
    """Exactly the status and body, never cached, no cookie, nothing else to learn from."""
    assert response.status_code == status
    assert response.json() == body
    assert response.content == (b'{"status": "ok"}' if body == OK else b'{"status": "unavailable"}')
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies


def test_healthz_answers_without_the_database(client):
    # No django_db mark: a query would fail the test.
    assert_bare(client.get("/healthz"), 200, OK)
    assert client.head("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_when_everything_is_up(client, django_assert_max_num_queries):
    # SELECT 1; the migrations table's existence and rows; the ORM broker's SELECT 1.
    with django_assert_max_num_queries(4):
        assert_bare(client.get("/readyz"), 200, OK)


@pytest.mark.django_db
def test_readyz_checks_migrations_once_per_process(client, django_assert_num_queries):
    client.get("/readyz")
    with django_assert_num_queries(2):  # SELECT 1 for the database, SELECT 1 for the ORM broker
        assert_bare(client.get("/readyz"), 200, OK)


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_database_fails(client, monkeypatch, caplog):
    def broken_cursor(*args, **kwargs):
        raise OperationalError('connection to server at "db.internal" (10.0.0.5), port 5432 failed: password')

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    with caplog.at_level(logging.WARNING, logger="apps.common.health"):
        response = client.get("/readyz")

    assert_bare(response, 503, UNAVAILABLE)
    assert b"db.internal" not in response.content
    ours = [record for record in caplog.records if record.name == "apps.common.health"]
    assert [record.getMessage() for record in ours] == ["Readiness check database_ready failed"]
    assert ours[0].exc_info[0] is OperationalError  # the reason is in the log, not in the answer


@pytest.mark.django_db
def test_readyz_is_unavailable_while_a_migration_is_pending(client):
    applied = MigrationRecorder(connection).applied_migrations()
    app, name = max(key for key in applied if key[0] == "tickets")
    MigrationRecorder(connection).record_unapplied(app, name)  # rolled back with the test's transaction

    assert_bare(client.get("/readyz"), 503, UNAVAILABLE)
    assert health._migrations_applied is False  # checked again next time, not remembered


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_redis_broker_does_not_answer(client, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": "redis://127.0.0.1:1/0"}  # nothing listens on port 1
    settings.Q_CLUSTER.pop("orm", None)

    assert_bare(client.get("/readyz"), 503, UNAVAILABLE)


@pytest.mark.django_db
def test_readyz_pings_a_redis_broker(client, settings):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
    settings.Q_CLUSTER = {key: value for key, value in settings.Q_CLUSTER.items() if key != "orm"} | {"redis": url}

    assert_bare(client.get("/readyz"), 200, OK)


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_only_read(client, path):
    response = client.post(path)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.content == b""


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_need_no_login_and_ignore_one(client, requester, path):
    anonymous = client.get(path)
    client.force_login(requester)

    assert anonymous.status_code == client.get(path).status_code == 200
