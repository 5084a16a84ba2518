"""The back office's sidebar as pages show it (config/unfold.py `sidebar`, config/admin_site.py): rendered once per
language, permitted items and saved views and kept, with the highlighted link, the open group and the unread
badge filled per request. The links themselves are tested in tests/tickets/test_list_views.py (`navigation`)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.choices import Role
from apps.departments.services import department_set_members, user_set_departments
from apps.notifications.models import Notification
from apps.notifications.services import notification_mark_read, notifications_mark_all_read
from apps.tickets import services
from config import unfold
from tests.notifications.factories import NotificationFactory
from tests.support import logged_in
from tests.tickets.factories import TicketFactory

OPEN = "new,open,in_progress,waiting"
VIEW_QUERY = {"q", "o", "status__in", "assignee", "priority__exact", "sla", "department__id__exact"}


@pytest.fixture(autouse=True)
def _empty_table():
    """Each test starts with no kept sidebar, as a fresh process does."""
    unfold.RENDERED.clear()
    yield
    unfold.RENDERED.clear()


def nav(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<div id="nav-sidebar-apps"')
    return html[start : html.index("</nav>", start)]


def links(response) -> dict[str, str]:
    """Each sidebar link's text with "active" or "" (its highlight)."""
    found = {}
    for classes, text in re.findall(r'<a href="[^"]*" class="([^"]*)">.*?<span>([^<]*)</span>', nav(response), re.S):
        found[text.strip()] = "active" if classes.split()[-1] == "active" else ""
    return found


def administration_open(response) -> str:
    return re.search(r'x-data="\{navigationOpen: (\w+)\}"', nav(response)).group(1)


def test_the_highlight_and_the_open_group_follow_the_page(agent, admin_user):
    alice = logged_in(agent)
    changelist = reverse("admin:tickets_ticket_changelist")

    on_list = alice.get(changelist, {"assignee": "none", "status__in": OPEN})
    ticket = TicketFactory(department=agent.groups.get().department)
    on_ticket = alice.get(
        reverse("admin:tickets_ticket_change", args=[ticket.pk]),
        {"_changelist_filters": f"assignee=none&status__in={OPEN}"},
    )
    on_notifications = alice.get(reverse("admin:notifications_notification_changelist"))

    for response in (on_list, on_ticket):
        assert [text for text, active in links(response).items() if active] == ["Unassigned"]
        assert administration_open(response) == "false"
    assert [text for text, active in links(on_notifications).items() if active] == ["Notifications"]
    # A page of the ticket admin that is not a list (the reports) highlights its own link only.
    on_reports = alice.get(reverse("admin:tickets_reports"))
    assert [text for text, active in links(on_reports).items() if active] == ["Reports"]
    on_departments = logged_in(admin_user).get(reverse("admin:departments_department_changelist"))
    assert [text for text, active in links(on_departments).items() if active] == ["Departments"]
    assert administration_open(on_departments) == "true"
    assert len(unfold.RENDERED) == 2  # alice's five pages share one rendered sidebar; the admin's is another


def test_a_permission_change_is_seen_on_the_next_page(agent):
    alice = logged_in(agent)
    page = reverse("admin:tickets_savedview_changelist")
    assert "Groups" not in links(alice.get(page))

    type(agent).objects.filter(pk=agent.pk).update(role=Role.ADMIN)
    assert "Groups" in links(alice.get(page))

    type(agent).objects.filter(pk=agent.pk).update(role=Role.AGENT)
    assert "Groups" not in links(alice.get(page))


def test_a_language_change_is_seen_on_the_next_page(agent):
    alice = logged_in(agent)
    page = reverse("admin:tickets_savedview_changelist")
    assert "Unassigned" in links(alice.get(page))

    type(agent).objects.filter(pk=agent.pk).update(language="tr")
    turkish = links(alice.get(page))
    assert "Atanmamış" in turkish
    assert "Unassigned" not in turkish

    type(agent).objects.filter(pk=agent.pk).update(language="de")
    assert "Nicht zugewiesen" in links(alice.get(page))


def test_nobody_sees_another_users_saved_views(agent, it_dept):
    erin = type(agent).objects.create(username="erin", email="erin@example.com", role=Role.AGENT, is_staff=True)
    erin.groups.add(it_dept.group)
    page = reverse("admin:tickets_savedview_changelist")
    alice, erin_browser = logged_in(agent), logged_in(erin)

    assert "Saved views" not in links(erin_browser.get(page))  # kept before alice has any view
    services.saved_view_create(actor=agent, name="Alice only", query="assignee=me", allowed=VIEW_QUERY)
    assert "Alice only" in links(alice.get(page))
    services.saved_view_create(actor=erin, name="Erin only", query="priority__exact=high", allowed=VIEW_QUERY)

    erins = links(erin_browser.get(page))
    assert "Erin only" in erins
    assert "Alice only" not in erins
    alices = links(alice.get(page))
    assert "Alice only" in alices
    assert "Erin only" not in alices


