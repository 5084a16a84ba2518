import factory

from apps.integrations.models import ApiKey, Webhook
from apps.integrations.services import api_key_create, webhook_create


class WebhookFactory(factory.django.DjangoModelFactory):
    """Endpoints made through webhook_create; `.secret_plain` holds the signing secret it showed once."""

    class Meta:
        model = Webhook

    url = factory.Sequence(lambda n: f"https://hooks.example.com/{n}")
    events = ["ticket.created"]
    department = None

    @classmethod
    def _create(cls, model_class, *args, owner, **kwargs):
        webhook, secret = webhook_create(actor=owner, **kwargs)
        webhook.secret_plain = secret
        return webhook


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """Keys made through api_key_create; `.plain` holds the key it showed once."""

    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"script {n}")
    expires_at = None

    @classmethod
    def _create(cls, model_class, *args, owner, **kwargs):
        api_key, key = api_key_create(actor=owner, owner=owner, **kwargs)
        api_key.plain = key
        return api_key
