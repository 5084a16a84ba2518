"""Article search and suggestions, on both databases; accents, ranking and common words on PostgreSQL."""

import pytest
from django.db import connection

from apps.knowledge import search
from apps.knowledge.models import Article
from apps.knowledge.search import articles_search, articles_suggest, suggestion_words
from apps.knowledge.services import article_update
from tests.knowledge.factories import ArticleFactory

full_text_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")


@pytest.fixture
def library(it_dept, category):
    make = lambda **kw: ArticleFactory(department=it_dept, category=category, **kw)  # noqa: E731
    return {
        "cafe": make(title="Café printer", body="The café printer on floor two."),
        "toner": make(title="Toner", body="Change the toner of the printer."),
        "vpn": make(title="VPN from home", body="Install the client."),
    }


def titles(queryset) -> list[str]:
    return [article.title for article in queryset]


def test_every_word_must_occur_and_the_last_may_be_a_prefix(library):
    assert titles(articles_search(Article.objects.all(), text="printer ton")) == ["Toner"]
    assert titles(articles_search(Article.objects.all(), text="")) == []


def test_suggestions_take_any_distinctive_word(library):
    assert sorted(titles(articles_suggest(Article.objects.all(), text="VPN, toner?"))) == [
        "Toner",
        "VPN from home",
    ]
    assert suggestion_words("A VPN, vpn and an é") == ["vpn", "and"]


@full_text_only
def test_accents_do_not_matter_and_the_title_ranks_first(library):
    assert titles(articles_search(Article.objects.all(), text="cafe")) == ["Café printer"]
    assert titles(articles_suggest(Article.objects.all(), text="printer")) == ["Café printer", "Toner"]


@full_text_only
def test_edits_refresh_the_document(library, admin_user):
    article_update(actor=admin_user, article=library["vpn"], body="Use the tunnel.")
    assert titles(articles_search(Article.objects.all(), text="tunnel")) == ["VPN from home"]


@full_text_only
def test_words_most_articles_contain_are_left_out(library, monkeypatch):
    monkeypatch.setattr(search, "common_words", lambda using="default": frozenset({"printer"}))
    assert titles(articles_suggest(Article.objects.all(), text="printer toner")) == ["Toner"]
    assert titles(articles_suggest(Article.objects.all(), text="printer")) == []


@full_text_only
def test_common_words_come_from_the_statistics(library):
    search._common.clear()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE knowledge_article")
    assert search.common_words() == frozenset()  # three articles: no word is in more than 200 of them
