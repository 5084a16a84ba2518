"""The back-office pages of webhooks, deliveries and API keys: who sees what, secrets shown once, actions."""

from django.urls import reverse

from apps.integrations.choices import DeliveryStatus
from apps.integrations.models import ApiKey, Webhook, WebhookDelivery
from apps.integrations.services import api_key_hash
from apps.integrations.signing import decrypt_secret
from tests.integrations.factories import ApiKeyFactory, WebhookFactory
from tests.support import assert_constant_queries, logged_in
from tests.tickets.factories import TicketFactory

HOOKS = reverse("admin:integrations_webhook_changelist")
HOOK_ADD = reverse("admin:integrations_webhook_add")
DELIVERIES = reverse("admin:integrations_webhookdelivery_changelist")
KEYS = reverse("admin:integrations_apikey_changelist")
KEY_ADD = reverse("admin:integrations_apikey_add")


def test_an_admin_registers_a_webhook_and_sees_its_secret_once(admin_user):
    browser = logged_in(admin_user)

    response = browser.post(
        HOOK_ADD, {"name": "CRM", "url": "https://crm.example.com/in", "events": ["ticket.created", "comment.created"]}
    )

    assert response.status_code == 200
    webhook = Webhook.objects.get()
    secret = decrypt_secret(webhook.secret)
    assert secret.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    assert (webhook.owner, webhook.name, webhook.events) == (admin_user, "CRM", ["ticket.created", "comment.created"])
    change = browser.get(reverse("admin:integrations_webhook_change", args=[webhook.pk]))
    assert change.status_code == 200
    assert secret.encode() not in change.content


def test_agents_without_the_permission_and_requesters_do_not_see_webhooks(agent, requester, admin_user):
    WebhookFactory(owner=admin_user)

    assert logged_in(agent).get(HOOKS).status_code == 403
    assert logged_in(agent).get(DELIVERIES).status_code == 403
    assert (
        logged_in(agent).post(HOOK_ADD, {"url": "https://a.example.com/", "events": ["ticket.created"]}).status_code
        == 403
    )
    assert logged_in(requester).get(HOOKS).status_code == 302  # to the log-in page
    assert Webhook.objects.count() == 1


def test_an_agent_with_the_permission_sees_and_makes_only_their_departments_webhooks(
    hook_manager, admin_user, it_dept, billing_dept
):
    mine = WebhookFactory(owner=admin_user, department=it_dept, name="IT hook")
    WebhookFactory(owner=admin_user, department=billing_dept, name="Billing hook")
    browser = logged_in(hook_manager)

    listed = browser.get(HOOKS)
    refused = browser.post(
        HOOK_ADD, {"url": "https://a.example.com/", "events": ["ticket.created"], "department": billing_dept.pk}
    )
    other = Webhook.objects.get(name="Billing hook")
    other_page = browser.get(reverse("admin:integrations_webhook_change", args=[other.pk]))

    assert b"IT hook" in listed.content and b"Billing hook" not in listed.content
    assert refused.status_code == 200 and Webhook.objects.count() == 2  # the form again, nothing saved
    assert other_page.status_code == 302  # "does not exist" on the changelist
    made = browser.post(
        HOOK_ADD, {"url": "https://a.example.com/", "events": ["ticket.created"], "department": it_dept.pk}
    )
    assert made.status_code == 200
    assert Webhook.objects.exclude(pk__in=[mine.pk, other.pk]).get().department == it_dept


def test_send_again_from_the_delivery_log(after_commit, receiver, admin_user, it_dept, requester):
    receiver.script("/log", "500")
    WebhookFactory(owner=admin_user, url=receiver.url("/log"))
    with after_commit():
        TicketFactory(department=it_dept, requester=requester)
    delivery = WebhookDelivery.objects.get()

    with after_commit():
        response = logged_in(admin_user).post(DELIVERIES, {"action": "redeliver", "_selected_action": [delivery.pk]})

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert len(receiver.at("/log")) == 2


def test_a_staff_member_makes_a_key_and_sees_it_once(agent):
    browser = logged_in(agent)

    response = browser.post(KEY_ADD, {"name": "report script"})

    assert response.status_code == 200
    api_key = ApiKey.objects.get()
    key = response.context["value"]
    assert api_key_hash(key) == api_key.key_hash and api_key.owner == agent
    assert key.encode() not in browser.get(KEYS).content


def test_only_admins_choose_a_keys_owner(agent, requester, admin_user):
    logged_in(agent).post(KEY_ADD, {"name": "mine", "owner": requester.pk})
    logged_in(admin_user).post(KEY_ADD, {"name": "service", "owner": requester.pk})

    assert sorted(ApiKey.objects.values_list("name", "owner__username")) == [
        ("mine", "alice"),
        ("service", "carol"),
    ]


def test_keys_are_listed_for_their_owner_and_admins_and_revoked_by_action(agent, other_agent, admin_user):
    alices = ApiKeyFactory(owner=agent, name="alice's")
    bobs = ApiKeyFactory(owner=other_agent, name="bob's")

    alice_page = logged_in(agent).get(KEYS)
    admin_page = logged_in(admin_user).get(KEYS)
    logged_in(agent).post(KEYS, {"action": "revoke", "_selected_action": [bobs.pk]})  # not hers: not in her rows
    logged_in(agent).post(KEYS, {"action": "revoke", "_selected_action": [alices.pk]})

    assert b"alice&#x27;s" in alice_page.content and b"bob&#x27;s" not in alice_page.content
    assert b"alice&#x27;s" in admin_page.content and b"bob&#x27;s" in admin_page.content
    alices.refresh_from_db()
    bobs.refresh_from_db()
    assert alices.revoked_at is not None and bobs.revoked_at is None


def test_changelists_take_the_same_queries_for_2_and_30_rows(admin_user, it_dept):
    browser = logged_in(admin_user)
    browser.get(HOOKS)
    assert_constant_queries(
        lambda: browser.get(HOOKS), add_rows=lambda n: WebhookFactory.create_batch(n, owner=admin_user)
    )
    browser.get(KEYS)
    assert_constant_queries(
        lambda: browser.get(KEYS), add_rows=lambda n: ApiKeyFactory.create_batch(n, owner=admin_user)
    )
    webhook = Webhook.objects.first()
    ticket = TicketFactory(department=it_dept)

    def add_deliveries(n):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(webhook=webhook, message_id=f"msg_admin_{i}_{n}", event_type="ticket.created",
                            ticket=ticket, payload={})
            for i in range(n)
        )  # fmt: skip

    browser.get(DELIVERIES)
    assert_constant_queries(lambda: browser.get(DELIVERIES), add_rows=add_deliveries)
