"""Who sees and changes which ticket: the permission matrix over roles, and the grants behind it."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import get_perms

from apps.accounts.choices import Role
from apps.departments.models import Department
from apps.departments.services import user_set_departments
from apps.tickets.models import Ticket, TicketEvent, TicketGroupObjectPermission, TicketUserObjectPermission
from apps.tickets.permissions import CHANGE, VIEW, ticket_access
from apps.tickets.selectors import (
    _kept_counts,
    agent_reach,
    ticket_get_for_user,
    ticket_get_with_access,
    tickets_count_capped,
    tickets_in_reach_count_capped,
    tickets_visible_to,
)
from apps.tickets.services import ticket_assign, ticket_delete, ticket_transfer, ticket_update
from tests.accounts.factories import UserFactory
from tests.tickets.factories import TicketFactory


@pytest.fixture
def world(admin_user, agent, other_agent, requester, other_requester, it_dept, billing_dept):
    """An IT Support ticket of carol's, assigned to a Billing agent (an assignee from another department)."""
    foreign_assignee = UserFactory(username="frank", role=Role.AGENT, departments=[billing_dept])
    ticket = TicketFactory(requester=requester, department=it_dept)
    ticket = ticket_assign(ticket=ticket, actor=admin_user, assignee=foreign_assignee)
    # A ticket of someone else's, so that "sees nothing" and "sees only this one" differ.
    TicketFactory(requester=other_requester, department=billing_dept)
    return {
        "ticket": ticket,
        "admin": admin_user,
        "department agent": agent,
        "other department agent": other_agent,
        "assignee from another department": foreign_assignee,
        "requester": requester,
        "other requester": other_requester,
    }


# role → (sees it in lists, can open it, can change it)
MATRIX = {
    "admin": (True, True, True),
    "department agent": (True, True, True),
    "other department agent": (False, False, False),
    "assignee from another department": (True, True, True),
    "requester": (True, True, False),
    "other requester": (False, False, False),
}


@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("perm", [VIEW, CHANGE])
def test_both_query_forms_find_the_same_tickets(world, role, perm, requester, it_dept, billing_dept):
    """first_rows=True changes how grants are checked (row by row), never which tickets match."""
    user = world[role]
    TicketFactory(requester=requester, department=billing_dept)  # a requester's ticket in another department
    TicketFactory(department=it_dept)
    everyone_pks = set(Ticket.objects.values_list("pk", flat=True))
    as_set = list(tickets_visible_to(user, perm=perm).order_by("-created_at", "-id"))
    row_by_row = list(tickets_visible_to(user, perm=perm, first_rows=True).order_by("-created_at", "-id"))
    assert row_by_row == as_set
    assert {t.pk for t in as_set} < everyone_pks or role == "admin"


def _snapshot(ticket: Ticket):
    return (
        Ticket.objects.filter(pk=ticket.pk).values().get(),
        TicketEvent.objects.filter(ticket=ticket).count(),
        TicketUserObjectPermission.objects.filter(content_object=ticket).count(),
        TicketGroupObjectPermission.objects.filter(content_object=ticket).count(),
    )


@pytest.mark.parametrize("role", list(MATRIX))
def test_permission_matrix(world, role):
    user, ticket = world[role], world["ticket"]
    sees, opens, changes = MATRIX[role]

    assert (ticket in tickets_visible_to(user)) is sees
    if opens:
        assert ticket_get_for_user(user=user, pk=ticket.pk) == ticket
    else:
        with pytest.raises(Http404):
            ticket_get_for_user(user=user, pk=ticket.pk)

    before = _snapshot(ticket)
    if changes:
        scoped = ticket_get_for_user(user=user, pk=ticket.pk, perm=CHANGE)
        updated = ticket_update(ticket=scoped, actor=user, priority="urgent")
        assert updated.priority == "urgent"
        assert updated.version == ticket.version + 1
    else:
        with pytest.raises(Http404):
            ticket_get_for_user(user=user, pk=ticket.pk, perm=CHANGE)
        # The service refuses too, even when called with the object directly.
        with pytest.raises(PermissionDenied):
            ticket_update(ticket=ticket, actor=user, priority="urgent")
        assert _snapshot(ticket) == before


