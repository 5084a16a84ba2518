"""The back office's theme and sidebar: django-unfold's UNFOLD setting, which config/settings.py imports.

Every sidebar link points at an admin page; who sees it is decided by one of the two callbacks below (unfold
calls the function with the request). The pages check permissions themselves: the sidebar only hides links.

The sidebar is built per request by `navigation`: the groups of NAVIGATION, plus the user's saved views of the
ticket list (apps/tickets/admin/saved_views.py). Exactly one ticket-list link is highlighted: the one whose
filters are those of the list on screen (or of the list a ticket page was opened from); "Tickets" when none is.
"""

import copy
from urllib.parse import parse_qsl

from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
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
    if url_name == TICKETS:
        item["list_query"] = query  # navigation() decides which ticket-list link is the current one
    if badge:
        item["badge"] = badge
    item["permission"] = permission
    return item


NAVIGATION = [
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
            # The dashboard's "Unassigned" figure: unassigned and still open (apps/tickets/dashboard.py).
            sidebar_item(
                _("Unassigned"), "inbox", TICKETS, query="assignee=none&status__in=new,open,in_progress,waiting"
            ),
            sidebar_item(_("Breaching soon"), "timer", TICKETS, query="sla=breaching_soon"),
            sidebar_item(_("Reports"), "bar_chart", "admin:tickets_reports"),
            sidebar_item(
                _("Notifications"),
                "notifications",
                "admin:notifications_notification_changelist",
                badge="apps.notifications.admin.unread_badge",
            ),
            sidebar_item(_("Canned responses"), "quickreply", "admin:macros_macro_changelist"),
            sidebar_item(
                _("Articles"),
                "menu_book",
                "admin:knowledge_article_changelist",
                permission="apps.knowledge.admin.sidebar_may_manage_articles",
            ),
            sidebar_item(
                _("Satisfaction"),
                "sentiment_satisfied",
                "admin:knowledge_satisfaction_changelist",
                permission="apps.knowledge.admin.sidebar_may_read_ratings",
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
            sidebar_item(_("Article categories"), "category", "admin:knowledge_category_changelist"),
            sidebar_item(_("Users"), "group", "admin:accounts_user_changelist"),
            sidebar_item(_("Groups"), "shield_person", "admin:auth_group_changelist", permission=ADMINS),
            sidebar_item(_("Background tasks"), "schedule", "admin:django_q_task_changelist", permission=ADMINS),
            sidebar_item(_("AI quality"), "insights", "admin:ai_triagemodel_quality", permission=ADMINS),
            sidebar_item(_("Audit log"), "policy", "admin:audit_auditentry_changelist", permission=ADMINS),
            sidebar_item(_("Mailboxes"), "mail", "admin:mail_mailbox_changelist", permission=ADMINS),
            sidebar_item(_("Mail log"), "outgoing_mail", "admin:mail_mailmessage_changelist", permission=ADMINS),
            sidebar_item(
                _("Webhooks"),
                "webhook",
                "admin:integrations_webhook_changelist",
                permission="apps.integrations.admin.sidebar_may_manage_webhooks",
            ),
            sidebar_item(_("API keys"), "key", "admin:integrations_apikey_changelist"),
        ],
    },
]


# What a ticket list's address holds besides its filters.
NOT_FILTERS = frozenset({"p", "e", "all", "_changelist_filters"})


def _filters(query: str, *, ordered: bool) -> dict[str, frozenset[str]]:
    """A list's filters as comparable values: `status__in=new,open` is `status__in=open&status__in=new`."""
    found: dict[str, set[str]] = {}
    for key, value in parse_qsl(query):
        if key in NOT_FILTERS or (key == "o" and not ordered):
            continue
        found.setdefault(key, set()).update(part for part in value.split(",") if part)
    return {key: frozenset(values) for key, values in found.items() if values}


def current_list_query(request) -> str | None:
    """The query of the ticket list on screen (on a ticket's page: the list it was opened from), None elsewhere."""
    changelist = reverse(TICKETS)
    if not request.path.startswith(changelist):
        return None
    if request.path == changelist:
        return request.GET.urlencode()
    return request.GET.get("_changelist_filters", "")


def navigation(request) -> list[dict]:
    """NAVIGATION with the user's saved views after "Work", and the one current ticket-list link marked active."""
    from apps.tickets.admin.saved_views import sidebar_views  # the apps are ready once a request is served

    groups = copy.deepcopy(NAVIGATION)
    views = sidebar_views(request) if request.user.is_authenticated else []
    if views:
        manage = sidebar_item(_("Rename or delete views"), "edit_note", "admin:tickets_savedview_changelist")
        groups.insert(1, {"title": _("Saved views"), "items": [*views, manage]})
    lists = [item for group in groups for item in group["items"] if "list_query" in item]
    current = current_list_query(request)
    for item in lists:
        item["active"] = False
    if current is not None:
        match = next(
            (
                item
                for item in lists
                if item["list_query"]
                and _filters(item["list_query"], ordered=True)
                == _filters(current, ordered="o" in dict(parse_qsl(item["list_query"])))
            ),
            None,
        )
        fallback = next((item for item in lists if not item["list_query"]), None)
        if match or fallback:
            (match or fallback)["active"] = True
    return groups


def a11y_script_url(request) -> str:
    return static("a11y/admin.js")


def a11y_style_url(request) -> str:
    return static("a11y/admin.css")


UNFOLD = {
    "SITE_TITLE": _("Ticket System"),
    "SITE_HEADER": _("Ticket System"),
    "SITE_SYMBOL": "support_agent",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    # The back office's start page: ticket figures for the user's scope (apps/tickets/stats.py).
    "DASHBOARD_CALLBACK": "apps.tickets.dashboard.dashboard_callback",
    # The unread-notifications counter of the sidebar refreshes itself (static/notifications/); keyboard and
    # screen-reader fixes (static/a11y/, beside the template overrides in templates/unfold/).
    "SCRIPTS": ["apps.notifications.admin.counter_script_url", "config.unfold.a11y_script_url"],
    "STYLES": ["apps.notifications.admin.counter_style_url", "config.unfold.a11y_style_url"],
    "COLORS": {
        "primary": {
            "50": "oklch(97.7% .014 308.299)",
            "100": "oklch(94.6% .033 307.174)",
            "200": "oklch(90.2% .063 306.703)",
            "300": "oklch(82.7% .119 306.383)",
            "400": "oklch(71.4% .203 305.504)",
            # Lighter than Tailwind's purple 500 (62.7%): unfold writes dark-mode links in it, and they need 4.5:1.
            "500": "oklch(66.5% .24 303.9)",
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
        "navigation": "config.unfold.navigation",
    },
}
