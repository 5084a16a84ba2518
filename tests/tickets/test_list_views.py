"""The back-office ticket list (issue 21): the lean table, the capped total and page numbers, the one highlighted
sidebar view, "Unassigned", and saved views (who sees, opens, renames and deletes them)."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.departments.services import (
    department_create,
    department_group_name,
    department_set_members,
    user_set_departments,
)
from apps.tickets import services
from apps.tickets.admin.paging import CappedPaginator
from apps.tickets.admin.tickets import TicketAdmin
from apps.tickets.choices import OPEN_STATUSES, Priority, Status
from apps.tickets.models import SavedView, Ticket
from apps.tickets.selectors import _kept_counts
from apps.tickets.stats import ticket_stats
from config.unfold import NAVIGATION, navigation
from tests.support import count_queries, logged_in
from tests.tickets.factories import TicketFactory

CHANGELIST = "admin:tickets_ticket_changelist"
SAVE = "admin:tickets_ticket_save_view"
REFERENCE = re.compile(r"TCK-\d{6}")
OPEN = "new,open,in_progress,waiting"


def changelist(browser, **params):
    return browser.get(reverse(CHANGELIST), params)


def shown(response) -> set[str]:
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('<form id="changelist-form"') :]
    return set(REFERENCE.findall(table[: table.index("</form>")]))


def sidebar(user, path: str) -> dict[str, bool]:
    """Every ticket-list link of `user`'s sidebar on `path`, with whether it is highlighted."""
    request = RequestFactory().get(path)
    request.user = user
    return {
        str(item["title"]): item["active"]
        for group in navigation(request)
        for item in group["items"]
        if "list_query" in item
    }


def views_state() -> list[tuple]:
    return list(
        SavedView.objects.order_by("pk").values_list("pk", "owner_id", "name", "query", "shared_with_id", "position")
    )


# The table ------------------------------------------------------------------------------------------------------


def test_rows_are_lean_and_keep_checkboxes_links_and_full_titles(alice_client, agent, it_ticket):
    services.ticket_update(ticket=it_ticket, actor=agent, title="A <b>very</b> long title " + "x" * 150)
    html = changelist(alice_client).content.decode()

    row = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    assert row.count("<tr>") == 1
    assert f'name="_selected_action" value="{it_ticket.pk}" class="action-select tl-x"' in row
    assert f'aria-label="Select {it_ticket.reference}"' in row
    assert f'<th scope="row" class="tl-r"><a href="/admin/tickets/ticket/{it_ticket.pk}/change/' in row
    # The full title on hover, escaped; the cell itself is cut by CSS.
    assert 'title="A &lt;b&gt;very&lt;/b&gt; long title xxx' in row
    assert "<b>very</b>" not in html
    assert len(row) < 1500


@pytest.mark.parametrize(
    ("column", "order"),
    [
        ("updated", "updated_at"),
        ("sla_badge", None),
        ("priority_badge", "priority"),
        ("assignee_name", "assignee__username"),
        ("department_name", "department__name"),
    ],
)
def test_columns_sort(alice_client, it_ticket, column, order):
    response = changelist(alice_client)
    cl = response.context["cl"]
    index = list(cl.list_display).index(column)
    html = response.content.decode()
    assert f'class="tl-h-{column}"><a href="?o={index}.-10"' in html
    sorted_response = changelist(alice_client, o=str(index))
    assert sorted_response.status_code == 200
    assert f'class="tl-h-{column} sorted ascending" aria-sort="ascending"' in sorted_response.content.decode()


