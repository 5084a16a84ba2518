"""The users and groups admin: admins edit accounts, roles, departments and groups through the services, agents only
look."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.selectors import users_visible_to
from apps.departments.models import Department
from apps.notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.notifications.factories import NotificationFactory
from tests.support import assert_constant_queries, logged_in
from tests.tickets.factories import TicketFactory


def change_data(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "departments": [str(d.pk) for d in Department.objects.filter(group__user=user)],
        "is_active": "on" if user.is_active else "",
        "language": user.language,
        "time_zone": user.time_zone,
        "_save": "Save",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v not in ("", None)}


def new_account_data(**changes) -> dict:
    data = {
        "username": "erin",
        "email": "erin@example.com",
        "first_name": "Erin",
        "last_name": "Example",
        "usable_password": "true",
        "password1": "a-long-enough-Passw0rd",
        "password2": "a-long-enough-Passw0rd",
        "role": Role.REQUESTER,
        "language": "en",
        "time_zone": "UTC",
        "_save": "Save",
    }
    data.update(changes)
    return data


def account_state(user) -> tuple:
    fresh = User.objects.get(pk=user.pk)
    return (
        fresh.username,
        fresh.email,
        fresh.role,
        fresh.is_staff,
        fresh.is_superuser,
        fresh.time_zone,
        fresh.password,
        sorted(fresh.groups.values_list("name", flat=True)),
    )


def test_admin_makes_a_requester_an_agent_of_two_departments(admin_user, requester, it_dept, billing_dept):
    data = change_data(
        requester, role=Role.AGENT, departments=[str(it_dept.pk), str(billing_dept.pk)], time_zone="Europe/Istanbul"
    )

    response = logged_in(admin_user).post(reverse("admin:accounts_user_change", args=[requester.pk]), data)

    assert response.status_code == 302
    requester.refresh_from_db()
    assert (requester.role, requester.is_staff, requester.is_superuser, requester.time_zone) == (
        Role.AGENT,
        True,
        False,
        "Europe/Istanbul",
    )
    assert sorted(requester.groups.values_list("name", flat=True)) == ["department:billing", "department:it-support"]


def test_admin_moves_an_agent_between_departments_and_keeps_other_groups(admin_user, agent, billing_dept):
    escalation = Group.objects.create(name="Escalation")
    data = change_data(agent, departments=[str(billing_dept.pk)], groups=[str(escalation.pk)])

    response = logged_in(admin_user).post(reverse("admin:accounts_user_change", args=[agent.pk]), data)

    assert response.status_code == 302
    assert sorted(agent.groups.values_list("name", flat=True)) == ["Escalation", "department:billing"]


def test_demoting_an_agent_to_requester_leaves_the_departments(admin_user, agent):
    data = change_data(agent, role=Role.REQUESTER, departments=[])

    response = logged_in(admin_user).post(reverse("admin:accounts_user_change", args=[agent.pk]), data)

    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.role, agent.is_staff, list(agent.groups.all())) == (Role.REQUESTER, False, [])


def test_requesters_cannot_join_departments(admin_user, requester, it_dept):
    before = account_state(requester)
    data = change_data(requester, departments=[str(it_dept.pk)])

    response = logged_in(admin_user).post(reverse("admin:accounts_user_change", args=[requester.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["departments"] == [
        "Only agents and admins can belong to departments."
    ]
    assert account_state(requester) == before


def test_admin_creates_an_agent_through_user_create(admin_user, it_dept):
    data = new_account_data(role=Role.AGENT, departments=[str(it_dept.pk)], language="de", time_zone="Europe/Berlin")

    response = logged_in(admin_user).post(reverse("admin:accounts_user_add"), data)

    assert response.status_code == 302
    erin = User.objects.get(username="erin")
    assert (erin.role, erin.is_staff, erin.language, erin.time_zone) == (Role.AGENT, True, "de", "Europe/Berlin")
    assert erin.check_password("a-long-enough-Passw0rd")
    assert list(erin.groups.values_list("name", flat=True)) == ["department:it-support"]


def test_duplicate_email_is_a_form_error(admin_user, agent, requester):
    before = account_state(requester)
    data = change_data(requester, email=agent.email.upper())

    response = logged_in(admin_user).post(reverse("admin:accounts_user_change", args=[requester.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == ["Another account already uses this e-mail address."]
    assert account_state(requester) == before


def test_the_form_has_no_staff_or_superuser_flags(admin_user, agent):
    response = logged_in(admin_user).get(reverse("admin:accounts_user_change", args=[agent.pk]))

    fields = response.context["adminform"].form.fields
    assert response.status_code == 200
    assert "is_staff" not in fields
    assert "is_superuser" not in fields
    assert "user_permissions" not in fields
    assert {"role", "departments", "language", "time_zone"} <= set(fields)


def test_agent_can_look_users_up(agent, requester, it_dept):
    browser = logged_in(agent)

    listing = browser.get(reverse("admin:accounts_user_changelist"))
    page = browser.get(reverse("admin:accounts_user_change", args=[agent.pk]))

    assert listing.status_code == 200
    # carol has no ticket alice can see: she is not in alice's directory (users_visible_to, as in the API).
    assert {u.username for u in listing.context["cl"].result_list} == {"alice"}
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    html = page.content.decode()
    assert agent.password not in html  # no password hash for agents
    assert "IT Support" in html
    assert 'name="groups"' not in html


def test_agents_see_the_users_the_api_shows_them(agent, other_agent, requester, other_requester, admin_user, it_dept):
    """An agent's users list, search and account pages hold users_visible_to: themselves, the members of their
    departments and the requesters of the tickets they see; another account is like one that does not exist."""
    TicketFactory(department=it_dept, requester=requester)
    colleague = UserFactory(username="erin", role=Role.AGENT, departments=[it_dept])
    browser = logged_in(agent)

    listing = browser.get(reverse("admin:accounts_user_changelist"))
    search = browser.get(reverse("admin:accounts_user_changelist"), {"q": "example.com"})
    visible = browser.get(reverse("admin:accounts_user_change", args=[requester.pk]))
    missing = browser.get(reverse("admin:accounts_user_change", args=[999999]), follow=True)

    assert {u.username for u in listing.context["cl"].result_list} == {"alice", "carol", "erin"}
    assert {u.username for u in search.context["cl"].result_list} == {"alice", "carol", "erin"}
    assert set(users_visible_to(agent)) == {agent, requester, colleague}
    assert visible.status_code == 200
    for outsider in (other_agent, other_requester, admin_user):
        for name in ("change", "history"):
            page = browser.get(reverse(f"admin:accounts_user_{name}", args=[outsider.pk]), follow=True)
            assert page.redirect_chain == missing.redirect_chain
            assert outsider.email not in page.content.decode()
    for html in (listing.content.decode(), search.content.decode()):
        for outsider in (other_agent, other_requester, admin_user):
            assert outsider.email not in html


def test_admins_see_every_user(admin_user, agent, other_agent, requester, other_requester):
    listing = logged_in(admin_user).get(reverse("admin:accounts_user_changelist"))

    assert {u.username for u in listing.context["cl"].result_list} == {"admin", "alice", "bob", "carol", "dave"}


def test_agent_cannot_change_or_add_users(agent, requester, it_dept):
    browser = logged_in(agent)
    before = account_state(requester)
    own_before = account_state(agent)
    count = User.objects.count()

    change = browser.post(
        reverse("admin:accounts_user_change", args=[requester.pk]),
        change_data(requester, role=Role.ADMIN, departments=[str(it_dept.pk)]),
    )
    promote_self = browser.post(
        reverse("admin:accounts_user_change", args=[agent.pk]), change_data(agent, role=Role.ADMIN)
    )
    add = browser.post(
        reverse("admin:accounts_user_add"),
        {"username": "mallory", "email": "m@example.com", "role": Role.ADMIN, "usable_password": "false"},
    )
    password = browser.post(
        reverse("admin:auth_user_password_change", args=[requester.pk]),
        {"password1": "x-Very-long-1", "password2": "x-Very-long-1"},
    )

    assert (change.status_code, promote_self.status_code, add.status_code, password.status_code) == (403, 403, 403, 403)
    assert account_state(requester) == before
    assert account_state(agent) == own_before
    assert User.objects.count() == count


@pytest.mark.parametrize(
    "url_name",
    ["admin:auth_group_changelist", "admin:django_q_task_changelist", "admin:django_q_schedule_changelist"],
)
def test_system_pages_are_for_admins_only(admin_user, agent, url_name):
    assert logged_in(admin_user).get(reverse(url_name)).status_code == 200
    assert logged_in(agent).get(reverse(url_name)).status_code == 403


def test_admin_pages_render(admin_user, agent, it_dept):
    browser = logged_in(admin_user)

    for url in (
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_add"),
        reverse("admin:accounts_user_change", args=[agent.pk]),
        reverse("admin:auth_group_change", args=[it_dept.group_id]),
        reverse("admin:django_q_success_changelist"),
        reverse("admin:django_q_failure_changelist"),
    ):
        assert browser.get(url).status_code == 200, url


def test_user_changelist_query_count_does_not_grow_with_rows(admin_user, it_dept):
    browser = logged_in(admin_user)

    def changelist():
        return browser.get(reverse("admin:accounts_user_changelist"))

    UserFactory.create_batch(2, role=Role.AGENT, departments=[it_dept])
    changelist()  # warm up per-process caches

    def add_agents(count):
        UserFactory.create_batch(count, role=Role.AGENT, departments=[it_dept])
        changelist()  # new memberships: the sidebar's kept saved views are read again once

    assert_constant_queries(changelist, add_rows=add_agents, existing=2)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "ALICE@example.com"}, "email", "Another account already uses this e-mail address."),
        (
            {"password1": "erin-example", "password2": "erin-example"},
            "password2",
            "The password is too similar to the last name.",
        ),
        ({"role": Role.REQUESTER}, "departments", "Only agents and admins can belong to departments."),
    ],
)
def test_a_refused_new_account_is_a_form_error_and_creates_nothing(admin_user, agent, it_dept, changes, field, message):
    count = User.objects.count()
    data = new_account_data(departments=[str(it_dept.pk)], role=Role.AGENT)
    data.update(changes)

    response = logged_in(admin_user).post(reverse("admin:accounts_user_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert User.objects.count() == count
    assert list(it_dept.group.user_set.values_list("username", flat=True)) == ["alice"]


def test_admin_renames_a_group_through_the_service(admin_user):
    escalation = Group.objects.create(name="Escalation")

    response = logged_in(admin_user).post(
        reverse("admin:auth_group_change", args=[escalation.pk]), {"name": "Second line", "_save": "Save"}
    )

    assert response.status_code == 302
    assert Group.objects.get(pk=escalation.pk).name == "Second line"


def test_a_taken_group_name_is_a_form_error_and_changes_nothing(admin_user):
    Group.objects.create(name="Night shift")
    escalation = Group.objects.create(name="Escalation")

    response = logged_in(admin_user).post(
        reverse("admin:auth_group_change", args=[escalation.pk]), {"name": "Night shift", "_save": "Save"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"name": ["Group with this Name already exists."]}
    assert sorted(Group.objects.values_list("name", flat=True)) == ["Escalation", "Night shift"]


def test_admins_delete_accounts_that_have_notifications(admin_user, it_dept, requester):
    leaver = UserFactory(role=Role.AGENT, username="leaver", departments=[it_dept])
    NotificationFactory(recipient=leaver, ticket=TicketFactory(department=it_dept, requester=requester))
    browser = logged_in(admin_user)

    page = browser.get(reverse("admin:accounts_user_delete", args=[leaver.pk]))
    assert page.status_code == 200
    response = browser.post(reverse("admin:accounts_user_delete", args=[leaver.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(username="leaver").exists()
    assert not Notification.objects.filter(recipient_id=leaver.pk).exists()


def test_admins_delete_accounts_and_groups_through_the_services(admin_user, it_dept):
    leaver = UserFactory(role=Role.REQUESTER, username="leaver")
    escalation = Group.objects.create(name="Escalation")
    browser = logged_in(admin_user)

    department_group = browser.post(reverse("admin:auth_group_delete", args=[it_dept.group_id]), {"post": "yes"})
    assert department_group.status_code == 403

    account = browser.post(reverse("admin:accounts_user_delete", args=[leaver.pk]), {"post": "yes"})
    group = browser.post(reverse("admin:auth_group_delete", args=[escalation.pk]), {"post": "yes"})

    assert (account.status_code, group.status_code) == (302, 302)
    assert not User.objects.filter(username="leaver").exists()
    assert list(Group.objects.filter(name__in=["Escalation", it_dept.group.name]).values_list("name", flat=True)) == [
        it_dept.group.name
    ]