def test_lists_contain_exactly_the_visible_tickets(world):
    ticket = world["ticket"]
    all_refs = set(Ticket.objects.values_list("reference", flat=True))
    expected = {
        "admin": all_refs,
        "department agent": {ticket.reference},
        "other department agent": all_refs - {ticket.reference},
        "assignee from another department": all_refs,
        "requester": {ticket.reference},
        "other requester": all_refs - {ticket.reference},
    }
    for role, refs in expected.items():
        assert set(tickets_visible_to(world[role]).values_list("reference", flat=True)) == refs, role


def test_global_model_permission_does_not_widen_the_list(world):
    agent = world["other department agent"]
    assert agent.has_perm("tickets.view_ticket")  # needed to open the admin pages
    assert world["ticket"] not in tickets_visible_to(agent)


def test_inactive_and_anonymous_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    agent = world["department agent"]
    agent.is_active = False
    agent.save()
    assert not tickets_visible_to(agent).exists()
    assert not tickets_visible_to(AnonymousUser()).exists()


@pytest.mark.parametrize("first_rows", [False, True])
def test_a_kept_visibility_query_is_the_one_built_anew(world, first_rows):
    """tickets_visible_to keeps what it built per user state and form; a copy is the same query, and a change of
    the user's role or activity is a new key, never the old query."""
    from apps.tickets import selectors

    agent = world["department agent"]
    selectors._kept.clear()
    first = tickets_visible_to(agent, first_rows=first_rows)
    kept = tickets_visible_to(agent, first_rows=first_rows)
    assert kept is not first
    assert (
        str(kept.query)
        == str(first.query)
        == str(selectors._tickets_visible_to(agent, perm=VIEW, first_rows=first_rows).query)
    )
    assert len(selectors._kept) == 1
    assert list(kept) == [world["ticket"]]

    agent.role = Role.REQUESTER
    agent.save()
    assert str(tickets_visible_to(agent, first_rows=first_rows).query) != str(first.query)
    agent.is_active = False
    agent.save()
    assert not tickets_visible_to(agent, first_rows=first_rows).exists()
    # A grant given after the query was kept is read when it runs.
    other = world["other department agent"]
    assert world["ticket"] not in tickets_visible_to(other)
    ticket_assign(ticket=world["ticket"], actor=world["admin"], assignee=other)
    assert world["ticket"] in tickets_visible_to(other)


def test_a_kept_department_form_follows_the_agents_departments(world, admin_user, billing_dept):
    """The department form is kept under the ids of the agent's groups and departments: a copy is the query built
    anew, and joining a department (read when the form is asked for) gives the new reach, never the kept one."""
    from apps.departments.services import user_set_departments
    from apps.tickets import selectors

    agent = world["department agent"]
    selectors._kept.clear()
    first = tickets_visible_to(agent, by_department=True)
    kept = tickets_visible_to(agent, by_department=True)
    assert kept is not first
    built = selectors._visible_in_reach(agent, VIEW, agent_reach(agent))
    assert str(kept.query) == str(first.query) == str(built.query)
    assert list(kept) == [world["ticket"]]

    billing_ticket = TicketFactory(department=billing_dept)
    assert billing_ticket not in tickets_visible_to(agent, by_department=True)
    joined = [*Department.objects.filter(pk__in=agent_reach(agent).departments), billing_dept]
    user_set_departments(user=agent, departments=joined, actor=admin_user)
    assert billing_ticket in tickets_visible_to(agent, by_department=True)


def test_the_kept_visibility_queries_are_bounded(world, monkeypatch):
    from apps.tickets import selectors

    monkeypatch.setattr(selectors, "KEPT_VISIBLE_MAX", 2)
    selectors._kept.clear()
    for role in ("department agent", "requester", "other requester"):
        tickets_visible_to(world[role])
    assert [key[0] for key in selectors._kept] == [world["requester"].pk, world["other requester"].pk]


def test_grants_on_create(agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept, assignee=agent)
    assert set(get_perms(it_dept.group, ticket)) == {VIEW, CHANGE}
    assert set(get_perms(requester, ticket)) == {VIEW}
    assert set(get_perms(agent, ticket)) == {VIEW, CHANGE}


