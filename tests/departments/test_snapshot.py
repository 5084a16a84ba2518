"""The departments' setup kept per process (apps/departments/snapshot.py): reused while unchanged, read again
after any write to the departments, routing rules or SLA policies, whatever path made it."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.departments.choices import RuleField
from apps.departments.models import Department, RoutingRule, SlaPolicy
from apps.departments.routing import route_ticket
from apps.departments.snapshot import setup_current
from apps.tickets.choices import Category, Priority
from apps.tickets.sla import policies_for

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="kept on PostgreSQL only")


def route(title="Help"):
    return route_ticket(title=title, description="", category=Category.QUESTION, requester_email="carol@example.com")


def test_writes_by_any_path_are_seen_by_the_next_routing(it_dept, billing_dept):
    assert route("Refund please").department == it_dept
    found = RoutingRule.objects.create(department=billing_dept, field=RuleField.KEYWORDS, pattern="refund")
    assert route("Refund please").department == billing_dept
    RoutingRule.objects.filter(pk=found.pk).update(is_active=False)  # no signal, no save()
    assert route("Refund please").department == it_dept
    Department.objects.filter(pk=it_dept.pk).update(is_default=False)
    assert route("Refund please") is None


def test_sla_policy_changes_are_seen_by_the_next_lookup(it_dept):
    assert policies_for([it_dept.pk]) == {}
    policy = SlaPolicy.objects.create(
        department=it_dept, priority=Priority.HIGH, first_response_minutes=60, resolution_minutes=600
    )
    assert {key: p.first_response_minutes for key, p in policies_for([it_dept.pk]).items()} == {
        (it_dept.pk, Priority.HIGH): 60
    }
    SlaPolicy.objects.filter(pk=policy.pk).update(first_response_minutes=30)
    assert policies_for([it_dept.pk])[(it_dept.pk, Priority.HIGH)].first_response_minutes == 30
    SlaPolicy.objects.all().delete()
    assert policies_for([it_dept.pk]) == {}


@postgresql_only
def test_an_unchanged_setup_is_reused_after_one_small_statement(it_dept):
    first = setup_current()
    assert first.routing[1] == it_dept
    with CaptureQueriesContext(connection) as queries:
        again = setup_current()
        assert again.routing[1] == it_dept
    assert again is first
    assert [query["sql"] for query in queries.captured_queries] == ["SELECT value FROM departments_setup_version"]


@postgresql_only
def test_a_rolled_back_change_leaves_nothing_behind(it_dept, billing_dept):
    assert route("Refund please").department == it_dept
    with pytest.raises(RuntimeError), transaction.atomic():
        RoutingRule.objects.create(department=billing_dept, field=RuleField.KEYWORDS, pattern="refund")
        assert route("Refund please").department == billing_dept  # kept under the uncommitted version
        raise RuntimeError
    assert route("Refund please").department == it_dept
    # Another change after the rollback gets a number of its own, not the rolled-back one.
    RoutingRule.objects.create(department=billing_dept, field=RuleField.KEYWORDS, pattern="invoice")
    assert route("Refund please").department == it_dept
    assert route("Invoice copy").department == billing_dept


def test_the_department_chosen_is_a_copy(it_dept):
    first, second = route(), route()
    assert first.department == second.department == it_dept
    assert first.department is not second.department
