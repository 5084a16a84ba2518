"""Departments API: every signed-in user lists them; requesters see the active ones only."""

import pytest

from tests.departments.factories import DepartmentFactory
from tests.support import assert_constant_queries, db_state, jwt_client, reset_throttles

DEPARTMENTS = "/api/departments/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


@pytest.fixture
def departments(it_dept, billing_dept):
    closed = DepartmentFactory(name="Archive", slug="archive", is_active=False)
    return {"it": it_dept, "billing": billing_dept, "closed": closed}


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin_user", ["Archive", "Billing", "IT Support"]),
        ("agent", ["Archive", "Billing", "IT Support"]),
        ("requester", ["Billing", "IT Support"]),
    ],
)
def test_department_list_per_role(request, departments, who, expected):
    response = jwt_client(request.getfixturevalue(who)).get(DEPARTMENTS)
    assert response.status_code == 200
    assert names(response) == expected


def test_department_representation(departments, requester):
    it = departments["it"]
    rows = jwt_client(requester).get(f"{DEPARTMENTS}?search=support").json()["results"]
    assert rows == [
        {
            "id": it.pk,
            "name": "IT Support",
            "slug": "it-support",
            "description": "",
            "is_default": True,
            "is_active": True,
        }
    ]


def test_anonymous_is_401(departments):
    assert jwt_client(None).get(DEPARTMENTS).status_code == 401


@pytest.mark.parametrize("query", ["ordering=group__name", "is_active=true", "slug=it-support"])
def test_unknown_parameters_are_400(departments, agent, query):
    assert jwt_client(agent).get(f"{DEPARTMENTS}?{query}").status_code == 400


def test_departments_api_is_read_only(departments, admin_user):
    before = db_state()
    client = jwt_client(admin_user)
    assert client.post(DEPARTMENTS, {"name": "New"}, format="json").status_code == 405
    assert client.delete(f"{DEPARTMENTS}{departments['it'].pk}/").status_code == 405
    assert db_state() == before


def test_department_list_query_count_does_not_grow_with_rows(agent, it_dept):
    measured = assert_constant_queries(
        lambda: jwt_client(agent).get(f"{DEPARTMENTS}?page_size=100"),
        add_rows=DepartmentFactory.create_batch,
        existing=1,  # IT Support
    )
    assert measured.queries == 2  # JWT user, page
