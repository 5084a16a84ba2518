"""apps/common/bulk.py rows_insert: plain rows into a model's table, as bulk_create would write them."""

from datetime import UTC, datetime

import pytest

from apps.common.bulk import rows_insert
from apps.tickets.choices import EventKind
from apps.tickets.models import TicketEvent, TicketUserObjectPermission
from apps.tickets.permissions import ticket_permission_id
from tests.tickets.factories import TicketFactory


@pytest.fixture
def it_ticket(it_dept, requester):
    return TicketFactory(department=it_dept, requester=requester)


def test_rows_come_back_as_bulk_create_writes_them_with_their_ids(it_ticket, agent, django_assert_num_queries):
    when = datetime(2024, 2, 29, 23, 30, 15, 123456, tzinfo=UTC)
    rows = [
        (it_ticket.pk, agent.pk, EventKind.COMMENTED, {"comment": 7, "note": "ü"}, False, when),
        (it_ticket.pk, None, EventKind.NOTE_ADDED, {}, True, when),
    ]
    with django_assert_num_queries(1):
        ids = rows_insert(
            TicketEvent, ("ticket", "actor", "kind", "data", "is_internal", "created_at"), rows, returning="id"
        )

    events = TicketEvent.objects.filter(pk__in=ids).order_by("pk")
    assert [(e.pk, e.actor_id, e.kind, e.data, e.is_internal, e.created_at) for e in events] == [
        (ids[0], agent.pk, "commented", {"comment": 7, "note": "ü"}, False, when),
        (ids[1], None, "note_added", {}, True, when),
    ]
    assert ids[0] < ids[1]


def test_conflicts_are_skipped(it_ticket, agent, requester):
    view = ticket_permission_id("view_ticket")
    grants = TicketUserObjectPermission.objects.filter(content_object=it_ticket)
    before = set(grants.values_list("user_id", "permission_id"))
    assert (requester.pk, view) in before  # the requester's own grant
    fields = ("user", "permission", "content_object")

    rows_insert(TicketUserObjectPermission, fields, [(agent.pk, view, it_ticket.pk)], ignore_conflicts=True)
    rows_insert(
        TicketUserObjectPermission,
        fields,
        [(agent.pk, view, it_ticket.pk), (requester.pk, view, it_ticket.pk)],
        ignore_conflicts=True,
    )

    assert sorted(grants.values_list("user_id", "permission_id")) == sorted(before | {(agent.pk, view)})
    with pytest.raises(ValueError, match="conflicts"):
        rows_insert(TicketUserObjectPermission, fields, [(agent.pk, view, it_ticket.pk)], ignore_conflicts=True,
                    returning="id")  # fmt: skip
