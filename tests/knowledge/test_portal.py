"""The portal's Help section: audiences, languages with English as the fallback, "Was this helpful?", the
new-ticket page's suggestions and deflection."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from apps.knowledge.choices import ArticleStatus, Audience
from apps.knowledge.models import Article, Deflection
from apps.tickets.models import Ticket
from tests.knowledge.factories import ArticleFactory
from tests.support import assert_constant_queries, logged_in

TOKEN = "t" * 32


@pytest.fixture
def articles(it_dept, category):
    """One article per audience, and a draft; the public one also in Turkish."""
    return {
        "public": ArticleFactory(
            slug="printer-jam", title="Printer jam", body="Open the tray.", department=it_dept, category=category
        ),
        "public_tr": ArticleFactory(
            slug="printer-jam",
            language="tr",
            title="Yazıcı sıkışması",
            body="Tepsiyi açın.",
            department=it_dept,
            category=category,
        ),
        "requesters": ArticleFactory(
            slug="vpn-setup",
            title="VPN setup for printer users",
            audience=Audience.REQUESTERS,
            department=it_dept,
            category=category,
        ),
        "agents": ArticleFactory(
            slug="printer-vendor",
            title="Printer vendor escalation",
            audience=Audience.AGENTS,
            department=it_dept,
            category=category,
        ),
        "draft": ArticleFactory(
            slug="printer-draft",
            title="Printer draft",
            status=ArticleStatus.DRAFT,
            department=it_dept,
            category=category,
        ),
    }


def _slugs_on(response) -> set[str]:
    content = response.content.decode()
    return {slug for slug in ("printer-jam", "vpn-setup", "printer-vendor", "printer-draft") if f"/{slug}/" in content}


def test_each_reader_sees_their_audiences(articles, requester, agent):
    home = reverse("portal:help")
    assert _slugs_on(Client().get(home)) == {"printer-jam"}
    assert _slugs_on(logged_in(requester).get(home)) == {"printer-jam", "vpn-setup"}
    assert _slugs_on(logged_in(agent).get(home)) == {"printer-jam", "vpn-setup", "printer-vendor"}


@pytest.mark.parametrize("slug", ["printer-vendor", "printer-draft", "no-such-article"])
def test_agents_only_drafts_and_unknown_articles_are_404_for_requesters(articles, requester, slug):
    response = logged_in(requester).get(reverse("portal:help_article", args=[slug]))
    assert response.status_code == 404


def test_requesters_articles_are_404_for_anonymous_visitors(articles):
    assert Client().get(reverse("portal:help_article", args=["vpn-setup"])).status_code == 404
    assert Client().get(reverse("portal:help_article", args=["printer-jam"])).status_code == 200


def test_the_login_setting_closes_the_help_pages(articles, settings):
    settings.KNOWLEDGE_REQUIRE_LOGIN = True
    response = Client().get(reverse("portal:help_article", args=["printer-jam"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert Client().get(reverse("portal:help_suggest"), {"q": "printer"}).status_code == 401


def test_articles_in_the_readers_language_with_english_as_fallback(articles, requester):
    requester.language = "tr"
    requester.save(update_fields=["language"])
    carol = logged_in(requester)
    page = carol.get(reverse("portal:help_article", args=["printer-jam"])).content.decode()
    assert "Yazıcı sıkışması" in page
    assert 'id="article-fallback"' not in page
    page = carol.get(reverse("portal:help_article", args=["vpn-setup"])).content.decode()
    assert "VPN setup for printer users" in page
    assert 'id="article-fallback"' in page


def test_search_finds_published_articles_the_reader_may_read(articles, requester):
    response = logged_in(requester).get(reverse("portal:help"), {"q": "printer"})
    assert _slugs_on(response) == {"printer-jam", "vpn-setup"}


def test_was_this_helpful_counts_once_per_session(articles):
    visitor = Client()
    url = reverse("portal:help_article_feedback", args=["printer-jam"])
    visitor.post(url, {"helpful": "yes"})
    visitor.post(url, {"helpful": "yes"})
    Client().post(url, {"helpful": "no"})
    article = Article.objects.get(pk=articles["public"].pk)
    assert (article.helpful_count, article.not_helpful_count) == (1, 1)


def test_the_body_is_rendered_safely(it_dept, category):
    ArticleFactory(
        slug="xss", body="<script>alert(1)</script> [x](javascript:alert(1))", department=it_dept, category=category
    )
    page = Client().get(reverse("portal:help_article", args=["xss"])).content.decode()
    assert "<script>alert(1)" not in page
    assert 'href="javascript' not in page


# Suggestions and deflection ---------------------------------------------------------------------------------


def _suggest(client, text):
    response = client.get(reverse("portal:help_suggest"), {"q": text})
    assert response.status_code == 200
    return [row["title"] for row in json.loads(response.content)["articles"]]


def test_suggestions_match_any_word_and_never_show_agents_only_articles(articles, requester, agent):
    text = "My printer makes a noise"
    assert sorted(_suggest(logged_in(requester), text)) == ["Printer jam", "VPN setup for printer users"]
    assert sorted(_suggest(Client(), text)) == ["Printer jam"]
    assert sorted(_suggest(logged_in(agent), text)) == [
        "Printer jam",
        "Printer vendor escalation",
        "VPN setup for printer users",
    ]
    assert _suggest(logged_in(requester), "a b") == []


def test_the_new_ticket_page_carries_the_suggestions(carol):
    page = carol.get(reverse("portal:ticket_create")).content.decode()
    assert 'id="suggestions"' in page
    assert 'name="deflection_token"' in page
    assert "knowledge/suggest.js" in page


def test_this_answered_my_question_leaves_without_a_ticket_and_is_counted(articles, carol, requester):
    carol.post(reverse("portal:help_suggested"), {"deflection_token": TOKEN})
    carol.post(reverse("portal:help_suggested"), {"deflection_token": TOKEN})
    assert Deflection.objects.count() == 1
    response = carol.post(
        reverse("portal:help_deflect"),
        {"deflection_token": TOKEN, "article": articles["public"].pk, "title": "Printer", "description": "jam"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:ticket_list")
    deflection = Deflection.objects.get()
    assert (deflection.user, deflection.article) == (requester, articles["public"])
    assert deflection.deflected_at is not None
    assert Ticket.objects.count() == 0


def test_deflection_with_an_agents_only_article_is_404(articles, carol):
    response = carol.post(reverse("portal:help_deflect"), {"deflection_token": TOKEN, "article": articles["agents"].pk})
    assert response.status_code == 404
    assert Deflection.objects.count() == 0


def test_help_page_queries_do_not_grow(it_dept, category, requester):
    carol = logged_in(requester)
    carol.get(reverse("portal:help"))
    assert_constant_queries(
        lambda: carol.get(reverse("portal:help")),
        add_rows=lambda n: ArticleFactory.create_batch(n, department=it_dept, category=category),
    )
