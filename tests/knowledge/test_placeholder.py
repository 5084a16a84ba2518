"""`{article:<slug or id>}` in canned responses: the knowledge base's entry of extensions.reply_placeholders, filled
by the macros' placeholders (which import nothing of the knowledge app)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.knowledge.choices import ArticleStatus, Audience
from apps.knowledge.services import article_update
from apps.macros.models import Macro
from apps.macros.placeholders import help_text, render
from apps.macros.services import macro_apply, macro_text
from apps.tickets.models import Comment
from tests.knowledge.factories import ArticleFactory
from tests.macros.factories import make_macro
from tests.support import db_state, logged_in

SITE = "https://help.example.com"
REFUSED = "{article:reset-password}: "
AGENTS_ONLY = "the article (en) is for Agents only; a reply may only link to articles requesters may read."


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE + "/"


@pytest.fixture
def article(category, it_dept, admin_user):
    """ "reset-password" in English and German, published and public."""
    english = ArticleFactory(
        slug="reset-password", title="Reset your password", category=category, department=it_dept, actor=admin_user
    )
    ArticleFactory(
        slug="reset-password",
        language="de",
        title="Passwort zurücksetzen",
        category=category,
        department=it_dept,
        actor=admin_user,
    )
    return english


def link(slug: str) -> str:
    return SITE + reverse("portal:help_article", args=[slug])


def test_it_renders_the_title_and_portal_link_in_the_tickets_language(article, ticket, agent, admin_user):
    macro = make_macro(admin_user, body="Hello {requester_first_name}, see {article:reset-password}.")

    ticket.language = "de"
    assert macro_text(macro=macro, ticket=ticket, actor=agent) == (
        f"Hello {ticket.requester.first_name}, see Passwort zurücksetzen: {link('reset-password')}."
    )
    ticket.language = "tr"  # no Turkish version: the English one
    assert render("{article:reset-password}", ticket=ticket, agent=agent) == (
        f"Reset your password: {link('reset-password')}"
    )
    ticket.language = ""  # no language on the ticket: the requester's
    ticket.requester.language = "de"
    assert render(f"{{article:{article.pk}}}", ticket=ticket, agent=agent) == (
        f"Passwort zurücksetzen: {link('reset-password')}"
    )


def test_a_macro_sends_it_in_its_reply(article, ticket, agent, admin_user):
    macro = make_macro(admin_user, body="Try this: {article:reset-password}")
    ticket.language = "en"
    ticket.save(update_fields=["language"])

    macro_apply(macro=macro, ticket=ticket, actor=agent)

    sent = Comment.objects.get(ticket=ticket)
    assert (sent.body, sent.is_internal) == (f"Try this: Reset your password: {link('reset-password')}", False)


@pytest.mark.parametrize(
    ("argument", "change", "message"),
    [
        ("no-such-article", {}, "{article:no-such-article}: there is no such article."),
        ("999999", {}, "{article:999999}: there is no such article."),
        ("reset-password", {"status": ArticleStatus.DRAFT}, f"{REFUSED}the article (en) is a draft; publish it first."),
        ("reset-password", {"audience": Audience.AGENTS}, f"{REFUSED}{AGENTS_ONLY}"),
    ],
)
def test_an_article_a_requester_may_not_read_is_refused_at_save(article, admin_user, argument, change, message):
    if change:
        article_update(actor=admin_user, article=article, **change)
    before = db_state()

    with pytest.raises(ValidationError) as refused:
        make_macro(admin_user, body=f"See {{article:{argument}}}")

    assert refused.value.message_dict == {"body": [message]}
    assert db_state() == before


def test_a_german_only_article_or_a_draft_variant_by_id_is_refused(category, it_dept, admin_user, article):
    german = ArticleFactory(slug="only-de", language="de", category=category, department=it_dept, actor=admin_user)
    draft = ArticleFactory(
        slug="reset-password",
        language="tr",
        status=ArticleStatus.DRAFT,
        category=category,
        department=it_dept,
        actor=admin_user,
    )
    with pytest.raises(ValidationError) as refused:
        make_macro(admin_user, body="{article:only-de}", note=f"{{article:{draft.pk}}}")
    assert refused.value.message_dict == {
        "body": [
            "{article:only-de}: the article has no English version, the one sent when the ticket's language has none."
        ],
        "note": [f"{{article:{draft.pk}}}: the article (tr) is a draft; publish it first."],
    }
    assert german.pk and Macro.objects.count() == 0


def test_the_macro_form_shows_the_refusal_and_saves_nothing(article, admin_user):
    article_update(actor=admin_user, article=article, audience=Audience.AGENTS)
    data = {
        "title": "Link",
        "scope": "everyone",
        "body": "Hi",
        "note": "",
        "set_status": "",
        "set_priority": "",
        "assign": "",
        "assignee": "",
        "is_active": "on",
        "body_en": "",
        "body_tr": "",
        "body_de": "Siehe {article:reset-password}",
    }
    client = logged_in(admin_user)
    before = db_state()

    response = client.post(reverse("admin:macros_macro_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "body_de": [
            "{article:reset-password}: the article (en) is for Agents only; a reply may only link to articles "
            "requesters may read."
        ]
    }
    assert db_state() == before


def test_the_form_and_the_article_page_say_how_to_refer_to_an_article(article, admin_user):
    assert help_text().endswith(
        "{article:<slug or id>} (an article's title and its portal link, in the ticket's language; the article's "
        "page under Work › Articles shows what to write)"
    )
    client = logged_in(admin_user)
    form = client.get(reverse("admin:macros_macro_add")).context["adminform"].form
    assert "{article:<slug or id>} (an article's title" in str(form.fields["body"].help_text)
    page = client.get(reverse("admin:knowledge_article_change", args=[article.pk])).content.decode()
    assert '<code class="select-all" data-article-placeholder>{article:reset-password}</code>' in page


def test_a_requester_never_gets_an_agents_only_article_through_it(article, ticket, agent, admin_user):
    macro = make_macro(admin_user, body=f"See {{article:reset-password}} and {{article:{article.pk}}}")
    # Made agents-only after the macro was saved: the reply carries the placeholder as written, not the article.
    article_update(actor=admin_user, article=article, audience=Audience.AGENTS)
    for variant in article.__class__.objects.filter(slug="reset-password"):
        article_update(actor=admin_user, article=variant, audience=Audience.AGENTS)
    ticket.language = "de"
    ticket.save(update_fields=["language"])

    macro_apply(macro=macro, ticket=ticket, actor=agent)

    sent = Comment.objects.get(ticket=ticket)
    assert sent.body == f"See {{article:reset-password}} and {{article:{article.pk}}}"
    assert "Passwort" not in sent.body and "Reset your" not in sent.body


def test_the_placeholder_cannot_reach_past_its_argument(article, ticket, agent):
    text = "{article:reset-password/../../admin} {article} {article:} {agent_name:x} {article:a b}"
    assert render(text, ticket=ticket, agent=agent) == text
    # One pass: a value put in by a placeholder is not read again as an article's name.
    agent.first_name, agent.last_name = "reset", "password"
    assert render("{article:{agent_name}}", ticket=ticket, agent=agent) == "{article:reset password}"
