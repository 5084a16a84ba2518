from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        """Listen to ticket events (queue their webhook deliveries); audit endpoints and keys, secrets masked."""
        from apps.audit.registry import track
        from apps.tickets import events

        from .api import authentication  # noqa: F401 (registers the OpenAPI description of API keys)
        from .models import ApiKey, Webhook
        from .queue import WEBHOOKS, queue_events

        events.listen(WEBHOOKS, queue_events)
        track(Webhook, exclude=("failing_since",), secrets=("secret",))
        track(ApiKey, secrets=("key_hash",))