def test_the_kept_header_row_and_labels_follow_the_language_and_the_parameters(alice_client, agent, it_ticket):
    """The header row is rendered once per language and list parameters (ticket_list.kept_header_cells), the rows'
    labels and badges once per language: another language or other parameters never get those kept for the first."""

    def header(response) -> str:
        return re.search(r"<thead>(.*?)</thead>", response.content.decode(), re.S).group(1)

    def rows(response) -> str:
        return re.search(r"<tbody>(.*?)</tbody>", response.content.decode(), re.S).group(1)

    english_rows = rows(changelist(alice_client, status__in="new"))
    assert f'aria-label="Select {it_ticket.reference}"' in english_rows
    assert '<span class="tl-b tl-info">New</span>' in english_rows

    assert it_ticket.status == Status.NEW
    english = header(changelist(alice_client, status__in="new"))
    assert 'aria-label="Select all tickets on this page"' in english
    assert 'href="?o=1.-10&amp;status__in=new"' in english
    assert english.count("aria-sort") == 1  # the default order: newest first
    assert 'class="tl-h-age sorted descending" aria-sort="descending"' in english

    sorted_by_reference = header(changelist(alice_client, status__in="new", o="1"))
    assert 'class="tl-h-reference_link sorted ascending" aria-sort="ascending"' in sorted_by_reference
    other = header(changelist(alice_client, status__in="new,open"))
    assert other.count("status__in=new%2Copen") == english.count("status__in=new") == 11  # every sorting link

    agent.language = "tr"
    agent.save(update_fields=["language"])
    turkish = header(changelist(alice_client, status__in="new"))
    assert 'aria-label="Bu sayfadaki tüm talepleri seç"' in turkish
    assert ">Referans</a>" in turkish
    assert header(changelist(alice_client, status__in="new")) == turkish
    turkish_rows = rows(changelist(alice_client, status__in="new"))
    assert f'aria-label="{it_ticket.reference} seç"' in turkish_rows
    assert '<span class="tl-b tl-info">Yeni</span>' in turkish_rows


def test_sla_order_puts_the_earliest_running_due_date_first(alice_client, agent, it_dept, requester):
    from datetime import timedelta

    from django.utils import timezone

    late, soon, none = TicketFactory.create_batch(3, department=it_dept, requester=requester)
    now = timezone.now()
    type(late).objects.filter(pk=late.pk).update(first_response_due_at=now + timedelta(hours=5))
    type(late).objects.filter(pk=soon.pk).update(first_response_due_at=now + timedelta(hours=1))
    type(late).objects.filter(pk=none.pk).update(first_response_due_at=None, resolution_due_at=None)
    index = list(changelist(alice_client).context["cl"].list_display).index("sla_badge")

    rows = changelist(alice_client, o=str(index)).context["cl"].result_list
    assert [t.pk for t in rows] == [soon.pk, late.pk, none.pk]


# The total and the pages ------------------------------------------------------------------------------------------


def test_total_is_exact_below_the_cap(alice_client, it_ticket, it_ticket_2, billing_ticket):
    response = changelist(alice_client)
    assert response.context["cl"].total_display == "2 tickets"
    assert '<span class="total">2 tickets</span>' in response.content.decode()


def test_total_says_cap_plus_above_it_without_counting_the_whole_table(
    monkeypatch, alice_client, agent, it_dept, requester
):
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    TicketFactory.create_batch(5, department=it_dept, requester=requester)

    with CaptureQueriesContext(connection) as queries:
        response = changelist(alice_client)

    assert response.context["cl"].total_display == "3+ tickets"
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "tickets_ticket" in q["sql"]]
    assert len(counts) == 1
    assert "LIMIT 4" in counts[0]
    # Over a subquery that stops at the cap (an agent's: their departments' rows, then the others, under one LIMIT).
    assert re.search(r"COUNT\(\*\).*FROM \(\(?SELECT .* LIMIT 4\)", counts[0], re.S)


def test_page_numbers_and_next_past_the_cap(monkeypatch, alice_client, agent, it_dept, requester):
    monkeypatch.setattr("apps.tickets.admin.tickets.TicketAdmin.list_per_page", 2)
    monkeypatch.setattr("apps.tickets.admin.tickets.TicketAdmin.list_max_show_all", 2)
    TicketFactory.create_batch(5, department=it_dept, requester=requester)

    html = changelist(alice_client).content.decode()
    assert '<span class="current" aria-current="page">1</span><a href="?p=2">2</a><a href="?p=3">3</a>' in html
    assert '<a href="?p=2" rel="next">Next</a>' in html
    assert "5 tickets" in html

    monkeypatch.setattr(CappedPaginator, "cap", 3)
    # Above the cap: the numbered pages the cap covers, then "Next" while pages are full.
    third = changelist(alice_client, p="3")
    assert third.status_code == 200
    assert len(third.context["cl"].result_list) == 1
    assert '<span class="off">Next</span>' in third.content.decode()
    assert len(changelist(alice_client, p="2").context["cl"].result_list) == 2


