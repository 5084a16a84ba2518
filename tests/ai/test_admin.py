"""The insight on the back office's ticket page: shown, applied through the services, and the language filter."""

import pytest
from django.urls import reverse

from apps.ai.choices import InsightStatus
from apps.ai.models import TicketInsight
from apps.tickets.choices import EventKind, Priority
from apps.tickets.models import Ticket, TicketEvent
from tests.support import logged_in
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(it_dept, requester):
    return TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")


@pytest.fixture
def insight(ticket, billing_dept):
    return TicketInsight.objects.create(
        ticket=ticket,
        status=InsightStatus.DONE,
        provider="local",
        language="de",
        sentiment=-0.6,
        categories=["billing"],
        suggested_priority=Priority.HIGH,
        suggested_department=billing_dept,
    )


def apply_url(ticket) -> str:
    return reverse("admin:tickets_ticket_insight_apply", args=[ticket.pk])


def test_the_ticket_page_shows_the_insight_and_apply_buttons(agent, ticket, insight):
    html = logged_in(agent).get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert 'data-insight="language">de<' in html
    assert 'data-insight="sentiment">-0.60<' in html
    assert 'data-insight="department">Billing<' in html
    assert html.count(f'formaction="{apply_url(ticket)}"') == 2


def test_a_failed_insight_shows_its_reason(agent, ticket):
    TicketInsight.objects.create(ticket=ticket, status=InsightStatus.FAILED, provider="google", error="Timeout <x>")
    html = logged_in(agent).get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert "Timeout &lt;x&gt;" in html


def test_apply_priority_goes_through_the_service(agent, ticket, insight):
    response = logged_in(agent).post(apply_url(ticket), {"apply": "priority"})

    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.HIGH
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.PRIORITY_CHANGED)
    assert (event.actor, event.data) == (agent, {"from": "normal", "to": "high"})


def test_apply_department_transfers_and_leaves_scope(agent, ticket, insight, billing_dept):
    response = logged_in(agent).post(apply_url(ticket), {"apply": "department"})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tickets_ticket_changelist")
    assert Ticket.objects.get(pk=ticket.pk).department == billing_dept
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRANSFERRED, actor=agent).count() == 1


def test_apply_outside_scope_is_404_and_changes_nothing(other_agent, ticket, insight):
    response = logged_in(other_agent).post(apply_url(ticket), {"apply": "priority"})

    assert response.status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.NORMAL


def test_apply_needs_post(agent, ticket, insight):
    assert logged_in(agent).get(apply_url(ticket), {"apply": "priority"}).status_code == 405
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.NORMAL


def test_language_filter_uses_the_ticket_or_the_insight(agent, it_dept, requester, ticket, insight):
    english = TicketFactory(department=it_dept, requester=requester, language="en")
    german = TicketFactory(department=it_dept, requester=requester, language="de")
    response = logged_in(agent).get(reverse("admin:tickets_ticket_changelist"), {"language": "de"})

    assert {t.pk for t in response.context["cl"].result_list} == {ticket.pk, german.pk}
    assert english.pk not in {t.pk for t in response.context["cl"].result_list}
