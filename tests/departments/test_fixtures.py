"""The initial_data fixture: the default departments and their groups, loadable any number of times."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from apps.departments.models import Department
from apps.departments.services import department_default, department_group_name
from apps.tickets.selectors import tickets_visible_to
from tests.accounts.factories import AgentFactory, UserFactory
from tests.tickets.factories import TicketFactory

EXPECTED = [
    ("billing", "Billing", "department:billing", False, True),
    ("hr", "HR", "department:hr", False, True),
    ("it-support", "IT Support", "department:it-support", True, True),
]


def departments():
    rows = Department.objects.order_by("slug").values_list("slug", "name", "group__name", "is_default", "is_active")
    return list(rows)


def primary_keys():
    return sorted(Department.objects.values_list("pk", "group_id"))


def load():
    call_command("loaddata", "initial_data", verbosity=0)


def test_loads_departments_with_their_groups(db):
    load()
    assert departments() == EXPECTED
    assert sorted(Group.objects.values_list("name", flat=True)) == [
        department_group_name("billing"),
        department_group_name("hr"),
        department_group_name("it-support"),
    ]
    assert department_default().slug == "it-support"


def test_loading_twice_duplicates_nothing(db):
    load()
    pks = (list(Department.objects.order_by("pk").values_list("pk", flat=True)), list(Group.objects.values_list("pk")))
    load()
    assert departments() == EXPECTED
    assert Group.objects.count() == 3
    assert (
        list(Department.objects.order_by("pk").values_list("pk", flat=True)),
        list(Group.objects.values_list("pk")),
    ) == pks


def test_loaded_departments_work_with_the_services(db):
    """Tickets routed to a loaded department are visible to its members through the group's grants."""
    load()
    hr = Department.objects.get_by_natural_key("hr")
    agent = AgentFactory(departments=[hr])
    ticket = TicketFactory(department=hr, requester=UserFactory())
    assert list(tickets_visible_to(agent)) == [ticket]


def test_natural_key_round_trip(db):
    load()
    department = Department.objects.get(slug="billing")
    assert Department.objects.get_by_natural_key(*department.natural_key()) == department
    with pytest.raises(Department.DoesNotExist):
        Department.objects.get_by_natural_key("nowhere")
