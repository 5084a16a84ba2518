"""Migration tickets 0010 (the figures' tables): it counts the tickets there were with its own frozen copy of the
counting, from the historical models, and the database it leaves, migrated to the latest state, has the figures a
recount gives (check_data's figure check is clean; the rows are those stats_rebuild writes)."""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from apps.tickets.aggregates import stats_rebuild
from apps.tickets.integrity.figures import FiguresDisagree
from apps.tickets.models import TicketDayStat, TicketOpenCount

BEFORE = ("tickets", "0009_ticket_search_documents")
FIGURES = ("tickets", "0010_day_and_open_figures")
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def figures() -> tuple[list[dict], list[dict]]:
    day_rows = TicketDayStat.objects.order_by("day", "department_id", "agent", "shard").values()
    open_rows = TicketOpenCount.objects.order_by("department_id", "agent", "status", "priority", "shard").values()
    without_id = [{k: v for k, v in row.items() if k != "id"} for row in (*day_rows, *open_rows)]
    return without_id[: len(day_rows)], without_id[len(day_rows) :]


@pytest.mark.django_db(transaction=True)
def test_0010_counts_the_tickets_there_were_with_the_historical_models():
    executor = migrate([BEFORE])
    old = executor._create_project_state(with_applied_migrations=True).apps
    Group, User = old.get_model("auth", "Group"), old.get_model("accounts", "User")
    Department, Ticket = old.get_model("departments", "Department"), old.get_model("tickets", "Ticket")
    it = Department.objects.create(name="IT", slug="it", group=Group.objects.create(name="department:it"))
    hr = Department.objects.create(name="HR", slug="hr", group=Group.objects.create(name="department:hr"))
    carol = User.objects.create(username="carol", email="carol@example.com", role="requester")
    alice = User.objects.create(username="alice", email="alice@example.com", role="agent", is_staff=True)
    stamps = {
        # number: department, assignee, status, created, first answered, resolved, closed, due (response, resolution)
        1: (it, alice, "open", NOON, NOON + timedelta(hours=2), None, None, NOON + timedelta(hours=1), None),
        2: (it, alice, "resolved", NOON, NOON + timedelta(minutes=10), NOON + timedelta(days=2), None, None, None),
        3: (it, None, "new", NOON + timedelta(days=1), None, None, None, None, None),
        4: (hr, None, "closed", NOON, None, None, NOON + timedelta(days=3), None, None),
        5: (hr, alice, "closed", NOON, NOON, NOON + timedelta(hours=30), NOON + timedelta(days=4), None, NOON),
    }
    for n, (department, assignee, status, created, answered, resolved, closed, due, resolution_due) in stamps.items():
        ticket = Ticket.objects.create(
            reference=f"T-{n}", title=f"Ticket {n}", description="x", requester=carol, department=department,
            assignee=assignee, status=status,
        )  # fmt: skip
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created, first_responded_at=answered, resolved_at=resolved, closed_at=closed,
            first_response_due_at=due, resolution_due_at=resolution_due,
        )  # fmt: skip

    executor = migrate([FIGURES])
    at_0010 = executor._create_project_state(with_applied_migrations=True).apps
    assert at_0010.get_model("tickets", "TicketDayStat").objects.count() > 0
    migrate(executor.loader.graph.leaf_nodes())

    finding = FiguresDisagree().find(limit=10)
    assert (finding.count, finding.examples) == (0, [])
    filled = figures()
    days = defaultdict(Counter)  # the shards of a bucket summed
    for row in filled[0]:
        days[(row["day"], row["department_id"], row["agent"])].update(
            {k: v for k, v in row.items() if isinstance(v, int) and k not in ("department_id", "agent", "shard")}
        )
    assert sum(row["created"] for row in filled[0]) == 5
    first = NOON.date()
    assert days[(first, it.pk, alice.pk)]["created"] == 2
    assert days[(first, it.pk, alice.pk)]["responded"] == 2
    assert days[(first, it.pk, alice.pk)]["response_breached"] == 1  # answered after 2 h, due after 1 h
    assert days[(first, it.pk, alice.pk)]["response_seconds"] == 2 * 3600 + 600
    assert days[(first + timedelta(days=2), it.pk, alice.pk)]["resolved"] == 1
    assert days[(first + timedelta(days=3), hr.pk, 0)]["done"] == 1  # closed without being resolved
    assert days[(first + timedelta(days=1), hr.pk, alice.pk)]["resolution_breached"] == 1
    assert [(r["department_id"], r["agent"], r["status"], r["count"]) for r in filled[1]] == [
        (it.pk, 0, "new", 1),
        (it.pk, alice.pk, "open", 1),
    ]
    with transaction.atomic():  # as rebuild_stats runs it
        stats_rebuild()
    assert figures() == filled
