"""The insight on the ticket API and the translation endpoint: permission matrix, cache, internal notes."""

import pytest

from apps.ai.choices import InsightStatus
from apps.ai.models import TicketInsight, Translation
from apps.tickets.choices import Priority
from apps.tickets.services import comment_add
from tests.support import assert_constant_queries, jwt_client, reset_throttles
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


@pytest.fixture
def ticket(it_dept, requester, agent):
    ticket = TicketFactory(department=it_dept, requester=requester, title="VPN drops", description="Every hour.")
    comment_add(ticket=ticket, actor=agent, body="Please restart the client.", is_internal=False)
    comment_add(ticket=ticket, actor=agent, body="Secret: user is a VIP.", is_internal=True)
    return ticket


def url(ticket, lang="de") -> str:
    return f"/api/tickets/{ticket.pk}/translation/?lang={lang}"


def test_staff_read_the_insight_requesters_get_null(agent, requester, ticket, billing_dept):
    TicketInsight.objects.create(
        ticket=ticket,
        status=InsightStatus.DONE,
        provider="local",
        language="en",
        sentiment=-0.5,
        categories=["incident"],
        suggested_priority=Priority.HIGH,
        suggested_category="incident",
        suggested_department=billing_dept,
        confidence={"category": 1.0, "priority": 0.5, "department": 0.42},
        suggested_by={"category": "provider", "priority": "rules", "department": "model v2"},
    )
    data = jwt_client(agent).get(f"/api/tickets/{ticket.pk}/").json()
    assert data["insight"] == {
        "status": "done",
        "provider": "local",
        "language": "en",
        "sentiment": -0.5,
        "categories": ["incident"],
        "suggested_priority": "high",
        "suggested_category": "incident",
        "suggested_department": billing_dept.pk,
        "confidence": {"category": 1.0, "priority": 0.5, "department": 0.42},
        "suggested_by": {"category": "provider", "priority": "rules", "department": "model v2"},
        "analysed_at": None,
    }
    assert jwt_client(requester).get(f"/api/tickets/{ticket.pk}/").json()["insight"] is None


def test_list_query_count_does_not_grow_with_insights(agent, it_dept, requester):
    def add_tickets_with_insights(count):
        for _ in range(count):
            t = TicketFactory(department=it_dept, requester=requester)
            TicketInsight.objects.create(ticket=t, status=InsightStatus.DONE, language="en")

    client = jwt_client(agent)
    assert_constant_queries(lambda: client.get("/api/tickets/?page_size=50"), add_rows=add_tickets_with_insights)


def test_translation_permission_matrix(ticket, other_requester):
    assert jwt_client(None).get(url(ticket)).status_code == 401
    assert jwt_client(other_requester).get(url(ticket)).status_code == 404
    assert not Translation.objects.exists()


def test_local_provider_answers_translation_unavailable(requester, ticket):
    response = jwt_client(requester).get(url(ticket))
    assert response.status_code == 409
    assert response.json()["detail"] == "Translation is unavailable with the configured AI provider."


def test_unknown_language_and_unknown_parameter_are_400(requester, ticket):
    assert jwt_client(requester).get(url(ticket, lang="xx")).status_code == 400
    assert jwt_client(requester).get(f"/api/tickets/{ticket.pk}/translation/?foo=1").status_code == 400


def test_requester_gets_translations_without_internal_notes_and_the_cache_is_used(fake_google, requester, ticket):
    response = jwt_client(requester).get(url(ticket))

    assert response.status_code == 200
    data = response.json()
    assert [c["is_internal"] for c in data["comments"]] == [False]
    assert data["language"] == "de"
    sent = [body["contents"] for _m, path, body in fake_google.requests if path.endswith(":translateText")]
    assert ["Secret: user is a VIP."] not in sent
    assert len(sent) == 3  # reply, title, description
    assert Translation.objects.count() == 3

    again = jwt_client(requester).get(url(ticket))
    assert again.json() == data
    assert len(fake_google.requests) == 3  # served from the cache


def test_agents_get_internal_notes_translated(fake_google, agent, ticket):
    data = jwt_client(agent).get(url(ticket)).json()
    assert [c["is_internal"] for c in data["comments"]] == [False, True]


def test_provider_failure_is_503(fake_google, requester, ticket):
    fake_google.responses[":translateText"] = [400]
    response = jwt_client(requester).get(url(ticket))
    assert response.status_code == 503
    assert not Translation.objects.exists()
