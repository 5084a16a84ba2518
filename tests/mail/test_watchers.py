"""Watchers added and removed by hand on the back office's ticket page (apps/mail/admin.py, services.py)."""

import pytest
from django.core import mail as outbox
from django.urls import reverse

from apps.mail.models import Watcher
from apps.mail.services import mail_ingest
from apps.tickets import permissions as ticket_perms
from apps.tickets.choices import EventKind
from apps.tickets.models import TicketEvent
from apps.tickets.services import comment_add, ticket_create
from tests.accounts.factories import UserFactory
from tests.mail import corpus
from tests.support import db_state, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(it_dept, requester):
    return ticket_create(actor=requester, requester=requester, title="Printer", description="Jammed.")


def url(ticket):
    return reverse("admin:tickets_ticket_watchers", args=[ticket.pk])


def page(client, ticket) -> str:
    return client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()


def test_an_agent_adds_an_account_and_an_address_and_they_hear_public_replies(
    after_commit, ticket, agent, other_requester
):
    other_requester.language = "de"
    other_requester.save()
    browser = logged_in(agent)
    assert browser.post(url(ticket), {"email": " Dave@Example.com "}).status_code == 302
    browser.post(url(ticket), {"email": "boss@example.org"})

    watchers = {w.email: w for w in Watcher.objects.filter(ticket=ticket)}
    assert set(watchers) == {"dave@example.com", "boss@example.org"}
    assert (watchers["dave@example.com"].user, watchers["dave@example.com"].grants_view) == (other_requester, True)
    assert (watchers["boss@example.org"].user, watchers["boss@example.org"].grants_view) == (None, False)
    assert ticket_perms.can_view_ticket(other_requester, ticket)
    added = TicketEvent.objects.get(ticket=ticket, kind=EventKind.WATCHER_ADDED)
    assert (added.actor, added.data) == (agent, {"user": other_requester.pk})
    assert 'data-watcher="boss@example.org"' in page(browser, ticket)

    outbox.outbox.clear()
    with after_commit():
        comment_add(ticket=ticket, actor=agent, body="Fixed it.")
        comment_add(ticket=ticket, actor=agent, body="Private.", is_internal=True)
    to_watchers = {m.to[0]: m for m in outbox.outbox if m.to[0] in watchers}
    assert set(to_watchers) == {"dave@example.com", "boss@example.org"}
    assert "Fixed it." in to_watchers["boss@example.org"].body
    assert "Private." not in "".join(m.body for m in outbox.outbox)
    # In the account's language; the site's for an address only.
    assert f"hat auf {ticket.reference}" in to_watchers["dave@example.com"].body
    assert "You receive this because you watch this ticket." in to_watchers["boss@example.org"].body


def test_removing_a_watcher_takes_back_the_view_it_gave(ticket, agent, other_requester):
    browser = logged_in(agent)
    browser.post(url(ticket), {"email": "dave@example.com"})
    watcher = Watcher.objects.get()
    response = browser.post(url(ticket), {"remove": watcher.pk}, follow=True)
    assert "dave@example.com no longer watches the ticket." in response.content.decode()
    assert not Watcher.objects.exists()
    assert not ticket_perms.can_view_ticket(other_requester, ticket)
    removed = TicketEvent.objects.get(ticket=ticket, kind=EventKind.WATCHER_REMOVED)
    assert (removed.actor, removed.data, removed.is_internal) == (agent, {"user": other_requester.pk}, True)


def test_removing_keeps_a_view_the_account_had_anyway(ticket, agent, it_dept):
    colleague = UserFactory(username="erin", email="erin@example.com", role="agent", departments=[it_dept])
    browser = logged_in(agent)
    browser.post(url(ticket), {"email": "erin@example.com"})
    watcher = Watcher.objects.get()
    assert (watcher.user, watcher.grants_view) == (colleague, False)  # the department already showed it
    browser.post(url(ticket), {"remove": watcher.pk})
    assert ticket_perms.can_view_ticket(colleague, ticket)
    assert not TicketEvent.objects.filter(kind=EventKind.WATCHER_REMOVED).exists()


def test_a_cc_watcher_from_mail_is_removed_with_its_grant(it_dept, requester, other_requester, agent):
    mail_ingest(raw=corpus.message(cc="dave@example.com"))
    watcher = Watcher.objects.get()
    assert watcher.grants_view is True
    logged_in(agent).post(url(watcher.ticket), {"remove": watcher.pk})
    assert not ticket_perms.can_view_ticket(other_requester, watcher.ticket)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not an address", "Enter a valid e-mail address."),
        ("carol@example.com", "The requester hears of this ticket already."),
        ("boss@example.org", "boss@example.org watches this ticket already."),
    ],
)
def test_bad_additions_are_refused_with_a_message_and_change_nothing(ticket, agent, email, message):
    browser = logged_in(agent)
    browser.post(url(ticket), {"email": "boss@example.org"})
    before = (db_state(), list(Watcher.objects.values()))
    response = browser.post(url(ticket), {"email": email}, follow=True)
    assert message in response.content.decode()
    assert (db_state(), list(Watcher.objects.values())) == before


def test_the_watcher_limit_holds(settings, ticket, agent):
    settings.MAIL_MAX_WATCHERS = 1
    browser = logged_in(agent)
    browser.post(url(ticket), {"email": "a@example.org"})
    response = browser.post(url(ticket), {"email": "b@example.org"}, follow=True)
    assert "A ticket has at most 1 watchers." in response.content.decode()
    assert Watcher.objects.count() == 1


def test_who_may_not_change_the_ticket_changes_no_watcher(ticket, agent, other_agent, requester):
    alice, bob, carol = logged_in(agent), logged_in(other_agent), logged_in(requester)
    alice.post(url(ticket), {"email": "boss@example.org"})
    watcher = Watcher.objects.get()
    before = (db_state(), list(Watcher.objects.values()))
    # Another department's agent: the ticket is not theirs to see (404); the requester: no back office.
    assert bob.post(url(ticket), {"email": "x@example.org"}).status_code == 404
    assert bob.post(url(ticket), {"remove": watcher.pk}).status_code == 404
    assert carol.post(url(ticket), {"remove": watcher.pk}).status_code == 302  # away from the back office
    assert alice.get(url(ticket)).status_code == 405
    assert (db_state(), list(Watcher.objects.values())) == before


def test_a_viewer_without_change_sees_the_watchers_but_no_form(ticket, agent, other_agent):
    logged_in(agent).post(url(ticket), {"email": "boss@example.org"})
    ticket_perms.watcher_grant(ticket=ticket, user=other_agent)  # a share: view only
    browser = logged_in(other_agent)
    html = page(browser, ticket)
    assert 'data-watcher="boss@example.org"' in html
    assert url(ticket) not in html
    assert browser.post(url(ticket), {"email": "x@example.org"}).status_code == 403
    assert Watcher.objects.count() == 1
