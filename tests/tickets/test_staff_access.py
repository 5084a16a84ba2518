"""When an agent's staff access ends (demotion, deactivation, leaving a department), so does their access to
tickets: assignments and grants go in the same transaction, recorded in each ticket's history."""

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from apps.accounts.choices import Role
from apps.accounts.services import user_set_role, user_update
from apps.departments.services import department_set_members, user_set_departments
from apps.tickets import events
from apps.tickets.choices import EventKind
from apps.tickets.models import TicketEvent, TicketUserObjectPermission
from apps.tickets.permissions import VIEW, can_view_ticket
from apps.tickets.services import ticket_assign
from tests.accounts.factories import UserFactory
from tests.support import db_state, jwt_client, logged_in
from tests.tickets.factories import TicketFactory


def api_url(ticket) -> str:
    return f"/api/tickets/{ticket.pk}/"


def admin_url(ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


@pytest.fixture
def alice(it_dept, billing_dept):
    """An agent of IT Support and Billing."""
    return UserFactory(username="alice", role=Role.AGENT, departments=[it_dept, billing_dept])


@pytest.fixture
def work(alice, admin_user, requester, it_dept, billing_dept):
    """alice's assigned tickets in both departments, a ticket an admin shared with her, and one she requested."""
    it_ticket = ticket_assign(
        ticket=TicketFactory(department=it_dept, requester=requester), actor=admin_user, assignee=alice
    )
    billing_ticket = ticket_assign(
        ticket=TicketFactory(department=billing_dept, requester=requester), actor=admin_user, assignee=alice
    )
    shared = TicketFactory(department=billing_dept, requester=requester)
    assign_perm(VIEW, alice, shared)
    own = TicketFactory(department=it_dept, requester=alice)
    return {"it": it_ticket, "billing": billing_ticket, "shared": shared, "own": own}


def unassignments(ticket) -> list:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED, data__to=None).values_list("actor", "data")
    )


def assert_withdrawn(ticket, alice, actor) -> None:
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
    assert unassignments(ticket) == [(actor.pk if actor else None, {"from": alice.pk, "to": None})]
    assert not TicketUserObjectPermission.objects.filter(user=alice, content_object=ticket).exists()
    assert can_view_ticket(ticket.requester, ticket)  # the requester's view grant stays


def test_a_demoted_agent_loses_their_tickets_through_api_and_back_office(work, alice, admin_user):
    api = jwt_client(alice)  # a token issued while she was an agent, still valid
    browser = logged_in(alice)  # an open back-office session
    assert api.get(api_url(work["it"])).status_code == 200
    assert browser.get(admin_url(work["it"])).status_code == 200

    user_set_role(user=alice, role=Role.REQUESTER, actor=admin_user)

    for name in ("it", "billing"):
        assert_withdrawn(work[name], alice, admin_user)
        assert api.get(api_url(work[name])).status_code == 404
        assert browser.get(admin_url(work[name])).status_code != 200
    assert api.get(api_url(work["shared"])).status_code == 404
    assert not alice.groups.exists()
    # What she requested herself she still sees, as every requester does.
    assert api.get(api_url(work["own"])).status_code == 200
    assert list(
        TicketUserObjectPermission.objects.filter(user=alice).values_list("content_object", "permission__codename")
    ) == [(work["own"].pk, VIEW)]


def test_a_deactivated_agent_loses_their_tickets(work, alice, admin_user):
    api = jwt_client(alice)
    browser = logged_in(alice)

    user_update(user=alice, is_active=False, actor=admin_user)

    for name in ("it", "billing"):
        assert_withdrawn(work[name], alice, admin_user)
        assert api.get(api_url(work[name])).status_code in (401, 404)
        assert browser.get(admin_url(work[name])).status_code != 200
    assert not alice.groups.exists()
    assert list(
        TicketUserObjectPermission.objects.filter(user=alice).values_list("content_object", "permission__codename")
    ) == [(work["own"].pk, VIEW)]


def test_deactivating_a_requester_keeps_what_an_admin_shared(requester, it_dept):
    ticket = TicketFactory(department=it_dept)
    assign_perm(VIEW, requester, ticket)
    user_update(user=requester, is_active=False)
    assert TicketUserObjectPermission.objects.filter(user=requester, content_object=ticket).exists()


def _leave_it_by_account(alice, it_dept, billing_dept, actor):
    user_set_departments(user=alice, departments=[billing_dept], actor=actor)


def _leave_it_by_department(alice, it_dept, billing_dept, actor):
    department_set_members(department=it_dept, users=[], actor=actor)


