"""The back office's theme and sidebar: django-unfold's UNFOLD setting, which config/settings.py imports.

Every sidebar link points at an admin page; who sees it is decided by one of the two callbacks below (unfold
calls the function with the request). The pages check permissions themselves: the sidebar only hides links.
"""

from django.urls import reverse_lazy
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# Who sees a sidebar item (apps/accounts/permissions.py).
STAFF = "apps.accounts.permissions.sidebar_is_staff"
ADMINS = "apps.accounts.permissions.sidebar_is_admin"

TICKETS = "admin:tickets_ticket_changelist"


def sidebar_item(
    title: Promise, icon: str, url_name: str, *, query: str = "", badge: str = "", permission: str = STAFF
) -> dict:
    """A sidebar link to the admin page `url_name` (with `query` appended, for a filtered changelist).

    `icon` is a Material Symbols name; `badge` names a function that returns the number shown next to the link.
    """
    link = reverse_lazy(url_name)
    item = {"title": title, "icon": icon, "link": format_lazy("{}?{}", link, query) if query else link}
    if badge:
        item["badge"] = badge
    item["permission"] = permission
    return item


UNFOLD = {
    "SITE_TITLE": _("Ticket System"),
    "SITE_HEADER": _("Ticket System"),
    "SITE_SYMBOL": "support_agent",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    # The back office's start page: ticket figures for the user's scope (apps/tickets/stats.py).
    "DASHBOARD_CALLBACK": "apps.tickets.dashboard.dashboard_callback",
    # The unread-notifications counter of the sidebar refreshes itself (static/notifications/).
    "SCRIPTS": ["apps.notifications.admin.counter_script_url"],
    "STYLES": ["apps.notifications.admin.counter_style_url"],
    "COLORS": {
        "primary": {
            "50": "oklch(97.7% .014 308.299)",
            "100": "oklch(94.6% .033 307.174)",
            "200": "oklch(90.2% .063 306.703)",
            "300": "oklch(82.7% .119 306.383)",
            "400": "oklch(71.4% .203 305.504)",
            "500": "oklch(62.7% .265 303.9)",
            "600": "oklch(55.8% .288 302.321)",
            "700": "oklch(49.6% .265 301.924)",
            "800": "oklch(43.8% .218 303.724)",
            "900": "oklch(38.1% .176 304.987)",
            "950": "oklch(29.1% .149 302.717)",
        },
    },
    # The user menu: "Change password" (unfold's default) and "Two-factor authentication" (/admin/2fa/manage/).
    "ACCOUNT": {"navigation": "apps.accounts.two_factor_views.account_links"},
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": [
            {
                "title": _("Work"),
                "items": [
                    sidebar_item(_("Tickets"), "confirmation_number", TICKETS),
                    sidebar_item(
                        _("My open tickets"),
                        "assignment_ind",
                        TICKETS,
                        query="assignee=me&status__in=new,open,in_progress,waiting",
                    ),
                    sidebar_item(_("Unassigned"), "inbox", TICKETS, query="assignee=none"),
                    sidebar_item(_("Breaching soon"), "timer", TICKETS, query="sla=breaching_soon"),
                    sidebar_item(
                        _("Notifications"),
                        "notifications",
                        "admin:notifications_notification_changelist",
                        badge="apps.notifications.admin.unread_badge",
                    ),
                ],
            },
            {
                "title": _("Administration"),
                "collapsible": True,
                "items": [
                    sidebar_item(_("Departments"), "apartment", "admin:departments_department_changelist"),
                    sidebar_item(_("Routing rules"), "alt_route", "admin:departments_routingrule_changelist"),
                    sidebar_item(_("SLA policies"), "timer", "admin:departments_slapolicy_changelist"),
                    sidebar_item(_("Agent availability"), "event_available", "admin:departments_agent_changelist"),
                    sidebar_item(_("Users"), "group", "admin:accounts_user_changelist"),
                    sidebar_item(_("Groups"), "shield_person", "admin:auth_group_changelist", permission=ADMINS),
                    sidebar_item(
                        _("Background tasks"), "schedule", "admin:django_q_task_changelist", permission=ADMINS
                    ),
                    sidebar_item(_("Audit log"), "policy", "admin:audit_auditentry_changelist", permission=ADMINS),
                    sidebar_item(
                        _("Webhooks"),
                        "webhook",
                        "admin:integrations_webhook_changelist",
                        permission="apps.integrations.admin.sidebar_may_manage_webhooks",
                    ),
                    sidebar_item(_("API keys"), "key", "admin:integrations_apikey_changelist"),
                ],
            },
        ],
    },
}
