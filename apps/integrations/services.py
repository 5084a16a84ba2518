"""Writes of integrations: webhook endpoints, the fan-out and sending of their deliveries, API keys.

A ticket event reaches here through apps/integrations/queue.py (after the commit, in a worker):
`webhook_event_deliver` builds one delivery per subscribed endpoint whose owner may see the ticket (internal
notes and other internal events only for owners who may read them), then sends them
(`deliveries_send`, one after the other, within a time budget). A failed attempt is retried by the scheduled
`deliveries_retry_due` after RETRY_DELAYS (the Standard Webhooks schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
10 h; about 27 h in all), always under the same `webhook-id`; then the delivery has failed. An endpoint whose
deliveries keep failing for WEBHOOK_DISABLE_AFTER seconds is disabled and its owner is told by e-mail.
"""

import hashlib
import hmac
import json
import logging
import secrets as random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.tickets.choices import EventKind
from apps.tickets.models import Attachment, Comment, Ticket, TicketEvent
from apps.tickets.selectors import tickets_visible_to

from . import network, signing
from .choices import EVENT_TYPES, DeliveryStatus, WebhookEvent
from .models import ApiKey, Webhook, WebhookDelivery
from .permissions import may_manage_keys_of, may_manage_webhooks, may_use_department, webhook_scope
from .selectors import subscribed_webhooks

logger = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd, ... failed attempt; after the last one the delivery has failed.
RETRY_DELAYS = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
API_KEY_PREFIX = "tsk_"
# The last-used time and address of a key are written at most this often (not on every request).
KEY_USE_RESOLUTION = timedelta(seconds=60)


def _lease() -> datetime:
    """While a worker sends a delivery, the retry sweep leaves it alone until this time."""
    return timezone.now() + timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT + 30)


# Endpoints ------------------------------------------------------------------------------------------------------------


def _clean_endpoint(*, actor, url: str, events: list[str], department) -> list[str]:
    errors = {}
    try:
        network.check_url(url)
    except network.UnsafeDestination as exc:
        errors["url"] = str(exc)
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if not events:
        errors["events"] = _("Choose at least one event.")
    elif unknown:
        errors["events"] = _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}
    if not may_use_department(actor, department):
        errors["department"] = _("Choose one of your own departments.")
    if errors:
        raise ValidationError(errors)
    return sorted(set(events), key=WebhookEvent.values.index)


@transaction.atomic
def webhook_create(*, actor, url: str, events: list[str], department=None, name: str = "") -> tuple[Webhook, str]:
    """Register an endpoint owned by `actor`; returns it and its signing secret (shown this once)."""
    if not may_manage_webhooks(actor):
        raise PermissionDenied
    events = _clean_endpoint(actor=actor, url=url, events=events, department=department)
    secret = signing.new_secret()
    webhook = Webhook.objects.create(
        owner=actor,
        name=name.strip(),
        url=url,
        events=events,
        department=department,
        secret=signing.encrypt_secret(secret),
    )
    return webhook, secret


def _managed(actor, webhook: Webhook) -> None:
    scope = webhook_scope(actor)
    if not may_manage_webhooks(actor) or (scope is not None and not Webhook.objects.filter(scope, pk=webhook.pk)):
        raise PermissionDenied


@transaction.atomic
def webhook_update(
    *, actor, webhook: Webhook, url: str, events: list[str], department, name: str, is_active: bool
) -> Webhook:
    """Change an endpoint; enabling it again clears its run of failures."""
    _managed(actor, webhook)
    webhook.events = _clean_endpoint(actor=actor, url=url, events=events, department=department)
    webhook.url, webhook.department, webhook.name = url, department, name.strip()
    if is_active and not webhook.is_active:
        webhook.failing_since, webhook.disabled_reason = None, ""
    webhook.is_active = is_active
    webhook.save()
    return webhook


@transaction.atomic
def webhook_secret_rotate(*, actor, webhook: Webhook) -> str:
    """A new signing secret (shown this once); the old one stops signing at once."""
    _managed(actor, webhook)
    secret = signing.new_secret()
    webhook.secret = signing.encrypt_secret(secret)
    webhook.save(update_fields=["secret", "updated_at"])
    return secret


@transaction.atomic
def webhook_delete(*, actor, webhook: Webhook) -> None:
    _managed(actor, webhook)
    webhook.delete()