# The sidebar -------------------------------------------------------------------------------------------------------


def test_sidebar_highlights_only_the_current_list(agent):
    changelist_path = reverse(CHANGELIST)

    assert sidebar(agent, changelist_path) == {
        "Tickets": True,
        "My open tickets": False,
        "Unassigned": False,
        "Breaching soon": False,
    }
    mine = sidebar(
        agent,
        f"{changelist_path}?status__in=new&status__in=open&status__in=in_progress&status__in=waiting&assignee=me&p=2",
    )
    assert mine == {"Tickets": False, "My open tickets": True, "Unassigned": False, "Breaching soon": False}
    assert sidebar(agent, f"{changelist_path}?sla=breaching_soon&o=3")["Breaching soon"] is True
    # Another filter: the plain list is the current one.
    assert sidebar(agent, f"{changelist_path}?sla=breached") == {
        "Tickets": True,
        "My open tickets": False,
        "Unassigned": False,
        "Breaching soon": False,
    }
    # A ticket opened from a list keeps that list highlighted.
    from urllib.parse import quote

    ticket_path = reverse("admin:tickets_ticket_change", args=[1])
    assert (
        sidebar(agent, f"{ticket_path}?_changelist_filters={quote('assignee=none&status__in=' + OPEN)}")["Unassigned"]
        is True
    )
    assert not any(sidebar(agent, reverse("admin:index")).values())


def test_unassigned_is_the_dashboards_figure(alice_client, agent, it_dept, requester):
    waiting, fresh, closed, resolved, mine = TicketFactory.create_batch(5, department=it_dept, requester=requester)
    services.ticket_transition(ticket=waiting, actor=agent, to_status=Status.OPEN)
    services.ticket_transition(ticket=waiting, actor=agent, to_status=Status.IN_PROGRESS)
    services.ticket_transition(ticket=waiting, actor=agent, to_status=Status.WAITING)
    services.ticket_transition(ticket=closed, actor=agent, to_status=Status.CLOSED)
    services.ticket_transition(ticket=resolved, actor=agent, to_status=Status.OPEN)
    services.ticket_transition(ticket=resolved, actor=agent, to_status=Status.IN_PROGRESS)
    services.ticket_transition(ticket=resolved, actor=agent, to_status=Status.RESOLVED)
    services.ticket_assign(ticket=mine, actor=agent, assignee=agent)
    link = next(str(i["link"]) for g in NAVIGATION for i in g["items"] if str(i["title"]) == "Unassigned")

    response = alice_client.get(link)

    assert shown(response) == {waiting.reference, fresh.reference}
    assert response.context["cl"].total_display == "2 tickets"
    assert ticket_stats(agent)["open"]["unassigned"] == 2
    assert set(OPEN.split(",")) == set(OPEN_STATUSES)


# Saved views ------------------------------------------------------------------------------------------------------


@pytest.fixture
def allowed():
    """The parameters the ticket list reads (what a view may hold)."""
    return {"q", "o", "status__in", "assignee", "priority__exact", "sla", "department__id__exact"}


def save(browser, name, query, **extra):
    return browser.post(reverse(SAVE), {"name": name, "query": query, **extra})


def test_the_kept_search_box_follows_the_search_the_parameters_and_the_language(alice_client, agent, it_ticket):
    """The search box is kept per language, search and parameters (ticket_list.kept_search_form)."""

    def box(response) -> str:
        html = response.content.decode()
        return html[html.index('<div id="toolbar">') : html.index("</form>", html.index('<div id="toolbar">'))]

    first = box(changelist(alice_client, q='<b>"x', status__in="new"))
    assert 'value="&lt;b&gt;&quot;x"' in first
    assert '<input type="hidden" name="status__in" value="new">' in first
    assert 'placeholder="Words of the title' in first

    other = box(changelist(alice_client, q="vpn", assignee="none"))
    assert 'value="vpn"' in other
    assert '<input type="hidden" name="assignee" value="none">' in other
    assert "status__in" not in other

    agent.language = "tr"
    agent.save(update_fields=["language"])
    turkish = box(changelist(alice_client, q="vpn", assignee="none"))
    assert 'placeholder="Başlık, açıklama veya yazışmadan kelimeler' in turkish


