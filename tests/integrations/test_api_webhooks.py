"""/api/webhooks/: who may manage which endpoints, the secret shown once, the delivery log and redelivery."""

import pytest
from rest_framework.test import APIClient

from apps.integrations.choices import DeliveryStatus
from apps.integrations.models import Webhook, WebhookDelivery
from apps.integrations.signing import decrypt_secret
from tests.integrations.factories import WebhookFactory
from tests.support import assert_constant_queries, field_errors, jwt_client
from tests.tickets.factories import TicketFactory

HOOKS = "/api/webhooks/"


def hooks_state() -> list:
    return list(Webhook.objects.order_by("pk").values())


def test_an_admin_registers_an_endpoint_and_sees_the_secret_once(admin_user):
    body = {"url": "https://hooks.example.com/in", "events": ["ticket.created", "comment.created"], "department": None}

    response = jwt_client(admin_user).post(HOOKS, body, format="json")

    assert response.status_code == 201
    created = response.json()
    webhook = Webhook.objects.get()
    assert created["secret"].startswith("whsec_")
    assert decrypt_secret(webhook.secret) == created["secret"]
    assert created["secret"] not in webhook.secret  # stored encrypted
    assert (webhook.owner, webhook.url, webhook.events, webhook.department) == (
        admin_user,
        "https://hooks.example.com/in",
        ["ticket.created", "comment.created"],
        None,
    )
    detail = jwt_client(admin_user).get(f"{HOOKS}{webhook.pk}/").json()
    listed = jwt_client(admin_user).get(HOOKS).json()["results"]
    assert "secret" not in detail and "secret" not in listed[0]
    assert detail["events"] == ["ticket.created", "comment.created"]


def test_update_and_delete(admin_user, it_dept):
    webhook = WebhookFactory(owner=admin_user)
    client = jwt_client(admin_user)

    patched = client.patch(f"{HOOKS}{webhook.pk}/", {"events": ["ticket.assigned"], "department": it_dept.pk})
    put = client.put(
        f"{HOOKS}{webhook.pk}/",
        {"url": "https://hooks.example.com/new", "events": ["comment.created"], "name": "CRM", "is_active": False},
    )

    assert (patched.status_code, put.status_code) == (200, 200)
    assert patched.json()["events"] == ["ticket.assigned"] and patched.json()["department"] == it_dept.pk
    webhook.refresh_from_db()
    assert (webhook.url, webhook.events, webhook.name, webhook.is_active) == (
        "https://hooks.example.com/new",
        ["comment.created"],
        "CRM",
        False,
    )
    assert client.delete(f"{HOOKS}{webhook.pk}/").status_code == 204
    assert Webhook.objects.count() == 0


def test_rotating_the_secret_shows_the_new_one_once(admin_user):
    webhook = WebhookFactory(owner=admin_user)

    response = jwt_client(admin_user).post(f"{HOOKS}{webhook.pk}/rotate-secret/")

    assert response.status_code == 200
    webhook.refresh_from_db()
    assert decrypt_secret(webhook.secret) == response.json()["secret"] != webhook.secret_plain


@pytest.mark.parametrize("who", ["requester", "agent"])
def test_requesters_and_agents_without_the_permission_are_refused(who, request, admin_user, it_dept):
    user = request.getfixturevalue(who)
    webhook = WebhookFactory(owner=admin_user, department=it_dept)
    before = hooks_state()
    client = jwt_client(user)

    codes = [
        client.get(HOOKS).status_code,
        client.post(
            HOOKS, {"url": "https://x.example.com/", "events": ["ticket.created"], "department": it_dept.pk}
        ).status_code,
        client.get(f"{HOOKS}{webhook.pk}/").status_code,
        client.delete(f"{HOOKS}{webhook.pk}/").status_code,
        client.get(f"{HOOKS}{webhook.pk}/deliveries/").status_code,
    ]

    assert codes == [403] * 5
    assert hooks_state() == before


def test_anonymous_is_401():
    assert APIClient().get(HOOKS).status_code == 401
    assert APIClient().post(HOOKS, {}).status_code == 401


