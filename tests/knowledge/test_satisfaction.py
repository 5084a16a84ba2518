"""Satisfaction: one request per resolved ticket, e-mailed in the requester's language with signed links that
work once, for their own ticket, until they expire; never for imports; requesters may opt out."""

import re

import pytest
from django.core import mail, signing
from django.urls import reverse

from apps.knowledge.models import Satisfaction, SatisfactionOptOut
from apps.knowledge.services import satisfaction_rate
from apps.knowledge.signing import SALT, link_token
from apps.tickets import events
from apps.tickets.choices import Status
from apps.tickets.services import ticket_transition
from tests.knowledge.conftest import resolve
from tests.support import logged_in
from tests.tickets.factories import TicketFactory

LINK = re.compile(r"https?://\S+/rate/(\S+)/")


def _links(message) -> list[str]:
    return LINK.findall(message.body)


def rating_mails() -> list:
    """The satisfaction e-mails sent (the notifications' e-mails about the same changes are left out)."""
    return [message for message in mail.outbox if LINK.search(message.body)]


def test_resolving_a_ticket_asks_its_requester_once_in_their_language(ticket, agent, requester, after_commit):
    requester.language = "de"
    requester.save(update_fields=["language"])
    with after_commit():
        ticket = resolve(ticket, agent)
    satisfaction = Satisfaction.objects.get(ticket=ticket)
    assert (satisfaction.requester, satisfaction.agent, satisfaction.department_id) == (
        requester,
        agent,
        ticket.department_id,
    )
    assert satisfaction.rating is None
    assert len(rating_mails()) == 1
    message = rating_mails()[0]
    assert message.to == [requester.email]
    assert message.subject.startswith(f"[{ticket.reference}] ")
    html = message.alternatives[0][0]
    assert '<html lang="de">' in html  # rendered in the requester's language (the catalogs translate the words)
    assert len(_links(message)) == 5
    # Reopened and resolved again: no second request.
    with after_commit():
        ticket = ticket_transition(ticket=ticket, actor=requester, to_status=Status.OPEN)
        resolve_again = ticket_transition(ticket=ticket, actor=agent, to_status=Status.IN_PROGRESS)
        ticket_transition(ticket=resolve_again, actor=agent, to_status=Status.RESOLVED)
    assert Satisfaction.objects.count() == 1
    assert len(rating_mails()) == 1


def test_no_request_when_silenced_as_an_import_does(ticket, agent, after_commit):
    with after_commit(), events.silenced(events.SATISFACTION):
        resolve(ticket, agent)
    assert Satisfaction.objects.count() == 0
    assert rating_mails() == []


def test_no_request_for_a_requester_who_opted_out(ticket, agent, requester, after_commit):
    SatisfactionOptOut.objects.create(user=requester)
    with after_commit():
        resolve(ticket, agent)
    assert Satisfaction.objects.count() == 0
    assert rating_mails() == []


def test_the_profile_opt_out(carol, requester):
    response = carol.post(reverse("portal:satisfaction_opt_out"), {"opt_out": "1"})
    assert response.status_code == 302
    assert SatisfactionOptOut.objects.filter(user=requester).exists()
    assert "Ask me again" in carol.get(reverse("accounts:profile")).content.decode()
    carol.post(reverse("portal:satisfaction_opt_out"), {"opt_out": "0"})
    assert not SatisfactionOptOut.objects.filter(user=requester).exists()


@pytest.fixture
def asked(ticket, agent, after_commit):
    with after_commit():
        resolve(ticket, agent)
    return Satisfaction.objects.get(ticket=ticket)