def test_the_kept_save_view_form_carries_each_requests_token_and_its_own_query(agent, it_ticket):
    """The agent's "Save this view" form is kept per language and query (ticket_list.save_view_form_html): each page
    gets its own request's CSRF token in it, and its own query; a kept form saves with the page's token."""

    def save_form(response) -> str:
        return re.search(
            r'<form method="post" action="[^"]+" class="tl-save">(.*?)</form>', response.content.decode(), re.S
        )

    tokens = set()
    for _ in range(2):
        browser = logged_in(agent)
        browser.handler.enforce_csrf_checks = True
        response = changelist(browser, assignee="me")
        form = save_form(response).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        assert token == response.context["csrf_token"]
        assert 'name="query" value="assignee=me"' in form
        tokens.add(token)
        other = save_form(changelist(browser, assignee="none")).group(1)
        assert 'name="query" value="assignee=none"' in other
    assert len(tokens) == 2

    saved = browser.post(reverse(SAVE), {"name": "Mine", "query": "assignee=me", "csrfmiddlewaretoken": token})
    assert saved.status_code == 302
    assert SavedView.objects.get().query == "assignee=me"


def test_saving_the_current_list_as_a_view(alice_client, agent, it_ticket, it_ticket_2):
    services.ticket_assign(ticket=it_ticket, actor=agent, assignee=agent)
    response = changelist(alice_client, assignee="me", o="-9", p="1")
    form = response.context["save_view_form"]
    assert form["query"].value() == "assignee=me&o=-9"
    assert "shared_with" not in form.fields  # agents keep private views

    saved = save(alice_client, "Mine, newest update", "assignee=me&o=-9")

    view = SavedView.objects.get()
    assert (view.owner, view.name, view.query, view.shared_with, view.position) == (
        agent,
        "Mine, newest update",
        "assignee=me&o=-9",
        None,
        0,
    )
    assert saved.status_code == 302
    assert saved["Location"] == reverse(CHANGELIST) + "?assignee=me&o=-9"
    items = {str(i["title"]): i for g in navigation(_request(agent)) for i in g["items"]}
    assert items["Mine, newest update"]["badge"] == "1"
    assert items["Mine, newest update"]["link"] == reverse(CHANGELIST) + "?assignee=me&o=-9"


def _request(user, path="/admin/"):
    request = RequestFactory().get(path)
    request.user = user
    return request


@pytest.mark.parametrize(
    "query",
    ["title__icontains=x", "requester__password__startswith=p", "is_staff=1&assignee=me", "p=2"],
)
def test_a_view_holds_only_the_lists_own_parameters(alice_client, query):
    response = save(alice_client, "Sneaky", query)

    assert response.status_code == 302
    assert SavedView.objects.count() == 0


def test_an_agent_cannot_share_a_view(alice_client, it_dept):
    response = save(alice_client, "For all", "assignee=none", shared_with=str(it_dept.pk))

    assert response.status_code == 302
    # The form has no such field for agents: the view is private.
    view = SavedView.objects.get()
    assert view.shared_with is None


def test_the_service_refuses_sharing_by_an_agent(agent, it_dept, allowed):
    with pytest.raises(services.PermissionDenied):
        services.saved_view_create(actor=agent, name="x", query="", allowed=allowed, shared_with=it_dept)
    assert views_state() == []


def test_requesters_save_no_views(requester, requester_client, allowed):
    assert requester_client.post(reverse(SAVE), {"name": "x", "query": ""}).status_code == 302  # to the log-in page
    with pytest.raises(services.PermissionDenied):
        services.saved_view_create(actor=requester, name="x", query="", allowed=allowed)
    assert views_state() == []


