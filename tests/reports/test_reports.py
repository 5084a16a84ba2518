"""Reports (apps/reports): exact figures from the aggregates, each count equal to the ticket list it links to, an
agent's never another department's, every parameter allow-listed, and a query count that does not grow."""

from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from apps.reports.table import NumberFormatter
from apps.tickets import services
from apps.tickets.aggregates import stats_rebuild
from apps.tickets.choices import Status
from apps.tickets.dashboard import format_duration
from apps.tickets.models import Ticket
from tests.support import field_errors, jwt_client, logged_in
from tests.tickets.factories import TicketFactory

PAGE = reverse("admin:tickets_reports")
DAY = timedelta(days=1)


def api(kind: str) -> str:
    return f"/api/stats/reports/{kind}/"


def pinned(
    department, requester, *, age_days, status=Status.NEW, assignee=None, response_hours=None, resolve_days=None
):
    """A ticket created `age_days` ago at noon (UTC, the tests' site time zone), moved and stamped."""
    ticket = TicketFactory(department=department, requester=requester, assignee=assignee)
    steps = {
        Status.NEW: [],
        Status.OPEN: [Status.OPEN],
        Status.RESOLVED: [Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED],
    }
    for step in steps[status]:
        ticket = services.ticket_transition(ticket=ticket, actor=None, to_status=step)
    created = (timezone.now() - age_days * DAY).replace(hour=12, minute=0, second=0, microsecond=0)
    values = {"created_at": created}
    if response_hours is not None:
        values["first_responded_at"] = created + timedelta(hours=response_hours)
    if resolve_days is not None:
        values["resolved_at"] = created + resolve_days * DAY
    Ticket.objects.filter(pk=ticket.pk).update(**values)
    return ticket


@pytest.fixture
def data(it_dept, billing_dept, agent, other_agent, requester):
    tickets = {
        "a": pinned(it_dept, requester, age_days=10, status=Status.OPEN, assignee=agent, response_hours=2),
        "b": pinned(
            it_dept, requester, age_days=9, status=Status.RESOLVED, assignee=agent, response_hours=1, resolve_days=2
        ),
        "c": pinned(it_dept, requester, age_days=3),
        "x": pinned(
            billing_dept,
            requester,
            age_days=9,
            status=Status.RESOLVED,
            assignee=other_agent,
            response_hours=5,
            resolve_days=1,
        ),
        "y": pinned(billing_dept, requester, age_days=2),
    }
    stats_rebuild()  # the time stamps were pinned behind the services' back
    return tickets


def days_ago(n: int) -> str:
    return (timezone.localdate() - n * DAY).isoformat()


def test_volume_report_by_day_for_an_agent(agent, data):
    body = jwt_client(agent).get(api("volume"), {"from": days_ago(10), "to": days_ago(0)}).json()

    assert [c["key"] for c in body["columns"]] == ["created", "resolved", "done", "backlog"]
    rows = {row["key"]: row["values"] for row in body["rows"]}
    assert len(rows) == 11
    assert rows[days_ago(10)] == {"created": 1, "resolved": 0, "done": 0, "backlog": 1}
    assert rows[days_ago(9)] == {"created": 1, "resolved": 0, "done": 0, "backlog": 2}
    assert rows[days_ago(7)] == {"created": 0, "resolved": 1, "done": 1, "backlog": 1}
    assert rows[days_ago(3)] == {"created": 1, "resolved": 0, "done": 0, "backlog": 2}
    assert rows[days_ago(0)]["backlog"] == 2
    assert body["total"]["values"] == {"created": 3, "resolved": 1, "done": 1, "backlog": 2}
    assert body["scope"] == [data["a"].department_id]


def test_backlog_at_the_end_of_an_earlier_range(admin_user, data):
    body = jwt_client(admin_user).get(api("volume"), {"from": days_ago(12), "to": days_ago(9)}).json()

    assert [row["values"]["backlog"] for row in body["rows"]] == [0, 0, 1, 3]
    assert body["total"]["values"]["created"] == 3