def test_transfer_moves_department_grants(agent, other_agent, requester, it_dept, billing_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)

    ticket_transfer(ticket=ticket, actor=agent, department=billing_dept)

    assert not TicketGroupObjectPermission.objects.filter(content_object=ticket, group=it_dept.group).exists()
    assert set(get_perms(billing_dept.group, ticket)) == {VIEW, CHANGE}
    assert ticket not in tickets_visible_to(agent)
    assert ticket in tickets_visible_to(other_agent)
    event = ticket.events.get(kind="transferred")
    assert event.data == {"from": it_dept.pk, "to": billing_dept.pk}


def test_transfer_unassigns_an_assignee_outside_the_new_department(agent, requester, it_dept, billing_dept):
    ticket = TicketFactory(requester=requester, department=it_dept, assignee=agent)

    ticket = ticket_transfer(ticket=ticket, actor=agent, department=billing_dept)

    assert ticket.assignee is None
    assert not TicketUserObjectPermission.objects.filter(content_object=ticket, user=agent).exists()
    assert list(ticket.events.filter(kind="assigned").values_list("data", flat=True)) == [
        {"from": None, "to": agent.pk},
        {"from": agent.pk, "to": None, "reason": "transfer"},
    ]


def test_reassign_moves_assignee_grants(agent, other_agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept, assignee=agent)

    ticket_assign(ticket=ticket, actor=agent, assignee=other_agent)

    # alice keeps her department's grant, but no longer a grant of her own.
    assert not TicketUserObjectPermission.objects.filter(content_object=ticket, user=agent).exists()
    assert set(get_perms(other_agent, ticket)) == {VIEW, CHANGE}


def test_reassign_keeps_the_requester_grant_of_an_agent_who_requested_it(agent, other_agent, it_dept):
    ticket = TicketFactory(requester=agent, department=it_dept, assignee=agent)
    ticket_assign(ticket=ticket, actor=agent, assignee=other_agent)
    direct = TicketUserObjectPermission.objects.filter(content_object=ticket, user=agent)
    assert list(direct.values_list("permission__codename", flat=True)) == [VIEW]


def test_a_grant_move_that_fails_rolls_back_the_whole_change(agent, requester, it_dept, billing_dept, monkeypatch):
    from apps.tickets import permissions

    ticket = TicketFactory(requester=requester, department=it_dept)
    before = _snapshot(ticket)

    def boom(**kwargs):
        raise RuntimeError("storage failure")

    monkeypatch.setattr(permissions, "move_department_grants", boom)
    with pytest.raises(RuntimeError):
        ticket_transfer(ticket=ticket, actor=agent, department=billing_dept)
    assert _snapshot(ticket) == before


def test_requester_cannot_be_assigned(agent, requester, other_requester, it_dept):
    from django.core.exceptions import ValidationError

    ticket = TicketFactory(requester=requester, department=it_dept)
    with pytest.raises(ValidationError):
        ticket_assign(ticket=ticket, actor=agent, assignee=other_requester)
    assert TicketUserObjectPermission.objects.filter(content_object=ticket, user=other_requester).count() == 0


def test_deleting_a_ticket_leaves_no_permission_rows(admin_user, agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept, assignee=agent)
    assert TicketUserObjectPermission.objects.filter(content_object=ticket).count() == 3
    assert TicketGroupObjectPermission.objects.filter(content_object=ticket).count() == 2

    ticket_delete(ticket=ticket, actor=admin_user)

    assert TicketUserObjectPermission.objects.count() == 0
    assert TicketGroupObjectPermission.objects.count() == 0


