"""Triage reads a bounded prefix of the ticket, and stores only what fits from the provider's answer."""

import math

import pytest

from apps.ai import services
from apps.ai.choices import InsightStatus
from apps.ai.models import TicketInsight
from apps.ai.providers import Analysis, Provider
from apps.ai.tasks import triage_ticket
from apps.tickets.choices import Priority
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


class RecordingProvider(Provider):
    """A provider that answers what the test says and remembers every text it was given."""

    name = "fake"

    def __init__(self, *, language="en", sentiment=None, categories=()):
        self.language, self.sentiment, self.categories = language, sentiment, categories
        self.texts: list[str] = []

    def detect_language(self, text):
        self.texts.append(text)
        return self.language

    def analyze(self, text):
        self.texts.append(text)
        return Analysis(sentiment=self.sentiment, categories=self.categories)


@pytest.fixture
def fake_provider(monkeypatch):
    def install(**answers) -> RecordingProvider:
        provider = RecordingProvider(**answers)
        monkeypatch.setattr(services, "get_provider", lambda: provider)
        return provider

    return install


def test_the_google_provider_is_sent_a_bounded_prefix(fake_google, settings, it_dept, requester):
    settings.AI_MAX_ANALYSED_CHARS = 1000
    ticket = TicketFactory(department=it_dept, requester=requester, title="Long", description="word " * 4000)

    assert triage_ticket(ticket.pk) == InsightStatus.DONE

    sent = [body.get("content") or body["document"]["content"] for _method, _path, body in fake_google.requests]
    assert [len(text) for text in sent] == [1000, 1000, 1000]
    assert sent[0] == f"Long\n\n{ticket.description}"[:1000]


def test_the_prefix_defaults_to_5000_characters(fake_provider, it_dept, requester):
    provider = fake_provider()
    ticket = TicketFactory(department=it_dept, requester=requester, title="Long", description="a" * 20_000)

    triage_ticket(ticket.pk)

    assert [len(text) for text in provider.texts] == [5000, 5000]


def test_a_hostile_google_answer_is_not_stored(fake_google, it_dept, requester):
    fake_google.responses[":detectLanguage"] = [{"languages": [{"languageCode": "<svg onload=alert(1)>"}]}]
    fake_google.responses[":analyzeSentiment"] = [{"documentSentiment": {"score": 99, "magnitude": 99}}]
    ticket = TicketFactory(department=it_dept, requester=requester, title="Rechnung falsch")

    assert triage_ticket(ticket.pk) == InsightStatus.DONE

    insight = TicketInsight.objects.get(ticket=ticket)
    assert (insight.language, insight.sentiment, insight.categories) == ("", 1.0, ["billing"])


@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        ({"language": "EN", "sentiment": -99, "categories": ["billing", "<b>x</b>", "billing", 7, "access"]},
         ("en", -1.0, ["billing", "access"])),
        ({"language": "pt-BR", "sentiment": 0.25, "categories": ["question"]}, ("pt", 0.25, ["question"])),
        ({"language": "ja", "sentiment": math.nan, "categories": "billing"}, ("ja", None, [])),
        ({"language": "x" * 50, "sentiment": True, "categories": None}, ("", None, [])),
        ({"language": 42, "sentiment": "0.5", "categories": [["billing"]]}, ("", None, [])),
        ({"language": None, "sentiment": math.inf, "categories": []}, ("", None, [])),
    ],
)  # fmt: skip
def test_provider_answers_are_cleaned_before_they_are_stored(fake_provider, it_dept, requester, answer, stored):
    fake_provider(**answer)
    ticket = TicketFactory(department=it_dept, requester=requester, title="Printer question")

    assert triage_ticket(ticket.pk) == InsightStatus.DONE

    insight = TicketInsight.objects.get(ticket=ticket)
    assert (insight.language, insight.sentiment, insight.categories) == stored
    assert insight.suggested_priority in Priority.values