def test_response_report_by_week_and_month(admin_user, data):
    client = jwt_client(admin_user)
    week = client.get(api("response"), {"from": days_ago(20), "to": days_ago(0), "group": "week"}).json()
    month = client.get(api("response"), {"from": days_ago(20), "to": days_ago(0), "group": "month"}).json()

    for body in (week, month):
        total = body["total"]["values"]
        assert (total["responded"], total["resolved"]) == (3, 2)
        # 1 h, 2 h, 5 h: the mean is exact; the median is read from the histogram: rank 1.5 of 3 falls in
        # [2 h, 4 h), which holds one, at its middle.
        assert total["response_mean"] == (1 + 2 + 5) * 3600 / 3
        assert total["response_p50"] == 7200 + 7200 * 0.5
        assert total["resolution_mean"] == 1.5 * 86400
    assert all(row["key"] <= days_ago(0) for row in week["rows"])
    assert sum(row["values"]["responded"] for row in week["rows"]) == 3
    assert sum(row["values"]["responded"] for row in month["rows"]) == 3


def test_agents_and_departments_reports(admin_user, agent, other_agent, data):
    client = jwt_client(admin_user)
    agents = client.get(api("agents"), {"from": days_ago(30)}).json()
    departments = client.get(api("departments"), {"from": days_ago(30)}).json()

    by_agent = {
        row["label"]: (row["values"]["open"], row["values"]["created"], row["values"]["resolved"])
        for row in agents["rows"]
    }
    assert by_agent == {
        agent.get_full_name(): (1, 2, 1),
        other_agent.get_full_name(): (0, 1, 1),
        "Unassigned": (2, 2, 0),
    }
    by_department = {row["label"]: (row["values"]["open"], row["values"]["created"]) for row in departments["rows"]}
    assert by_department == {"IT Support": (2, 3), "Billing": (1, 2)}


def test_an_agent_never_sees_another_department(agent, billing_dept, data):
    client = jwt_client(agent)
    departments = client.get(api("departments"), {"from": days_ago(30)}).json()
    asked = client.get(api("volume"), {"department": billing_dept.pk})

    assert [row["label"] for row in departments["rows"]] == ["IT Support"]
    assert asked.status_code == 400
    assert "department" in field_errors(asked)


def changelist_count(browser, link: str) -> int:
    assert urlsplit(link).path == reverse("admin:tickets_ticket_changelist")
    response = browser.get(link)
    assert response.status_code == 200
    assert not response.context.get("ERROR"), link
    return len(response.context["cl"].result_list)


@pytest.mark.parametrize("who", ["agent", "admin_user"])
@pytest.mark.parametrize("kind", ["volume", "response", "agents", "departments"])
def test_every_count_equals_the_list_it_links_to(request, who, kind, data):
    user = request.getfixturevalue(who)
    browser = logged_in(user)
    body = jwt_client(user).get(api(kind), {"from": days_ago(12), "to": days_ago(0), "group": "week"}).json()

    checked = 0
    for row in [*body["rows"], body["total"]]:
        for column, link in row["links"].items():
            unit = next(c["unit"] for c in body["columns"] if c["key"] == column)
            if unit == "count":
                assert changelist_count(browser, link) == row["values"][column], (row["label"], column, link)
                checked += 1
    assert checked > 0


def test_the_page_shows_chart_table_and_csv(agent, data):
    browser = logged_in(agent)
    page = browser.get(PAGE, {"kind": "volume", "from": days_ago(10), "to": days_ago(0)})
    csv = browser.get(PAGE, {"kind": "volume", "from": days_ago(10), "to": days_ago(0), "format": "csv"})

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="report-table"' in html and 'class="chart"' in html
    assert "cdn." not in html
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    lines = csv.content.decode().splitlines()
    assert lines[0] == "Period,Created,Resolved,Left the backlog,Backlog at the end"
    assert lines[1] == f"{days_ago(10)},1,0,0,1"
    assert lines[-1] == "Total,3,1,1,2"


class TableCells(HTMLParser):
    """The report table's cells as {row key: {column: (text, link or None)}}."""

    def __init__(self):
        super().__init__()
        self.rows: dict = {}
        self.row = self.column = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-row" in attrs:
            self.row = self.rows.setdefault(attrs["data-row"], {})
        elif tag == "td" and self.row is not None:
            self.column = attrs["data-column"]
            self.row[self.column] = ("", None)
        elif tag == "a" and self.column is not None:
            self.row[self.column] = ("", attrs["href"])

    def handle_endtag(self, tag):
        if tag == "td":
            self.column = None

    def handle_data(self, data):
        if self.column is not None:
            text, link = self.row[self.column]
            self.row[self.column] = (text + data, link)


