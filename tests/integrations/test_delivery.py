"""Webhook deliveries to a real receiver on 127.0.0.1: signed per Standard Webhooks, retried under the same id,
only for tickets the owner sees, never to a private address unless allowed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks import Webhook as Verifier

from apps.integrations.choices import DeliveryStatus
from apps.integrations.models import Webhook, WebhookDelivery
from apps.integrations.services import deliveries_retry_due, delivery_redeliver, webhook_create
from apps.integrations.signing import encrypt_secret, new_secret
from apps.tickets.services import comment_add, ticket_transfer
from tests.tickets.factories import TicketFactory


def test_a_new_ticket_is_delivered_signed_and_verifies(after_commit, receiver, admin_hook, it_dept, requester):
    with after_commit():
        ticket = TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")

    [got] = receiver.at("/admin")
    payload = Verifier(admin_hook.secret_plain).verify(got.body, got.headers)
    assert payload["type"] == "ticket.created"
    assert payload["data"]["ticket"]["id"] == ticket.pk
    assert payload["data"]["ticket"]["reference"] == ticket.reference
    assert payload["data"]["ticket"]["title"] == "VPN drops every hour"
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["webhook-signature"].startswith("v1,")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.message_id) == (
        DeliveryStatus.SUCCEEDED,
        1,
        200,
        got.headers["webhook-id"],
    )
    assert delivery.response_body == '{"ok": true}'


def test_a_wrong_secret_does_not_verify(after_commit, receiver, admin_hook, it_dept, requester):
    from standardwebhooks.webhooks import WebhookVerificationError

    with after_commit():
        TicketFactory(department=it_dept, requester=requester)

    [got] = receiver.received
    with pytest.raises(WebhookVerificationError):
        Verifier(new_secret()).verify(got.body, got.headers)


def test_a_500_is_retried_later_with_the_same_webhook_id(after_commit, receiver, admin_hook, it_dept, requester):
    receiver.script("/admin", "500")
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.RETRYING, 1, 500)
    assert len(delivery.response_body) == 1024  # the log keeps the start of the answer
    assert delivery.error == "The endpoint answered 500."
    assert deliveries_retry_due() == 0  # not due yet: 5 s later

    assert deliveries_retry_due(now=timezone.now() + timedelta(seconds=6)) == 1

    first, second = receiver.at("/admin")
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    assert first.body == second.body
    Verifier(admin_hook.secret_plain).verify(second.body, second.headers)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.error) == (
        DeliveryStatus.SUCCEEDED,
        2,
        200,
        "",
    )


def test_a_timeout_is_retried_with_the_same_webhook_id(after_commit, receiver, admin_hook, it_dept, requester):
    receiver.script("/admin", "slow")
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.RETRYING, 1, None)
    assert delivery.error == "No answer within 0.5 s."
    deliveries_retry_due(now=timezone.now() + timedelta(seconds=6))

    first, second = receiver.at("/admin")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)


def test_retries_back_off_and_stop(after_commit, receiver, admin_hook, it_dept, requester):
    receiver.script("/admin", *["500"] * 8)
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)
    delivery = WebhookDelivery.objects.get()
    waits = []
    for _ in range(7):
        waits.append(round((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()))
        deliveries_retry_due(now=delivery.next_attempt_at + timedelta(seconds=1))
        delivery.refresh_from_db()

    assert waits == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 8, None)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_a_redirect_is_not_followed(after_commit, receiver, admin_hook, it_dept, requester):
    receiver.script("/admin", "redirect")
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)

    assert [r.path for r in receiver.received] == ["/admin"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.RETRYING, 302)


def test_a_private_address_is_refused_unless_allowed(after_commit, receiver, admin_hook, settings, it_dept, requester):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)

    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status, delivery.error) == (
        DeliveryStatus.RETRYING,
        None,
        "The host resolves to a private or local address, which webhooks may not reach.",
    )


def test_a_name_resolving_to_loopback_is_refused(after_commit, receiver, admin_user, settings, it_dept, requester):
    port = receiver.server.server_address[1]
    webhook_create(actor=admin_user, url=f"http://localhost:{port}/named", events=["ticket.created"])
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)

    assert receiver.received == []
    assert WebhookDelivery.objects.get().error.startswith("The host resolves to a private or local address")


def test_only_tickets_the_owner_sees_are_delivered(
    after_commit, receiver, hook_manager, it_dept, billing_dept, requester
):
    webhook_create(
        actor=hook_manager,
        url=receiver.url("/alice"),
        events=["ticket.created", "ticket.transferred"],
        department=it_dept,
    )
    with after_commit():
        it_ticket = TicketFactory(department=it_dept, requester=requester, title="In IT")
        TicketFactory(department=billing_dept, requester=requester, title="In Billing")
    with after_commit():
        ticket_transfer(ticket=it_ticket, department=billing_dept, actor=hook_manager)

    # The transfer took the ticket out of alice's sight, so its `ticket.transferred` never reaches her endpoint.
    assert [r.json["data"]["ticket"]["title"] for r in receiver.at("/alice")] == ["In IT"]
    assert [(d.event_type, d.ticket_id) for d in WebhookDelivery.objects.all()] == [("ticket.created", it_ticket.pk)]


def test_an_admin_without_department_filter_gets_every_department(
    after_commit, receiver, admin_hook, it_dept, billing_dept, requester
):
    with after_commit():
        TicketFactory(department=it_dept, requester=requester, title="A")
        TicketFactory(department=billing_dept, requester=requester, title="B")

    assert sorted(r.json["data"]["ticket"]["title"] for r in receiver.at("/admin")) == ["A", "B"]


def test_internal_notes_reach_only_owners_who_may_read_them(after_commit, receiver, it_dept, agent, requester):
    # carol's endpoint (say she was demoted to requester after making it): she sees her ticket, not its notes.
    carol_hook = Webhook.objects.create(
        owner=requester, url=receiver.url("/carol"), events=["comment.created"], secret=encrypt_secret(new_secret())
    )
    ticket = TicketFactory(department=it_dept, requester=requester)
    with after_commit():
        comment_add(ticket=ticket, actor=agent, body="We are on it.", is_internal=False)
        comment_add(ticket=ticket, actor=agent, body="Secret: the VPN box is dying.", is_internal=True)

    bodies = [r.json["data"]["comment"]["body"] for r in receiver.at("/carol")]
    assert bodies == ["We are on it."]
    assert b"VPN box" not in b"".join(r.body for r in receiver.received)
    assert WebhookDelivery.objects.filter(webhook=carol_hook).count() == 1


def test_a_note_is_not_redelivered_to_an_owner_who_may_no_longer_read_it(
    after_commit, receiver, hook_manager, admin_user, it_dept, requester
):
    webhook_create(actor=hook_manager, url=receiver.url("/alice"), events=["comment.created"], department=it_dept)
    ticket = TicketFactory(department=it_dept, requester=requester)
    with after_commit():
        comment_add(ticket=ticket, actor=hook_manager, body="Note for the team.", is_internal=True)
    delivery = WebhookDelivery.objects.get()
    # alice leaves the staff (her webhook stays, as an admin may keep it for her department).
    type(hook_manager).objects.filter(pk=hook_manager.pk).update(role="requester", is_staff=False)

    with pytest.raises(ValidationError):
        delivery_redeliver(actor=admin_user, delivery=WebhookDelivery.objects.select_related("webhook__owner").get())

    assert len(receiver.at("/alice")) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_internal_notes_reach_staff_owners(after_commit, receiver, hook_manager, it_dept, requester):
    webhook_create(actor=hook_manager, url=receiver.url("/alice"), events=["comment.created"], department=it_dept)
    ticket = TicketFactory(department=it_dept, requester=requester)
    with after_commit():
        comment_add(ticket=ticket, actor=hook_manager, body="Note for the team.", is_internal=True)

    [got] = receiver.at("/alice")
    assert got.json["data"]["comment"]["is_internal"] is True
    assert got.json["data"]["comment"]["body"] == "Note for the team."


def test_unsubscribed_events_and_inactive_endpoints_get_nothing(
    after_commit, receiver, admin_user, agent, it_dept, requester
):
    webhook_create(actor=admin_user, url=receiver.url("/status"), events=["ticket.status_changed"])
    off, _secret = webhook_create(actor=admin_user, url=receiver.url("/off"), events=["ticket.created"])
    Webhook.objects.filter(pk=off.pk).update(is_active=False)
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)

    assert receiver.received == []
    assert WebhookDelivery.objects.count() == 0


def test_no_endpoint_queues_nothing(after_commit, it_dept, requester):
    with after_commit() as callbacks:
        TicketFactory(department=it_dept, requester=requester)

    assert WebhookDelivery.objects.count() == 0
    assert len(callbacks) == 1  # the notification of the department's agents only


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_told(
    after_commit, receiver, admin_hook, it_dept, requester
):
    receiver.script("/admin", "500", "500")
    Webhook.objects.filter(pk=admin_hook.pk).update(failing_since=timezone.now() - timedelta(hours=23))
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)
    admin_hook.refresh_from_db()
    assert admin_hook.is_active is True

    Webhook.objects.filter(pk=admin_hook.pk).update(failing_since=timezone.now() - timedelta(days=1, seconds=1))
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)

    admin_hook.refresh_from_db()
    assert (admin_hook.is_active, admin_hook.disabled_reason) == (False, "Deliveries failed for a day.")
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == [DeliveryStatus.FAILED] * 2
    [message] = mail.outbox
    assert message.to == ["admin@example.com"]
    assert message.subject == f"Webhook disabled: {admin_hook.url}"
    assert admin_hook.url in message.body


def test_a_success_ends_the_run_of_failures(after_commit, receiver, admin_hook, it_dept, requester):
    receiver.script("/admin", "500")
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)
    admin_hook.refresh_from_db()
    assert admin_hook.failing_since is not None

    with after_commit():
        TicketFactory(department=it_dept, requester=requester)

    admin_hook.refresh_from_db()
    assert admin_hook.failing_since is None


def test_redeliver_sends_the_same_message_again(after_commit, receiver, admin_hook, admin_user, it_dept, requester):
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)
    delivery = WebhookDelivery.objects.get()

    with after_commit():
        delivery_redeliver(actor=admin_user, delivery=delivery)

    first, second = receiver.at("/admin")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)


def test_the_fanout_is_safe_to_run_twice(after_commit, receiver, admin_hook, it_dept, requester):
    from apps.integrations.tasks import deliver_event

    with after_commit():
        ticket = TicketFactory(department=it_dept, requester=requester)
    event = ticket.events.get(kind="created")

    assert deliver_event(event.pk) == 0
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.received) == 1


def test_lifecycle_events_carry_the_change(after_commit, receiver, admin_user, agent, it_dept, requester):
    from apps.tickets.services import ticket_assign, ticket_transition

    webhook_create(actor=admin_user, url=receiver.url("/life"), events=["ticket.status_changed", "ticket.assigned"])
    ticket = TicketFactory(department=it_dept, requester=requester)
    with after_commit():
        ticket = ticket_transition(ticket=ticket, actor=agent, to_status="open")
        ticket_assign(ticket=ticket, actor=agent, assignee=agent)

    got = [(r.json["type"], r.json["data"]["change"]) for r in receiver.at("/life")]
    assert got == [
        ("ticket.status_changed", {"from": "new", "to": "open"}),
        ("ticket.assigned", {"from": None, "to": agent.pk}),
    ]
