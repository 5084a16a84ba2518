"""The knowledge base's section of the back office's dashboard (apps/tickets/extensions.py dashboard_sections):
satisfaction (CSAT) per department, per agent and per week, and the new-ticket page's suggestions and
deflections, over the dashboard's period.

CSAT is the share of ratings of 4 or 5 (good, on the good/bad scale) among the ratings given in the period,
of the tickets the user sees. Each figure links to the ratings list filtered to exactly those ratings, from
which each ticket opens.
"""

import datetime as dt
from urllib.parse import urlencode

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils.formats import date_format

from apps.accounts.permissions import is_admin
from apps.tickets.extensions import DashboardSection

from .choices import SATISFIED_FROM
from .models import Deflection
from .selectors import ratings_visible_to


def _range(first: dt.date, last: dt.date) -> dict[str, str]:
    return {"rated_at__date__gte": first.isoformat(), "rated_at__date__lte": last.isoformat()}


def ratings_link(**params) -> str:
    return f"{reverse('admin:knowledge_satisfaction_changelist')}?{urlencode(params)}"


def _figures(row: dict) -> dict:
    count = row["count"]
    row["csat"] = round(100 * row["satisfied"] / count) if count else None
    row["average"] = round(row["average"], 1) if row["average"] is not None else None
    return row


def knowledge_dashboard(request, first: dt.date, last: dt.date) -> dict:
    """The section's figures for `request.user`, over [first, last] (whole days)."""
    period = _range(first, last)
    ratings = ratings_visible_to(request.user).filter(
        rated_at__date__gte=first, rated_at__date__lte=last, rating__isnull=False
    )
    measures = {
        "count": Count("pk"),
        "average": Avg("rating"),
        "satisfied": Count("pk", filter=Q(rating__gte=SATISFIED_FROM)),
    }
    total = _figures(ratings.aggregate(**measures))
    total["link"] = ratings_link(**period)
    departments = [
        _figures(row) | {"link": ratings_link(department__id__exact=row["department"], **period)}
        for row in ratings.values("department", "department__name").annotate(**measures).order_by("department__name")
    ]
    agents = [
        _figures(row) | {"link": ratings_link(agent__id__exact=row["agent"], **period) if row["agent"] else ""}
        for row in ratings.values("agent", "agent__username", "agent__first_name", "agent__last_name")
        .annotate(**measures)
        .order_by("agent__username")
    ]
    weeks = []
    for row in ratings.annotate(week=TruncWeek("rated_at")).values("week").annotate(**measures).order_by("week"):
        start = row["week"].date() if isinstance(row["week"], dt.datetime) else row["week"]
        end = start + dt.timedelta(days=6)
        row = _figures(row)
        row["label"] = date_format(start, "M j")
        row["link"] = ratings_link(**_range(max(start, first), min(end, last)))
        weeks.append(row)
    deflection = Deflection.objects.aggregate(
        suggested=Count("pk", filter=Q(suggested_at__date__gte=first, suggested_at__date__lte=last)),
        deflected=Count("pk", filter=Q(deflected_at__date__gte=first, deflected_at__date__lte=last)),
    )
    deflection["link"] = (
        reverse("admin:knowledge_deflection_changelist") + "?deflected_at__isnull=False"
        if is_admin(request.user)
        else ""
    )
    return {"total": total, "departments": departments, "agents": agents, "weeks": weeks, "deflection": deflection}


DASHBOARD_SECTION = DashboardSection(
    name="knowledge", template="knowledge/admin/dashboard_section.html", context=knowledge_dashboard
)
