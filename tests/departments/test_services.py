"""Departments: each has its own group; exactly one default; members are staff."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts.models import User
from apps.departments.models import Department
from apps.departments.services import (
    department_create,
    department_set_members,
    department_update,
    user_create_with_departments,
    user_set_departments,
)
from tests.tickets.factories import TicketFactory


def test_create_makes_the_group(db):
    department = department_create(name="Facilities")
    assert department.slug == "facilities"
    assert department.group.name == "department:facilities"


def test_one_default_at_a_time(it_dept, billing_dept):
    department_update(department=billing_dept, is_default=True)
    assert list(Department.objects.filter(is_default=True)) == [billing_dept]


def test_database_refuses_two_defaults(it_dept, billing_dept):
    with pytest.raises(IntegrityError), transaction.atomic():
        Department.objects.filter(pk=billing_dept.pk).update(is_default=True)


def test_members_see_department_tickets_at_once(it_dept, requester):
    from apps.tickets.selectors import tickets_visible_to
    from tests.accounts.factories import AgentFactory

    ticket = TicketFactory(requester=requester, department=it_dept)
    newcomer = AgentFactory()
    assert ticket not in tickets_visible_to(newcomer)
    department_set_members(department=it_dept, users=[newcomer])
    assert ticket in tickets_visible_to(newcomer)


def test_requesters_cannot_be_members(it_dept, requester):
    with pytest.raises(ValidationError):
        department_set_members(department=it_dept, users=[requester])
    assert not it_dept.group.user_set.exists()


def test_duplicate_name_is_refused(it_dept):
    with pytest.raises(ValidationError):
        department_create(name="IT Support", slug="it-2")
    assert Department.objects.count() == 1


def test_requesters_cannot_join_departments(it_dept):
    with pytest.raises(ValidationError):
        user_create_with_departments(username="r", email="r@example.com", departments=[it_dept])
    assert not User.objects.filter(username="r").exists()


def test_set_departments_keeps_other_groups(agent, it_dept, billing_dept):
    from django.contrib.auth.models import Group

    other = Group.objects.create(name="Night shift")
    agent.groups.add(other)
    user_set_departments(user=agent, departments=[billing_dept])
    assert set(agent.groups.values_list("name", flat=True)) == {"Night shift", "department:billing"}