# Deliveries -----------------------------------------------------------------------------------------------------------


def _ticket_data(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        "reference": ticket.reference,
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "department": ticket.department_id,
        "requester": ticket.requester_id,
        "assignee": ticket.assignee_id,
        "language": ticket.language,
        "source": ticket.source,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def event_payload(event: TicketEvent, event_type: str) -> dict:
    """The JSON body of a delivery: `type`, `timestamp` and `data` (the ticket, and the comment or attachment).

    An edited or deleted comment is described from its history event (the text before and after, as written
    then), so a later edit does not change what an earlier delivery says. Its body is in the payload like a new
    comment's: the event is internal exactly when the comment was an internal note, and `may_receive` sends
    internal events to staff owners only, so a note's text never reaches an owner who may not read notes.
    """
    data = {"ticket": _ticket_data(event.ticket), "event": {"id": event.pk, "actor": event.actor_id}}
    extra = event.data or {}
    if event.kind == EventKind.COMMENT_EDITED:
        data["comment"] = {
            "id": extra.get("comment"),
            "author": event.actor_id,  # only the author edits a comment
            "body": extra.get("to"),
            "previous_body": extra.get("from"),
            "is_internal": event.is_internal,
            "edited_at": event.created_at,
        }
    elif event.kind == EventKind.COMMENT_DELETED:
        data["comment"] = {
            "id": extra.get("comment"),
            "author": event.actor_id,
            "body": extra.get("from"),
            "is_internal": event.is_internal,
            "deleted_at": event.created_at,
        }
    elif event.kind == EventKind.ATTACHMENT_DELETED:
        data["attachment"] = {"id": extra.get("attachment"), "name": extra.get("name"), "deleted_at": event.created_at}
    elif event.kind in (EventKind.COMMENTED, EventKind.NOTE_ADDED):
        comment = Comment.objects.filter(pk=extra.get("comment"), ticket_id=event.ticket_id).first()
        if comment is not None:
            data["comment"] = {
                "id": comment.pk,
                "author": comment.author_id,
                "body": comment.body,
                "is_internal": comment.is_internal,
                "created_at": comment.created_at,
            }
    elif event.kind == EventKind.ATTACHMENT_ADDED:
        attachment = Attachment.objects.filter(pk=extra.get("attachment"), ticket_id=event.ticket_id).first()
        if attachment is not None:
            data["attachment"] = {
                "id": attachment.pk,
                "name": attachment.original_name,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "comment": attachment.comment_id,
            }
    else:
        data["change"] = {key: value for key, value in extra.items() if key != "policy"}
    return {"type": event_type, "timestamp": event.created_at, "data": data}


def may_receive(owner, *, ticket: Ticket, internal: bool) -> bool:
    """The scope rule of every delivery: the owner sees the ticket, and internal events only reach staff."""
    if not owner.is_active or (internal and not owner.is_staff):
        return False
    return tickets_visible_to(owner, first_rows=True).filter(pk=ticket.pk).exists()


def webhook_event_deliver(*, event_id: int) -> list[WebhookDelivery]:
    """Fan a ticket event out to the endpoints that subscribe to it and may see it, and send them (a worker's task;
    safe to run twice: a delivery already made for the event is not made again)."""
    event = TicketEvent.objects.select_related("ticket").filter(pk=event_id).first()
    event_type = EVENT_TYPES.get(event.kind) if event else None
    if event_type is None:
        return []
    hooks = subscribed_webhooks(event_type=event_type, department_id=event.ticket.department_id)
    allowed: dict[tuple[int, bool], bool] = {}
    receivers = []
    for hook in hooks:
        key = (hook.owner_id, event.is_internal)
        if key not in allowed:
            allowed[key] = may_receive(hook.owner, ticket=event.ticket, internal=event.is_internal)
        if allowed[key]:
            receivers.append(hook)
    if not receivers:
        return []
    payload = json.loads(json.dumps(event_payload(event, event_type), cls=DjangoJSONEncoder))
    lease = _lease()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                webhook=hook,
                message_id=signing.new_message_id(),
                event_type=event_type,
                ticket=event.ticket,
                source_event_id=event.pk,
                payload=payload,
                next_attempt_at=lease,
            )
            for hook in receivers
        ],
        ignore_conflicts=True,
    )
    deliveries = list(
        WebhookDelivery.objects.select_related("webhook").filter(
            source_event_id=event.pk, webhook__in=receivers, status=DeliveryStatus.PENDING, attempts=0
        )
    )
    return deliveries_send(deliveries=deliveries)


