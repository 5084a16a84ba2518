"""The back office's dashboard: figures for the user's scope, each equal to the changelist it links to."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role
from apps.tickets import services
from apps.tickets.aggregates import stats_rebuild
from apps.tickets.choices import Status
from apps.tickets.dashboard import dashboard_context, format_duration
from apps.tickets.models import Ticket
from apps.tickets.stats import ticket_stats
from tests.accounts.factories import UserFactory
from tests.support import jwt_client, logged_in
from tests.tickets.factories import TicketFactory

INDEX = reverse("admin:index")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def make(department, requester, *, title, status=Status.NEW, priority="normal", assignee=None, age, **stamps):
    """A ticket created `age` ago, moved to `status` through the lifecycle, with its time stamps pinned."""
    ticket = TicketFactory(
        department=department, requester=requester, title=title, priority=priority, assignee=assignee
    )
    path = {
        Status.NEW: [],
        Status.OPEN: [Status.OPEN],
        Status.IN_PROGRESS: [Status.OPEN, Status.IN_PROGRESS],
        Status.WAITING: [Status.OPEN, Status.IN_PROGRESS, Status.WAITING],
        Status.RESOLVED: [Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED],
        Status.CLOSED: [Status.CLOSED],
    }[status]
    for step in path:
        ticket = services.ticket_transition(ticket=ticket, actor=None, to_status=step)
    created = timezone.now() - age
    values = {"created_at": created}
    if "response" in stamps:
        values["first_responded_at"] = created + stamps["response"]
    if "resolution" in stamps:
        values["resolved_at"] = created + stamps["resolution"]
    if status == Status.CLOSED:
        values["closed_at"] = created + HOUR
    Ticket.objects.filter(pk=ticket.pk).update(**values)
    stats_rebuild()  # the time stamps were pinned behind the services' back: count the tickets again
    return ticket


@pytest.fixture
def fixed_data(it_dept, billing_dept, agent, other_agent, requester):
    """Five IT Support tickets (alice's department) and three Billing ones (bob's)."""
    return {
        "t1": make(it_dept, requester, title="t1", priority="urgent", age=40 * DAY),
        "t2": make(
            it_dept,
            requester,
            title="t2",
            status=Status.OPEN,
            priority="high",
            assignee=agent,
            age=10 * DAY,
            response=2 * HOUR,
        ),
        "t3": make(
            it_dept,
            requester,
            title="t3",
            status=Status.IN_PROGRESS,
            assignee=agent,
            age=5 * DAY,
            response=timedelta(minutes=30),
        ),
        "t4": make(
            it_dept,
            requester,
            title="t4",
            status=Status.RESOLVED,
            assignee=agent,
            age=3 * DAY,
            response=HOUR,
            resolution=DAY,
        ),
        "t5": make(it_dept, requester, title="t5", status=Status.CLOSED, priority="low", age=DAY),
        "b1": make(
            billing_dept,
            requester,
            title="b1",
            status=Status.WAITING,
            priority="high",
            assignee=other_agent,
            age=20 * DAY,
            response=4 * HOUR,
        ),
        "b2": make(
            billing_dept,
            requester,
            title="b2",
            status=Status.RESOLVED,
            priority="urgent",
            assignee=other_agent,
            age=6 * DAY,
            response=3 * HOUR,
            resolution=2 * DAY,
        ),
        "b3": make(billing_dept, requester, title="b3", age=timedelta(minutes=1)),
    }


def by(rows, key="value", value="count"):
    return {row[key]: row[value] for row in rows}


def test_agent_figures(agent, fixed_data, it_dept):
    stats = ticket_stats(agent)

    assert stats["scope"] == "own"
    assert (stats["open"]["total"], stats["open"]["unassigned"]) == (3, 1)
    assert by(stats["open"]["by_status"]) == {"new": 1, "open": 1, "in_progress": 1, "waiting": 0}
    assert by(stats["open"]["by_priority"]) == {"urgent": 1, "high": 1, "normal": 1, "low": 0}
    assert [(d["name"], d["count"]) for d in stats["open"]["by_department"]] == [("IT Support", 3)]
    assert (stats["created_total"], stats["resolved_total"]) == (4, 1)
    # Medians from the histograms: 30 min, 1 h, 2 h put the middle one in [1 h, 2 h), read at its middle.
    assert stats["first_response"] == {"median_seconds": 5400.0, "tickets": 3}
    assert stats["resolution"] == {"median_seconds": 1.5 * 86400, "tickets": 1}
    assert stats["sla"]["configured"] is False
    assert [(w["username"], w["open"]) for w in stats["workload"]] == [("alice", 2)]
    assert [t["title"] for t in stats["oldest_open"]] == ["t1", "t2", "t3"]
    assert len(stats["per_day"]) == 30
    assert stats["per_day"][-1]["day"] == timezone.localdate()
    assert [day["created"] for day in stats["per_day"] if day["created"]] == [1, 1, 1, 1]


def test_admin_figures(admin_user, fixed_data):
    stats = ticket_stats(admin_user)

    assert stats["scope"] == "all"
    assert (stats["open"]["total"], stats["open"]["unassigned"]) == (5, 2)
    assert by(stats["open"]["by_status"]) == {"new": 2, "open": 1, "in_progress": 1, "waiting": 1}
    assert by(stats["open"]["by_priority"]) == {"urgent": 1, "high": 2, "normal": 2, "low": 0}
    assert [(d["name"], d["count"]) for d in stats["open"]["by_department"]] == [("IT Support", 3), ("Billing", 2)]
    assert (stats["created_total"], stats["resolved_total"]) == (7, 2)
    # 30 min, 1 h, 2 h, 3 h, 4 h: rank 2.5 of 5 falls in [2 h, 4 h), which holds two: 2 h + 2 h x 0.5/2.
    assert stats["first_response"] == {"median_seconds": 9000.0, "tickets": 5}
    assert stats["resolution"] == {"median_seconds": 2 * 86400, "tickets": 2}
    assert [(w["username"], w["open"]) for w in stats["workload"]] == [("alice", 2), ("bob", 1)]
    assert [t["title"] for t in stats["oldest_open"]] == ["t1", "b1", "t2", "t3", "b3"]


def changelist_count(browser, link: str) -> int:
    """How many tickets the changelist shows at `link` (every page of it)."""
    parts = urlsplit(link)
    assert parts.path == reverse("admin:tickets_ticket_changelist")
    response = browser.get(link)
    assert response.status_code == 200
    changelist = response.context["cl"]
    assert not response.context.get("ERROR"), link
    shown = len(changelist.result_list)
    # One page holds them all, so the rows on it are the count. (cl.queryset.count() would run after the request,
    # outside the user's time zone, and compare other days.)
    assert shown < changelist.list_per_page
    return shown


def all_links(context) -> list[tuple[str, int]]:
    """(link, number shown) for every figure on the dashboard."""
    pairs = [
        (context["links"]["open"], context["open"]["total"]),
        (context["links"]["unassigned"], context["open"]["unassigned"]),
        (context["links"]["created"], context["created_total"]),
        (context["links"]["resolved"], context["resolved_total"]),
        (context["links"]["first_response"], context["first_response"]["tickets"]),
        (context["links"]["resolution"], context["resolution"]["tickets"]),
    ]
    for group in ("by_status", "by_priority", "by_department"):
        pairs += [(row["link"], row["count"]) for row in context["open"][group]]
    pairs += [(row["link"], row["open"]) for row in context["workload"]]
    for day in context["per_day"]:
        pairs += [(day["created_link"], day["created"]), (day["resolved_link"], day["resolved"])]
    return pairs


@pytest.mark.parametrize("who", ["agent", "admin_user", "other_agent"])
def test_every_number_equals_the_list_it_links_to(request, who, fixed_data):
    user = request.getfixturevalue(who)
    browser = logged_in(user)

    response = browser.get(INDEX)

    assert response.status_code == 200
    context = response.context["dashboard"]
    pairs = all_links(context)
    assert len(pairs) == 6 + 4 + 4 + len(context["open"]["by_department"]) + len(context["workload"]) + 60
    for link, number in pairs:
        assert changelist_count(browser, link) == number, link
    for row in context["oldest_open"]:
        assert browser.get(row["link"]).status_code == 200


@override_settings(TIME_ZONE="Europe/Berlin")
def test_days_are_the_sites_days_for_everyone(it_dept, requester, fixed_data):
    """Figures are kept per day of the site's time zone: a ticket at 23:30 UTC is the next day in Berlin (the
    site), also for an agent in New York, and the links ask the list for the site's days (days=site)."""
    new_yorker = UserFactory(username="nyc", role=Role.AGENT, departments=[it_dept], time_zone="America/New_York")
    ticket = make(it_dept, requester, title="late", age=3 * DAY)
    late_utc = (timezone.now() - 3 * DAY).replace(hour=23, minute=30, second=0, microsecond=0)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=late_utc)
    stats_rebuild()
    browser = logged_in(new_yorker)

    context = browser.get(INDEX).context["dashboard"]

    for link, number in all_links(context):
        assert changelist_count(browser, link) == number, link
    days = {day["day"]: day for day in context["per_day"]}
    berlin_day = late_utc.date() + DAY
    assert ticket in browser.get(days[berlin_day]["created_link"]).context["cl"].result_list
    assert ticket not in browser.get(days[late_utc.date()]["created_link"]).context["cl"].result_list
    assert "days=site" in days[berlin_day]["created_link"]


