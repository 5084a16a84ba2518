"""The back office's theme and sidebar: django-unfold's UNFOLD setting, which config/settings.py imports.

Every sidebar link points at an admin page; who sees it is decided by one of the two callbacks below (unfold
calls the function with the request). The pages check permissions themselves: the sidebar only hides links.

The sidebar's items are `navigation`: the groups of NAVIGATION, plus the user's saved views of the ticket list
(apps/tickets/admin/saved_views.py). Exactly one ticket-list link is highlighted: the one whose filters are those
of the list on screen (or of the list a ticket page was opened from); "Tickets" when none is.

Every back-office page shows the sidebar, so it is not built by unfold per request (a deep copy, an import and a
permission callback per item, a template include per item): `sidebar` renders it once per combination of what
decides its HTML (the language, which items the user's permissions show, the user's saved views with their
counts) and keeps that in this process (`RENDERED`, a bounded table; the key holds all of it, so a permission,
language or saved-view change is seen on the next request, and users share an entry only when their sidebars are
the same: no saved views and the same permitted items). What changes from page to page is filled in per
request: which link is highlighted (and so whether "Administration" opens) and the unread-notifications badge.
Neither the saved views nor the badge's count costs a query on most pages: both are kept in the cache per user and
forgotten when they change (apps/tickets/selectors.py `sidebar_saved_views`, apps/notifications/selectors.py
`unread_state`).
"""

import copy
import re
from urllib.parse import parse_qsl, urlparse

from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.common.kept import KeptTable

# Who sees a sidebar item (apps/accounts/permissions.py).
STAFF = "apps.accounts.permissions.sidebar_is_staff"
ADMINS = "apps.accounts.permissions.sidebar_is_admin"

TICKETS = "admin:tickets_ticket_changelist"
# A ticket's own pages below the list (change, history, permissions) and the new-ticket page.
TICKET_PAGE = re.compile(r"(\d+|add)/")


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
    if request.path == changelist:
        return request.GET.urlencode()
    if TICKET_PAGE.match(request.path.removeprefix(changelist)) and request.path.startswith(changelist):
        return request.GET.get("_changelist_filters", "")
    # Other pages under the ticket admin (the reports, the AI backfill) are not a list: their own link is current.
    return None


def _groups(request) -> list[dict]:
    """NAVIGATION with the user's saved views after "Work" (NAVIGATION itself is shared: read, never changed)."""
    from apps.tickets.admin.saved_views import sidebar_views  # the apps are ready once a request is served

    views = sidebar_views(request) if request.user.is_authenticated else []
    if not views:
        return NAVIGATION
    manage = sidebar_item(_("Rename or delete views"), "edit_note", "admin:tickets_savedview_changelist")
    return [NAVIGATION[0], {"title": _("Saved views"), "items": [*views, manage]}, *NAVIGATION[1:]]


def _current_list_item(request, items: list[dict]) -> dict | None:
    """The one ticket-list link of `items` to highlight, None when no ticket list (or ticket) is on screen."""
    current = current_list_query(request)
    if current is None:
        return None
    lists = [item for item in items if "list_query" in item]
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
    return match or next((item for item in lists if not item["list_query"]), None)


def navigation(request) -> list[dict]:
    """NAVIGATION with the user's saved views after "Work", and the one current ticket-list link marked active."""
    groups = copy.deepcopy(_groups(request))
    items = [item for group in groups for item in group["items"]]
    current = _current_list_item(request, items)
    for item in items:
        if "list_query" in item:
            item["active"] = item is current
    return groups


# The rendered sidebar ------------------------------------------------------------------------------------------

# The classes of the highlighted link (unfold's, templates/unfold/helpers/sidebar_groups.html).
ACTIVE_CLASSES = "bg-base-100 font-semibold text-primary-600 dark:bg-white/[.06] dark:text-primary-500 active"
# Placeholders in a rendered sidebar, filled per request. NUL never reaches a page from users' text (Django's
# form fields refuse it), so a saved view's name cannot forge one.
SLOT = re.compile(r"\x00(active|open|badge):(\d+)\x00")
# How many rendered sidebars one process keeps (one per language × permitted items, one per user with saved views).
RENDERED_MAX = 512
RENDERED = KeptTable()  # of RenderedSidebar
_callables: dict[str, object] = {}


def _call(path: str, request):
    """The sidebar callback named `path` (imported once per process) called with the request."""
    function = _callables.get(path)
    if function is None:
        function = _callables[path] = import_string(path)
    return function(request)


