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


# A requester's status changes within a few minutes: one e-mail ----------------------------------------------------


def test_several_status_changes_within_minutes_make_one_email_and_one_notification_each(
    after_commit, settings, requester, agent, it_dept
):
    from datetime import timedelta

    from apps.notifications.emails import status_digests_send
    from apps.tickets import services
    from apps.tickets.choices import Status
    from tests.tickets.factories import TicketFactory

    settings.NOTIFICATIONS_STATUS_EMAIL_WAIT_SECONDS = 180
    settings.CSAT_ENABLED = False  # the rating request a resolved ticket brings is another e-mail (apps.knowledge)
    ticket = TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")
    mail.outbox.clear()
    for status in (Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED):
        with after_commit():
            services.ticket_transition(ticket=ticket, actor=agent, to_status=status)

    changes = Notification.objects.filter(recipient=requester, kind=NotificationKind.STATUS_CHANGED).order_by("pk")
    assert changes.count() == 3  # in the portal: one per change
    assert mail.outbox == []  # nothing sent while the ticket is still changing
    assert status_digests_send(now=timezone.now() + timedelta(seconds=60)) == 0

    assert status_digests_send(now=timezone.now() + timedelta(seconds=181)) == 1
    assert status_digests_send(now=timezone.now() + timedelta(seconds=600)) == 0  # sent once

    [message] = mail.outbox
    assert message.to == [requester.email]
    assert "Your ticket changed several times in a few minutes:" in message.body
    for change in changes:
        assert change.text in message.body
    assert message.subject == f"[{ticket.reference}] {changes.last().text}"
    assert set(changes.values_list("email_status", flat=True)) == {EmailStatus.SENT}


def test_a_single_status_change_is_one_ordinary_email_after_the_wait(after_commit, settings, requester, agent, it_dept):
    from datetime import timedelta

    from apps.notifications.emails import status_digests_send
    from apps.tickets import services
    from apps.tickets.choices import Status
    from tests.tickets.factories import TicketFactory

    settings.NOTIFICATIONS_STATUS_EMAIL_WAIT_SECONDS = 180
    ticket = TicketFactory(department=it_dept, requester=requester)
    mail.outbox.clear()
    with after_commit():
        services.ticket_transition(ticket=ticket, actor=agent, to_status=Status.OPEN)

    assert status_digests_send(now=timezone.now() + timedelta(seconds=181)) == 1
    [message] = mail.outbox
    assert "several times" not in message.body
    assert Notification.objects.get(recipient=requester, kind=NotificationKind.STATUS_CHANGED).text in message.body


def test_with_no_wait_each_status_change_is_e_mailed_at_once(after_commit, settings, requester, agent, it_dept):
    from apps.tickets import services
    from apps.tickets.choices import Status
    from tests.tickets.factories import TicketFactory

    settings.NOTIFICATIONS_STATUS_EMAIL_WAIT_SECONDS = 0
    ticket = TicketFactory(department=it_dept, requester=requester)
    mail.outbox.clear()
    with after_commit():
        services.ticket_transition(ticket=ticket, actor=agent, to_status=Status.OPEN)
    with after_commit():
        services.ticket_transition(ticket=ticket, actor=agent, to_status=Status.IN_PROGRESS)

    assert len([m for m in mail.outbox if m.to == [requester.email]]) == 2
