"""Triage of new tickets through the django-q2 task (sync in tests), and its failures."""

import pytest

from apps.ai.choices import InsightStatus
from apps.ai.models import TicketInsight
from apps.ai.services import suggest_priority
from apps.ai.tasks import triage_ticket
from apps.departments.choices import RuleField
from apps.departments.models import RoutingRule
from apps.tickets.choices import EventKind, Priority
from apps.tickets.models import Ticket, TicketEvent
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_a_new_ticket_is_triaged_after_commit(triage_on, after_commit, it_dept, billing_dept, requester):
    RoutingRule.objects.create(department=billing_dept, field=RuleField.CATEGORY, pattern="billing", order=1)
    with after_commit():
        ticket = TicketFactory(
            department=it_dept,
            requester=requester,
            title="Urgent: the invoice is wrong",
            description="I was charged twice, this is terrible and I am very angry.",
        )

    insight = TicketInsight.objects.get(ticket=ticket)
    assert (insight.status, insight.provider, insight.language, insight.categories) == (
        InsightStatus.DONE,
        "local",
        "en",
        ["billing"],
    )
    assert insight.sentiment < -0.4
    assert insight.suggested_priority == Priority.URGENT
    assert insight.suggested_department == billing_dept
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.NORMAL  # suggestions only


def test_the_detected_language_becomes_the_ticket_language_when_it_has_none(it_dept, requester):
    ticket = TicketFactory(
        department=it_dept,
        requester=requester,
        title="Drucker",
        description="Der Drucker im zweiten Stock druckt nicht.",
    )
    version = Ticket.objects.get(pk=ticket.pk).version
    assert triage_ticket(ticket.pk) == InsightStatus.DONE

    ticket.refresh_from_db()
    assert (ticket.language, ticket.version) == ("de", version + 1)
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.UPDATED).get()
    assert (event.actor, event.data) == (None, {"changes": {"language": ["", "de"]}})


def test_a_language_someone_set_is_kept(it_dept, requester):
    ticket = TicketFactory(
        department=it_dept,
        requester=requester,
        title="Drucker",
        description="Der Drucker im zweiten Stock druckt nicht.",
    )
    Ticket.objects.filter(pk=ticket.pk).update(language="en")
    assert triage_ticket(ticket.pk) == InsightStatus.DONE
    assert TicketInsight.objects.get(ticket=ticket).language == "de"
    assert Ticket.objects.get(pk=ticket.pk).language == "en"
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.UPDATED).exists()


def test_nothing_is_queued_when_triage_is_off(after_commit, it_dept, requester):
    with after_commit():
        ticket = TicketFactory(department=it_dept, requester=requester)
    assert not TicketInsight.objects.filter(ticket=ticket).exists()


def test_the_task_is_idempotent(it_dept, requester):
    ticket = TicketFactory(department=it_dept, requester=requester, title="Printer broken")
    assert triage_ticket(ticket.pk) == InsightStatus.DONE
    first = TicketInsight.objects.get(ticket=ticket)
    assert triage_ticket(ticket.pk) == InsightStatus.DONE
    assert list(TicketInsight.objects.values_list("pk", "analysed_at")) == [(first.pk, first.analysed_at)]


def test_a_missing_ticket_is_skipped():
    assert triage_ticket(999_999) is None


def test_provider_failure_marks_the_insight_failed_and_leaves_the_ticket(
    fake_google, settings, after_commit, it_dept, requester
):
    settings.AI_TRIAGE_ENABLED = True
    fake_google.responses[":detectLanguage"] = [("sleep", 3, {})]
    with after_commit():
        ticket = TicketFactory(department=it_dept, requester=requester)

    insight = TicketInsight.objects.get(ticket=ticket)
    assert (insight.status, insight.provider) == (InsightStatus.FAILED, "google")
    assert "timed out" in insight.error.lower() or "timeout" in insight.error.lower()
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_the_google_provider_triages(fake_google, it_dept, requester):
    ticket = TicketFactory(department=it_dept, requester=requester, title="Rechnung falsch")
    triage_ticket(ticket.pk)
    insight = TicketInsight.objects.get(ticket=ticket)
    assert (insight.status, insight.language, insight.sentiment, insight.categories) == (
        InsightStatus.DONE,
        "de",
        -0.8,
        ["billing"],
    )
    assert insight.suggested_priority == Priority.HIGH


@pytest.mark.parametrize(
    ("text", "sentiment", "expected"),
    [
        ("Printer question", 0.2, Priority.NORMAL),
        ("Printer question", None, Priority.NORMAL),
        ("This is awful", -0.7, Priority.HIGH),
        ("Bitte dringend", None, Priority.HIGH),
        ("ACIL: sunucu çöktü", -0.9, Priority.URGENT),
    ],
)
def test_suggested_priority(text, sentiment, expected):
    assert suggest_priority(text=text, sentiment=sentiment) == expected


def test_a_ticket_no_rule_matched_goes_to_the_suggested_department(
    triage_on, after_commit, it_dept, billing_dept, requester
):
    RoutingRule.objects.create(department=billing_dept, field=RuleField.CATEGORY, pattern="billing", order=1)
    with after_commit():
        ticket = TicketFactory(
            department=None, requester=requester, category="question", title="My invoice", description="Wrong."
        )

    ticket.refresh_from_db()
    assert ticket.department == billing_dept
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TRANSFERRED)
    assert (event.actor, event.data) == (None, {"from": it_dept.pk, "to": billing_dept.pk})


def test_a_ticket_a_rule_routed_stays_where_the_rule_sent_it(triage_on, after_commit, it_dept, billing_dept, requester):
    RoutingRule.objects.create(department=billing_dept, field=RuleField.CATEGORY, pattern="billing", order=1)
    RoutingRule.objects.create(department=it_dept, field=RuleField.KEYWORDS, pattern="invoice", order=0)
    with after_commit():
        ticket = TicketFactory(
            department=None, requester=requester, category="question", title="My invoice", description="Wrong."
        )

    ticket.refresh_from_db()
    assert ticket.department == it_dept
    assert TicketInsight.objects.get(ticket=ticket).suggested_department == billing_dept
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRANSFERRED).exists()


def test_the_default_deadlines_fit_in_the_worker_task_timeout():
    from django.conf import settings

    assert settings.Q_CLUSTER["timeout"] > 3 * (settings.AI_TIMEOUT + settings.AI_RETRY_DEADLINE)


@pytest.mark.parametrize(("triage", "expected"), [(False, 0), (True, 1)])
def test_imported_tickets_are_triaged_when_the_import_asks(
    triage_on, after_commit, it_dept, requester, triage, expected
):
    from tests.tickets.test_import import HEADER, csv_bytes, run

    with after_commit():
        run(csv_bytes([HEADER, ["Imported", "My invoice is wrong", requester.email, "", "", ""]]), triage=triage)

    assert TicketInsight.objects.filter(status=InsightStatus.DONE).count() == expected