def test_a_private_view_is_invisible_to_others(agent, other_agent, admin_user, it_dept, allowed):
    other_it_agent = type(agent).objects.create(
        username="erin", email="erin@example.com", role=agent.role, is_staff=True
    )
    other_it_agent.groups.add(it_dept.group)
    view = services.saved_view_create(actor=agent, name="Alice's own", query="assignee=me", allowed=allowed)

    def titles(user):
        return {str(i["title"]) for g in navigation(_request(user)) for i in g["items"]}

    assert "Alice&#x27;s own" in titles(agent)
    for someone in (other_agent, other_it_agent, admin_user):
        assert "Alice&#x27;s own" not in titles(someone)
    # Nor on the page of views, where it is a 404 to another agent.
    page = reverse("admin:tickets_savedview_change", args=[view.pk])
    assert logged_in(other_agent).get(page).status_code in (302, 404)
    assert logged_in(agent).get(page).status_code == 200


def test_a_shared_view_shows_each_member_only_what_they_may_see(
    admin_user, agent, other_agent, it_dept, billing_dept, requester, allowed
):
    # bob (Billing) also works in IT Support's view only through its query: it shares Billing's tickets.
    mine = TicketFactory(department=it_dept, requester=requester)
    theirs = TicketFactory(department=billing_dept, requester=requester)
    view = services.saved_view_create(
        actor=admin_user, name="Everything open", query=f"status__in={OPEN}", allowed=allowed, shared_with=it_dept
    )
    other_agent.groups.add(it_dept.group)  # bob joins IT Support
    bob_view = {str(i["title"]): i for g in navigation(_request(other_agent)) for i in g["items"]}
    alice_view = {str(i["title"]): i for g in navigation(_request(agent)) for i in g["items"]}

    assert alice_view["Everything open"]["badge"] == "1"
    assert bob_view["Everything open"]["badge"] == "2"
    assert shown(logged_in(agent).get(alice_view["Everything open"]["link"])) == {mine.reference}
    assert shown(logged_in(other_agent).get(bob_view["Everything open"]["link"])) == {mine.reference, theirs.reference}
    assert view.shared_with == it_dept


def test_a_view_whose_owner_lost_access_stays_theirs(agent, it_dept, requester, allowed):
    ticket = TicketFactory(department=it_dept, requester=requester)
    view = services.saved_view_create(actor=agent, name="IT", query="", allowed=allowed)
    agent.groups.remove(it_dept.group)

    items = {str(i["title"]): i for g in navigation(_request(agent)) for i in g["items"]}
    assert items["IT"]["badge"] == "0"
    assert shown(logged_in(agent).get(items["IT"]["link"])) == set()
    assert SavedView.objects.get(pk=view.pk).owner == agent
    assert ticket.reference  # still there, just out of alice's scope


@pytest.mark.parametrize(
    ("who", "allowed_to"), [("owner", True), ("other", False), ("admin", True), ("requester", False)]
)
def test_rename_and_delete_permission_matrix(who, allowed_to, agent, other_agent, admin_user, requester, allowed):
    view = services.saved_view_create(actor=agent, name="Mine", query="assignee=me", allowed=allowed)
    actor = {"owner": agent, "other": other_agent, "admin": admin_user, "requester": requester}[who]
    before = views_state()

    if allowed_to:
        services.saved_view_update(view=view, actor=actor, name="Renamed", position=3)
        assert SavedView.objects.values_list("name", "position").get() == ("Renamed", 3)
        services.saved_view_delete(view=view, actor=actor)
        assert views_state() == []
    else:
        with pytest.raises(services.PermissionDenied):
            services.saved_view_update(view=view, actor=actor, name="Renamed")
        with pytest.raises(services.PermissionDenied):
            services.saved_view_delete(view=view, actor=actor)
        assert views_state() == before


def test_another_agent_cannot_rename_or_delete_through_the_back_office(agent, other_agent, allowed):
    view = services.saved_view_create(actor=agent, name="Mine", query="", allowed=allowed)
    before = views_state()
    bob = logged_in(other_agent)

    change = bob.post(reverse("admin:tickets_savedview_change", args=[view.pk]), {"name": "Bob's", "position": 0})
    delete = bob.post(reverse("admin:tickets_savedview_delete", args=[view.pk]), {"post": "yes"})

    assert change.status_code in (302, 403, 404)
    assert delete.status_code in (302, 403, 404)
    assert views_state() == before


