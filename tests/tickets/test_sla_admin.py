"""The SLA in the back office: a badge per ticket on the changelist and the "breaching soon" filter."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.departments.models import SlaPolicy
from apps.departments.services import sla_policy_save
from apps.tickets.choices import Status
from apps.tickets.models import Ticket
from tests.support import assert_constant_queries
from tests.tickets.factories import TicketFactory

CHANGELIST = reverse("admin:tickets_ticket_changelist")


@pytest.fixture
def tickets(it_dept, requester):
    """Four IT tickets whose first response is due at different distances from now (one is waiting)."""
    sla_policy_save(
        policy=SlaPolicy(department=it_dept, priority="normal", first_response_minutes=60, resolution_minutes=600)
    )
    now = timezone.now()
    made = {}
    for name, due_in in (("on-track", 120), ("soon", 10), ("late", -5), ("paused", 10)):
        ticket = TicketFactory(department=it_dept, requester=requester, title=name)
        Ticket.objects.filter(pk=ticket.pk).update(first_response_due_at=now + timedelta(minutes=due_in))
        made[name] = ticket
    Ticket.objects.filter(pk=made["paused"].pk).update(status=Status.WAITING, sla_paused_at=now)
    return made


def titles(response) -> list[str]:
    return sorted(t.title for t in response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("breaching_soon", ["soon"]),
        ("breached", ["late"]),
        ("paused", ["paused"]),
        ("", ["late", "on-track", "paused", "soon"]),
    ],
)
def test_the_sla_filter(alice_client, tickets, value, expected):
    response = alice_client.get(CHANGELIST, {"sla": value} if value else {})
    assert titles(response) == expected


def test_the_filter_stays_within_the_users_scope(bob_client, tickets):
    assert titles(bob_client.get(CHANGELIST, {"sla": "breached"})) == []


def test_each_row_shows_its_sla_state(alice_client, tickets):
    html = alice_client.get(CHANGELIST).content.decode()
    for label in ("On track", "Breaching soon", "Breached", "Paused"):
        assert f">{label}<" in " ".join(html.split()).replace("> ", ">").replace(" <", "<")


def test_the_badge_costs_no_query_per_row(alice_client, it_dept, requester, tickets):
    alice_client.get(CHANGELIST)  # warm up the filters' cached choices
    assert_constant_queries(
        lambda: alice_client.get(CHANGELIST),
        add_rows=lambda count: TicketFactory.create_batch(count, department=it_dept, requester=requester),
        rows=(4, 30),
        existing=4,  # the `tickets` fixture's
    )