def test_page_shows_the_figures_and_the_chart(agent, fixed_data):
    response = logged_in(agent).get(INDEX)

    html = response.content.decode()
    assert 'data-figure="open">3<' in html
    assert 'data-figure="unassigned">1<' in html
    assert 'data-figure="created">4<' in html
    assert "Not configured yet" in html
    assert 'class="chart"' in html and 'data-type="bar"' in html
    assert 'id="tickets-per-day-links"' in html
    assert "unfold/js/chart/chart.js" in html  # unfold's own copy of Chart.js: no CDN
    assert "cdn." not in html


def test_requesters_and_anonymous_never_see_it(requester_client, client):
    assert requester_client.get(INDEX).status_code == 302
    assert client.get(INDEX).status_code == 302


def test_formatting_of_durations():
    assert [
        format_duration(s) for s in (None, 59, 45 * 60, 3 * 3600, 3 * 3600 + 20 * 60, 86400, 2 * 86400 + 4 * 3600)
    ] == [
        "—",
        "1 min",
        "45 min",
        "3 h",
        "3 h 20 min",
        "1 d",
        "2 d 4 h",
    ]


def _tickets(count: int, departments, requester, agents) -> None:
    for n in range(count):
        ticket = TicketFactory(department=departments[n % 2], requester=requester, assignee=agents[n % 2])
        if n % 3 == 0:
            services.ticket_transition(ticket=ticket, actor=None, to_status=Status.OPEN)


