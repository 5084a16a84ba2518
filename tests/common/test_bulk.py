"""apps/common/bulk.py: rows_insert (plain rows into a model's table, as bulk_create would write them; on
PostgreSQL many rows go through COPY, which must write the same) and instance_builder (unsaved instances by position,
as the keyword form builds them)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from apps.common import bulk
from apps.common.bulk import instance_builder, rows_insert
from apps.tickets.choices import EventKind, Source
from apps.tickets.creation import NewTicket, tickets_create_bulk
from apps.tickets.models import Comment, Ticket, TicketEvent, TicketUserObjectPermission
from apps.tickets.permissions import ticket_permission_id
from apps.tickets.search import search_documents_refresh
from tests.tickets.factories import TicketFactory


@pytest.fixture
def it_ticket(it_dept, requester):
    return TicketFactory(department=it_dept, requester=requester)


@pytest.fixture(params=["values", "copy"])
def way(request, monkeypatch):
    """Both ways of rows_insert: multi-row VALUES, and (PostgreSQL) COPY, here from one row on."""
    if request.param == "copy":
        if connection.vendor != "postgresql":
            pytest.skip("COPY is PostgreSQL's")
        monkeypatch.setattr(bulk, "COPIED_ROWS", 1)
    return request.param


def test_rows_come_back_as_bulk_create_writes_them_with_their_ids(it_ticket, agent, way, django_assert_num_queries):
    when = datetime(2024, 2, 29, 23, 30, 15, 123456, tzinfo=UTC)
    rows = [
        (it_ticket.pk, agent.pk, EventKind.COMMENTED, {"comment": 7, "note": "ü"}, False, when),
        (it_ticket.pk, None, EventKind.NOTE_ADDED, {}, True, when),
    ]
    with django_assert_num_queries(1 if way == "values" else 2):  # COPY: the ids from the sequence, then the COPY
        ids = rows_insert(
            TicketEvent, ("ticket", "actor", "kind", "data", "is_internal", "created_at"), rows, returning="id"
        )

    events = TicketEvent.objects.filter(pk__in=ids).order_by("pk")
    assert [(e.pk, e.actor_id, e.kind, e.data, e.is_internal, e.created_at) for e in events] == [
        (ids[0], agent.pk, "commented", {"comment": 7, "note": "ü"}, False, when),
        (ids[1], None, "note_added", {}, True, when),
    ]
    assert ids[0] < ids[1]


def test_conflicts_are_skipped(it_ticket, agent, requester, way):
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


def test_awkward_values_are_written_as_they_are(it_ticket, agent, way):
    texts = ["tab\there", "back\\slash \\N", "line\nbreak\r\nand CR", "", "ünïcødé ✓", "\\."]
    when = datetime(2024, 2, 29, 23, 30, 15, 123456, tzinfo=UTC)
    rows = [(it_ticket.pk, agent.pk, text, index % 2 == 0, when, when) for index, text in enumerate(texts)]

    ids = rows_insert(
        Comment, ("ticket", "author", "body", "is_internal", "created_at", "updated_at"), rows, returning="id"
    )
    events = rows_insert(
        TicketEvent,
        ("ticket", "actor", "kind", "data", "is_internal", "created_at"),
        [(it_ticket.pk, None, EventKind.COMMENTED, {"text": text, "none": None}, False, when) for text in texts],
        returning="id",
    )

    comments = Comment.objects.in_bulk(ids)
    assert [(comments[pk].body, comments[pk].is_internal, comments[pk].created_at) for pk in ids] == [
        (text, index % 2 == 0, when) for index, text in enumerate(texts)
    ]
    written = TicketEvent.objects.in_bulk(events)
    assert [written[pk].data for pk in events] == [{"text": text, "none": None} for text in texts]
    assert [written[pk].actor_id for pk in events] == [None] * len(texts)


def test_new_tickets_get_the_documents_and_durations_a_refresh_writes(requester, it_dept, way):
    titles = ["Café au lait", "VPN\tdrops", "Müller's printer: \\server\\share", "Line\nbreak"]
    rows = [
        NewTicket(title=f"Ticket {n}", description=text, requester_id=requester.pk, department=it_dept)
        for n, text in enumerate(titles)
    ]

    tickets = tickets_create_bulk(actor=None, rows=rows, source=Source.IMPORT)

    stored = Ticket.objects.in_bulk([t.pk for t in tickets])
    assert [stored[t.pk].description for t in tickets] == [t.description for t in tickets]
    assert [stored[t.pk].sla_paused for t in tickets] == [timedelta(0)] * len(titles)
    if connection.vendor == "postgresql":
        documents = Ticket.objects.filter(pk__in=stored).order_by("pk").values_list("search_public", "search_internal")
        written = list(documents)
        search_documents_refresh(ticket_ids=list(stored))
        assert list(documents) == written
        assert "cafe" in written[0][0] and "muller" in written[2][0]


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_built_instances_equal_the_keyword_form_with_defaults_called_for_each(monkeypatch):
    moments = iter(datetime(2024, 1, day, tzinfo=UTC) for day in range(1, 10))
    monkeypatch.setattr(TicketEvent._meta.get_field("created_at"), "default", lambda: next(moments))
    build = instance_builder(TicketEvent, ("ticket_id", "actor_id", "kind", "data", "is_internal"))

    first = build(5, None, EventKind.COMMENTED, {"comment": 1}, False)
    second = build(6, 3, EventKind.NOTE_ADDED, {}, True)
    by_keywords = TicketEvent(ticket_id=6, actor_id=3, kind=EventKind.NOTE_ADDED, data={}, is_internal=True)

    assert _fields(first) == {
        "id": None,
        "ticket_id": 5,
        "actor_id": None,
        "kind": "commented",
        "data": {"comment": 1},
        "is_internal": False,
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
    }
    assert _fields(second) == {**_fields(by_keywords), "created_at": datetime(2024, 1, 2, tzinfo=UTC)}
    assert first._state.adding is True


def test_built_ticket_has_the_defaults_of_the_keyword_form():
    when = datetime(2024, 2, 29, tzinfo=UTC)
    values = {"reference": "T-1", "title": "Printer", "requester_id": 4, "department_id": 2, "created_at": when}
    values["updated_at"] = when
    build = instance_builder(Ticket, tuple(values))

    built = _fields(build(*values.values()))
    assert built == _fields(Ticket(**values))
    assert (built["status"], built["version"], built["description"], built["assignee_id"]) == ("new", 1, "", None)


def test_a_field_that_is_not_a_column_is_refused():
    with pytest.raises(KeyError):
        instance_builder(Ticket, ("department",))
