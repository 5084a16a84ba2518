"""Reads of webhooks, deliveries and API keys, each limited to what the caller may manage."""

from django.db.models import QuerySet

from apps.accounts.permissions import is_admin

from .models import ApiKey, Webhook, WebhookDelivery
from .permissions import webhook_scope


def webhooks_visible_to(user) -> QuerySet[Webhook]:
    """The endpoints `user` manages (admins: all; agents with the permission: their departments')."""
    if not (user.is_authenticated and user.is_active):
        return Webhook.objects.none()
    scope = webhook_scope(user)
    qs = Webhook.objects.select_related("owner", "department")
    return qs if scope is None else qs.filter(scope)


def deliveries_visible_to(user, *, webhook: Webhook | None = None) -> QuerySet[WebhookDelivery]:
    """The delivery log of the endpoints `user` manages (of one endpoint, when given)."""
    qs = WebhookDelivery.objects.filter(webhook__in=webhooks_visible_to(user).values("pk"))
    if webhook is not None:
        qs = qs.filter(webhook=webhook)
    return qs.select_related("webhook")


def api_keys_visible_to(user) -> QuerySet[ApiKey]:
    """One's own keys; admins every key."""
    if not (user.is_authenticated and user.is_active):
        return ApiKey.objects.none()
    qs = ApiKey.objects.select_related("owner")
    return qs if is_admin(user) else qs.filter(owner=user)


def subscribed_webhooks(*, event_type: str, department_id: int | None) -> list[Webhook]:
    """Active endpoints listening to `event_type` for a ticket of `department_id` (their owners loaded)."""
    rows = Webhook.objects.filter(is_active=True, owner__is_active=True).select_related("owner").order_by("pk")
    return [
        hook
        for hook in rows
        if event_type in (hook.events or []) and (hook.department_id is None or hook.department_id == department_id)
    ]
