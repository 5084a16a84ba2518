"""Users API: admins see everyone, agents their colleagues and requesters, requesters nobody (403)."""

import pytest

from apps.accounts.choices import Role
from apps.departments.services import user_set_departments
from tests.accounts.factories import UserFactory
from tests.support import assert_constant_queries, db_state, jwt_client, reset_throttles
from tests.tickets.factories import TicketFactory

USERS = "/api/users/"
ME = "/api/users/me/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


@pytest.fixture
def people(admin_user, agent, other_agent, requester, other_requester, it_dept, billing_dept):
    """carol has an IT ticket, dave a Billing ticket; erin is a second IT agent; frank a requester with none."""
    erin = UserFactory(username="erin", role=Role.AGENT, departments=[it_dept])
    frank = UserFactory(username="frank", role=Role.REQUESTER)
    TicketFactory(department=it_dept, requester=requester)
    TicketFactory(department=billing_dept, requester=other_requester)
    return {"erin": erin, "frank": frank}


def usernames(response) -> list[str]:
    return [row["username"] for row in response.json()["results"]]


def test_admin_lists_everyone(people, admin_user):
    response = jwt_client(admin_user).get(USERS)
    assert response.status_code == 200
    assert usernames(response) == ["admin", "alice", "bob", "carol", "dave", "erin", "frank"]


def test_agent_lists_colleagues_and_requesters_of_visible_tickets(people, agent, other_agent):
    assert usernames(jwt_client(agent).get(USERS)) == ["alice", "carol", "erin"]
    assert usernames(jwt_client(other_agent).get(USERS)) == ["bob", "dave"]


@pytest.mark.parametrize("who", ["requester", "other_requester"])
def test_requesters_may_not_list_users(request, people, who):
    response = jwt_client(request.getfixturevalue(who)).get(USERS)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only agents and admins can list users."


def test_an_agent_leaving_its_department_loses_its_colleagues_at_once(people, agent):
    client = jwt_client(agent)
    assert "erin" in usernames(client.get(USERS))
    user_set_departments(user=agent, departments=[])
    assert usernames(client.get(USERS)) == ["alice"]


def test_user_representation(people, admin_user, agent, it_dept):
    rows = jwt_client(admin_user).get(f"{USERS}?search=alice@").json()["results"]
    assert rows == [
        {
            "id": agent.pk,
            "username": "alice",
            "email": "alice@example.com",
            "first_name": agent.first_name,
            "last_name": agent.last_name,
            "full_name": agent.get_full_name(),
            "role": "agent",
            "language": "en",
            "time_zone": "UTC",
            "is_active": True,
            "departments": [it_dept.pk],
        }
    ]


@pytest.mark.parametrize("who", ["admin_user", "agent", "requester"])
def test_me(request, people, who):
    user = request.getfixturevalue(who)
    response = jwt_client(user).get(ME)
    assert response.status_code == 200
    assert response.json()["id"] == user.pk
    assert response.json()["role"] == user.role


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("role=agent", ["alice", "bob", "erin"]),
        ("role=admin&role=requester", ["admin", "carol", "dave", "frank"]),
        ("department={it}", ["alice", "erin"]),
        ("is_active=false", []),
        # An e-mail fragment: the factories' random names may contain "erin" (Katherine) or "alice".
        ("search=erin@", ["erin"]),
        ("ordering=-username&role=agent", ["erin", "bob", "alice"]),
    ],
)
def test_user_filters(people, admin_user, it_dept, query, expected):
    response = jwt_client(admin_user).get(f"{USERS}?{query.format(it=it_dept.pk)}")
    assert response.status_code == 200
    assert usernames(response) == expected


@pytest.mark.parametrize("query", ["ordering=password", "password=x", "role=root", "department=x", "is_staff=1"])
def test_user_list_refuses_unknown_parameters(people, admin_user, query):
    response = jwt_client(admin_user).get(f"{USERS}?{query}")
    assert response.status_code == 400


def test_users_api_is_read_only(people, admin_user):
    client = jwt_client(admin_user)
    before = db_state()
    assert client.post(USERS, {"username": "mallory"}, format="json").status_code == 405
    assert client.patch(ME, {"role": "admin"}, format="json").status_code == 405
    assert client.patch(f"{USERS}{admin_user.pk}/", {"role": "agent"}, format="json").status_code == 405
    assert db_state() == before


@pytest.mark.parametrize("role", ["admin", "agent"])
def test_user_list_query_count_does_not_grow_with_rows(role, admin_user, agent, it_dept):
    """2 rows, then 30: half colleagues of alice, half requesters of IT tickets."""
    user = admin_user if role == "admin" else agent

    def add_rows(count):
        for i in range(count - (role == "agent")):
            if i % 2:
                UserFactory(role=Role.AGENT, departments=[it_dept])
            else:
                TicketFactory(department=it_dept, requester=UserFactory())
        if role == "agent":  # the admin is not one of alice's rows: one more to make 30
            UserFactory(role=Role.AGENT, departments=[it_dept])

    if role == "agent":  # admin and alice are the admin's 2 rows; alice and erin are alice's
        UserFactory(username="erin", role=Role.AGENT, departments=[it_dept])
    measured = assert_constant_queries(
        lambda: jwt_client(user).get(f"{USERS}?page_size=100"), add_rows=add_rows, existing=2
    )
    assert [len(response.json()["results"]) for response in (measured.few, measured.many)] == [2, 30]
    # JWT user, page, department memberships.
    assert measured.queries == 3