def test_the_owner_renames_in_the_back_office(agent, allowed):
    view = services.saved_view_create(actor=agent, name="Mine", query="", allowed=allowed)

    response = logged_in(agent).post(
        reverse("admin:tickets_savedview_change", args=[view.pk]), {"name": "Still mine", "position": 2}
    )

    assert response.status_code == 302
    assert SavedView.objects.values_list("name", "position").get() == ("Still mine", 2)


def test_only_an_admin_shares_and_unshares(admin_user, agent, it_dept, allowed):
    view = services.saved_view_create(actor=agent, name="Mine", query="", allowed=allowed)
    with pytest.raises(services.PermissionDenied):
        services.saved_view_update(view=view, actor=agent, shared_with=it_dept)
    assert SavedView.objects.get().shared_with is None

    services.saved_view_update(view=view, actor=admin_user, shared_with=it_dept)
    assert SavedView.objects.get().shared_with == it_dept


def test_a_view_name_is_escaped_in_the_sidebar(alice_client, agent, allowed):
    services.saved_view_create(actor=agent, name='<img src=x onerror="alert(1)">', query="", allowed=allowed)

    html = changelist(alice_client).content.decode()

    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=" in html


def test_the_sidebar_counts_views_in_a_bounded_number_of_queries(alice_client, agent, it_dept, requester, allowed):
    TicketFactory.create_batch(2, department=it_dept, requester=requester)
    services.saved_view_create(actor=agent, name="View 0", query="", allowed=allowed)
    changelist(alice_client)
    one = count_queries(lambda: changelist(alice_client))  # counts cached
    for n in range(1, 15):
        services.saved_view_create(actor=agent, name=f"View {n}", query=f"o={n % 9}", allowed=allowed)
    changelist(alice_client)  # counts the new views once

    with CaptureQueriesContext(connection) as cached:
        response = changelist(alice_client)

    assert len(cached) == one
    # Every count expired (and the kept views, unread count, model permissions and reach with them): each of the ten
    # views shown is counted once more, the views, the unread count, the agent's permissions (its own, its groups')
    # and its groups with their departments are read again, and no further.
    cache.clear()
    assert count_queries(lambda: changelist(alice_client)) == one + 2 + 10 + 2 + 2 + 1
    titles = [
        str(i["title"]) for g in navigation(_request(agent)) for i in g["items"] if str(i["title"]).startswith("View")
    ]
    assert len(titles) == 10  # SIDEBAR_VIEWS
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query", [{"q": "VPN"}, {}, {"o": "-9"}, {"p": "1", "o": "10"}, {"o": "4"}, {"o": "-4"}, {"o": "3"}], ids=str
)
def test_an_agents_list_is_read_and_counted_row_by_row_within_their_reach(
    alice_client, it_ticket, it_ticket_2, billing_ticket, query
):
    """The page (in an indexed order: newest first, Updated, Age, priority either way) and the capped total check
    each row's grants by its id, after testing it for alice's departments or the tickets her grants name; the total
    counts her departments' tickets, then the others, under one LIMIT, and hashes none of her grants. Sorted by
    status (no index keeps that order) the page reads her grants as a set, and the total is counted the same way."""
    changelist(alice_client, **query)
    with CaptureQueriesContext(connection) as queries:
        response = changelist(alice_client, **query)

    tickets = [q["sql"] for q in queries if 'FROM "tickets_ticket"' in q["sql"]]
    counts = [sql for sql in tickets if "COUNT(" in sql.upper()]
    pages = [sql for sql in tickets if "COUNT(" not in sql.upper() and '"tickets_ticket"."title"' in sql]
    per_row_grant = '"content_object_id" = ("tickets_ticket"."id")'  # a grant looked up for each row
    assert len(counts) == 1
    assert per_row_grant in counts[0]
    assert "UNION ALL" in counts[0] and "LIMIT 10001" in counts[0]
    # Her department's id typed as the column (bigint), so that PostgreSQL can read the (department, document) GIN
    # indexes for it: `(1)::bigint` there, `CAST(1 AS bigint)` on SQLite.
    department = rf'"tickets_ticket"\."department_id" IN \((CAST\({it_ticket.department_id} AS bigint\)|'
    assert re.search(department + rf"\({it_ticket.department_id}\)::bigint)\)", counts[0])
    assert len(pages) == 1
    assert (per_row_grant in pages[0]) == (query.get("o") != "3")  # the page's grants: per row, through an index
    expected = {it_ticket.reference} if query.get("q") else {it_ticket.reference, it_ticket_2.reference}
    assert response.context["cl"].total_display == f"{len(expected)} ticket" + ("s" if len(expected) > 1 else "")
    assert shown(response) == expected


