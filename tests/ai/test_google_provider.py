"""The google provider through the real client libraries, against a local fake HTTP server."""

import time

import pytest

from apps.ai.models import TicketInsight
from apps.ai.providers import ProviderError, get_provider
from apps.ai.tasks import triage_ticket
from apps.departments.models import RoutingRule
from apps.tickets.models import Ticket
from tests.tickets.factories import TicketFactory


def test_analyze_calls_language_v2_and_parses_the_answers(fake_google):
    analysis = get_provider().analyze("My invoice is wrong")

    assert (analysis.sentiment, analysis.categories) == (-0.8, ["billing"])
    assert fake_google.paths() == ["/v2/documents:analyzeSentiment", "/v2/documents:classifyText"]
    assert fake_google.requests[0][2]["document"] == {"content": "My invoice is wrong", "type": 1}  # PLAIN_TEXT


def test_detect_language_calls_translate_v3(fake_google):
    assert get_provider().detect_language("Guten Tag") == "de"
    _method, path, body = fake_google.requests[0]
    assert path == "/v3/projects/demo-project/locations/global:detectLanguage"
    assert body == {"content": "Guten Tag", "mimeType": "text/plain"}


def test_translate_asks_for_plain_text_and_returns_it_unescaped(fake_google):
    assert get_provider().translate("Hello & world", target="de") == "<b>Hallo</b> & Welt"
    _method, path, body = fake_google.requests[0]
    assert path == "/v3/projects/demo-project/locations/global:translateText"
    assert body == {"contents": ["Hello & world"], "targetLanguageCode": "de", "mimeType": "text/plain"}


def test_a_bad_request_fails_at_once(fake_google):
    fake_google.responses[":analyzeSentiment"] = [400]
    with pytest.raises(ProviderError, match="fake error"):
        get_provider().analyze("x")
    assert len(fake_google.requests) == 1


@pytest.mark.parametrize("code", [503, 429])
def test_unavailable_and_quota_are_retried_briefly(fake_google, code):
    fake_google.responses[":detectLanguage"] = [code]
    assert get_provider().detect_language("Guten Tag") == "de"
    assert len(fake_google.requests) == 2


def test_retries_stop_at_the_deadline(fake_google):
    fake_google.responses[":detectLanguage"] = [503] * 1000
    started = time.monotonic()
    with pytest.raises(ProviderError):
        get_provider().detect_language("Guten Tag")
    assert time.monotonic() - started < 5


def test_a_slow_answer_times_out_quickly(fake_google):
    fake_google.responses[":analyzeSentiment"] = [("sleep", 3, {})]
    started = time.monotonic()
    with pytest.raises(ProviderError):
        get_provider().analyze("x")
    assert time.monotonic() - started < 2.5


@pytest.mark.django_db
def test_google_categories_feed_the_same_suggestions(fake_google, settings, it_dept, billing_dept, requester):
    RoutingRule.objects.create(department=billing_dept, field="category", pattern="billing", order=1)
    ticket = TicketFactory(department=it_dept, requester=requester, title="Rechnung", description="Falsch.")
    triage_ticket(ticket.pk)

    insight = TicketInsight.objects.get(ticket=ticket)
    assert (insight.provider, insight.categories, insight.suggested_category, insight.suggested_department) == (
        "google",
        ["billing"],
        "billing",
        billing_dept,
    )
    assert insight.confidence == {"category": 1.0, "department": 1.0, "priority": 0.5}
    assert insight.suggested_by == {"category": "provider", "department": "rules", "priority": "rules"}
    assert Ticket.objects.get(pk=ticket.pk).language == "de"