def shown(value, unit: str) -> str:
    if value is None:
        return "—"
    return {"count": f"{value:,}", "seconds": format_duration(value), "percent": f"{value:.1f} %"}.get(unit)


@pytest.mark.parametrize("who", ["agent", "admin_user"])
@pytest.mark.parametrize(
    ("kind", "group"), [("volume", "day"), ("response", "week"), ("sla", "month"), ("agents", "day")]
)
def test_the_pages_table_shows_the_apis_figures_and_links(request, who, kind, group, data):
    user = request.getfixturevalue(who)
    params = {"from": days_ago(12), "to": days_ago(0), "group": group}
    body = jwt_client(user).get(api(kind), params).json()
    page = logged_in(user).get(PAGE, {**params, "kind": kind})
    table = TableCells()
    table.feed(page.content.decode())

    assert page.status_code == 200
    expected = {
        row["key"]: {
            c["key"]: (shown(row["values"][c["key"]], c["unit"]), row["links"].get(c["key"])) for c in body["columns"]
        }
        for row in [*body["rows"], body["total"]]
    }
    assert table.rows == expected
    # Every count with a list of its own is a link (the SLA split has none: docs in apps/reports/selectors.py).
    assert any(link for row in expected.values() for _text, link in row.values()) == (kind != "sla")


def test_numbers_are_written_as_the_language_writes_them():
    durations = [0, 59, 89, 3599, 3600, 3660, 86399, 86400, 90000, 10 * 86400 + 7200]
    for language, count, percent in (("en", "1,234,567", "12.5 %"), ("de", "1.234.567", "12,5 %")):
        with translation.override(language):
            number = NumberFormatter()
            assert (number.count(1234567), number.count(12), number.percent(12.5)) == (count, "12", percent)
            assert [number.duration(s) for s in durations] == [format_duration(s) for s in durations]
    with translation.override("en"):
        number = NumberFormatter()
        assert [number.duration(s) for s in durations] == [
            "0 min",
            "1 min",
            "1 min",
            "1 h",
            "1 h",
            "1 h 1 min",
            "1 d",
            "1 d",
            "1 d 1 h",
            "10 d 2 h",
        ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group": "year"}, "group"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": days_ago(1), "to": days_ago(3)}, "from"),
        ({"from": days_ago(400), "group": "day"}, "from"),
        ({"colour": "red"}, "colour"),
        ({"department": "abc"}, "department"),
    ],
)
def test_bad_parameters_are_refused(agent, data, params, field):
    api_response = jwt_client(agent).get(api("volume"), params)
    page = logged_in(agent).get(PAGE, params)

    assert api_response.status_code == 400
    assert field in field_errors(api_response)
    assert page.status_code == 400
    errors = page.context["form"].errors
    assert (field if field in errors else "__all__") in errors


def test_unknown_report_and_who_may_read(agent, requester, data):
    assert jwt_client(agent).get(api("everything")).status_code == 404
    assert jwt_client(requester).get(api("volume")).status_code == 403
    assert jwt_client(None).get(api("volume")).status_code == 401
    assert logged_in(requester).get(PAGE).status_code == 302


@pytest.mark.parametrize("kind", ["volume", "agents"])
def test_query_count_is_the_same_at_2_and_30_tickets(kind, it_dept, requester, agent, admin_user):
    client = jwt_client(admin_user)

    def make(n):
        for _ in range(n):
            ticket = TicketFactory(department=it_dept, requester=requester, assignee=agent)
            services.ticket_transition(ticket=ticket, actor=None, to_status=Status.OPEN)

    make(2)
    client.get(api(kind))  # warm up
    with CaptureQueriesContext(connection) as at_2:
        assert client.get(api(kind)).status_code == 200
    make(28)
    with CaptureQueriesContext(connection) as at_30:
        body = client.get(api(kind)).json()

    assert body["total"]["values"]["created"] == 30
    assert len(at_2) == len(at_30)
