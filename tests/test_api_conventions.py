"""HTTP conventions of the API: Idempotency-Key on POST, RateLimit headers, ETag and If-None-Match."""

import pytest

from apps.tickets.models import Comment, Ticket
from apps.tickets.services import comment_add
from tests.support import db_state, field_errors, jwt_client, reset_throttles
from tests.tickets.factories import TicketFactory

TICKETS = "/api/tickets/"
BODY = {"title": "VPN drops every hour", "description": "Since Monday."}


@pytest.fixture
def it_ticket(it_dept, requester):
    return TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")


@pytest.fixture(autouse=True)
def _fresh_cache():
    reset_throttles()
    yield
    reset_throttles()


def post(client, body, key, url=TICKETS):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_body_returns_the_first_answer_and_creates_once(requester, it_dept):
    client = jwt_client(requester)
    first = post(client, BODY, "order-1")
    again = post(client, BODY, "order-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert (again["Location"], again["ETag"], again["Idempotent-Replayed"]) == (
        first["Location"],
        first["ETag"],
        "true",
    )
    assert not first.has_header("Idempotent-Replayed")
    assert Ticket.objects.count() == 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(requester, it_dept):
    client = jwt_client(requester)
    post(client, BODY, "order-1")
    before = db_state()
    response = post(client, {**BODY, "title": "Another"}, "order-1")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("This Idempotency-Key was used for a different request.")
    assert db_state() == before


def test_keys_belong_to_their_caller(requester, other_requester, it_dept):
    post(jwt_client(requester), BODY, "order-1")
    response = post(jwt_client(other_requester), BODY, "order-1")
    assert (response.status_code, response.json()["requester"]) == (201, other_requester.pk)
    assert Ticket.objects.count() == 2


def test_a_refusal_is_replayed_too_and_posts_without_a_key_are_not_affected(requester, it_dept):
    client = jwt_client(requester)
    assert post(client, {"title": "No description"}, "k").status_code == 400
    assert post(client, {"title": "No description"}, "k").status_code == 400
    assert client.post(TICKETS, BODY, format="json").status_code == 201
    assert client.post(TICKETS, BODY, format="json").status_code == 201
    assert Ticket.objects.count() == 2


def test_a_key_on_a_nested_post_replays_the_reply(it_ticket, requester):
    url = f"/api/tickets/{it_ticket.pk}/comments/"
    client = jwt_client(requester)
    assert post(client, {"body": "Still broken"}, "reply-1", url).status_code == 201
    assert post(client, {"body": "Still broken"}, "reply-1", url).status_code == 201
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve"])
def test_a_malformed_key_is_400(requester, it_dept, key):
    response = post(jwt_client(requester), BODY, key)
    assert (response.status_code, list(field_errors(response))) == (400, ["Idempotency-Key"])
    assert Ticket.objects.count() == 0


def test_throttled_actions_announce_their_budget(requester, it_dept, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "ticket_create": "2/minute"},
    }
    client = jwt_client(requester)
    answers = [client.post(TICKETS, BODY, format="json") for _ in range(3)]
    assert [(r.status_code, r["RateLimit-Limit"], r["RateLimit-Remaining"]) for r in answers] == [
        (201, "2", "1"),
        (201, "2", "0"),
        (429, "2", "0"),
    ]
    assert all(1 <= int(r["RateLimit-Reset"]) <= 60 for r in answers)
    assert not client.get(TICKETS).has_header("RateLimit-Limit")


def test_successful_logins_do_not_use_the_token_budget(requester, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token": "3/minute"},
    }
    client = jwt_client(None)
    good = {"username": requester.username, "password": "demo"}
    answers = [client.post("/api/token/", good, format="json") for _ in range(5)]
    assert [(r.status_code, r["RateLimit-Remaining"]) for r in answers] == [(200, "3")] * 5
    bad = {"username": "nobody", "password": "wrong"}
    failures = [client.post("/api/token/", bad, format="json").status_code for _ in range(4)]
    assert failures == [401, 401, 401, 429]


def test_the_etag_changes_with_a_reply_and_if_none_match_gives_304(it_ticket, agent):
    client = jwt_client(agent)
    url = f"{TICKETS}{it_ticket.pk}/"
    first = client.get(url)
    same = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (same.status_code, same.content, same["ETag"]) == (304, b"", first["ETag"])
    assert client.get(url, HTTP_IF_NONE_MATCH=f"W/{first['ETag']}").status_code == 304
    comment_add(ticket=it_ticket, actor=agent, body="On it.")  # a first response: the version does not move
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed.json()["version"] == 1
    assert changed["ETag"] != first["ETag"]
    # If-Match with the old representation's tag is stale; the version alone still locks on the version.
    stale = client.patch(url, {"title": "Mine"}, format="json", HTTP_IF_MATCH=first["ETag"])
    assert stale.status_code == 412
    assert client.patch(url, {"title": "Mine"}, format="json", HTTP_IF_MATCH='"1"').status_code == 200
