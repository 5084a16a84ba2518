"""The back office: articles by department through the services, the ticket page's composer search and
"Create article from this ticket", ratings, and the dashboard's CSAT and deflection figures."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.knowledge.choices import Audience
from apps.knowledge.models import Article, ArticleRevision, Deflection, Satisfaction
from apps.tickets.services import comment_add
from tests.knowledge.conftest import resolve
from tests.knowledge.factories import ArticleFactory
from tests.support import assert_constant_queries, logged_in

ADD = reverse("admin:knowledge_article_add")
CHANGELIST = reverse("admin:knowledge_article_changelist")


def _form(category, department, **extra):
    return {
        "slug": "toner",
        "language": "en",
        "title": "Change the toner",
        "body": "Open the front door.",
        "category": category.pk,
        "status": "published",
        "audience": "public",
        "department": department.pk,
        **extra,
    }


def test_an_agent_adds_an_article_of_their_department(agent, it_dept, category):
    response = logged_in(agent).post(ADD, _form(category, it_dept))
    assert response.status_code == 302
    article = Article.objects.get()
    assert (article.title, article.department, article.published_at is not None) == ("Change the toner", it_dept, True)
    assert ArticleRevision.objects.get(article=article).author == agent


def test_an_agent_cannot_add_for_another_department(agent, billing_dept, category):
    response = logged_in(agent).post(ADD, _form(category, billing_dept))
    assert response.status_code == 200
    assert Article.objects.count() == 0


def test_agents_see_their_departments_articles_only(agent, it_dept, billing_dept, category):
    mine = ArticleFactory(department=it_dept, category=category, title="Ours")
    theirs = ArticleFactory(department=billing_dept, category=category, title="Theirs")
    browser = logged_in(agent)
    page = browser.get(CHANGELIST).content.decode()
    assert "Ours" in page
    assert "Theirs" not in page
    assert browser.get(reverse("admin:knowledge_article_change", args=[theirs.pk])).status_code == 302
    assert browser.get(reverse("admin:knowledge_article_change", args=[mine.pk])).status_code == 200
    response = browser.post(reverse("admin:knowledge_article_change", args=[theirs.pk]), _form(category, it_dept))
    theirs.refresh_from_db()
    assert theirs.title == "Theirs"
    assert response.status_code == 302  # sent away: the article does not exist for them


def test_requesters_have_no_article_pages(requester):
    assert logged_in(requester).get(CHANGELIST).status_code == 302


def test_changelist_queries_do_not_grow(admin_user, it_dept, category):
    browser = logged_in(admin_user)
    browser.get(CHANGELIST)
    assert_constant_queries(
        lambda: browser.get(CHANGELIST),
        add_rows=lambda n: ArticleFactory.create_batch(n, department=it_dept, category=category),
    )


def test_the_composer_searches_articles_of_every_audience(ticket, agent, it_dept, category):
    ArticleFactory(
        title="Printer vendor", body="Call **them**.", audience=Audience.AGENTS, department=it_dept, category=category
    )
    url = reverse("admin:tickets_ticket_article_search", args=[ticket.pk])
    found = json.loads(logged_in(agent).get(url, {"q": "vendor"}).content)["articles"]
    assert [(row["title"], row["text"], row["audience"]) for row in found] == [
        ("Printer vendor", "Call **them**.", "agents")
    ]
    assert found[0]["url"].startswith("http://testserver/help/articles/")


def test_the_composer_search_is_404_outside_the_agents_tickets(ticket, other_agent):
    url = reverse("admin:tickets_ticket_article_search", args=[ticket.pk])
    assert logged_in(other_agent).get(url, {"q": "x"}).status_code == 404


def test_the_composer_panel_template(ticket, agent, rf):
    from django.template.loader import render_to_string

    html = render_to_string("knowledge/admin/composer_panel.html", {"knowledge_search_url": "/search/"})
    assert 'id="knowledge-composer"' in html
    assert 'data-search-url="/search/"' in html
    assert "knowledge/composer.js" in html


def test_create_article_from_the_ticket_page(ticket, agent, category):
    comment_add(ticket=ticket, actor=agent, body="Remove the stuck sheet.")
    comment_add(ticket=ticket, actor=agent, body="Internal: vendor owes us.", is_internal=True)
    browser = logged_in(agent)
    page = browser.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert 'id="knowledge-create-article"' in page
    url = reverse("admin:tickets_ticket_article_create", args=[ticket.pk])
    assert browser.get(url).status_code == 405
    response = browser.post(url)
    article = Article.objects.get()
    assert response["Location"] == reverse("admin:knowledge_article_change", args=[article.pk])
    assert "Remove the stuck sheet." in article.body
    assert "vendor owes" not in article.body


def test_the_ticket_page_shows_the_rating(ticket, agent, after_commit):
    with after_commit():
        resolve(ticket, agent)
    Satisfaction.objects.filter(ticket=ticket).update(rating=2, comment="Slow", rated_at=timezone.now())
    page = logged_in(agent).get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert "Rated 2 out of 5" in page
    assert "Slow" in page


def test_the_dashboard_shows_csat_and_deflection(ticket, agent, admin_user, after_commit):
    with after_commit():
        resolve(ticket, agent)
    Satisfaction.objects.filter(ticket=ticket).update(rating=5, rated_at=timezone.now())
    now = timezone.now()
    Deflection.objects.create(token="a" * 20, suggested_at=now, deflected_at=now)
    Deflection.objects.create(token="b" * 20, suggested_at=now)
    page = logged_in(admin_user).get(reverse("admin:index")).content.decode()
    assert '<span data-figure="csat">100 %</span>' in page
    assert '<span data-figure="suggested">2</span>' in page
    assert '<span data-figure="deflected">1</span>' in page
    assert 'id="csat-departments"' in page
    link = reverse("admin:knowledge_satisfaction_changelist") + f"?department__id__exact={ticket.department_id}"
    assert link in page.replace("&amp;", "&")


@pytest.mark.parametrize("who", ["agent", "admin_user"])
def test_every_csat_link_lists_the_ratings_it_counts(request, who, ticket, agent, after_commit):
    with after_commit():
        resolve(ticket, agent)
    Satisfaction.objects.filter(ticket=ticket).update(rating=3, rated_at=timezone.now())
    user = request.getfixturevalue(who)
    from apps.knowledge.dashboard import knowledge_dashboard

    today = timezone.localdate()
    figures = knowledge_dashboard(type("R", (), {"user": user})(), today, today)
    browser = logged_in(user)
    for row in [figures["total"], *figures["departments"], *figures["agents"], *figures["weeks"]]:
        page = browser.get(row["link"])
        assert page.status_code == 200
        assert page.content.decode().count(ticket.reference) == 1


def test_ratings_changelist_queries_do_not_grow(admin_user, it_dept, requester, agent, after_commit):
    from tests.tickets.factories import TicketFactory

    browser = logged_in(admin_user)
    url = reverse("admin:knowledge_satisfaction_changelist")
    browser.get(url)

    def add(n):
        for _ in range(n):
            ticket = TicketFactory(requester=requester, department=it_dept, assignee=agent)
            with after_commit():
                resolve(ticket, agent)

    measured = assert_constant_queries(lambda: browser.get(url), add_rows=add)
    assert measured.many.content.decode().count("TCK-") >= 30
