"""The circuit breaker around the AI provider: a provider that keeps failing is left alone for a cool-down."""

import pytest

from apps.ai import breaker
from apps.ai.choices import InsightStatus
from apps.ai.models import TicketInsight, Translation
from apps.ai.tasks import triage_ticket
from tests.support import jwt_client
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def triage_new_tickets(count, it_dept, requester) -> list[TicketInsight]:
    tickets = [TicketFactory(department=it_dept, requester=requester, title="Printer") for _ in range(count)]
    for ticket in tickets:
        triage_ticket(ticket.pk)
    return [TicketInsight.objects.get(ticket=ticket) for ticket in tickets]


def test_after_the_threshold_triage_fails_fast_without_calling_the_provider(down, clock, it_dept, requester):
    failed = triage_new_tickets(3, it_dept, requester)
    assert all(insight.status == InsightStatus.FAILED for insight in failed)
    calls = len(down.requests)
    assert calls >= 3

    later = triage_new_tickets(2, it_dept, requester)

    assert len(down.requests) == calls  # no HTTP call once the breaker is open
    for insight in later:
        assert insight.status == InsightStatus.FAILED
        assert insight.error.startswith("AI provider unavailable: circuit open until ")
    assert breaker.state("google").is_open


def test_translation_while_open_is_503_at_once(down, clock, it_dept, requester):
    triage_new_tickets(3, it_dept, requester)
    calls = len(down.requests)
    ticket = TicketFactory(department=it_dept, requester=requester)

    response = jwt_client(requester).get(f"/api/tickets/{ticket.pk}/translation/?lang=de")

    assert response.status_code == 503
    assert int(response["Retry-After"]) == 60
    assert response.json()["detail"] == "The translation service failed; try again later."
    assert len(down.requests) == calls
    assert not Translation.objects.exists()


def test_after_the_cool_down_one_success_closes_the_breaker(down, clock, it_dept, requester):
    triage_new_tickets(3, it_dept, requester)
    clock["t"] += 61
    down.responses.clear()  # the provider is back

    (insight,) = triage_new_tickets(1, it_dept, requester)

    assert insight.status == InsightStatus.DONE
    assert not breaker.state("google").is_open
    assert breaker.state("google").failures == 0


def test_a_failed_trial_opens_the_breaker_again(down, clock, it_dept, requester):
    triage_new_tickets(3, it_dept, requester)
    clock["t"] += 61
    calls = len(down.requests)

    (trial,) = triage_new_tickets(1, it_dept, requester)
    assert trial.status == InsightStatus.FAILED
    assert len(down.requests) > calls  # the one trial call went out
    calls = len(down.requests)

    (after,) = triage_new_tickets(1, it_dept, requester)
    assert "circuit open" in after.error
    assert len(down.requests) == calls
    assert breaker.state("google").open_until == clock["t"] + 60


def test_a_bad_request_does_not_count_and_a_success_resets_the_count(fake_google, settings, clock):
    settings.AI_BREAKER_FAILURES = 2
    from apps.ai.providers import ProviderError, get_provider

    for _ in range(3):
        fake_google.responses[":translateText"] = [400]
        with pytest.raises(ProviderError):
            get_provider().translate("x", target="de")
    assert breaker.state("google").failures == 0
    assert not breaker.state("google").is_open


def test_calls_for_ten_tickets_with_and_without_the_breaker(down, settings, clock, it_dept, requester):
    """The measure behind the breaker (printed with -s): HTTP calls for 10 triages while the provider is down."""
    settings.AI_BREAKER_FAILURES = 0  # off
    triage_new_tickets(10, it_dept, requester)
    without = len(down.requests)

    down.requests.clear()
    settings.AI_BREAKER_FAILURES = 5
    triage_new_tickets(10, it_dept, requester)
    with_breaker = len(down.requests)

    print(f"HTTP calls for 10 tickets, provider down: {without} without the breaker, {with_breaker} with it")
    assert with_breaker < without


def test_the_ticket_page_shows_the_open_breaker_and_translation_says_try_later(down, clock, agent, it_dept, requester):
    from django.urls import reverse

    from tests.support import logged_in

    (insight,) = triage_new_tickets(1, it_dept, requester)
    page = reverse("admin:tickets_ticket_change", args=[insight.ticket_id])
    assert 'data-ai-breaker="open"' not in logged_in(agent).get(page).content.decode()
    triage_new_tickets(2, it_dept, requester)
    calls = len(down.requests)

    html = logged_in(agent).get(page).content.decode()
    assert 'data-ai-breaker="open"' in html
    assert "circuit breaker is open until" in html
    translated = logged_in(agent).get(page + "?translate=1").content.decode()
    assert "The translation service failed; try again later." in translated
    assert len(down.requests) == calls
