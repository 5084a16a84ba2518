"""Endpoints and keys are audited; their secrets appear only as the mask."""

from apps.audit.models import AuditEntry
from apps.audit.services import SECRET_MASK
from apps.integrations.services import api_key_revoke, webhook_secret_rotate
from tests.integrations.factories import ApiKeyFactory, WebhookFactory


def test_webhook_writes_are_audited_with_the_secret_masked(admin_user):
    webhook = WebhookFactory(owner=admin_user, url="https://crm.example.com/in")
    webhook_secret_rotate(actor=admin_user, webhook=webhook)
    webhook.refresh_from_db()

    created, rotated = AuditEntry.objects.filter(object_id=str(webhook.pk), content_type__model="webhook").order_by(
        "pk"
    )
    assert (created.action, rotated.action) == ("created", "updated")
    assert created.changes["url"] == [None, "https://crm.example.com/in"]
    assert created.changes["secret"][1] == SECRET_MASK
    assert rotated.changes == {"secret": [SECRET_MASK, SECRET_MASK]}
    everything = str(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert webhook.secret_plain not in everything and webhook.secret not in everything


def test_api_keys_are_audited_without_their_hash(requester):
    api_key = ApiKeyFactory(owner=requester, name="backup")
    api_key_revoke(actor=requester, api_key=api_key)

    created, revoked = AuditEntry.objects.filter(content_type__model="apikey").order_by("pk")
    assert created.changes["key_hash"][1] == SECRET_MASK
    assert created.changes["name"] == [None, "backup"]
    assert list(revoked.changes) == ["revoked_at"]
    assert api_key.key_hash not in str(created.changes)
