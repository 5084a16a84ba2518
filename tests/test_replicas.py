"""Read replicas (apps/common/replicas.py): which reads go to the replica, and, against a real streaming replica
(DATABASE_REPLICA_URL), that a list is read there while a client's own writes are read from the primary.

The test against the real replica runs in its own step of .ci/run (scripts/pg_replica.sh starts the standby,
then this file runs with DATABASE_REPLICA_URL and REPLICA_TESTS=1): the rest of the suite runs without a
replica, as its tests' data is never committed for a standby to see. Without a replica the test is skipped,
unless REPLICA_TESTS is set, when it fails (tests/support.py component_missing)."""

import os
import time

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from apps.common.replicas import PIN_COOKIE, REPLICA, ReplicaRouter, replica_reads
from apps.tickets.models import Ticket
from tests.support import component_missing, jwt_client
from tests.tickets.factories import TicketFactory

# The router reads settings.DATABASES to know whether a replica exists; these tests say that one does.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@pytest.fixture
def with_replica(settings):
    """The router's view of a site with a replica (the alias itself is not used by these tests)."""
    settings.DATABASES = {**settings.DATABASES, REPLICA: dict(settings.DATABASES["default"])}


def test_reads_go_to_the_primary_unless_a_block_allows_the_replica(with_replica, db):
    router = ReplicaRouter()
    assert router.db_for_read(Ticket) == "default"
    with replica_reads(), transaction.atomic():  # inside a transaction: what it wrote or locked is on the primary
        assert router.db_for_read(Ticket) == "default"


@pytest.mark.django_db(transaction=True)
def test_a_block_reads_from_the_replica_until_it_writes(with_replica):
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Ticket) == REPLICA
        assert router.db_for_write(Ticket) == "default"
        assert router.db_for_read(Ticket) == "default"  # read-after-write: the rest of the block reads the primary
    with replica_reads():
        assert router.db_for_read(Ticket) == REPLICA  # a new block (the next request) starts afresh
    assert router.db_for_read(Ticket) == "default"


def test_without_a_replica_every_read_is_the_primarys(db):
    with replica_reads():
        assert ReplicaRouter().db_for_read(Ticket) == "default"


def test_migrations_run_on_the_primary_only():
    router = ReplicaRouter()
    assert router.allow_migrate("default", "tickets") is True
    assert router.allow_migrate(REPLICA, "tickets") is False


# A real streaming replica -------------------------------------------------------------------------------------


def _replayed() -> None:
    """Wait until the replica has replayed everything the primary has written so far (not a timing assert:
    the test fails only if it never happens)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    for _ in range(600):
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    pytest.fail("the replica did not replay the primary's writes within 30 s")


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA] if REPLICA in settings.DATABASES else None)
def test_lists_read_from_the_streaming_replica_and_writers_read_their_writes(agent, it_dept, requester):
    if REPLICA not in settings.DATABASES:
        if not os.environ.get("REPLICA_TESTS"):
            pytest.skip("no streaming replica (DATABASE_REPLICA_URL): .ci/run tests one in a step of its own")
        component_missing("No streaming replica (DATABASE_REPLICA_URL)", tests="read replica tests")
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True  # a real standby, not the primary under another name
    ticket = TicketFactory(department=it_dept, requester=requester)
    _replayed()
    client = jwt_client(agent)

    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        listed = client.get("/api/tickets/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [ticket.pk]
    assert any("tickets_ticket" in query["sql"] for query in on_replica.captured_queries)

    created = client.post("/api/tickets/", {"title": "New", "description": "x", "department": it_dept.pk})
    assert created.status_code == 201
    assert PIN_COOKIE in created.cookies
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        listed = client.get("/api/tickets/")
    assert created.json()["id"] in [row["id"] for row in listed.json()["results"]]
    assert on_replica.captured_queries == []  # pinned to the primary: its own write, whatever the lag