def test_an_admin_shares_a_view_when_saving_it(admin_browser, admin_user, agent, it_dept, it_ticket):
    form = changelist(admin_browser, status__in="new").context["save_view_form"]
    assert "shared_with" in form.fields

    response = save(admin_browser, "New in IT", "status__in=new", shared_with=str(it_dept.pk))

    assert response.status_code == 302
    view = SavedView.objects.get()
    assert (view.owner, view.shared_with, view.query) == (admin_user, it_dept, "status__in=new")
    items = {str(i["title"]): i for g in navigation(_request(agent)) for i in g["items"]}
    assert items["New in IT"]["badge"] == "1"
    assert items["New in IT"]["icon"] == "group"


def test_saving_needs_a_name_and_a_post(alice_client):
    assert alice_client.get(reverse(SAVE)).status_code == 405
    response = save(alice_client, "   ", "assignee=me")
    assert response.status_code == 302
    assert views_state() == []


@pytest.mark.parametrize(
    ("column", "first_click"),
    [
        ("priority_badge", [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW]),
        ("status_badge", [Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED]),
    ],
)
def test_priority_sorts_by_urgency_and_status_along_the_lifecycle(admin_browser, it_dept, column, first_click):
    """Not alphabetically: the first click on "priority" puts the most urgent first, on "status" the new ones;
    the second click reverses either."""
    field = "priority" if column == "priority_badge" else "status"
    by_reference = {}
    for value in first_click:
        ticket = TicketFactory(department=it_dept)
        Ticket.objects.filter(pk=ticket.pk).update(**{field: value})
        by_reference[ticket.reference] = value
    number = TicketAdmin.list_display.index(column) + 1  # after the action checkbox

    def order(o: str) -> list:
        html = changelist(admin_browser, o=o).content.decode()
        table = html[html.index('<form id="changelist-form"') :]
        references = dict.fromkeys(REFERENCE.findall(table[: table.index("</form>")]))  # each row names it twice
        return [by_reference[ref] for ref in references]

    assert order(str(number)) == first_click
    assert order(f"-{number}") == first_click[::-1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plans are PostgreSQL's")
@pytest.mark.parametrize("direction", ["", "-"], ids=["most urgent first", "least urgent first"])
def test_the_list_sorted_by_priority_reads_an_index_in_that_order(reach_world, alice_client, direction):
    """Either way, the page's order is an index's (ticket_priority_rank, _id_desc), not a sort of every visible
    ticket: with sorting switched off, PostgreSQL still finds a plan without one, and it reads that index."""
    number = TicketAdmin.list_display.index("priority_badge") + 1
    with CaptureQueriesContext(connection) as queries:
        changelist(alice_client, o=f"{direction}{number}")
    (page,) = [q["sql"] for q in queries if q["sql"].startswith('SELECT "tickets_ticket"."id"') and "LIMIT" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {page}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_priority_rank" in plan
    assert "Sort" not in plan


@pytest.mark.parametrize("order", [None, "-9", "10", "4"], ids=["newest", "updated", "age", "priority"])
def test_an_agents_list_pages_and_total_are_what_the_grants_allow(reach_world, alice_client, order, monkeypatch):
    """Every page of alice's list, in an indexed order (read in the department form) or not (as a set), and its
    total: the shares and assignments outside her department are there, a department ticket whose group lost its
    grant and another department's tickets are not, and no ticket shows twice."""
    monkeypatch.setattr("apps.tickets.admin.tickets.TicketAdmin.list_per_page", 2)
    expected = sorted(ref for ref, seen in reach_world.items() if seen)
    params = {"o": order} if order else {}

    seen, pages = [], (len(expected) + 1) // 2
    for number in range(1, pages + 1):
        response = changelist(alice_client, p=str(number), **params)
        seen += sorted(shown(response))
        assert response.context["cl"].total_display == f"{len(expected)} tickets"
    assert sorted(seen) == expected


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status__in": "new,open,in_progress,waiting"},
        {"assignee": "me"},
        {"assignee": "none", "status__in": "new,open"},
        {"priority__exact": "normal"},
        {"created_at_from": "2000-01-01", "created_at_to": "2999-12-31"},
    ],
    ids=["all", "open", "mine", "unassigned", "priority", "days"],
)
def test_a_filtered_list_is_counted_by_a_kept_statement_with_the_same_total(reach_world, alice_client, params):
    """An agent's list with no search and filters that depend on nothing but their parameters is counted by a
    statement kept per agent, reach, parameters and time zone (TicketChangeList.count_all): the total is what the
    grants and filters allow, and the second time the statement is run without being built again."""
    _kept_counts.clear()
    first = changelist(alice_client, **params)
    truth = first.context["cl"].queryset.count()  # the list's own rows, counted by the ORM
    assert first.context["cl"].result_count == truth
    assert len(_kept_counts) == 1
    again = changelist(alice_client, **params)
    assert again.context["cl"].result_count == truth
    assert len(_kept_counts) == 1