@pytest.mark.parametrize("leave", [_leave_it_by_account, _leave_it_by_department])
def test_an_agent_who_leaves_a_department_loses_its_tickets(work, alice, admin_user, it_dept, billing_dept, leave):
    api = jwt_client(alice)
    browser = logged_in(alice)
    assert browser.get(admin_url(work["it"])).status_code == 200

    leave(alice, it_dept, billing_dept, admin_user)

    assert_withdrawn(work["it"], alice, admin_user)
    assert api.get(api_url(work["it"])).status_code == 404
    assert browser.get(admin_url(work["it"])).status_code == 404
    # Billing, where she still works, is untouched; so is the share and her own ticket.
    work["billing"].refresh_from_db()
    assert work["billing"].assignee_id == alice.pk
    assert api.get(api_url(work["billing"])).status_code == 200
    assert api.get(api_url(work["shared"])).status_code == 200
    assert api.get(api_url(work["own"])).status_code == 200


def test_an_admin_who_leaves_a_department_keeps_its_tickets(admin_user, it_dept, requester):
    boss = UserFactory(role=Role.ADMIN, departments=[it_dept])
    ticket = ticket_assign(ticket=TicketFactory(department=it_dept, requester=requester), actor=None, assignee=boss)
    user_set_departments(user=boss, departments=[])
    ticket.refresh_from_db()
    assert ticket.assignee_id == boss.pk


def test_leaving_a_department_by_the_back_office_is_recorded_with_the_admin(work, alice, admin_user, billing_dept):
    data = {
        "username": alice.username,
        "email": alice.email,
        "role": alice.role,
        "departments": [str(billing_dept.pk)],
        "is_active": "on",
        "language": alice.language,
        "time_zone": alice.time_zone,
        "_save": "Save",
    }
    response = logged_in(admin_user).post(reverse("admin:accounts_user_change", args=[alice.pk]), data)
    assert response.status_code == 302
    assert_withdrawn(work["it"], alice, admin_user)


@pytest.mark.parametrize(
    ("change", "tickets"),
    [
        (lambda alice, it, billing: user_set_role(user=alice, role=Role.REQUESTER), 2),
        (lambda alice, it, billing: user_update(user=alice, is_active=False), 2),
        (lambda alice, it, billing: user_set_departments(user=alice, departments=[billing]), 1),
        (lambda alice, it, billing: department_set_members(department=it, users=[]), 1),
    ],
    ids=["demotion", "deactivation", "leaving by account", "leaving by department"],
)
def test_the_change_is_all_or_nothing(work, alice, it_dept, billing_dept, monkeypatch, change, tickets):
    """A failure after the last ticket was unassigned leaves the account, its departments, every ticket, event
    and grant as they were."""
    record = events.assigned_event
    calls = []

    def failing(**kwargs):
        calls.append(record(**kwargs))
        if len(calls) == tickets:
            raise RuntimeError("the database went away")
        return calls[-1]

    before = db_state()
    monkeypatch.setattr(events, "assigned_event", failing)
    with pytest.raises(RuntimeError):
        change(alice, it_dept, billing_dept)
    assert db_state() == before


def test_ticket_access_answers_as_the_two_checks_in_one_query(
    agent, other_agent, admin_user, requester, it_dept, billing_dept, django_assert_num_queries
):
    """The back office asks `ticket_access` once per page: the same answers as can_view_ticket/can_change_ticket."""
    from apps.tickets.permissions import can_change_ticket, shared_grants_set, ticket_access

    own = TicketFactory(department=it_dept, requester=requester)
    foreign = TicketFactory(department=billing_dept, requester=requester)
    shared_view = TicketFactory(department=billing_dept, requester=requester)
    shared_grants_set(ticket=shared_view, codenames=["view_ticket"], user=agent)
    inactive = UserFactory(role=Role.AGENT)
    inactive.groups.add(it_dept.group)
    type(inactive).objects.filter(pk=inactive.pk).update(is_active=False)
    inactive.refresh_from_db()
    people = [agent, other_agent, admin_user, requester, inactive]
    for person in people:
        for ticket in (own, foreign, shared_view):
            expected = (can_view_ticket(person, ticket), can_change_ticket(person, ticket))
            assert ticket_access(person, ticket) == expected, (person.username, ticket.pk)
    assert ticket_access(agent, own) == (True, True)
    assert ticket_access(agent, shared_view) == (True, False)
    assert ticket_access(agent, foreign) == (False, False)
    assert ticket_access(requester, own) == (True, False)
    assert ticket_access(admin_user, foreign) == (True, True)
    with django_assert_num_queries(1):
        ticket_access(agent, own)
