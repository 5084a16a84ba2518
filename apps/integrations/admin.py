"""Back office for integrations: webhooks, their delivery log, and API keys.

Webhooks: admins see and manage every endpoint; agents with the `manage_department_webhooks` permission those of
their departments (and must pick one of them); nobody else sees the pages. API keys: every staff member sees and
makes their own keys, admins every key (and make keys for any account). The signing secret and the key are
shown once, on the page that follows their creation, and are not kept in the session or a message. Forms save
through the services (ServiceModelForm); deliveries are read-only, with a "Send again" action; keys are revoked
with an action, never edited.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from apps.accounts.models import User
from apps.accounts.permissions import NoWritesMixin, is_admin
from apps.common.admin.forms import ServiceAdminMixin, ServiceModelForm
from apps.departments.models import Department

from .choices import WebhookEvent
from .models import ApiKey, Webhook, WebhookDelivery
from .permissions import may_manage_webhooks, own_departments
from .selectors import api_keys_visible_to, deliveries_visible_to, webhooks_visible_to
from .services import api_key_create, api_key_revoke, delivery_redeliver, webhook_create, webhook_delete, webhook_update


def sidebar_may_manage_webhooks(request) -> bool:
    """The sidebar's "Webhooks" link (config/unfold.py)."""
    return may_manage_webhooks(request.user)


def _shown_once(admin_obj, request, *, title, explanation, label, value, continue_url):
    context = {
        **admin_obj.admin_site.each_context(request),
        "title": title,
        "explanation": explanation,
        "label": label,
        "value": value,
        "continue_url": continue_url,
    }
    response = TemplateResponse(request, "integrations/admin/shown_once.html", context)
    response["Cache-Control"] = "no-store"
    return response


class WebhookForm(ServiceModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=WebhookEvent.choices, widget=UnfoldAdminCheckboxSelectMultipleWidget
    )

    class Meta:
        model = Webhook
        fields = ("name", "url", "events", "department", "is_active")

    def apply(self) -> Webhook:
        data = self.cleaned_data
        if self.before.pk is None:
            webhook, secret = webhook_create(
                actor=self.actor,
                url=data["url"],
                events=data["events"],
                department=data.get("department"),
                name=data.get("name", ""),
            )
            webhook.secret_plain = secret
            return webhook
        return webhook_update(
            actor=self.actor,
            webhook=self.before,
            url=data["url"],
            events=data["events"],
            department=data.get("department"),
            name=data.get("name", ""),
            is_active=data.get("is_active", self.before.is_active),
        )


class WebhooksPageMixin:
    """The webhook pages open to admins and to agents who may manage their departments' webhooks."""

    def has_module_permission(self, request):
        return may_manage_webhooks(request.user)

    def has_view_permission(self, request, obj=None):
        return may_manage_webhooks(request.user)


@admin.register(Webhook)
class WebhookAdmin(WebhooksPageMixin, ServiceAdminMixin, ModelAdmin):
    form = WebhookForm
    list_display = ("__str__", "department", "owner", "events_list", "is_active", "failing_since")
    list_filter = ("is_active", "department")
    search_fields = ("name", "url")
    readonly_fields = ("owner", "disabled_reason", "failing_since", "deliveries_link")

    def get_queryset(self, request):
        return webhooks_visible_to(request.user)

    def get_fields(self, request, obj=None):
        fields = ["name", "url", "events", "department"]
        if obj is not None:
            fields += ["is_active", "owner", "disabled_reason", "failing_since", "deliveries_link"]
        return fields

    def has_add_permission(self, request):
        return may_manage_webhooks(request.user)

    def has_change_permission(self, request, obj=None):
        return may_manage_webhooks(request.user)

    def has_delete_permission(self, request, obj=None):
        return may_manage_webhooks(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = (
                Department.objects.order_by("name") if is_admin(request.user) else own_departments(request.user)
            )
            kwargs["required"] = not is_admin(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def delete_with_service(self, request, obj):
        webhook_delete(actor=request.user, webhook=obj)

    def response_add(self, request, obj, post_url_continue=None):
        return _shown_once(
            self,
            request,
            title=_("Webhook registered"),
            explanation=_("Receivers verify each delivery's webhook-signature header with this signing secret."),
            label=_("Signing secret"),
            value=obj.secret_plain,
            continue_url=reverse("admin:integrations_webhook_change", args=[obj.pk]),
        )

    @display(description=_("events"))
    def events_list(self, obj):
        return ", ".join(obj.events)

    @display(description=_("delivery log"))
    def deliveries_link(self, obj):
        url = reverse("admin:integrations_webhookdelivery_changelist") + f"?webhook__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Deliveries of this webhook"))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(NoWritesMixin, WebhooksPageMixin, ModelAdmin):
    list_display = (
        "message_id",
        "webhook",
        "event_type",
        "ticket",
        "status",
        "attempts",
        "response_status",
        "created_at",
    )
    list_filter = ("status", "event_type", "webhook")
    list_select_related = ("webhook", "ticket")
    search_fields = ("message_id",)
    actions = ["redeliver"]
    readonly_fields = (
        "webhook",
        "message_id",
        "event_type",
        "ticket",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "response_status",
        "response_body",
        "error",
        "duration_ms",
        "created_at",
        "payload",
    )

    def get_queryset(self, request):
        return deliveries_visible_to(request.user).select_related("ticket")

    @admin.action(description=_("Send again"))
    def redeliver(self, request, queryset):
        sent, refused = 0, []
        for delivery in queryset.select_related("webhook__owner", "ticket"):
            try:
                delivery_redeliver(actor=request.user, delivery=delivery)
                sent += 1
            except (ValidationError, PermissionDenied) as exc:
                refused.append(f"{delivery.message_id}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
        if sent:
            messages.success(request, _("%(count)s deliveries queued again.") % {"count": sent})
        for line in refused:
            messages.error(request, line)


class ApiKeyForm(ServiceModelForm):
    class Meta:
        model = ApiKey
        fields = ("name", "owner", "expires_at")

    def apply(self) -> ApiKey:
        data = self.cleaned_data
        owner = data.get("owner") or self.actor
        api_key, key = api_key_create(actor=self.actor, owner=owner, name=data["name"], expires_at=data["expires_at"])
        api_key.plain = key
        return api_key


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceAdminMixin, ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "owner", "prefix", "expires_at", "last_used_at", "last_used_address", "revoked_at")
    list_select_related = ("owner",)
    search_fields = ("name", "prefix", "owner__username")
    actions = ["revoke"]
    readonly_fields = ("prefix", "last_used_at", "last_used_address", "revoked_at", "created_at")

    def get_queryset(self, request):
        return api_keys_visible_to(request.user)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "owner", "expires_at"] if is_admin(request.user) else ["name", "expires_at"]
        return [
            "name",
            "owner",
            "prefix",
            "expires_at",
            "last_used_at",
            "last_used_address",
            "revoked_at",
            "created_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = User.objects.filter(is_active=True).order_by("username")
            kwargs["required"] = False
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def response_add(self, request, obj, post_url_continue=None):
        return _shown_once(
            self,
            request,
            title=_("API key created"),
            explanation=_("Programs send it as `Authorization: Bearer <key>`; it acts as %(owner)s.")
            % {"owner": obj.owner.get_username()},
            label=_("API key"),
            value=obj.plain,
            continue_url=reverse("admin:integrations_apikey_changelist"),
        )

    @admin.action(description=_("Revoke"))
    def revoke(self, request, queryset):
        for api_key in queryset.select_related("owner"):
            api_key_revoke(actor=request.user, api_key=api_key)
        messages.success(request, _("The keys were revoked."))