def test_a_renamed_view_is_seen_on_the_next_page(agent):
    alice = logged_in(agent)
    view = services.saved_view_create(actor=agent, name="Mine", query="assignee=me", allowed=VIEW_QUERY)
    page = reverse("admin:tickets_savedview_changelist")
    assert "Mine" in links(alice.get(page))

    services.saved_view_update(view=view, actor=agent, name="Still mine")

    assert "Still mine" in links(alice.get(page))
    assert "Mine" not in links(alice.get(page))


def test_the_unread_badge_is_current_on_every_page(agent):
    alice = logged_in(agent)
    page = reverse("admin:tickets_savedview_changelist")
    assert 'data-unread-count="0" data-unread-interval="10">0</span>' in nav(alice.get(page))

    ticket = TicketFactory(department=agent.groups.get().department)
    Notification.objects.create(recipient=agent, ticket=ticket, kind="assigned", in_app=True)

    assert 'data-unread-count="1" data-unread-interval="10">1</span>' in nav(alice.get(page))


def test_the_kept_table_is_bounded(agent, monkeypatch):
    monkeypatch.setattr(unfold, "RENDERED_MAX", 2)
    alice = logged_in(agent)
    page = reverse("admin:tickets_savedview_changelist")
    for language in ("en", "tr", "de"):
        type(agent).objects.filter(pk=agent.pk).update(language=language)
        alice.get(page)

    assert [key[0] for key in unfold.RENDERED] == ["tr", "de"]


def test_a_shared_view_follows_its_sharing_and_the_departments_members(agent, admin_user, it_dept):
    erin = type(agent).objects.create(username="erin", email="erin@example.com", role=Role.AGENT, is_staff=True)
    page = reverse("admin:tickets_savedview_changelist")
    alice, erin_browser = logged_in(agent), logged_in(erin)
    view = services.saved_view_create(actor=admin_user, name="Team queue", query="assignee=none", allowed=VIEW_QUERY)
    assert "Team queue" not in links(alice.get(page))  # kept while the view is the admin's alone

    services.saved_view_update(view=view, actor=admin_user, shared_with=it_dept)
    assert "Team queue" in links(alice.get(page))
    assert "Team queue" not in links(erin_browser.get(page))

    department_set_members(department=it_dept, users=[agent, erin])
    assert "Team queue" in links(erin_browser.get(page))
    user_set_departments(user=erin, departments=[])
    assert "Team queue" not in links(erin_browser.get(page))

    services.saved_view_update(view=view, actor=admin_user, shared_with=None)
    assert "Team queue" not in links(alice.get(page))
    services.saved_view_update(view=view, actor=admin_user, shared_with=it_dept)
    assert "Team queue" in links(alice.get(page))
    services.saved_view_delete(view=view, actor=admin_user)
    assert "Team queue" not in links(alice.get(page))


def test_a_view_of_a_deleted_department_leaves_the_sidebar(agent, admin_user, it_dept):
    page = reverse("admin:tickets_savedview_changelist")
    alice = logged_in(agent)
    services.saved_view_create(
        actor=admin_user, name="Team queue", query="assignee=none", allowed=VIEW_QUERY, shared_with=it_dept
    )
    assert "Team queue" in links(alice.get(page))

    it_dept.delete()

    assert "Team queue" not in links(alice.get(page))


def test_the_unread_badge_follows_reads_and_deleted_tickets(agent):
    alice = logged_in(agent)
    page = reverse("admin:tickets_savedview_changelist")
    tickets = TicketFactory.create_batch(2, department=agent.groups.get().department)
    first = NotificationFactory(recipient=agent, ticket=tickets[0])
    NotificationFactory(recipient=agent, ticket=tickets[0])
    NotificationFactory(recipient=agent, ticket=tickets[1])
    assert 'data-unread-count="3" data-unread-interval="10">3</span>' in nav(alice.get(page))

    notification_mark_read(user=agent, notification_id=first.pk)
    assert 'data-unread-count="2" data-unread-interval="10">2</span>' in nav(alice.get(page))

    tickets[1].delete()
    assert 'data-unread-count="1" data-unread-interval="10">1</span>' in nav(alice.get(page))

    notifications_mark_all_read(user=agent)
    assert 'data-unread-count="0" data-unread-interval="10">0</span>' in nav(alice.get(page))


def test_a_second_page_reads_neither_saved_views_nor_notifications(agent):
    alice = logged_in(agent)
    page = reverse("admin:tickets_savedview_changelist")
    services.saved_view_create(actor=agent, name="Mine", query="assignee=me", allowed=VIEW_QUERY)

    with CaptureQueriesContext(connection) as first:
        alice.get(page)
    with CaptureQueriesContext(connection) as second:
        alice.get(page)

    def sidebar_reads(captured) -> int:
        """The sidebar's own reads: the user's saved views (as rows) and the unread notifications."""
        return sum(
            '"tickets_savedview"."id" AS "pk"' in query["sql"]
            or 'MAX("notifications_notification"."id")' in query["sql"]
            for query in captured
        )

    assert sidebar_reads(first) == 2
    assert sidebar_reads(second) == 0
    # Nor the view's count (kept COUNT_SECONDS): the second page reads no ticket.
    assert any('FROM "tickets_ticket"' in query["sql"] for query in first)
    assert not any('"tickets_ticket"' in query["sql"] for query in second)
    assert len(second) < len(first) - 2
