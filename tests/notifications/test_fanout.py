"""Who hears about what: the fan-out of every notifying event, preferences, and nothing internal for requesters."""

import io

import pytest
from django.core import mail

from apps.accounts.choices import Role
from apps.departments.choices import AssignmentPolicy
from apps.departments.services import department_update
from apps.notifications.choices import EmailStatus, NotificationKind
from apps.notifications.models import Notification
from apps.notifications.queue import notifications_muted
from apps.notifications.services import preferences_set
from apps.tickets.choices import EventKind, Status
from apps.tickets.models import Ticket
from apps.tickets.services import comment_add, ticket_assign, ticket_create, ticket_transfer, ticket_transition
from tests.accounts.factories import UserFactory
from tests.tickets.factories import TicketFactory


@pytest.fixture
def frank(it_dept):
    """A second agent of IT Support."""
    return UserFactory(username="frank", role=Role.AGENT, departments=[it_dept])


def received(kind=None) -> list[tuple[str, str]]:
    """(recipient, kind) of every notification, oldest first."""
    rows = Notification.objects.order_by("pk")
    if kind is not None:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("recipient__username", "kind"))


def open_ticket(requester, department=None, **options):
    return ticket_create(
        actor=requester,
        requester=requester,
        title="VPN drops every hour",
        description="Since Monday.",
        department=department,
        **options,
    )


# Ticket created ------------------------------------------------------------------------------------------------


def test_a_new_ticket_notifies_the_agents_of_its_department(after_commit, requester, agent, frank, other_agent):
    with after_commit():
        ticket = open_ticket(requester)

    assert received() == [("alice", "ticket_created"), ("frank", "ticket_created")]
    alice_note = Notification.objects.get(recipient=agent)
    assert alice_note.text == f"New ticket {ticket.reference} in IT Support: VPN drops every hour"
    assert (alice_note.ticket, alice_note.actor, alice_note.read_at, alice_note.in_app) == (
        ticket,
        requester,
        None,
        True,
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "frank@example.com"]


def test_the_auto_assigned_agent_hears_assigned_instead_of_created(after_commit, requester, agent, frank, it_dept):
    department_update(department=it_dept, assignment_policy=AssignmentPolicy.ROUND_ROBIN)

    with after_commit():
        ticket = open_ticket(requester)

    assert ticket.assignee == agent
    assert received() == [("frank", "ticket_created"), ("alice", "assigned")]
    assert Notification.objects.get(recipient=agent).text == f"{ticket.reference} was assigned to you: {ticket.title}"


def test_an_agent_opening_a_ticket_is_not_told_about_it(after_commit, agent, frank, requester, it_dept):
    with after_commit():
        ticket_create(
            actor=agent, requester=requester, title="Printer", description="Jammed", department=it_dept, assignee=agent
        )

    assert received() == [("frank", "ticket_created")]


def test_imported_tickets_marked_not_to_notify_notify_nobody(after_commit, requester, agent):
    from apps.notifications.services import notifications_for_event

    ticket = open_ticket(requester)
    event = ticket.events.get(kind=EventKind.CREATED)
    event.data = {**event.data, "notify": False}
    event.save()

    assert notifications_for_event(event_id=event.pk) == []


# Assigned ------------------------------------------------------------------------------------------------------


def test_assigning_notifies_the_assignee_but_not_who_assigned_themselves(after_commit, it_ticket, agent, frank):
    with after_commit():
        ticket = ticket_assign(ticket=it_ticket, actor=agent, assignee=frank)
        ticket_assign(ticket=ticket, actor=frank, assignee=frank)  # no change: no event
    with after_commit():
        ticket_assign(ticket=ticket, actor=frank, assignee=agent)
        ticket_assign(ticket=ticket, actor=agent, assignee=agent)

    assert received(NotificationKind.ASSIGNED) == [("frank", "assigned"), ("alice", "assigned")]


def test_a_transfer_that_assigns_by_policy_notifies_the_new_assignee(
    after_commit, it_ticket, agent, other_agent, billing_dept
):
    department_update(department=billing_dept, assignment_policy=AssignmentPolicy.LEAST_OPEN)
    with after_commit():
        ticket = ticket_transfer(ticket=it_ticket, actor=agent, department=billing_dept)

    assert ticket.assignee == other_agent
    assert received(NotificationKind.ASSIGNED) == [("bob", "assigned")]


# Replies and notes ---------------------------------------------------------------------------------------------


def test_an_agents_reply_notifies_the_requester(after_commit, it_ticket, agent, requester):
    ticket_assign(ticket=it_ticket, actor=agent, assignee=agent)
    with after_commit():
        comment_add(ticket=it_ticket, actor=agent, body="Please update the VPN client.")

    assert received(NotificationKind.REPLY) == [("carol", "reply")]
    note = Notification.objects.get(kind=NotificationKind.REPLY)
    assert note.text == f"{agent.get_full_name()} replied to your ticket {it_ticket.reference}: VPN drops every hour"
    assert note.comment.body == "Please update the VPN client."


def test_the_requesters_reply_notifies_the_assignee_only(after_commit, it_ticket, agent, frank, requester):
    with after_commit():
        comment_add(ticket=it_ticket, actor=requester, body="Still broken.")
    assert received(NotificationKind.REPLY) == []  # nobody is assigned yet

    ticket_assign(ticket=it_ticket, actor=agent, assignee=frank)
    with after_commit():
        comment_add(ticket=it_ticket, actor=requester, body="Still broken today.")

    assert received(NotificationKind.REPLY) == [("frank", "reply")]