def _attempt(delivery: WebhookDelivery, secret: str) -> network.Outcome:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = signing.signed_headers(
        secret=secret, message_id=delivery.message_id, timestamp=int(timezone.now().timestamp()), body=body
    )
    return network.post(delivery.webhook.url, body=body, headers=headers)


def deliveries_send(*, deliveries: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """Send each delivery once, one after the other, and record what came back.

    One at a time is the fastest way for endpoints that answer (about a millisecond each on a local network,
    where a thread pool lost more to switching than it won); slow ones are bounded by WEBHOOK_TASK_SECONDS:
    past it, the deliveries not yet tried are left due now, for the retry sweep of the next minute.
    """
    if not deliveries:
        return []
    secrets = {}
    deadline = time.monotonic() + settings.WEBHOOK_TASK_SECONDS
    tried, outcomes = [], []
    for delivery in deliveries:
        if tried and time.monotonic() > deadline:
            break
        if delivery.webhook_id not in secrets:
            secrets[delivery.webhook_id] = signing.decrypt_secret(delivery.webhook.secret)
        outcomes.append(_attempt(delivery, secrets[delivery.webhook_id]))
        tried.append(delivery)
    left = [d.pk for d in deliveries[len(tried) :]]
    if left:
        WebhookDelivery.objects.filter(pk__in=left).update(next_attempt_at=timezone.now())
    return _record(tried, outcomes)


def _record(deliveries: list[WebhookDelivery], outcomes: list[network.Outcome]) -> list[WebhookDelivery]:
    now = timezone.now()
    succeeded, failed = set(), set()
    for delivery, outcome in zip(deliveries, outcomes, strict=True):
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_status = outcome.status
        delivery.response_body = outcome.body
        delivery.error = outcome.error
        delivery.duration_ms = outcome.duration_ms
        if outcome.ok:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, None
            succeeded.add(delivery.webhook_id)
        elif delivery.attempts <= len(RETRY_DELAYS):
            delivery.status = DeliveryStatus.RETRYING
            delivery.next_attempt_at = now + timedelta(seconds=RETRY_DELAYS[delivery.attempts - 1])
            failed.add(delivery.webhook_id)
        else:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            failed.add(delivery.webhook_id)
    with transaction.atomic():
        # One UPDATE per delivery: cheaper than bulk_update's CASE expressions for a fan-out's few rows.
        for delivery in deliveries:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                attempts=delivery.attempts,
                last_attempt_at=now,
                response_status=delivery.response_status,
                response_body=delivery.response_body,
                error=delivery.error,
                duration_ms=delivery.duration_ms,
                status=delivery.status,
                next_attempt_at=delivery.next_attempt_at,
            )
        # An endpoint that answered once is healthy again; one that only failed starts or continues its run.
        recovered = {d.webhook_id for d in deliveries if d.webhook_id in succeeded and d.webhook.failing_since}
        if recovered:
            Webhook.objects.filter(pk__in=recovered).update(failing_since=None)
        failing = failed - succeeded
        if failing:
            Webhook.objects.filter(pk__in=failing, failing_since__isnull=True).update(failing_since=now)
            cutoff = now - timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER)
            for webhook in Webhook.objects.filter(pk__in=failing, is_active=True, failing_since__lte=cutoff):
                webhook_disable(webhook=webhook, reason=_("Deliveries failed for a day."))
    return deliveries


def webhook_disable(*, webhook: Webhook, reason: str) -> Webhook:
    """Disable an endpoint that keeps failing, stop its retries, and tell its owner by e-mail (after the commit)."""
    with transaction.atomic():
        webhook.is_active, webhook.disabled_reason = False, reason[:200]
        webhook.save(update_fields=["is_active", "disabled_reason", "updated_at"])
        webhook.deliveries.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, error=_("The endpoint was disabled.")
        )
        transaction.on_commit(lambda: _tell_owner_disabled(webhook.pk), robust=True)
    return webhook