def _is_callback(badge) -> bool:
    """unfold's rule: a badge that names an importable function is that function's result, otherwise itself."""
    if not isinstance(badge, str) or not badge:
        return False
    try:
        _callables.setdefault(badge, import_string(badge))
    except ImportError:
        return False
    return True


class RenderedSidebar:
    """A sidebar's HTML with its per-request placeholders, and what fills them."""

    def __init__(self, html: str, links: list[tuple[str, bool]], groups: list[list[int]], badges: list[str]):
        self.html = html
        self.links = links  # per item: its link's path, and whether it is a ticket-list link
        self.groups = groups  # per collapsible group: its items' numbers
        self.badges = badges  # per badge placeholder: the callback's path


class Sidebar:
    """`sidebar_navigation` of the back office's pages: the rendered groups (`{{ sidebar_navigation }}`)."""

    def __init__(self, html: SafeString, group_count: int):
        self.html = html
        self.group_count = group_count

    def __len__(self) -> int:
        return self.group_count

    def __html__(self) -> SafeString:
        return self.html

    def __str__(self) -> str:
        return self.html


def _render(groups: list[dict], allowed: tuple[bool, ...]) -> RenderedSidebar:
    """The sidebar's HTML as unfold's template writes it, with placeholders where requests differ."""
    links, collapsible, badges = [], [], []
    shown = []
    number = 0
    for group in groups:
        items = []
        first = number
        for item in group["items"]:
            link = str(item["link"])
            links.append((urlparse(link).path, "list_query" in item))
            entry = {
                "title": item["title"],
                "icon": item.get("icon"),
                "link": link,
                "has_permission": allowed[number],
                "active_slot": f"\x00active:{number}\x00",
                "badge": item.get("badge"),
                "badge_variant": item.get("badge_variant"),
                "badge_style": item.get("badge_style"),
            }
            if _is_callback(entry["badge"]):
                entry["badge_callback"] = f"\x00badge:{len(badges)}\x00"
                badges.append(entry["badge"])
            items.append(entry)
            number += 1
        if group.get("collapsible"):
            collapsible.append(list(range(first, number)))
        shown.append(
            {
                "title": group.get("title"),
                "collapsible": group.get("collapsible", False),
                "separator": group.get("separator", False),
                "open_slot": f"\x00open:{len(collapsible) - 1}\x00" if group.get("collapsible") else "",
                "items": items,
            }
        )
    html = render_to_string("unfold/helpers/sidebar_groups.html", {"sidebar_groups": shown})
    return RenderedSidebar(html, links, collapsible, badges)


def sidebar(request) -> Sidebar:
    """The sidebar of this request's page: rendered once per language, permitted items and saved views (above)."""
    groups = _groups(request)
    items = [item for group in groups for item in group["items"]]
    allowed = tuple(bool(_call(item["permission"], request)) for item in items)
    views = groups is not NAVIGATION
    key = (
        get_language(),
        allowed,
        # A user's saved views (names, links, counts) are theirs: such a sidebar is keyed by the user too.
        (request.user.pk, tuple((item["title"], str(item["link"]), item.get("badge")) for item in items))
        if views
        else None,
    )
    rendered = RENDERED.recall(key)
    if rendered is None:
        rendered = RENDERED.keep(key, _render(groups, allowed), most=RENDERED_MAX)
    current = _current_list_item(request, items)
    index = reverse("admin:index")
    path = request.path
    active = {
        number
        for number, (link_path, is_list) in enumerate(rendered.links)
        if (items[number] is current if is_list else _unfold_active(link_path, path, index))
    }
    badges = [conditional_escape(_call(callback, request)) for callback in rendered.badges]

    def fill(slot: re.Match) -> str:
        kind, number = slot.group(1), int(slot.group(2))
        if kind == "active":
            return ACTIVE_CLASSES if number in active else ""
        if kind == "open":
            return "true" if active.intersection(rendered.groups[number]) else "false"
        return badges[number]

    return Sidebar(mark_safe(SLOT.sub(fill, rendered.html)), len(groups))  # noqa: S308 (our template's HTML)


def _unfold_active(link_path: str, path: str, index: str) -> bool:
    """unfold's rule for a link that is not a ticket list: the dashboard on itself, others on any page below."""
    if link_path == path == index:
        return True
    return link_path != "" and link_path in path and link_path != index


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
