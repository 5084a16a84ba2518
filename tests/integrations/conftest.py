"""Fixtures of the integration tests: the webhook receiver, endpoints, an agent who may manage webhooks."""

import pytest
from django.contrib.auth.models import Permission

from apps.integrations.services import webhook_create
from tests.integrations.receiver import start_receiver


@pytest.fixture
def receiver(settings):
    """A live receiver on 127.0.0.1; private addresses are allowed (the refusal test turns that off again)."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT = 0.5
    started = start_receiver()
    yield started
    started.server.shutdown()
    started.server.server_close()


@pytest.fixture
def hook_manager(agent):
    """alice (agent of IT Support) with the permission to manage her department's webhooks."""
    agent.user_permissions.add(Permission.objects.get(codename="manage_department_webhooks"))
    return type(agent).objects.get(pk=agent.pk)  # a fresh object: permissions are cached per instance


@pytest.fixture
def admin_hook(receiver, admin_user):
    """The admin's endpoint for every event of every ticket; `.secret_plain` is its signing secret."""
    webhook, secret = webhook_create(
        actor=admin_user, url=receiver.url("/admin"), events=["ticket.created", "comment.created"]
    )
    webhook.secret_plain = secret
    return webhook
