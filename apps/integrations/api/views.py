"""The integrations API: `/api/webhooks/` (+ `/{id}/deliveries/`, redeliver, rotate-secret) and `/api/keys/`.

Webhooks are for admins (every endpoint) and agents with the `manage_department_webhooks` permission (their
departments' endpoints); anyone else is refused (403), and an endpoint outside the caller's scope is a 404. The
signing secret is in the answer to POST (and to rotate-secret) only. API keys: everyone lists and revokes their
own (admins: every key); the key is in the answer to POST only; a request authenticated by an API key cannot
create keys (403).
"""

from functools import cached_property

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from apps.accounts.permissions import is_admin
from apps.common.api.schema import link
from apps.common.api.views import ScopedViewSet

from ..models import ApiKey, Webhook, WebhookDelivery
from ..permissions import may_manage_webhooks
from ..selectors import api_keys_visible_to, deliveries_visible_to, webhooks_visible_to
from ..services import (
    api_key_create,
    api_key_revoke,
    delivery_redeliver,
    webhook_create,
    webhook_delete,
    webhook_secret_rotate,
    webhook_update,
)
from .serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyInputSerializer,
    ApiKeySerializer,
    SecretSerializer,
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookInputSerializer,
    WebhookSerializer,
)


class MayManageWebhooks(BasePermission):
    def has_permission(self, request, view):
        return may_manage_webhooks(request.user)


# Examples for the schema (tests/test_schema.py checks each against its schema).
WEBHOOK_CREATE_EXAMPLES = [
    OpenApiExample(
        "OneDepartment",
        summary="Ticket changes of one department",
        value={
            "url": "https://hooks.example.com/helpdesk",
            "events": ["ticket.created", "ticket.status_changed", "comment.created"],
            "department": 3,
            "name": "Chat channel of the IT team",
        },
        request_only=True,
    ),
    OpenApiExample(
        "Created",
        summary="The new endpoint, with its secret shown this once",
        value={
            "id": 7,
            "name": "Chat channel of the IT team",
            "url": "https://hooks.example.com/helpdesk",
            "events": ["ticket.created", "ticket.status_changed", "comment.created"],
            "department": 3,
            "owner": 1,
            "is_active": True,
            "disabled_reason": "",
            "failing_since": None,
            "created_at": "2026-03-02T09:00:00Z",
            "updated_at": "2026-03-02T09:00:00Z",
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        },
        response_only=True,
        status_codes=["201"],
    ),
]
API_KEY_CREATE_EXAMPLES = [
    OpenApiExample(
        "NightlyJob",
        summary="A key for a nightly job, valid for a year",
        value={"name": "nightly export", "expires_at": "2027-03-02T00:00:00Z"},
        request_only=True,
    ),
    OpenApiExample(
        "Created",
        summary="The new key, shown this once",
        value={
            "id": 12,
            "name": "nightly export",
            "owner": 5,
            "prefix": "tsk_3f9a1c7Q",
            "expires_at": "2027-03-02T00:00:00Z",
            "last_used_at": None,
            "last_used_address": None,
            "revoked_at": None,
            "created_at": "2026-03-02T09:00:00Z",
            "key": "tsk_3f9a1c7QmZ2VtR0yWc1bXkP9sLhN4dG6aE8uJfTq0",
        },
        response_only=True,
        status_codes=["201"],
    ),
]


