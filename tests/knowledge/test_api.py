"""The knowledge API: articles scoped by audience, search, and ratings for agents."""

import pytest

from apps.knowledge.choices import Audience
from apps.knowledge.models import Satisfaction
from tests.knowledge.conftest import resolve
from tests.knowledge.factories import ArticleFactory
from tests.support import assert_constant_queries, jwt_client
from tests.tickets.factories import TicketFactory


@pytest.fixture
def articles(it_dept, category):
    return {
        "public": ArticleFactory(slug="printer-jam", title="Printer jam", department=it_dept, category=category),
        "agents": ArticleFactory(
            slug="vendor", title="Printer vendor", audience=Audience.AGENTS, department=it_dept, category=category
        ),
    }


def test_articles_require_authentication(articles):
    assert jwt_client(None).get("/api/articles/").status_code == 401


def test_requesters_never_see_agents_only_articles(articles, requester):
    api = jwt_client(requester)
    listed = api.get("/api/articles/").json()
    assert [row["slug"] for row in listed["results"]] == ["printer-jam"]
    assert api.get(f"/api/articles/{articles['agents'].pk}/").status_code == 404
    assert [row["slug"] for row in api.get("/api/articles/", {"search": "vendor"}).json()["results"]] == []


def test_agents_read_and_search_every_audience(articles, agent):
    api = jwt_client(agent)
    found = api.get("/api/articles/", {"search": "printer vend"}).json()["results"]
    assert [row["slug"] for row in found] == ["vendor"]
    detail = api.get(f"/api/articles/{articles['public'].pk}/").json()
    assert detail["body_html"] == "<p>Turn it <strong>off</strong> and on again.</p>\n"
    assert detail["category"] == {"id": articles["public"].category_id, "slug": "printing", "name": "Printing"}
    assert detail["url"].endswith("/help/articles/printer-jam/")


def test_unknown_parameters_are_refused(articles, agent):
    assert jwt_client(agent).get("/api/articles/", {"q": "x"}).status_code == 400


def test_article_list_queries_do_not_grow(agent, it_dept, category):
    api = jwt_client(agent)
    api.get("/api/articles/")
    assert_constant_queries(
        lambda: api.get("/api/articles/"),
        add_rows=lambda n: ArticleFactory.create_batch(n, department=it_dept, category=category),
    )


@pytest.fixture
def rated(it_dept, requester, agent, after_commit):
    ticket = TicketFactory(requester=requester, department=it_dept, assignee=agent)
    with after_commit():
        resolve(ticket, agent)
    satisfaction = Satisfaction.objects.get(ticket=ticket)
    Satisfaction.objects.filter(pk=satisfaction.pk).update(rating=4, comment="Good")
    return satisfaction


def test_ticket_satisfaction_for_agents_only(rated, agent, other_agent, requester):
    url = f"/api/tickets/{rated.ticket_id}/satisfaction/"
    body = jwt_client(agent).get(url).json()
    assert (body["rating"], body["comment"], body["agent"], body["department"]) == (
        4,
        "Good",
        agent.pk,
        rated.department_id,
    )
    assert jwt_client(requester).get(url).status_code == 403
    assert jwt_client(other_agent).get(url).status_code == 404
    assert jwt_client(None).get(url).status_code == 401


def test_ratings_list_is_scoped_and_filtered(rated, agent, other_agent, requester):
    assert [row["ticket"] for row in jwt_client(agent).get("/api/satisfaction/").json()["results"]] == [rated.ticket_id]
    assert jwt_client(other_agent).get("/api/satisfaction/").json()["results"] == []
    assert jwt_client(requester).get("/api/satisfaction/").status_code == 403
    assert jwt_client(agent).get("/api/satisfaction/", {"rating": 5}).json()["results"] == []
    assert (
        len(jwt_client(agent).get("/api/satisfaction/", {"agent": agent.pk, "rated": "false"}).json()["results"]) == 1
    )


def test_ratings_list_queries_do_not_grow(rated, admin_user, it_dept, requester, agent, after_commit):
    api = jwt_client(admin_user)
    api.get("/api/satisfaction/")

    def add(n):
        for _ in range(n):
            ticket = TicketFactory(requester=requester, department=it_dept, assignee=agent)
            with after_commit():
                resolve(ticket, agent)

    assert_constant_queries(lambda: api.get("/api/satisfaction/"), add_rows=add, existing=1)