def _tell_owner_disabled(webhook_id: int) -> None:
    webhook = Webhook.objects.select_related("owner").filter(pk=webhook_id).first()
    if webhook is None or not webhook.owner.email:
        return
    with translation.override(webhook.owner.language or settings.LANGUAGE_CODE):
        subject = _("Webhook disabled: %(name)s") % {"name": str(webhook)}
        body = _(
            "Deliveries to %(url)s have failed for a day, so the webhook was disabled. Fix the endpoint, then "
            "enable the webhook again; failed deliveries can be sent again from its delivery log."
        ) % {"url": webhook.url}
    send_mail(subject, body, None, [webhook.owner.email])


def deliveries_retry_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Scheduled every minute: send again the deliveries whose retry is due. Each is claimed first (its next
    attempt moved past the send), so two workers never send the same one at the same time."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=due).update(next_attempt_at=_lease())
    deliveries = list(
        WebhookDelivery.objects.select_related("webhook__owner", "ticket").filter(pk__in=due, webhook__is_active=True)
    )
    sendable = [d for d in deliveries if d.ticket is not None and d.webhook.owner.is_active]
    WebhookDelivery.objects.filter(pk__in=set(due) - {d.pk for d in sendable}).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, error=_("The endpoint or its ticket is gone.")
    )
    deliveries_send(deliveries=sendable)
    return len(sendable)


@transaction.atomic
def delivery_redeliver(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (same `webhook-id`, a fresh run of retries), if the owner still sees its ticket."""
    webhook = delivery.webhook
    _managed(actor, webhook)
    if not webhook.is_active:
        raise ValidationError(_("The webhook is disabled: enable it first."))
    # Internal as the history event was (a note, its files, an SLA alert); a delivery whose event is gone counts so.
    internal = TicketEvent.objects.filter(pk=delivery.source_event_id, is_internal=False).first() is None
    if delivery.ticket is None or not may_receive(webhook.owner, ticket=delivery.ticket, internal=internal):
        raise ValidationError(_("The webhook's owner can no longer see this ticket."))
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, _lease()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(lambda: _queue_send(delivery.pk), robust=True)
    return delivery


def _queue_send(delivery_id: int) -> None:
    from django_q.tasks import async_task

    async_task("apps.integrations.tasks.send_delivery", delivery_id, task_name=f"webhook-send-{delivery_id}")


def delivery_send(*, delivery_id: int) -> WebhookDelivery | None:
    """A worker's task: send one delivery now (redelivery); nothing if it is no longer waiting."""
    delivery = (
        WebhookDelivery.objects.select_related("webhook")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING, webhook__is_active=True)
        .first()
    )
    if delivery is None:
        return None
    return deliveries_send(deliveries=[delivery])[0]


# API keys -------------------------------------------------------------------------------------------------------------


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, actor, owner, name: str, expires_at: datetime | None) -> tuple[ApiKey, str]:
    """A new key for `owner` (oneself; admins: anyone); returns it and the key itself, shown this once."""
    if not may_manage_keys_of(actor, owner):
        raise PermissionDenied
    errors = {}
    if not name.strip():
        errors["name"] = _("Give the key a name.")
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = _("The expiry must be in the future.")
    if not owner.is_active:
        errors["owner"] = _("This account is deactivated.")
    if errors:
        raise ValidationError(errors)
    key = API_KEY_PREFIX + random.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        owner=owner, name=name.strip(), prefix=key[:12], key_hash=api_key_hash(key), expires_at=expires_at
    )
    return api_key, key


@transaction.atomic
def api_key_revoke(*, actor, api_key: ApiKey) -> ApiKey:
    """Revoke a key at once (kept in the list, marked revoked)."""
    if not may_manage_keys_of(actor, api_key.owner):
        raise PermissionDenied
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_use(*, key: str, address: str | None) -> ApiKey | None:
    """The usable key `key` is (its owner loaded), or None; notes when and from where it was last used."""
    digest = api_key_hash(key)
    api_key = ApiKey.objects.select_related("owner").filter(key_hash=digest).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, digest):
        return None
    now = timezone.now()
    if not api_key.is_usable(now):
        return None
    last = api_key.last_used_at
    if last is None or now - last >= KEY_USE_RESOLUTION or api_key.last_used_address != address:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now, last_used_address=address)
        api_key.last_used_at, api_key.last_used_address = now, address
    return api_key
