"""Template helpers of notifications: the preferences form (profile page), the unread counter of the portal's
header and the counter's settings."""

from django import template
from django.conf import settings

from ..forms import PreferencesForm
from ..selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/includes/preferences_form.html", takes_context=True)
def notification_preferences(context) -> dict:
    """The person's notification switches, posting to notifications:preferences and coming back here."""
    request = context["request"]
    return {
        "form": PreferencesForm(user=request.user),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() + "#notification-preferences",
    }


@register.simple_tag
def notifications_poll_seconds() -> int:
    return settings.NOTIFICATIONS_POLL_SECONDS


@register.simple_tag
def notifications_unread_count(user) -> int:
    """Unread notifications of the user, for the header's counter (static/notifications/unread-counter.js then
    keeps it current without reloading the page)."""
    return unread_count(user)
