"""The back office's start page (unfold's DASHBOARD_CALLBACK): apps.tickets.stats with a link on every number.

Each link opens the ticket changelist filtered to exactly the tickets the number counts, with the list's own
filter parameters (`status__in`, `priority__exact`, `department__id__exact`, `assignee`, and the day ranges
`created_at_from/_to`, `first_responded_at_from/_to`, `resolved_at_from/_to` with `days=site`), so the list shows
that number; an agent's links also name its departments (`department__id__in`), as its figures count only those.
"""

import json
from functools import partial
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.common.admin.filters import SITE_DAYS, SITE_DAYS_PARAM

from . import extensions
from .choices import OPEN_STATUSES, Status
from .stats import ticket_stats

SCOPE_PARAM = "department__id__in"
OPEN_PARAM = ",".join(status for status in Status.values if status in OPEN_STATUSES)


def changelist_link(scope: list[int] | None = None, **params) -> str:
    """The ticket list filtered by `params`, and to the departments `scope` (None: all, as for admins), so that
    an agent's list leaves out tickets of other departments shared with it, as its figures do."""
    url = reverse("admin:tickets_ticket_changelist")
    if scope is not None:
        params[SCOPE_PARAM] = ",".join(str(pk) for pk in sorted(scope)) or "0"
    return f"{url}?{urlencode(params)}" if params else url


def day_range(field: str, first, last) -> dict[str, str]:
    """Days `first` to `last` of the site's time zone, the days the figures are kept in (apps/tickets/aggregates.py)."""
    return {f"{field}_from": first.isoformat(), f"{field}_to": last.isoformat(), SITE_DAYS_PARAM: SITE_DAYS}


def format_duration(seconds: float | None) -> str:
    """A median duration as people say it: 45 min, 3 h 20 min, 2 d 4 h."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes} if minutes else _("%(h)d h") % {"h": hours}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours} if hours else _("%(d)d d") % {"d": days}


def dashboard_context(user) -> dict:
    """The figures of ticket_stats, each with the changelist link that shows exactly those tickets."""
    stats = ticket_stats(user)
    link = partial(changelist_link, stats["departments"])
    first, last = stats["period"]["first_day"], stats["period"]["last_day"]
    figures = stats["open"]
    for row in figures["by_status"]:
        row["link"] = link(status__in=row["value"])
    for row in figures["by_priority"]:
        row["link"] = link(status__in=OPEN_PARAM, priority__exact=row["value"])
    for row in figures["by_department"]:
        row["link"] = link(status__in=OPEN_PARAM, department__id__exact=row["id"])
    for row in stats["workload"]:
        row["link"] = link(status__in=OPEN_PARAM, assignee=row["id"])
    for row in stats["oldest_open"]:
        row["link"] = reverse("admin:tickets_ticket_change", args=[row["id"]])
    for row in stats["per_day"]:
        row["created_link"] = link(**day_range("created_at", row["day"], row["day"]))
        row["resolved_link"] = link(**day_range("resolved_at", row["day"], row["day"]))
        row["label"] = date_format(row["day"], "M j")
    stats["links"] = {
        "open": link(status__in=OPEN_PARAM),
        "unassigned": link(status__in=OPEN_PARAM, assignee="none"),
        "created": link(**day_range("created_at", first, last)),
        "resolved": link(**day_range("resolved_at", first, last)),
        "first_response": link(**day_range("first_responded_at", first, last)),
        "resolution": link(**day_range("resolved_at", first, last)),
    }
    stats["first_response"]["display"] = format_duration(stats["first_response"]["median_seconds"])
    stats["resolution"]["display"] = format_duration(stats["resolution"]["median_seconds"])
    for key in ("first_response", "resolution"):
        count = stats[key]["tickets"]
        stats[key]["basis"] = ngettext("over %(count)d ticket", "over %(count)d tickets", count) % {"count": count}
    stats["chart"] = json.dumps(
        {
            "labels": [row["label"] for row in stats["per_day"]],
            "datasets": [
                {
                    "label": str(_("Created")),
                    "data": [row["created"] for row in stats["per_day"]],
                    "backgroundColor": "var(--color-primary-600)",
                    # unfold draws bars on top of each other, 4 px wide: these two stand side by side.
                    "grouped": True,
                    "maxBarThickness": 10,
                    "displayYAxis": True,
                    "maxTicksXLimit": 10,
                },
                {
                    "label": str(_("Resolved")),
                    "data": [row["resolved"] for row in stats["per_day"]],
                    "backgroundColor": "var(--color-green-600)",
                    "grouped": True,
                    "maxBarThickness": 10,
                },
            ],
        }
    )
    stats["chart_links"] = [
        [row["created_link"] for row in stats["per_day"]],
        [row["resolved_link"] for row in stats["per_day"]],
    ]
    return stats


def dashboard_callback(request, context):
    """unfold calls this for the admin index; staff only reach it (the admin site checks that first)."""
    context["dashboard"] = dashboard_context(request.user)
    # Other apps' sections (apps/tickets/extensions.py dashboard_sections), over the same period.
    period = context["dashboard"]["period"]
    context["dashboard_sections"] = [
        {"template": entry.template, "section": entry.context(request, period["first_day"], period["last_day"])}
        for entry in extensions.dashboard_sections
    ]
    context["title"] = _("Dashboard")
    return context
