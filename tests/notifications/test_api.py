"""GET /api/notifications/ and its read marks: your own notifications only, whatever your role."""

import pytest

from apps.notifications.models import Notification
from tests.notifications.factories import NotificationFactory
from tests.support import assert_constant_queries, jwt_client

LIST = "/api/notifications/"


def detail(pk) -> str:
    return f"{LIST}{pk}/"


def notify(user, ticket, count=1, **fields):
    return [NotificationFactory(recipient=user, ticket=ticket, **fields) for _ in range(count)]


def unread_ids() -> list[int]:
    return sorted(Notification.objects.filter(read_at__isnull=True).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("get", detail(1)),
        ("post", f"{LIST}1/read/"),
        ("post", f"{LIST}read-all/"),
        ("get", f"{LIST}unread-count/"),
    ],
)
def test_anonymous_is_401(method, url, db):
    assert getattr(jwt_client(None), method)(url).status_code == 401


def test_the_list_holds_your_own_notifications_only(agent, requester, it_ticket):
    mine = notify(agent, it_ticket, 2)
    notify(requester, it_ticket)

    response = jwt_client(agent).get(LIST)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [mine[1].pk, mine[0].pk]
    assert rows[0] == {
        "id": mine[1].pk,
        "kind": "reply",
        "text": mine[1].text,
        "ticket": it_ticket.pk,
        "ticket_reference": it_ticket.reference,
        "ticket_url": f"http://testserver/api/tickets/{it_ticket.pk}/",
        "actor": None,
        "created_at": rows[0]["created_at"],
        "read_at": None,
        "is_read": False,
    }


def test_admins_also_see_only_their_own(admin_user, agent, it_ticket):
    theirs = notify(agent, it_ticket)[0]
    client = jwt_client(admin_user)
    assert client.get(LIST).json()["results"] == []
    assert client.get(detail(theirs.pk)).status_code == 404


def test_someone_elses_notification_is_404_and_stays_unread(agent, requester, it_ticket):
    theirs = notify(requester, it_ticket)[0]
    client = jwt_client(agent)

    assert client.get(detail(theirs.pk)).status_code == 404
    assert client.post(f"{detail(theirs.pk)}read/").status_code == 404
    assert unread_ids() == [theirs.pk]


def test_marking_one_and_all_read(agent, requester, it_ticket):
    first, _second = notify(agent, it_ticket, 2)
    theirs = notify(requester, it_ticket)[0]
    client = jwt_client(agent)

    one = client.post(f"{detail(first.pk)}read/")
    assert (one.status_code, one.json()["is_read"]) == (200, True)
    assert client.get(f"{LIST}unread-count/").json() == {"unread": 1}
    assert len(client.get(LIST, {"unread": "true"}).json()["results"]) == 1

    assert client.post(f"{LIST}read-all/").json() == {"marked": 1}
    assert unread_ids() == [theirs.pk]


@pytest.mark.parametrize("query", [{"recipient": "1"}, {"ordering": "text"}, {"kind": "nonsense"}])
def test_unknown_parameters_and_values_are_400(agent, query):
    assert jwt_client(agent).get(LIST, query).status_code == 400


def test_the_list_costs_the_same_queries_for_two_or_thirty(agent, it_ticket):
    client = jwt_client(agent)

    assert_constant_queries(
        lambda: client.get(LIST, {"page_size": 50}), add_rows=lambda count: notify(agent, it_ticket, count)
    )