@extend_schema_view(
    list=extend_schema(summary="Webhook endpoints you manage"),
    retrieve=extend_schema(summary="One webhook endpoint"),
    create=extend_schema(
        summary="Register a webhook endpoint",
        description="Answers with the endpoint and its signing `secret` (`whsec_...`), shown this once.",
        request=WebhookInputSerializer,
        responses={201: WebhookCreatedSerializer},
        examples=WEBHOOK_CREATE_EXAMPLES,
    ),
    update=extend_schema(summary="Change a webhook endpoint", request=WebhookInputSerializer),
    partial_update=extend_schema(summary="Change some fields of a webhook endpoint", request=WebhookInputSerializer),
    destroy=extend_schema(summary="Delete a webhook endpoint and its delivery log"),
    rotate_secret=extend_schema(summary="Replace the signing secret", request=None, responses={200: SecretSerializer}),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    model = Webhook
    serializer_class = WebhookSerializer
    permission_classes = [IsAuthenticated, MayManageWebhooks]
    ordering_fields = {"created_at": "created_at", "id": "id"}

    def get_scoped_queryset(self):
        return webhooks_visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = WebhookInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        webhook, secret = webhook_create(
            actor=request.user,
            url=data["url"],
            events=data["events"],
            department=data.get("department"),
            name=data["name"],
        )
        body = {**WebhookSerializer(webhook).data, "secret": secret}  # the WebhookCreatedSerializer shape
        return Response(body, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        webhook = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = WebhookInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        webhook = webhook_update(
            actor=request.user,
            webhook=webhook,
            url=data.get("url", webhook.url),
            events=data.get("events", webhook.events),
            department=data.get("department", webhook.department),
            name=data.get("name", webhook.name),
            is_active=data.get("is_active", webhook.is_active),
        )
        return Response(WebhookSerializer(webhook).data)

    def destroy(self, request, *args, **kwargs):
        webhook_delete(actor=request.user, webhook=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], url_path="rotate-secret", filter_backends=[], pagination_class=None)
    def rotate_secret(self, request, pk=None):
        return Response({"secret": webhook_secret_rotate(actor=request.user, webhook=self.get_object())})


@extend_schema_view(
    list=extend_schema(
        summary="An endpoint's delivery log",
        description="Newest first: each message's event, status, attempts and what the last attempt got back.",
    ),
    retrieve=extend_schema(summary="One delivery, with its payload"),
    redeliver=extend_schema(
        summary="Send a delivery again",
        description="Same `webhook-id`, a fresh run of retries; refused (400) if the endpoint is disabled or its "
        "owner can no longer see the ticket.",
        request=None,
        responses={202: WebhookDeliverySerializer},
    ),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = WebhookDelivery
    serializer_class = WebhookDeliverySerializer
    permission_classes = [IsAuthenticated, MayManageWebhooks]

    @cached_property
    def webhook(self) -> Webhook:
        return get_object_or_404(webhooks_visible_to(self.request.user), pk=self.kwargs["webhook_pk"])

    def get_scoped_queryset(self):
        return deliveries_visible_to(self.request.user, webhook=self.webhook)

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def redeliver(self, request, webhook_pk=None, pk=None):
        delivery = delivery_redeliver(actor=request.user, delivery=self.get_object())
        delivery.refresh_from_db()
        return Response(self.get_serializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(summary="API keys", description="Your keys (admins: every key), never the key itself."),
    retrieve=extend_schema(summary="One API key"),
    create=extend_schema(
        summary="Create an API key",
        description="Answers with the `key`, shown this once. Admins may create a key for another account "
        "(`owner`). Not with an API key (403).",
        request=ApiKeyInputSerializer,
        responses={201: ApiKeyCreatedSerializer},
        examples=API_KEY_CREATE_EXAMPLES,
    ),
    destroy=extend_schema(summary="Revoke an API key", description="The key stops working at once."),
)
class ApiKeyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, ScopedViewSet
):
    model = ApiKey
    serializer_class = ApiKeySerializer
    ordering_fields = {"created_at": "created_at", "id": "id"}

    def get_scoped_queryset(self):
        return api_keys_visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        if isinstance(request.auth, ApiKey):
            raise PermissionDenied(_("An API key cannot create API keys: log in with a password or single sign-on."))
        if "owner" in request.data and not is_admin(request.user):
            # Before the body is validated: whether another account's id exists is not a requester's business.
            raise PermissionDenied(_("Only admins create keys for other accounts."))
        serializer = ApiKeyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        api_key, key = api_key_create(
            actor=request.user, owner=data.get("owner", request.user), name=data["name"], expires_at=data["expires_at"]
        )
        body = {**ApiKeySerializer(api_key).data, "key": key}  # the ApiKeyCreatedSerializer shape
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        api_key_revoke(actor=request.user, api_key=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# The links of the integrations API (apps/common/api/schema.py): what a new endpoint or key leads to.
_WEBHOOK = {"id": "$response.body#/id"}
_source = ("/api/webhooks/", "post", "201")
link(_source, "ReadWebhook", ("/api/webhooks/{id}/", "get"), _WEBHOOK)
link(_source, "EditWebhook", ("/api/webhooks/{id}/", "patch"), _WEBHOOK)
link(_source, "ReplaceWebhook", ("/api/webhooks/{id}/", "put"), _WEBHOOK)
link(_source, "RotateSecret", ("/api/webhooks/{id}/rotate-secret/", "post"), _WEBHOOK)
link(_source, "ListDeliveries", ("/api/webhooks/{webhook_pk}/deliveries/", "get"), {"webhook_pk": "$response.body#/id"})
link(_source, "DeleteWebhook", ("/api/webhooks/{id}/", "delete"), _WEBHOOK)
_source = ("/api/keys/", "post", "201")
link(_source, "ReadKey", ("/api/keys/{id}/", "get"), {"id": "$response.body#/id"})
link(_source, "RevokeKey", ("/api/keys/{id}/", "delete"), {"id": "$response.body#/id"})
