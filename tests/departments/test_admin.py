"""The departments back office: departments, routing rules and SLA policies are saved through the services (a
refusal is a form error and changes nothing), agents only look and mark only themselves away."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.departments.choices import RuleField
from apps.departments.models import Department, RoutingRule, SlaPolicy
from apps.departments.services import agent_set_availability, routing_rule_save, sla_policy_save
from tests.accounts.factories import UserFactory
from tests.departments.factories import DepartmentFactory
from tests.support import assert_constant_queries, logged_in


def department_data(department=None, **changes):
    data = {"name": "", "slug": "", "description": "", "manager": "", "is_active": "on", "_save": "Save"}
    # Assignment policy and business hours (the model's defaults).
    data.update(assignment_policy="manual", work_days=["1", "2", "3", "4", "5"], work_start="09:00", work_end="17:00")
    data["time_zone"] = "UTC"
    if department is not None:
        data.update(
            name=department.name,
            slug=department.slug,
            description=department.description,
            manager=str(department.manager_id or ""),
            is_default="on" if department.is_default else "",
            is_active="on" if department.is_active else "",
            members=[str(pk) for pk in department.group.user_set.values_list("pk", flat=True)],
            assignment_policy=department.assignment_policy,
            work_days=list(department.work_days),
            work_start=department.work_start.strftime("%H:%M"),
            work_end=department.work_end.strftime("%H:%M"),
            time_zone=department.time_zone,
        )
    data.update(changes)
    return {k: v for k, v in data.items() if v not in ("", None)}


def department_state(department) -> tuple:
    fresh = Department.objects.get(pk=department.pk)
    return (
        fresh.name,
        fresh.slug,
        fresh.manager_id,
        fresh.is_default,
        fresh.is_active,
        sorted(fresh.group.user_set.values_list("username", flat=True)),
        fresh.group.name,
    )


def test_admin_creates_a_department_with_members(admin_user, agent):
    data = department_data(name="Facilities", slug="facilities", manager=str(agent.pk), members=[str(agent.pk)])

    response = logged_in(admin_user).post(reverse("admin:departments_department_add"), data)

    assert response.status_code == 302
    facilities = Department.objects.get(slug="facilities")
    assert (facilities.group.name, facilities.manager, list(facilities.group.user_set.all())) == (
        "department:facilities",
        agent,
        [agent],
    )


def test_admin_edits_a_department_and_takes_over_the_default(admin_user, it_dept, billing_dept, agent, other_agent):
    data = department_data(billing_dept, slug="money", is_default="on", members=[str(agent.pk), str(other_agent.pk)])

    response = logged_in(admin_user).post(reverse("admin:departments_department_change", args=[billing_dept.pk]), data)

    assert response.status_code == 302
    assert department_state(billing_dept) == (
        "Billing",
        "money",
        None,
        True,
        True,
        ["alice", "bob"],
        "department:money",
    )
    it_dept.refresh_from_db()
    assert it_dept.is_default is False


def test_requesters_cannot_be_members(admin_user, billing_dept, requester):
    before = department_state(billing_dept)
    data = department_data(billing_dept, members=[str(requester.pk)])

    response = logged_in(admin_user).post(reverse("admin:departments_department_change", args=[billing_dept.pk]), data)

    assert response.status_code == 200
    assert "members" in response.context["adminform"].form.errors
    assert department_state(billing_dept) == before


def test_a_duplicate_slug_is_a_form_error(admin_user, it_dept, billing_dept):
    before = department_state(billing_dept)

    response = logged_in(admin_user).post(
        reverse("admin:departments_department_change", args=[billing_dept.pk]),
        department_data(billing_dept, slug="it-support"),
    )

    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    assert department_state(billing_dept) == before


def test_agent_looks_but_cannot_change(agent, it_dept, billing_dept):
    browser = logged_in(agent)
    before = department_state(billing_dept)
    count = Department.objects.count()

    listing = browser.get(reverse("admin:departments_department_changelist"))
    page = browser.get(reverse("admin:departments_department_change", args=[it_dept.pk]))
    change = browser.post(
        reverse("admin:departments_department_change", args=[billing_dept.pk]),
        department_data(billing_dept, name="Mine", members=[str(agent.pk)]),
    )
    add = browser.post(reverse("admin:departments_department_add"), department_data(name="Shadow", slug="shadow"))

    assert (listing.status_code, page.status_code, change.status_code, add.status_code) == (200, 200, 403, 403)
    assert [(d.name, d.member_count) for d in listing.context["cl"].result_list] == [("Billing", 0), ("IT Support", 1)]
    assert page.context["has_change_permission"] is False
    assert "alice" in page.content.decode()
    assert department_state(billing_dept) == before
    assert Department.objects.count() == count


def test_changelist_query_count_does_not_grow_with_rows(admin_user):
    browser = logged_in(admin_user)

    def changelist():
        return browser.get(reverse("admin:departments_department_changelist"))

    def add_managed_departments(count):
        for _ in range(count):
            DepartmentFactory(members=[UserFactory(role=Role.AGENT)], manager=UserFactory(role=Role.AGENT))
        changelist()  # new memberships: the sidebar's kept saved views are read again once

    for _ in range(2):
        DepartmentFactory(members=[UserFactory(role=Role.AGENT)])
    changelist()  # warm up per-process caches

    measured = assert_constant_queries(changelist, add_rows=add_managed_departments, existing=2)
    assert len(measured.many.context["cl"].result_list) == 30


# Routing rules and SLA policies save through their services: a refusal is a form error, nothing changes.


def test_an_edited_routing_rule_with_an_invalid_regex_is_a_form_error(admin_user, billing_dept):
    rule = routing_rule_save(
        rule=RoutingRule(department=billing_dept, order=10, field=RuleField.KEYWORDS, pattern="invoice")
    )
    data = {"order": "20", "field": RuleField.REGEX, "pattern": "(", "department": str(billing_dept.pk)}

    response = logged_in(admin_user).post(reverse("admin:departments_routingrule_change", args=[rule.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "pattern": ["“(” is not a valid regular expression: missing ), unterminated subpattern at position 0."]
    }
    assert list(RoutingRule.objects.values_list("order", "field", "pattern", "is_active")) == [
        (10, RuleField.KEYWORDS, "invoice", True)
    ]


def sla_data(department, **changes) -> dict:
    data = {
        "department": str(department.pk),
        "priority": "high",
        "first_response_time": "1h",
        "resolution_time": "8:00",
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_the_admin_adds_an_sla_policy_through_the_service(admin_user, it_dept):
    response = logged_in(admin_user).post(reverse("admin:departments_slapolicy_add"), sla_data(it_dept))

    assert response.status_code == 302
    assert list(
        SlaPolicy.objects.values_list("department__slug", "priority", "first_response_minutes", "resolution_minutes")
    ) == [("it-support", "high", 60, 480)]


def test_an_sla_policy_the_service_refuses_is_a_form_error_and_saves_nothing(admin_user, it_dept):
    browser = logged_in(admin_user)
    policy = sla_policy_save(
        policy=SlaPolicy(department=it_dept, priority="high", first_response_minutes=30, resolution_minutes=240)
    )
    before = list(SlaPolicy.objects.values())

    shorter = browser.post(
        reverse("admin:departments_slapolicy_change", args=[policy.pk]),
        sla_data(it_dept, first_response_time="2h", resolution_time="1h"),
    )
    twice = browser.post(reverse("admin:departments_slapolicy_add"), sla_data(it_dept))

    assert (shorter.status_code, twice.status_code) == (200, 200)
    assert shorter.context["adminform"].form.errors == {
        "resolution_time": ["The resolution target cannot be shorter than the first-response target."]
    }
    assert twice.context["adminform"].form.errors == {
        "__all__": ["SLA policy with this Department and Priority already exists."]
    }
    assert list(SlaPolicy.objects.values()) == before


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("4:30", 270), ("4h 30m", 270), ("4h30", None), ("2h", 120), ("45m", 45), ("45 min", 45), ("1:05", 65)],
)
def test_sla_targets_are_typed_in_hours_and_minutes(admin_user, it_dept, typed, minutes):
    response = logged_in(admin_user).post(
        reverse("admin:departments_slapolicy_add"),
        sla_data(it_dept, first_response_time=typed, resolution_time="400h"),
    )

    if minutes is None:
        assert response.context["adminform"].form.errors == {
            "first_response_time": ["Write it as hours and minutes, e.g. 4:30 or 4h 30m."]
        }
        assert not SlaPolicy.objects.exists()
    else:
        assert response.status_code == 302
        assert SlaPolicy.objects.values_list("first_response_minutes", "resolution_minutes").get() == (minutes, 24000)


@pytest.mark.parametrize(("typed", "error"), [("90", "Write it as"), ("1:75", "Minutes go up"), ("0m", "Between 1")])
def test_sla_targets_that_are_not_hours_and_minutes_are_refused(admin_user, it_dept, typed, error):
    response = logged_in(admin_user).post(
        reverse("admin:departments_slapolicy_add"), sla_data(it_dept, first_response_time=typed)
    )

    assert response.context["adminform"].form.errors["first_response_time"][0].startswith(error)
    assert not SlaPolicy.objects.exists()


def test_the_sla_form_shows_a_policys_targets_in_hours_and_minutes(admin_user, it_dept):
    policy = sla_policy_save(
        policy=SlaPolicy(department=it_dept, priority="high", first_response_minutes=90, resolution_minutes=480)
    )

    html = logged_in(admin_user).get(reverse("admin:departments_slapolicy_change", args=[policy.pk])).content.decode()

    assert 'name="first_response_time" value="1:30"' in html
    assert 'name="resolution_time" value="8:00"' in html


def test_agents_change_only_their_own_availability(agent, other_agent):
    with pytest.raises(PermissionDenied):
        agent_set_availability(agent=other_agent, is_available=False, actor=agent)

    agent_set_availability(agent=agent, is_available=False, actor=agent)

    assert dict(User.objects.filter(pk__in=[agent.pk, other_agent.pk]).values_list("username", "is_available")) == {
        "alice": False,
        "bob": True,
    }


def test_admins_delete_routing_rules_and_sla_policies_through_the_services(admin_user, agent, it_dept, billing_dept):
    rules = [
        routing_rule_save(rule=RoutingRule(department=billing_dept, order=n, field=RuleField.KEYWORDS, pattern=word))
        for n, word in enumerate(("invoice", "refund", "receipt"))
    ]
    policy = sla_policy_save(
        policy=SlaPolicy(department=it_dept, priority="high", first_response_minutes=30, resolution_minutes=240)
    )
    refused = logged_in(agent).post(
        reverse("admin:departments_routingrule_delete", args=[rules[0].pk]), {"post": "yes"}
    )
    assert refused.status_code == 403
    assert RoutingRule.objects.count() == 3

    browser = logged_in(admin_user)
    one = browser.post(reverse("admin:departments_routingrule_delete", args=[rules[0].pk]), {"post": "yes"})
    selected = browser.post(
        reverse("admin:departments_routingrule_changelist"),
        {"action": "delete_selected", "_selected_action": [rules[1].pk, rules[2].pk], "post": "yes"},
    )
    sla = browser.post(reverse("admin:departments_slapolicy_delete", args=[policy.pk]), {"post": "yes"})

    assert (one.status_code, selected.status_code, sla.status_code) == (302, 302, 302)
    assert RoutingRule.objects.count() == 0
    assert SlaPolicy.objects.count() == 0
