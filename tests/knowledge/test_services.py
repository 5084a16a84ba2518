"""Articles are written through the services: who may, the history of edits, and drafts made from tickets."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.knowledge.choices import ArticleStatus, Audience
from apps.knowledge.models import Article, ArticleRevision
from apps.knowledge.services import article_create, article_create_from_ticket, article_update
from apps.tickets.services import comment_add
from tests.knowledge.factories import ArticleFactory


def _create(actor, department, category, **extra):
    fields = {
        "title": "Reset a password",
        "body": "Use **Forgot password**.",
        "slug": "reset-password",
        "language": "en",
        "category": category,
        "department": department,
        "status": ArticleStatus.PUBLISHED,
        "audience": Audience.PUBLIC,
    }
    return article_create(actor=actor, **{**fields, **extra})


def test_an_agent_writes_articles_of_their_department_and_each_edit_is_recorded(agent, it_dept, category):
    article = _create(agent, it_dept, category)
    article = article_update(actor=agent, article=article, title="Reset your password", status=ArticleStatus.DRAFT)
    revisions = list(ArticleRevision.objects.filter(article=article).order_by("pk"))
    assert [r.author_id for r in revisions] == [agent.pk, agent.pk]
    assert revisions[0].changes["title"] == [None, "Reset a password"]
    assert revisions[1].changes == {
        "title": ["Reset a password", "Reset your password"],
        "status": ["published", "draft"],
    }
    # Nothing changed: no revision.
    article_update(actor=agent, article=article, title="Reset your password")
    assert ArticleRevision.objects.filter(article=article).count() == 2


def test_an_agent_cannot_write_for_another_department(agent, billing_dept, category):
    with pytest.raises(ValidationError) as refused:
        _create(agent, billing_dept, category)
    assert refused.value.message_dict == {"department": ["Choose one of your departments."]}
    assert Article.objects.count() == 0


def test_an_agent_cannot_edit_another_departments_article(agent, billing_dept, category):
    article = ArticleFactory(department=billing_dept, category=category, title="Invoices")
    with pytest.raises(PermissionDenied):
        article_update(actor=agent, article=article, title="Mine now")
    article.refresh_from_db()
    assert article.title == "Invoices"
    assert ArticleRevision.objects.filter(article=article).count() == 1


def test_a_requester_writes_no_article(requester, it_dept, category):
    with pytest.raises(PermissionDenied):
        _create(requester, it_dept, category)
    assert Article.objects.count() == 0


def test_one_slug_per_language(agent, it_dept, category):
    _create(agent, it_dept, category)
    _create(agent, it_dept, category, language="tr", title="Parola sıfırlama")
    with pytest.raises(ValidationError) as refused:
        _create(agent, it_dept, category)
    assert "slug" in refused.value.message_dict
    assert Article.objects.count() == 2


def test_a_draft_from_a_ticket_holds_its_public_conversation_only(ticket, agent, requester, category):
    comment_add(ticket=ticket, actor=agent, body="Open the tray and remove the paper.")
    comment_add(ticket=ticket, actor=agent, body="SECRET internal: the vendor owes us.", is_internal=True)
    comment_add(ticket=ticket, actor=requester, body="Thanks, that worked.")
    article = article_create_from_ticket(actor=agent, ticket=ticket)
    assert article.status == ArticleStatus.DRAFT
    assert article.audience == Audience.AGENTS
    assert article.department_id == ticket.department_id
    assert article.source_ticket_id == ticket.pk
    assert article.title == "Printer jams"
    assert article.body == (
        "## Question\n\nIt makes a grinding noise and stops.\nPlease help.\n\n"
        "## Answer\n\nOpen the tray and remove the paper."
    )
    assert "SECRET" not in article.body
