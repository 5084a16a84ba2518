"""The one creation path (apps/tickets/creation.py): what every new ticket gets, in how many queries, and the
references it draws (apps/tickets/references.py)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.utils import OperationalError

from apps.accounts.choices import Role
from apps.departments.choices import AssignmentPolicy
from apps.departments.models import RoutingRule, SlaPolicy
from apps.tickets.choices import EventKind, Source, Status
from apps.tickets.creation import NewTicket, tickets_create_bulk
from apps.tickets.models import Ticket, TicketEvent
from apps.tickets.references import reference_counter_value
from apps.tickets.search import search_documents_refresh
from apps.tickets.selectors import tickets_visible_to
from apps.tickets.services import ticket_create
from tests.accounts.factories import UserFactory


@pytest.fixture
def sla(it_dept, billing_dept):
    for department in (it_dept, billing_dept):
        SlaPolicy.objects.create(
            department=department, priority="normal", first_response_minutes=60, resolution_minutes=480
        )


def create(requester, **kwargs):
    return ticket_create(actor=requester, requester=requester, title="VPN drops", description="Every hour.", **kwargs)


# What a ticket gets ----------------------------------------------------------------------------------------------


def test_a_routed_ticket_gets_its_reference_due_dates_grants_and_history(requester, it_dept, agent, sla):
    ticket = create(requester)

    ticket.refresh_from_db()
    assert ticket.department == it_dept
    assert ticket.first_response_due_at == ticket.created_at + timedelta(minutes=60)
    assert ticket.resolution_due_at == ticket.created_at + timedelta(minutes=480)
    assert list(ticket.events.values_list("kind", "actor", "data")) == [
        (
            EventKind.CREATED,
            requester.pk,
            {"status": "new", "priority": "normal", "department": it_dept.pk, "source": "portal"},
        ),
        (EventKind.ROUTED, requester.pk, {"department": it_dept.pk, "rule": None}),
    ]
    assert set(tickets_visible_to(agent)) == {ticket}
    assert set(tickets_visible_to(requester)) == {ticket}


def test_the_bulk_path_gives_each_row_what_ticket_create_gives_one(requester, agent, it_dept, billing_dept, sla):
    it_dept.assignment_policy = AssignmentPolicy.ROUND_ROBIN
    it_dept.save()
    second = UserFactory(username="erin", role=Role.AGENT, departments=[it_dept])
    rule = RoutingRule.objects.create(department=billing_dept, order=1, field="keywords", pattern="invoice")
    rows = [
        NewTicket(title="Invoice wrong", description="x", requester_id=requester.pk),
        NewTicket(title="VPN", description="x", requester_id=requester.pk),
        NewTicket(title="Laptop", description="x", requester_id=requester.pk, department_id=it_dept.pk),
        NewTicket(title="Old", description="x", requester_id=requester.pk, department=it_dept, status=Status.CLOSED),
    ]

    invoice, vpn, laptop, old = tickets_create_bulk(actor=None, rows=rows, source=Source.API)

    numbers = [int(t.reference.split("-")[1]) for t in (invoice, vpn, laptop, old)]
    assert numbers == [numbers[0] + n for n in range(4)]
    assert (invoice.department, invoice.assignee) == (billing_dept, None)
    # Round robin over the open tickets of IT Support, in turn; a closed ticket is given to nobody.
    assert (vpn.assignee, laptop.assignee, old.assignee) == (agent, second, None)
    assert invoice.events.get(kind=EventKind.ROUTED).data == {
        "department": billing_dept.pk,
        "rule": rule.pk,
        "order": 1,
        "field": "keywords",
        "pattern": "invoice",
    }
    assert vpn.events.get(kind=EventKind.ASSIGNED).data == {"from": None, "to": agent.pk, "policy": "round_robin"}
    assert not laptop.events.filter(kind=EventKind.ROUTED).exists()
    assert Ticket.objects.get(pk=old.pk).sla_paused_at is not None
    assert TicketEvent.objects.count() == 4 + 1 + 1 + 2  # created ×4, routed ×2, assigned ×2


def test_a_bad_row_writes_nothing(requester, it_dept):
    rows = [
        NewTicket(title="Fine", description="x", requester_id=requester.pk, department=it_dept),
        NewTicket(title="Bad", description="x", requester_id=requester.pk, department=it_dept, priority="meh"),
    ]
    with pytest.raises(Exception, match="priority"):
        tickets_create_bulk(actor=None, rows=rows, source=Source.IMPORT)
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0


def test_search_documents_are_those_a_refresh_writes(requester, it_dept):
    if connection.vendor != "postgresql":
        pytest.skip("the documents are kept on PostgreSQL")
    ticket = create(requester, department=it_dept)
    written = Ticket.objects.values_list("search_public", "search_internal").get(pk=ticket.pk)
    search_documents_refresh(ticket_ids=[ticket.pk])
    assert Ticket.objects.values_list("search_public", "search_internal").get(pk=ticket.pk) == written
    assert "drop" in written[0] and written[1] == ""


# What it costs ---------------------------------------------------------------------------------------------------


def test_a_routed_create_with_sla_grants_and_events_takes_twelve_queries_or_eleven(
    requester, it_dept, sla, django_assert_num_queries
):
    create(requester)  # warm: the permission ids are read once per process
    # savepoint, routing (rules and default in one), reference, SLA policy, INSERT (with its search documents),
    # user grants, group grants, events, the figures (day and open counts, apps/tickets/aggregates.py), the
    # webhooks' listener, release. On PostgreSQL the routing and the SLA policy are one read of the setup's
    # version (apps/departments/snapshot.py, kept per process): 11.
    with django_assert_num_queries(11 if connection.vendor == "postgresql" else 12):
        create(requester)


def test_the_assignment_policy_adds_three_queries(requester, it_dept, agent, sla, django_assert_num_queries):
    it_dept.assignment_policy = AssignmentPolicy.ROUND_ROBIN
    it_dept.save()
    create(requester)
    # The locked cursor, the agents, the cursor's update.
    with django_assert_num_queries(14 if connection.vendor == "postgresql" else 15):
        ticket = create(requester)
    assert ticket.assignee == agent


def test_a_batch_costs_the_same_queries_for_2_or_30_rows(requester, it_dept, billing_dept, sla):
    from django.test.utils import CaptureQueriesContext

    def queries(count: int) -> int:
        rows = [
            NewTicket(title=f"T{n}", description="x", requester_id=requester.pk, department_id=None)
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as context:
            tickets_create_bulk(actor=None, rows=rows, source=Source.IMPORT)
        return len(context.captured_queries)

    queries(2)
    assert queries(2) == queries(30)


# References ------------------------------------------------------------------------------------------------------


def test_the_counter_follows_the_references_handed_out(requester, it_dept):
    ticket = create(requester, department=it_dept)
    assert reference_counter_value() == int(ticket.reference.split("-")[1])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_create_does_not_wait_for_another_creates_commit(requester, it_dept):
    """PostgreSQL: the reference comes from a sequence, so an open transaction that has just created a ticket
    holds no lock that another create needs (the old counter row was locked until commit)."""
    if connection.vendor != "postgresql":
        pytest.skip("the sequence is PostgreSQL's")
    created, release, errors = threading.Event(), threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                create(requester, department=it_dept)
                created.set()
                release.wait(timeout=30)
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connections["default"].close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert created.wait(timeout=30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            try:
                second = create(requester, department=it_dept)
            except OperationalError as exc:  # a lock wait: the behaviour this test forbids
                pytest.fail(f"the second create waited for the first one's lock: {exc}")
    finally:
        release.set()
        thread.join(timeout=30)
    assert errors == []
    assert Ticket.objects.count() == 2
    assert second.reference != Ticket.objects.exclude(pk=second.pk).get().reference