def test_each_filter_has_its_own_kept_statement(reach_world, alice_client):
    _kept_counts.clear()
    totals = []
    for params in ({}, {"assignee": "me"}, {"assignee": "none"}, {"assignee": "me"}, {}):
        cl = changelist(alice_client, **params).context["cl"]
        assert cl.result_count == cl.queryset.count()
        totals.append(cl.result_count)
    assert len(set(totals[:3])) == 3 and totals[3:] == [totals[1], totals[0]]
    assert len(_kept_counts) == 3


def test_a_list_filtered_by_the_moment_builds_its_count_each_time(reach_world, alice_client, agent):
    """The SLA filter's rows depend on the time ("breaching soon": due within the next hour): never a kept statement."""
    _kept_counts.clear()
    for value in ("breaching_soon", "breached"):
        response = changelist(alice_client, sla=value)
        assert response.context["cl"].result_count == response.context["cl"].queryset.count()
    assert len(_kept_counts) == 0


def test_the_kept_count_of_days_follows_the_users_time_zone(alice_client, agent, it_dept):
    """Days are the user's: the same address counts another set once their time zone changes."""
    ticket = TicketFactory(department=it_dept)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    days = {"created_at_from": "2026-01-02", "created_at_to": "2026-01-02"}
    assert changelist(alice_client, **days).context["cl"].result_count == 0
    agent.time_zone = "Pacific/Kiritimati"  # UTC+14: noon in UTC is 2 a.m. the next day there
    agent.save(update_fields=["time_zone"])
    assert changelist(alice_client, **days).context["cl"].result_count == 1


# The agent's reach kept ----------------------------------------------------------------------------------------


def test_the_agents_departments_are_kept_and_read_again_when_membership_changes(
    alice_client, agent, it_dept, billing_dept, requester
):
    """The list reads the agent's groups and departments once (selectors.agent_reach), then from the cache until a
    membership, group or department changes: joining or leaving a department shows on the next page."""
    own = TicketFactory(department=it_dept, requester=requester)
    billing = TicketFactory(department=billing_dept, requester=requester)
    reads_groups = 'FROM "auth_group" INNER JOIN'

    assert shown(changelist(alice_client)) == {own.reference}
    with CaptureQueriesContext(connection) as kept:
        assert shown(changelist(alice_client)) == {own.reference}
    assert not any(reads_groups in query["sql"] for query in kept)

    department_set_members(department=billing_dept, users=[agent])
    assert shown(changelist(alice_client)) == {own.reference, billing.reference}

    user_set_departments(user=agent, departments=[billing_dept])
    assert shown(changelist(alice_client)) == {billing.reference}

    # A new department on a group the agent is already in (department_create takes a group of its name).
    group = Group.objects.create(name=department_group_name("field"))
    agent.groups.add(group)
    assert shown(changelist(alice_client)) == {billing.reference}
    field = department_create(name="Field")
    assert field.group == group
    in_field = TicketFactory(department=field, requester=requester)
    assert shown(changelist(alice_client)) == {billing.reference, in_field.reference}