@pytest.mark.parametrize("who", ["agent", "admin_user"])
def test_query_count_is_the_same_at_10_and_200_tickets(  # flat in N: the aggregates, not the tickets, are read
    request, who, it_dept, billing_dept, requester, agent, other_agent
):
    user = request.getfixturevalue(who)
    browser = logged_in(user)
    departments, agents = [it_dept, billing_dept], [agent, other_agent]
    _tickets(10, departments, requester, agents)
    browser.get(INDEX)  # warm up per-process caches

    with CaptureQueriesContext(connection) as at_10:
        dashboard_context(user)
    with CaptureQueriesContext(connection) as page_at_10:
        browser.get(INDEX)
    _tickets(190, departments, requester, agents)
    with CaptureQueriesContext(connection) as at_200:
        context = dashboard_context(user)
    with CaptureQueriesContext(connection) as page_at_200:
        browser.get(INDEX)

    assert context["open"]["total"] == (200 if who == "admin_user" else 100)
    print(f"dashboard queries: {len(at_10)} (page {len(page_at_10)}) at 10 tickets, {len(at_200)} at 200")
    assert len(at_10) == len(at_200) == 5
    assert len(page_at_10) == len(page_at_200)


def test_api_stats_serve_the_same_figures(agent, fixed_data):
    response = jwt_client(agent).get("/api/stats/")

    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "own"
    assert (body["open"]["total"], body["open"]["unassigned"]) == (3, 1)
    assert [(d["name"], d["count"]) for d in body["open"]["by_department"]] == [("IT Support", 3)]
    assert [t["title"] for t in body["oldest_open"]] == ["t1", "t2", "t3"]


def test_api_stats_refuse_requesters_and_anonymous(requester, fixed_data):
    assert jwt_client(requester).get("/api/stats/").status_code == 403
    assert jwt_client(None).get("/api/stats/").status_code == 401


def test_the_sla_tile_counts_met_and_breached_resolution_targets_once_policies_exist(
    admin_user, fixed_data, it_dept, django_assert_num_queries
):
    from apps.departments.models import SlaPolicy
    from apps.departments.services import sla_policy_save
    from apps.tickets.aggregates import stats_rebuild

    sla_policy_save(
        policy=SlaPolicy(department=it_dept, priority="normal", first_response_minutes=60, resolution_minutes=480)
    )
    t4, b2 = fixed_data["t4"], fixed_data["b2"]
    t4.refresh_from_db()
    b2.refresh_from_db()
    # t4 was resolved a day after it was opened: a target of two days is met; b2's target of one day is missed.
    Ticket.objects.filter(pk=t4.pk).update(resolution_due_at=t4.created_at + 2 * DAY)
    Ticket.objects.filter(pk=b2.pk).update(resolution_due_at=b2.created_at + DAY)
    stats_rebuild()  # the due dates were set behind the services' back: count again, as check_data --fix does

    with django_assert_num_queries(5):
        stats = ticket_stats(admin_user)
    html = logged_in(admin_user).get(INDEX).content.decode()

    assert (stats["sla"]["configured"], stats["sla"]["met"], stats["sla"]["breached"]) == (True, 1, 1)
    assert stats["sla"]["resolution"] == {"met": 1, "breached": 1}
    assert '<span data-figure="sla-met">1</span> / <span data-figure="sla-breached">1</span>' in html
    assert "Not configured yet" not in html
