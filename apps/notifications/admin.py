"""Notifications in the back office: each agent's or admin's own list, their preferences, the sidebar counter.

Whoever opens the list sees their own notifications only (admins too). E-mail delivery is shown per row;
failed tasks are in Background tasks (django-q2's admin, for admins).
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin import SimpleListFilter
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesCheckboxFilter
from unfold.decorators import display
from unfold.widgets import UnfoldBooleanSwitchWidget

from apps.accounts.permissions import StaffReadOnlyMixin

from .choices import EmailStatus
from .forms import PreferencesForm
from .models import Notification
from .selectors import notifications_for, unread_count
from .services import notification_mark_read

EMAIL_BADGES = {
    EmailStatus.SKIPPED: "default",
    EmailStatus.PENDING: "info",
    EmailStatus.SENDING: "info",
    EmailStatus.SENT: "success",
    EmailStatus.FAILED: "danger",
}


# UNFOLD settings callbacks -------------------------------------------------------------------------------------


def unread_badge(request):
    """The sidebar badge of "Notifications": the count, plus what static/notifications/unread-counter.js needs to
    keep it current. Hidden by static/notifications/admin.css while the count is 0."""
    if not (request.user.is_authenticated and request.user.is_staff):
        return ""
    count = unread_count(request.user)
    return format_html(
        '<span data-unread-url="{}" data-unread-count="{}" data-unread-interval="{}">{}</span>',
        reverse("notifications:unread_count"),
        count,
        settings.NOTIFICATIONS_POLL_SECONDS,
        count,
    )


def counter_script_url(request) -> str:
    return static("notifications/unread-counter.js")


def counter_style_url(request) -> str:
    return static("notifications/admin.css")


# The list ------------------------------------------------------------------------------------------------------


class ReadFilter(SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return (("no", _("Unread")), ("yes", _("Read")))

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        return queryset


@admin.register(Notification)
class NotificationAdmin(StaffReadOnlyMixin, ModelAdmin):
    """Everyone with a back-office account reads their own notifications; nobody adds, edits or deletes them."""

    list_display = ("text_link", "kind", "created_at", "read_state", "email_state")
    list_display_links = None
    list_filter = (ReadFilter, ("kind", ChoicesCheckboxFilter))
    list_filter_submit = True
    list_select_related = ("ticket",)
    list_per_page = 50
    ordering = ("-created_at", "-id")
    actions = ("mark_read",)
    list_before_template = "notifications/admin/changelist_tools.html"

    def get_queryset(self, request):
        return notifications_for(request.user)

    def get_urls(self):
        return [
            path(
                "preferences/",
                self.admin_site.admin_view(self.preferences_view),
                name="notifications_notification_preferences",
            ),
            *super().get_urls(),
        ]

    def preferences_view(self, request):
        """The person's notification switches (the same form as the portal's profile page)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PreferencesForm(user=request.user, widget=UnfoldBooleanSwitchWidget)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Notification preferences"),
            "form": form,
            "opts": self.model._meta,
            "changelist_url": reverse("admin:notifications_notification_changelist"),
        }
        return TemplateResponse(request, "notifications/admin/preferences.html", context)

    @admin.action(description=_("Mark as read"))
    def mark_read(self, request, queryset):
        for pk in queryset.filter(read_at__isnull=True).values_list("pk", flat=True):
            notification_mark_read(user=request.user, notification_id=pk)

    @display(description=_("notification"))
    def text_link(self, obj):
        url = reverse("notifications:open", args=[obj.pk])
        if obj.read_at is None:
            return format_html('<a class="font-semibold" href="{}">{}</a>', url, obj.text)
        return format_html('<a href="{}">{}</a>', url, obj.text)

    @display(description=_("read"), label={True: "default", False: "primary"})
    def read_state(self, obj):
        return obj.is_read, _("Read") if obj.is_read else _("Unread")

    @display(description=_("e-mail"), label=EMAIL_BADGES)
    def email_state(self, obj):
        return obj.email_status, obj.get_email_status_display()