def test_a_watchers_reply_notifies_the_requester_and_the_assignee(
    after_commit, it_ticket, agent, frank, requester, other_requester
):
    from apps.mail.models import Watcher
    from apps.tickets.services import ticket_watcher_grant

    ticket_assign(ticket=it_ticket, actor=agent, assignee=frank)
    ticket_watcher_grant(ticket=it_ticket, user=other_requester, actor=requester)
    Watcher.objects.create(ticket=it_ticket, user=other_requester, email=other_requester.email)
    with after_commit():
        comment_add(ticket=it_ticket, actor=other_requester, body="Same problem on my laptop.")

    assert sorted(received(NotificationKind.REPLY)) == [("carol", "reply"), ("frank", "reply")]


def test_a_mention_in_an_internal_note_notifies_the_mentioned_agent_who_can_see_the_ticket(
    after_commit, it_ticket, agent, frank, other_agent, requester, admin_user
):
    body = "@frank can you check the logs? @bob and @carol cannot see this. Thanks @Admin."
    with after_commit():
        comment_add(ticket=it_ticket, actor=agent, body=body, is_internal=True)

    assert received() == [("frank", "mention"), ("admin", "mention")]
    assert Notification.objects.get(recipient=frank).text == (
        f"{agent.get_full_name()} mentioned you in an internal note on {it_ticket.reference}: VPN drops every hour"
    )


def test_nothing_internal_ever_reaches_a_requester(after_commit, it_ticket, agent, requester):
    secret = "Requester's laptop is on the watch list"
    with after_commit():
        comment_add(ticket=it_ticket, actor=agent, body=f"@carol {secret}", is_internal=True)
        comment_add(ticket=it_ticket, actor=agent, body="We are on it.")

    assert received() == [("carol", "reply")]
    assert all(secret not in (m.subject + m.body + m.alternatives[0][0]) for m in mail.outbox)
    assert "We are on it." in mail.outbox[0].body


# Status changes ------------------------------------------------------------------------------------------------


def test_a_status_change_notifies_the_requester_in_their_words(after_commit, it_ticket, agent, requester):
    ticket = ticket_transition(ticket=it_ticket, actor=agent, to_status=Status.OPEN)
    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.IN_PROGRESS)
    with after_commit():
        ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.WAITING)

    assert received() == [("carol", "status_changed")]
    assert Notification.objects.get().text == f"Your ticket {ticket.reference} is now “Waiting for you”: {ticket.title}"


def test_the_requester_is_not_told_about_closing_their_own_ticket(after_commit, it_ticket, requester):
    with after_commit():
        ticket_transition(ticket=it_ticket, actor=requester, to_status=Status.CLOSED)

    assert received() == []


# Preferences ---------------------------------------------------------------------------------------------------


def test_preferences_choose_the_channels(after_commit, it_ticket, agent, requester):
    preferences_set(user=requester, channels={NotificationKind.REPLY: (True, False)})
    with after_commit():
        comment_add(ticket=it_ticket, actor=agent, body="In-app only.")
    assert (Notification.objects.get().email_status, len(mail.outbox)) == (EmailStatus.SKIPPED, 0)

    preferences_set(user=requester, channels={NotificationKind.REPLY: (False, True)})
    with after_commit():
        comment_add(ticket=it_ticket, actor=agent, body="By e-mail only.")
    emailed = Notification.objects.latest("pk")
    assert (emailed.in_app, emailed.email_status, len(mail.outbox)) == (False, EmailStatus.SENT, 1)

    preferences_set(user=requester, channels={NotificationKind.REPLY: (False, False)})
    with after_commit():
        comment_add(ticket=it_ticket, actor=agent, body="Not at all.")
    assert (Notification.objects.count(), len(mail.outbox)) == (2, 1)


def test_preferences_refuse_kinds_a_requester_cannot_receive(requester):
    with pytest.raises(ValueError, match="cannot receive"):
        preferences_set(user=requester, channels={NotificationKind.MENTION: (True, True)})


# Switches ------------------------------------------------------------------------------------------------------


def test_muted_blocks_and_the_setting_queue_nothing(after_commit, settings, requester, agent):
    with after_commit() as callbacks, notifications_muted():
        open_ticket(requester)
    settings.NOTIFICATIONS_ENABLED = False
    with after_commit() as more:
        open_ticket(requester)

    assert (callbacks, more, Notification.objects.count(), len(mail.outbox)) == ([], [], 0, 0)


def test_an_inactive_or_departed_recipient_is_skipped(after_commit, it_ticket, agent, frank, requester):
    frank.is_active = False
    frank.save()
    with after_commit():
        TicketFactory(department=it_ticket.department, requester=requester)

    assert received() == [("alice", "ticket_created")]


def test_seeding_the_demo_notifies_nobody(after_commit, db):
    from django.core.management import call_command

    from apps.accounts.services import model_permissions_generation_next
    from apps.tickets.services import saved_views_generation_next

    with after_commit() as callbacks:
        call_command("seed_demo", "--force", "--tickets", "12", stdout=io.StringIO())

    assert Ticket.objects.count() == 12
    # The seeded memberships start a new generation of the sidebar's kept saved views and of what is kept of each
    # account's access: cache writes, not tasks.
    cache_writes = (saved_views_generation_next, model_permissions_generation_next)
    queued = [callback for callback in callbacks if callback not in cache_writes]
    assert (queued, Notification.objects.count(), len(mail.outbox)) == ([], 0, 0)