def test_an_agent_with_the_permission_manages_their_departments_endpoints(
    hook_manager, admin_user, it_dept, billing_dept
):
    theirs = WebhookFactory(owner=admin_user, department=it_dept)
    billing = WebhookFactory(owner=admin_user, department=billing_dept)
    everything = WebhookFactory(owner=admin_user)
    client = jwt_client(hook_manager)
    before = hooks_state()

    assert [row["id"] for row in client.get(HOOKS).json()["results"]] == [theirs.pk]
    for other in (billing, everything):
        assert client.get(f"{HOOKS}{other.pk}/").status_code == 404
        assert client.patch(f"{HOOKS}{other.pk}/", {"events": ["ticket.updated"]}).status_code == 404
        assert client.delete(f"{HOOKS}{other.pk}/").status_code == 404
    wrong_dept = client.post(
        HOOKS, {"url": "https://a.example.com/", "events": ["ticket.created"], "department": billing_dept.pk}
    )
    no_dept = client.post(HOOKS, {"url": "https://a.example.com/", "events": ["ticket.created"], "department": None})
    assert (wrong_dept.status_code, no_dept.status_code) == (400, 400)
    assert field_errors(wrong_dept) == {"department": ["Choose one of your own departments."]}
    assert hooks_state() == before

    created = client.post(
        HOOKS, {"url": "https://a.example.com/", "events": ["ticket.created"], "department": it_dept.pk}
    )
    assert created.status_code == 201
    assert Webhook.objects.get(pk=created.json()["id"]).owner == hook_manager


def test_bad_input_is_400_and_nothing_saved(admin_user, settings):
    client = jwt_client(admin_user)

    unknown_event = client.post(HOOKS, {"url": "https://a.example.com/", "events": ["ticket.exploded"]}, format="json")
    no_events = client.post(HOOKS, {"url": "https://a.example.com/", "events": []}, format="json")
    not_url = client.post(HOOKS, {"url": "ftp://a.example.com/", "events": ["ticket.created"]}, format="json")
    extra = client.post(
        HOOKS, {"url": "https://a.example.com/", "events": ["ticket.created"], "secret": "mine"}, format="json"
    )
    settings.PRODUCTION = True
    plain_http = client.post(HOOKS, {"url": "http://a.example.com/", "events": ["ticket.created"]}, format="json")

    codes = [r.status_code for r in (unknown_event, no_events, not_url, extra, plain_http)]
    assert codes == [400] * 5
    assert field_errors(plain_http) == {"url": ["The URL must start with https://."]}
    assert Webhook.objects.count() == 0


def test_the_delivery_log_and_redelivery(after_commit, receiver, admin_user, it_dept, requester):
    receiver.script("/log", "500")
    webhook = WebhookFactory(owner=admin_user, url=receiver.url("/log"))
    with after_commit():
        ticket = TicketFactory(department=it_dept, requester=requester)
    client = jwt_client(admin_user)

    log = client.get(f"{HOOKS}{webhook.pk}/deliveries/").json()["results"]
    assert [(row["event_type"], row["ticket"], row["status"], row["response_status"]) for row in log] == [
        ("ticket.created", ticket.pk, "retrying", 500)
    ]
    with after_commit():
        again = client.post(f"{HOOKS}{webhook.pk}/deliveries/{log[0]['id']}/redeliver/")

    assert again.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.SUCCEEDED, 1, 200)
    first, second = receiver.at("/log")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]


def test_another_departments_delivery_log_is_404(after_commit, receiver, hook_manager, admin_user, billing_dept):
    webhook = WebhookFactory(owner=admin_user, url=receiver.url("/b"), department=billing_dept)
    with after_commit():
        TicketFactory(department=billing_dept)
    delivery = WebhookDelivery.objects.get()
    client = jwt_client(hook_manager)

    assert client.get(f"{HOOKS}{webhook.pk}/deliveries/").status_code == 404
    assert client.post(f"{HOOKS}{webhook.pk}/deliveries/{delivery.pk}/redeliver/").status_code == 404
    assert len(receiver.received) == 1


def test_the_lists_take_the_same_queries_for_2_and_30_rows(admin_user, it_dept):
    client = jwt_client(admin_user)
    client.get(HOOKS)
    assert_constant_queries(
        lambda: client.get(HOOKS), add_rows=lambda n: WebhookFactory.create_batch(n, owner=admin_user)
    )
    webhook = Webhook.objects.first()
    ticket = TicketFactory(department=it_dept)

    def add_deliveries(n):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(webhook=webhook, message_id=f"msg_{webhook.pk}_{i}_{n}", event_type="ticket.created",
                            ticket=ticket, payload={"type": "ticket.created"})
            for i in range(n)
        )  # fmt: skip

    url = f"{HOOKS}{webhook.pk}/deliveries/"
    client.get(url)
    assert_constant_queries(lambda: client.get(url), add_rows=add_deliveries)