def test_the_e_mail_link_rates_once(client, asked):
    token = _links(rating_mails()[0])[1]  # "Satisfied" (4)
    url = reverse("portal:satisfaction_link", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="4" checked' in page.content.decode().replace("\n", " ") or "checked" in page.content.decode()
    asked.refresh_from_db()
    assert asked.rating is None  # opening the link writes nothing (mail scanners open links)
    response = client.post(url, {"rating": "4", "comment": "Quick, thanks"})
    assert response.status_code == 200
    asked.refresh_from_db()
    assert (asked.rating, asked.comment, asked.link_open) == (4, "Quick, thanks", False)
    again = client.post(url, {"rating": "1"})
    assert again.status_code == 410
    assert "used already" in again.content.decode()
    asked.refresh_from_db()
    assert asked.rating == 4


def test_a_link_cannot_be_turned_to_another_ticket(client, asked, requester, it_dept, agent, after_commit):
    other = TicketFactory(requester=requester, department=it_dept, assignee=agent)
    with after_commit():
        resolve(other, agent)
    second = Satisfaction.objects.get(ticket=other)
    token = _links(rating_mails()[0])[0]
    forged = signing.TimestampSigner(salt=SALT).sign_object({"s": second.pk, "n": "guess", "r": 5})
    tampered = token.replace(token.split(":")[0][:4], "AAAA", 1)
    for bad in (forged, tampered, "nonsense"):
        response = client.post(reverse("portal:satisfaction_link", args=[bad]), {"rating": "5"})
        assert response.status_code == 410
    assert Satisfaction.objects.filter(rating__isnull=False).count() == 0


def test_an_expired_link_is_refused(client, asked, settings):
    token = link_token(satisfaction=asked, rating=5)
    settings.CSAT_LINK_MAX_AGE_DAYS = 0
    response = client.post(reverse("portal:satisfaction_link", args=[token]), {"rating": "5"})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    asked.refresh_from_db()
    assert asked.rating is None


def test_the_rating_changes_in_the_portal_until_the_ticket_closes(carol, asked, requester):
    url = reverse("portal:satisfaction_rate", args=[asked.ticket_id])
    page = carol.get(reverse("portal:ticket_detail", args=[asked.ticket_id]))
    assert 'id="satisfaction-form"' in page.content.decode()
    carol.post(url, {"rating": "2"})
    carol.post(url, {"rating": "5", "comment": "Better on second thought"})
    asked.refresh_from_db()
    assert (asked.rating, asked.comment) == (5, "Better on second thought")
    ticket_transition(ticket=asked.ticket, actor=requester, to_status=Status.CLOSED)
    carol.post(url, {"rating": "1"})
    asked.refresh_from_db()
    assert asked.rating == 5
    page = carol.get(reverse("portal:ticket_detail", args=[asked.ticket_id])).content.decode()
    assert 'id="satisfaction-form"' not in page
    assert "You rated our help 5 out of 5." in page


def test_another_requester_cannot_rate(asked, other_requester):
    with pytest.raises(Exception) as refused:
        satisfaction_rate(satisfaction=asked, actor=other_requester, rating=5)
    assert refused.type.__name__ == "PermissionDenied"
    response = logged_in(other_requester).post(
        reverse("portal:satisfaction_rate", args=[asked.ticket_id]), {"rating": "5"}
    )
    assert response.status_code == 404
    asked.refresh_from_db()
    assert asked.rating is None


def test_binary_scale_accepts_good_and_bad_only(carol, asked, settings):
    settings.CSAT_SCALE = "binary"
    url = reverse("portal:satisfaction_rate", args=[asked.ticket_id])
    carol.post(url, {"rating": "3"})
    asked.refresh_from_db()
    assert asked.rating is None
    carol.post(url, {"rating": "1"})
    asked.refresh_from_db()
    assert asked.rating == 1


def test_no_request_for_a_ticket_an_import_resolves(ticket, agent, after_commit):
    from tests.tickets.test_import import csv_bytes, run

    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.OPEN)
    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.IN_PROGRESS)
    data = csv_bytes(
        [["reference", "title", "description", "requester", "status"], [ticket.reference, "", "", "", "resolved"]]
    )
    with after_commit():
        report = run(data, actor=agent)
    assert report.applied
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert Satisfaction.objects.count() == 0
    assert rating_mails() == []


def test_an_unassigned_ticket_credits_the_agent_who_resolved_it(it_dept, requester, agent, after_commit):
    ticket = TicketFactory(requester=requester, department=it_dept)
    with after_commit():
        resolve(ticket, agent)
    assert Satisfaction.objects.get(ticket=ticket).agent == agent
