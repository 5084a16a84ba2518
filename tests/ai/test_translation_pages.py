"""Translation in the back office (agents) and in the portal (requesters): escaped, cached, never internal notes."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext, override

from apps.ai.models import Translation
from apps.tickets.services import comment_add
from tests.support import logged_in
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(it_dept, requester, agent):
    requester.language = "de"
    requester.save()
    agent.language = "tr"
    agent.save()
    ticket = TicketFactory(department=it_dept, requester=requester, title="VPN drops", description="Every hour.")
    comment_add(ticket=ticket, actor=agent, body="Please restart the client.", is_internal=False)
    comment_add(ticket=ticket, actor=agent, body="Secret: user is a VIP.", is_internal=True)
    return ticket


def admin_page(agent, ticket, **params):
    return logged_in(agent).get(reverse("admin:tickets_ticket_change", args=[ticket.pk]), params)


def portal_page(requester, ticket, **params):
    return logged_in(requester).get(reverse("portal:ticket_detail", args=[ticket.pk]), params)


def test_agent_translates_the_ticket_into_their_language_escaped(fake_google, agent, ticket):
    html = admin_page(agent, ticket, translate="1").content.decode()

    assert html.count("&lt;b&gt;Hallo&lt;/b&gt; &amp; Welt") == 4  # title, description, reply, note
    assert "<b>Hallo</b>" not in html
    targets = {body["targetLanguageCode"] for _m, path, body in fake_google.requests if path.endswith("Text")}
    assert targets == {"tr"}
    assert Translation.objects.filter(language="tr").count() == 4


def test_agent_with_the_local_provider_is_told_translation_is_unavailable(agent, ticket):
    html = admin_page(agent, ticket, translate="1").content.decode()  # alice reads Turkish
    with override("tr"):
        assert gettext("Translation is unavailable with the configured AI provider.") in html
    assert not Translation.objects.exists()


def test_requester_toggles_agent_replies_only_never_internal_notes(fake_google, requester, ticket):
    html = portal_page(requester, ticket, translate="1").content.decode()

    assert "&lt;b&gt;Hallo&lt;/b&gt; &amp; Welt" in html
    assert "Please restart the client." in html  # the original stays available
    assert "VIP" not in html
    sent = [body["contents"] for _m, path, body in fake_google.requests if path.endswith(":translateText")]
    assert sent == [["Please restart the client."]]

    portal_page(requester, ticket, translate="1")
    assert len(fake_google.requests) == 1  # cached


def test_requester_without_toggle_sees_originals(fake_google, requester, ticket):
    html = portal_page(requester, ticket).content.decode()
    assert "Hallo" not in html
    assert fake_google.requests == []


def test_requester_with_the_local_provider_sees_originals_and_a_clear_message(requester, ticket):
    html = portal_page(requester, ticket, translate="1").content.decode()
    assert "Please restart the client." in html
    assert 'id="translation-error"' in html
