"""The webhook events added with the comment edit window, file deletion and watchers, delivered to a real receiver
on 127.0.0.1: which history events are sent (and which deliberately not), their payloads, and that an internal
note's text (edited or deleted) never reaches an owner who may not read internal notes."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from standardwebhooks import Webhook as Verifier

from apps.integrations.choices import EVENT_TYPES, NOT_DELIVERED, WebhookEvent
from apps.integrations.models import Webhook, WebhookDelivery
from apps.integrations.services import webhook_create
from apps.integrations.signing import encrypt_secret, new_secret
from apps.tickets.choices import EventKind
from apps.tickets.services import (
    attachment_add,
    attachment_delete,
    comment_add,
    comment_delete,
    comment_edit,
    ticket_share,
    ticket_watcher_grant,
    ticket_watcher_revoke,
)
from tests.accounts.factories import UserFactory
from tests.support import jwt_client, logged_in
from tests.tickets.factories import TicketFactory

NEW_EVENTS = [
    "comment.updated",
    "comment.deleted",
    "attachment.deleted",
    "ticket.watcher_added",
    "ticket.watcher_removed",
]


def test_every_history_event_is_delivered_or_left_out_on_purpose():
    assert set(EVENT_TYPES) | NOT_DELIVERED == set(EventKind.values)
    assert set(EVENT_TYPES) & NOT_DELIVERED == set()
    assert set(EVENT_TYPES.values()) == set(WebhookEvent.values)
    assert [EVENT_TYPES[kind] for kind in (EventKind.COMMENT_EDITED, EventKind.COMMENT_DELETED)] == [
        "comment.updated",
        "comment.deleted",
    ]
    assert EVENT_TYPES[EventKind.ATTACHMENT_DELETED] == "attachment.deleted"
    assert (EVENT_TYPES[EventKind.WATCHER_ADDED], EVENT_TYPES[EventKind.WATCHER_REMOVED]) == (
        "ticket.watcher_added",
        "ticket.watcher_removed",
    )


def test_an_edited_and_a_deleted_comment_are_delivered_signed(
    after_commit, receiver, admin_user, agent, it_dept, requester
):
    hook, secret = webhook_create(
        actor=admin_user, url=receiver.url("/admin"), events=["comment.updated", "comment.deleted"]
    )
    ticket = TicketFactory(department=it_dept, requester=requester)
    reply = comment_add(ticket=ticket, actor=requester, body="It drops at 10:00.")
    reply_pk = reply.pk
    with after_commit():
        comment_edit(comment=reply, actor=requester, body="It drops at 11:00.")
    with after_commit():
        comment_delete(comment=reply, actor=requester)

    edited, deleted = receiver.at("/admin")
    first = Verifier(secret).verify(edited.body, edited.headers)
    second = Verifier(secret).verify(deleted.body, deleted.headers)
    assert first["type"] == "comment.updated"
    assert first["data"]["ticket"]["id"] == ticket.pk
    comment = first["data"]["comment"]
    assert comment.pop("edited_at") is not None
    assert comment == {
        "id": reply_pk,
        "author": requester.pk,
        "body": "It drops at 11:00.",
        "previous_body": "It drops at 10:00.",
        "is_internal": False,
    }
    assert second["type"] == "comment.deleted"
    comment = second["data"]["comment"]
    assert comment.pop("deleted_at") is not None
    assert comment == {"id": reply_pk, "author": requester.pk, "body": "It drops at 11:00.", "is_internal": False}
    assert second["data"]["event"]["actor"] == requester.pk
    assert list(WebhookDelivery.objects.order_by("pk").values_list("event_type", "webhook_id")) == [
        ("comment.updated", hook.pk),
        ("comment.deleted", hook.pk),
    ]


def test_an_internal_notes_edit_and_deletion_reach_only_owners_who_may_read_notes(
    after_commit, receiver, hook_manager, it_dept, requester
):
    # carol's endpoint (say she was demoted to requester after making it): she sees her ticket, not its notes.
    carol_hook = Webhook.objects.create(
        owner=requester,
        url=receiver.url("/carol"),
        events=["comment.updated", "comment.deleted", "attachment.deleted"],
        secret=encrypt_secret(new_secret()),
    )
    webhook_create(
        actor=hook_manager,
        url=receiver.url("/alice"),
        events=["comment.updated", "comment.deleted", "attachment.deleted"],
        department=it_dept,
    )
    ticket = TicketFactory(department=it_dept, requester=requester)
    note = comment_add(
        ticket=ticket,
        actor=hook_manager,
        body="Secret: the VPN box is dying.",
        is_internal=True,
        uploads=[SimpleUploadedFile("box.log", b"fan failure\n")],
    )
    reply = comment_add(ticket=ticket, actor=requester, body="Any news?")
    with after_commit():
        comment_edit(comment=note, actor=hook_manager, body="Secret: the VPN box is dead.")
    with after_commit():
        attachment_delete(attachment=note.attachments.get(), actor=hook_manager)
    with after_commit():
        comment_delete(comment=note, actor=hook_manager)
    with after_commit():
        comment_delete(comment=reply, actor=requester)

    to_carol = [(r.json["type"], r.json["data"]["comment"]["body"]) for r in receiver.at("/carol")]
    assert to_carol == [("comment.deleted", "Any news?")]
    assert b"VPN box" not in b"".join(r.body for r in receiver.at("/carol"))
    assert b"box.log" not in b"".join(r.body for r in receiver.at("/carol"))
    assert WebhookDelivery.objects.filter(webhook=carol_hook).count() == 1
    to_alice = [r.json for r in receiver.at("/alice")]
    assert [(p["type"], p["data"].get("comment", {}).get("is_internal")) for p in to_alice] == [
        ("comment.updated", True),
        ("attachment.deleted", None),
        ("comment.deleted", True),
        ("comment.deleted", False),
    ]
    assert to_alice[0]["data"]["comment"]["previous_body"] == "Secret: the VPN box is dying."
    assert to_alice[1]["data"]["attachment"]["name"] == "box.log"
    assert to_alice[2]["data"]["comment"]["body"] == "Secret: the VPN box is dead."


def test_a_deleted_file_is_delivered(after_commit, receiver, admin_user, agent, it_dept, requester):
    webhook_create(actor=admin_user, url=receiver.url("/files"), events=["attachment.deleted"])
    ticket = TicketFactory(department=it_dept, requester=requester)
    attachment = attachment_add(ticket=ticket, actor=requester, upload=SimpleUploadedFile("notes.txt", b"10:00\n"))
    attachment_pk = attachment.pk
    with after_commit():
        attachment_delete(attachment=attachment, actor=agent)

    [got] = receiver.at("/files")
    assert got.json["type"] == "attachment.deleted"
    data = got.json["data"]
    assert data["attachment"].pop("deleted_at") is not None
    assert data["attachment"] == {"id": attachment_pk, "name": "notes.txt"}
    assert (data["ticket"]["id"], data["event"]["actor"]) == (ticket.pk, agent.pk)


def test_watchers_reach_staff_owners_only(after_commit, receiver, admin_user, agent, it_dept, requester):
    webhook_create(
        actor=admin_user, url=receiver.url("/admin"), events=["ticket.watcher_added", "ticket.watcher_removed"]
    )
    Webhook.objects.create(
        owner=requester,
        url=receiver.url("/carol"),
        events=["ticket.watcher_added", "ticket.watcher_removed"],
        secret=encrypt_secret(new_secret()),
    )
    ticket = TicketFactory(department=it_dept, requester=requester)
    dave = UserFactory(username="dave")
    with after_commit():
        assert ticket_watcher_grant(ticket=ticket, user=dave, actor=requester) is True
    with after_commit():
        assert ticket_watcher_revoke(ticket=ticket, user=dave, actor=agent) is True

    got = [(r.json["type"], r.json["data"]["change"], r.json["data"]["event"]["actor"]) for r in receiver.at("/admin")]
    assert got == [
        ("ticket.watcher_added", {"user": dave.pk}, requester.pk),
        ("ticket.watcher_removed", {"user": dave.pk}, agent.pk),
    ]
    assert receiver.at("/carol") == []


def test_routing_and_shares_are_not_delivered(after_commit, receiver, admin_user, agent, it_dept, requester):
    webhook_create(actor=admin_user, url=receiver.url("/all"), events=list(WebhookEvent.values))
    with after_commit():
        ticket = TicketFactory(department=None, requester=requester)  # routed: to the default department
    with after_commit():
        assert ticket_share(ticket=ticket, actor=admin_user, codenames=["view_ticket"], user=agent) is True

    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {EventKind.CREATED, EventKind.ROUTED, EventKind.ACCESS_CHANGED} <= kinds
    assert [r.json["type"] for r in receiver.at("/all")] == ["ticket.created"]


def test_the_new_events_are_offered_by_the_api_and_the_back_office(admin_user):
    response = jwt_client(admin_user).post(
        "/api/webhooks/", {"url": "https://hooks.example.com/in", "events": NEW_EVENTS}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["events"] == NEW_EVENTS  # stored in the order of WebhookEvent
    refused = jwt_client(admin_user).post(
        "/api/webhooks/", {"url": "https://hooks.example.com/in", "events": ["ticket.routed"]}, format="json"
    )
    assert refused.status_code == 400
    schema = jwt_client(admin_user).get("/api/schema/", {"format": "json"}).json()
    enums = [s.get("enum") for s in schema["components"]["schemas"].values() if "comment.deleted" in s.get("enum", [])]
    assert enums == [list(WebhookEvent.values)]

    browser = logged_in(admin_user)
    add = reverse("admin:integrations_webhook_add")
    html = browser.get(add).content.decode()
    for event in NEW_EVENTS:
        assert f'value="{event}"' in html
    assert 'value="ticket.routed"' not in html
    assert (
        browser.post(add, {"name": "All", "url": "https://crm.example.com/in", "events": NEW_EVENTS}).status_code == 200
    )
    assert Webhook.objects.get(name="All").events == NEW_EVENTS
