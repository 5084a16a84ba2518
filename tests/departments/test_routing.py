"""Routing rules: order, the default department, each kind of pattern, and invalid patterns refused on save."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.departments.choices import RuleField
from apps.departments.models import RoutingRule
from apps.departments.routing import route_ticket
from apps.departments.services import routing_rule_save
from apps.tickets.choices import Category, EventKind
from apps.tickets.history import history_lines
from apps.tickets.services import ticket_create
from tests.departments.factories import DepartmentFactory
from tests.support import logged_in


def rule(department, field, pattern, order=100, **extra) -> RoutingRule:
    return routing_rule_save(
        rule=RoutingRule(department=department, field=field, pattern=pattern, order=order, **extra)
    )


def route(title="Help", description="", category=Category.QUESTION, email="carol@example.com"):
    return route_ticket(title=title, description=description, category=category, requester_email=email)


@pytest.fixture
def hr_dept(db):
    return DepartmentFactory(name="HR", slug="hr")


def test_no_rule_matches_and_the_default_department_takes_it(it_dept, billing_dept):
    rule(billing_dept, RuleField.KEYWORDS, "invoice, refund")

    found = route(title="My laptop is slow")

    assert (found.department, found.rule) == (it_dept, None)


def test_without_a_default_department_there_is_no_route(billing_dept):
    assert route(title="Anything") is None


def test_rules_are_tried_in_order_and_the_first_match_wins(it_dept, billing_dept, hr_dept):
    late = rule(hr_dept, RuleField.KEYWORDS, "refund", order=20)
    early = rule(billing_dept, RuleField.REGEX, r"refund|invoice", order=10)
    rule(it_dept, RuleField.KEYWORDS, "refund", order=10, is_active=False)

    assert route(title="Refund please").rule == early
    early.order = 30
    routing_rule_save(rule=early)
    assert route(title="Refund please").rule == late


def test_rules_of_an_inactive_department_are_skipped(it_dept, billing_dept):
    rule(billing_dept, RuleField.KEYWORDS, "invoice")
    billing_dept.is_active = False
    billing_dept.save()

    assert route(title="Invoice 42").department == it_dept


@pytest.mark.parametrize(
    ("field", "pattern", "ticket", "expected"),
    [
        (RuleField.KEYWORDS, "vpn, out of office", {"title": "VPN is down"}, True),
        (RuleField.KEYWORDS, "vpn, out of office", {"description": "I am OUT OF OFFICE next week"}, True),
        (RuleField.KEYWORDS, "vpn", {"title": "vpnclient crashed"}, False),  # whole words only
        (RuleField.REGEX, r"^(payroll|salary)\b", {"title": "Salary slip missing"}, True),
        (RuleField.REGEX, r"\binv-\d{4}\b", {"description": "About INV-2024 from March"}, True),
        (RuleField.REGEX, r"\binv-\d{4}\b", {"description": "About INV-24"}, False),
        (RuleField.CATEGORY, "billing, access", {"category": Category.ACCESS}, True),
        (RuleField.CATEGORY, "billing", {"category": Category.INCIDENT}, False),
        (RuleField.EMAIL_DOMAIN, "acme.com", {"email": "Ann@ACME.com"}, True),
        (RuleField.EMAIL_DOMAIN, "@acme.com", {"email": "ann@eu.acme.com"}, True),
        (RuleField.EMAIL_DOMAIN, "acme.com", {"email": "ann@notacme.com"}, False),
    ],
)
def test_each_kind_of_pattern(field, pattern, ticket, expected, it_dept, billing_dept):
    made = rule(billing_dept, field, pattern)
    assert (route(**ticket).rule == made) is expected


@pytest.mark.parametrize(
    ("field", "pattern", "message"),
    [
        (
            RuleField.REGEX,
            "(unclosed",
            "“(unclosed” is not a valid regular expression: missing ), unterminated subpattern at position 0.",
        ),
        (RuleField.REGEX, "   ", "Enter a regular expression."),
        (RuleField.KEYWORDS, " , ,", "Enter at least one value."),
        (
            RuleField.CATEGORY,
            "billing, hardware",
            "Unknown categories: hardware. Use: " + ", ".join(Category.values) + ".",
        ),
        (RuleField.EMAIL_DOMAIN, "acme, acme.com", "Not e-mail domains: acme."),
    ],
)
def test_an_unusable_pattern_is_refused_when_the_rule_is_saved(field, pattern, message, billing_dept):
    with pytest.raises(ValidationError) as refused:
        rule(billing_dept, field, pattern)

    assert refused.value.message_dict == {"pattern": [message]}
    assert RoutingRule.objects.count() == 0


def test_the_admin_form_shows_an_invalid_regex_on_the_pattern_field(admin_user, billing_dept):
    browser = logged_in(admin_user)
    data = {"order": "10", "field": RuleField.REGEX, "pattern": "[a-", "department": str(billing_dept.pk)}

    response = browser.post(reverse("admin:departments_routingrule_add"), {**data, "is_active": "on"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "pattern": ["“[a-” is not a valid regular expression: unterminated character set at position 0."]
    }
    assert RoutingRule.objects.count() == 0


def test_the_admin_saves_a_valid_rule_and_agents_only_look(admin_user, agent, billing_dept):
    admin_browser, agent_browser = logged_in(admin_user), logged_in(agent)
    data = {"order": "10", "field": RuleField.KEYWORDS, "pattern": "invoice", "department": str(billing_dept.pk)}

    assert agent_browser.post(reverse("admin:departments_routingrule_add"), data).status_code == 403
    assert agent_browser.get(reverse("admin:departments_routingrule_changelist")).status_code == 200
    response = admin_browser.post(reverse("admin:departments_routingrule_add"), {**data, "is_active": "on"})

    assert response.status_code == 302
    assert list(RoutingRule.objects.values_list("field", "pattern", "department__slug")) == [
        ("keywords", "invoice", "billing")
    ]


def test_a_routed_ticket_records_the_rule_in_its_history(requester, it_dept, billing_dept):
    made = rule(billing_dept, RuleField.KEYWORDS, "invoice", order=5)

    ticket = ticket_create(actor=requester, requester=requester, title="Invoice 42 is wrong", description="x")

    assert ticket.department == billing_dept
    routed = ticket.events.get(kind=EventKind.ROUTED)
    assert (routed.is_internal, routed.data) == (
        True,
        {"department": billing_dept.pk, "rule": made.pk, "order": 5, "field": "keywords", "pattern": "invoice"},
    )
    assert (
        history_lines([routed])[0].text
        == "Routed to Billing by rule #5: title or description contains a keyword “invoice”"
    )


def test_a_department_chosen_by_the_caller_is_not_routed(requester, it_dept, billing_dept):
    rule(billing_dept, RuleField.KEYWORDS, "invoice")

    ticket = ticket_create(actor=requester, requester=requester, title="Invoice", description="x", department=it_dept)

    assert ticket.department == it_dept
    assert not ticket.events.filter(kind=EventKind.ROUTED).exists()
