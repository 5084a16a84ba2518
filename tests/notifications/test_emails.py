"""Notification e-mails: the recipient's language, the right links, nothing internal, and sent exactly once."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from apps.notifications import tasks
from apps.notifications.choices import EmailStatus, NotificationKind
from apps.notifications.emails import notification_email_send
from apps.notifications.models import Notification
from apps.tickets.choices import EventKind
from apps.tickets.services import comment_add, ticket_transfer
from apps.tickets.services import ticket_assign as assign


def reply(ticket, agent, body="Please update the VPN client to version 5.2."):
    return comment_add(ticket=ticket, actor=agent, body=body)


def test_the_email_is_written_in_the_recipients_language(after_commit, it_ticket, agent, requester):
    requester.language = "de"
    requester.save()
    with after_commit():
        reply(it_ticket, agent)

    message = mail.outbox[0]
    name = agent.get_full_name()
    assert (
        message.subject
        == f"[{it_ticket.reference}] {name} hat auf Ihr Ticket {it_ticket.reference} geantwortet: VPN drops every hour"
    )
    assert message.body.startswith(f"Hallo {requester.get_full_name()},\n")
    assert "Ticket öffnen:" in message.body
    assert "Status: Eingegangen" in message.body  # in the requester's words
    html = message.alternatives[0][0]
    assert '<html lang="de">' in html and "Ticket öffnen" in html
    # The in-app text is in German too.
    assert Notification.objects.get().text.startswith(f"{name} hat auf Ihr Ticket")


def test_the_links_lead_requesters_to_the_portal_and_agents_to_the_back_office(
    after_commit, settings, it_ticket, agent, requester
):
    settings.SITE_URL = "https://help.example.com/"
    with after_commit():
        reply(it_ticket, agent)
        comment_add(ticket=assign(ticket=it_ticket, actor=agent, assignee=agent), actor=requester, body="Done?")

    to_requester, to_agent = (
        (m for m in mail.outbox if m.to == ["carol@example.com"]),
        (m for m in mail.outbox if m.to == ["alice@example.com"]),
    )
    requester_mail, agent_mail = next(to_requester), next(to_agent)
    assert f"https://help.example.com/tickets/{it_ticket.pk}/" in requester_mail.body
    assert "https://help.example.com/profile/#notification-preferences" in requester_mail.body
    assert f"https://help.example.com/admin/tickets/ticket/{it_ticket.pk}/change/" in agent_mail.body
    assert "https://help.example.com/admin/notifications/notification/preferences/" in agent_mail.body
    assert (requester_mail.from_email, requester_mail.extra_headers["Auto-Submitted"]) == (
        settings.DEFAULT_FROM_EMAIL,
        "auto-generated",
    )


def test_the_html_escapes_what_people_wrote(after_commit, it_ticket, agent):
    with after_commit():
        reply(it_ticket, agent, body='<script>alert("x")</script> see https://example.com/kb')

    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://example.com/kb" rel="nofollow noopener noreferrer">' in html


def test_a_task_run_twice_sends_one_email(after_commit, it_ticket, agent):
    with after_commit():
        reply(it_ticket, agent)
    event = it_ticket.events.get(kind=EventKind.COMMENTED)
    notification = Notification.objects.get()

    # The same tasks again, as a retry or a duplicate delivery would run them.
    with after_commit():
        assert tasks.deliver_event(event.pk) == 1
    assert tasks.send_email(notification.pk) is False

    assert (Notification.objects.count(), len(mail.outbox)) == (1, 1)
    notification.refresh_from_db()
    assert (notification.email_status, notification.email_attempts) == (EmailStatus.SENT, 1)
    assert notification.emailed_at is not None


def test_a_failed_send_is_recorded_raised_and_retried_once(after_commit, it_ticket, agent):
    smtp_down = mock.patch.object(EmailMultiAlternatives, "send", side_effect=ConnectionRefusedError("SMTP is down"))
    with smtp_down, pytest.raises(ConnectionRefusedError), after_commit():
        reply(it_ticket, agent)
    notification = Notification.objects.get()
    assert (notification.email_status, notification.email_error) == (
        EmailStatus.FAILED,
        "ConnectionRefusedError: SMTP is down",
    )

    assert tasks.send_email(notification.pk) is True  # resubmitted from the back office
    assert tasks.send_email(notification.pk) is False
    notification.refresh_from_db()
    assert (notification.email_status, notification.email_attempts, len(mail.outbox)) == (EmailStatus.SENT, 2, 1)


def test_only_a_stale_claim_is_taken_over(settings, it_ticket, requester):
    notification = Notification.objects.create(
        recipient=requester,
        ticket=it_ticket,
        kind=NotificationKind.STATUS_CHANGED,
        text="Your ticket is now “Open”",
        key="test:claim",
        email_status=EmailStatus.SENDING,
        email_claimed_at=timezone.now(),
    )
    assert notification_email_send(notification_id=notification.pk) is False  # someone is sending it right now

    Notification.objects.filter(pk=notification.pk).update(
        email_claimed_at=timezone.now() - timedelta(seconds=settings.Q_CLUSTER["retry"] + 1)
    )
    assert notification_email_send(notification_id=notification.pk) is True  # that attempt died
    assert len(mail.outbox) == 1


def test_a_recipient_who_lost_access_meanwhile_gets_no_email(it_ticket, agent, billing_dept):
    notification = Notification.objects.create(
        recipient=agent,
        ticket=it_ticket,
        kind=NotificationKind.TICKET_CREATED,
        text="New ticket",
        key="test:moved",
        email_status=EmailStatus.PENDING,
    )
    ticket_transfer(ticket=it_ticket, actor=None, department=billing_dept)

    assert notification_email_send(notification_id=notification.pk) is False
    notification.refresh_from_db()
    assert (notification.email_status, len(mail.outbox)) == (EmailStatus.SKIPPED, 0)