def test_only_admins_delete(agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    with pytest.raises(PermissionDenied):
        ticket_delete(ticket=ticket, actor=agent)
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_visibility_list_query_is_one_query(agent, it_dept, requester, django_assert_num_queries):
    TicketFactory.create_batch(3, requester=requester, department=it_dept)
    with django_assert_num_queries(1):
        assert len(list(tickets_visible_to(agent))) == 3


def test_the_cached_permission_id_follows_a_flush(db):
    """Visibility queries use the permission's id read once per process; flush's post_migrate empties it."""
    from django.contrib.auth.models import Permission
    from django.core.management.sql import emit_post_migrate_signal

    from apps.tickets.permissions import _forget_permission_ids, ticket_permission_id

    old_id = ticket_permission_id(VIEW)
    old = Permission.objects.get(pk=old_id)
    old.delete()
    new = Permission.objects.create(codename=VIEW, name=old.name, content_type=old.content_type)
    try:
        assert ticket_permission_id(VIEW) == old_id  # still the cached one
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
        assert ticket_permission_id(VIEW) == new.pk != old_id
    finally:  # the test's rollback brings the old row back: the next test must read it again
        _forget_permission_ids()


@pytest.mark.parametrize("perm", [VIEW, CHANGE])
def test_the_department_form_finds_the_same_tickets_as_the_grant_form(reach_world, agent, perm):
    """by_department=True (what an agent's search reads) never widens nor narrows what the grants allow."""
    in_order = ("-created_at", "-id")
    as_set = [t.reference for t in tickets_visible_to(agent, perm=perm).order_by(*in_order)]
    row_by_row = [t.reference for t in tickets_visible_to(agent, perm=perm, first_rows=True).order_by(*in_order)]
    by_department = [t.reference for t in tickets_visible_to(agent, perm=perm, by_department=True).order_by(*in_order)]
    assert by_department == as_set == row_by_row
    if perm == VIEW:
        assert sorted(by_department) == sorted(ref for ref, seen in reach_world.items() if seen)


@pytest.mark.parametrize("perm", [VIEW, CHANGE])
@pytest.mark.parametrize("cap", [2, 100])
def test_the_kept_count_of_all_an_agent_sees_is_the_counted_one(reach_world, agent, billing_dept, perm, cap):
    """tickets_in_reach_count_capped (the total of an agent's list without filters) runs a statement compiled once
    per reach: the same count as tickets_count_capped, capped alike, and a new one when the reach changes."""

    def counted():
        reach = agent_reach(agent)
        return tickets_count_capped(tickets_visible_to(agent, perm=perm, by_department=True), cap=cap, reach=reach)

    _kept_counts.clear()
    truth = min(tickets_visible_to(agent, perm=perm).count(), cap + 1)
    assert tickets_in_reach_count_capped(agent, agent_reach(agent), perm=perm, cap=cap) == counted() == truth
    reach = agent_reach(agent)
    with CaptureQueriesContext(connection) as queries:
        assert tickets_in_reach_count_capped(agent, reach, perm=perm, cap=cap) == truth
    assert len(queries) == 1 and queries[0]["sql"].startswith("SELECT COUNT(*) FROM (")
    assert len(_kept_counts) == 1

    user_set_departments(user=agent, departments=[billing_dept])
    truth = min(tickets_visible_to(agent, perm=perm).count(), cap + 1)
    assert tickets_in_reach_count_capped(agent, agent_reach(agent), perm=perm, cap=cap) == counted() == truth
    assert len(_kept_counts) == 2


def test_department_grants_are_marked_as_such_and_shares_are_not(admin_user, agent, it_dept, billing_dept):
    """Only the grants of the ticket's own department group are marked: the department form relies on it."""
    from apps.tickets.services import ticket_share

    ticket = TicketFactory(department=it_dept)
    ticket_share(ticket=ticket, actor=admin_user, codenames=[VIEW], group=billing_dept.group)

    def marks():
        rows = TicketGroupObjectPermission.objects.filter(content_object=ticket)
        return sorted(rows.values_list("group__name", "permission__codename", "is_department_grant"))

    it_group, billing_group = it_dept.group.name, billing_dept.group.name
    assert marks() == [(billing_group, VIEW, False), (it_group, CHANGE, True), (it_group, VIEW, True)]
    ticket_transfer(ticket=ticket, actor=admin_user, department=billing_dept)
    # The share Billing already held stays a share; the department grant it gains is marked.
    assert marks() == [(billing_group, CHANGE, True), (billing_group, VIEW, False)]


def test_ticket_get_with_access_answers_as_ticket_access(
    agent, admin_user, requester, it_ticket, billing_dept, billing_ticket, django_assert_num_queries
):
    # alice works in IT (she changes its tickets); she only reads the billing ticket she asked herself.
    own_request = TicketFactory(department=billing_dept, requester=agent)
    cases = [
        (agent, it_ticket, (True, True), 2),
        (agent, own_request, (True, False), 2),
        (admin_user, billing_ticket, (True, True), 1),  # admins hold no grant to read
        (requester, it_ticket, (True, False), 2),
    ]
    for user, ticket, access, queries in cases:
        assert ticket_access(user, ticket) == access
        with django_assert_num_queries(queries):
            found, may_change = ticket_get_with_access(user=user, pk=ticket.pk, select_related=("department",))
        assert (found.pk, may_change) == (ticket.pk, access[1])

    for user, pk in ((agent, billing_ticket.pk), (agent, "not a number"), (admin_user, billing_ticket.pk + 1000)):
        with pytest.raises(Http404):
            ticket_get_with_access(user=user, pk=pk)


@pytest.mark.parametrize("perm", [VIEW, CHANGE])
def test_the_department_forms_count_is_the_visible_tickets_count(reach_world, agent, perm):
    """tickets_count_capped over the department form, counted by department (the list's total), counts exactly the
    tickets the grants allow: a department ticket whose group lost its grant is not counted, shares and assignments
    outside the department are, and no row is counted twice (the department's and the others' parts never meet)."""
    reach = agent_reach(agent)
    expected = tickets_visible_to(agent, perm=perm).count()
    by_department = tickets_visible_to(agent, perm=perm, by_department=True, reach=reach)
    assert tickets_count_capped(by_department, reach=reach) == expected
    if perm == VIEW:
        assert expected == sum(reach_world.values())
    # A ticket of alice's department that she asked for herself: named by both her grants and her department.
    TicketFactory(department=Department.objects.get(name="IT Support"), requester=agent)
    assert tickets_count_capped(by_department, reach=reach) == expected + 1


def test_the_count_by_department_stops_at_the_cap(reach_world, agent):
    """Above the cap the count says cap + 1 and the query itself stops there (LIMIT cap + 1 over both parts)."""
    reach = agent_reach(agent)
    visible = sum(reach_world.values())
    by_department = tickets_visible_to(agent, by_department=True, reach=reach)
    with CaptureQueriesContext(connection) as queries:
        assert tickets_count_capped(by_department, cap=2, reach=reach) == 3
    assert visible > 3
    (sql,) = [q["sql"] for q in queries]
    assert re.search(r"SELECT COUNT\(\*\) FROM \(\(?SELECT .* UNION ALL .* LIMIT 3\)", sql, re.S)


def test_no_department_form_for_admins_and_requesters(world, requester, admin_user):
    """agent_reach is an agent's only; a requester's and an admin's department form is their usual form."""
    assert agent_reach(requester) is None and agent_reach(admin_user) is None
    for user in (requester, admin_user):
        as_set = list(tickets_visible_to(user).order_by("-created_at", "-id"))
        assert list(tickets_visible_to(user, by_department=True).order_by("-created_at", "-id")) == as_set
        assert tickets_count_capped(tickets_visible_to(user, by_department=True), reach=None) == len(as_set)


def test_an_agent_in_no_department_sees_and_counts_only_their_grants(admin_user, requester, it_dept, billing_dept):
    """No department: the reach is the tickets their own grants and their groups' shares name, nothing else."""
    from django.contrib.auth.models import Group

    from apps.tickets.services import ticket_share

    loner = UserFactory(username="lone", role=Role.AGENT, departments=[])
    shared = TicketFactory(department=billing_dept, requester=requester)
    ticket_share(ticket=shared, actor=admin_user, codenames=[VIEW], user=loner)
    crew = Group.objects.create(name="Crew")
    loner.groups.add(crew)
    with_crew = TicketFactory(department=it_dept, requester=requester)
    ticket_share(ticket=with_crew, actor=admin_user, codenames=[VIEW], group=crew)
    TicketFactory(department=it_dept, requester=requester)

    reach = agent_reach(loner)
    assert reach.departments == ()
    in_order = ("-created_at", "-id")
    found = list(tickets_visible_to(loner, by_department=True, reach=reach).order_by(*in_order))
    assert found == [with_crew, shared] == list(tickets_visible_to(loner).order_by(*in_order))
    assert tickets_count_capped(tickets_visible_to(loner, by_department=True, reach=reach), reach=reach) == 2
