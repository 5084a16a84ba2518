"""Triage of existing tickets: `manage.py triage_tickets` and the ticket list's "Triage with AI" action."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from apps.ai.choices import InsightStatus
from apps.ai.models import TicketInsight, TriageBackfill
from apps.notifications.models import Notification
from apps.tickets.choices import EventKind
from apps.tickets.models import Ticket, TicketEvent
from tests.support import logged_in
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db

GERMAN = ("Drucker kaputt", "Der Drucker im zweiten Stock druckt seit gestern nicht mehr, bitte helfen Sie uns.")
ENGLISH = ("Invoice wrong", "I was charged twice for the same invoice and I am very angry about it.")


def run(*args) -> str:
    out = io.StringIO()
    call_command("triage_tickets", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_existing_tickets_are_triaged_in_batches_without_notifying_anyone(it_dept, billing_dept, requester, agent):
    german = TicketFactory(department=it_dept, requester=requester, title=GERMAN[0], description=GERMAN[1])
    english = TicketFactory(department=billing_dept, requester=requester, title=ENGLISH[0], description=ENGLISH[1])
    kept = TicketFactory(department=it_dept, requester=requester, language="fr")
    Ticket.objects.filter(pk__in=[german.pk, english.pk]).update(language="")
    updated_at = Ticket.objects.get(pk=german.pk).updated_at
    notifications = Notification.objects.count()

    out = run("--batch-size", "2")

    assert out.startswith("3 tickets: 3 triaged, 0 failed, 0 already done; 2 languages filled;")
    insights = {i.ticket_id: i for i in TicketInsight.objects.all()}
    assert (insights[german.pk].status, insights[german.pk].language) == (InsightStatus.DONE, "de")
    assert (insights[english.pk].language, insights[english.pk].sentiment < 0) == ("en", True)
    assert insights[english.pk].suggested_category == "billing"
    german.refresh_from_db()
    assert (german.language, german.updated_at, german.version) == ("de", updated_at, 2)
    assert Ticket.objects.get(pk=kept.pk).language == "fr"
    event = TicketEvent.objects.get(ticket=german, kind=EventKind.UPDATED)
    assert (event.actor, event.data) == (None, {"changes": {"language": ["", "de"]}})
    assert Notification.objects.count() == notifications

    again = run()
    assert again.startswith("3 tickets: 0 triaged, 0 failed, 3 already done; 0 languages filled;")
    forced = run("--force")
    assert forced.startswith("3 tickets: 3 triaged, 0 failed, 0 already done; 0 languages filled;")
    assert TicketInsight.objects.get(ticket=german).attempts == 2


def test_since_and_department_narrow_the_run(it_dept, billing_dept, requester):
    old = TicketFactory(department=it_dept, requester=requester)
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    TicketFactory(department=it_dept, requester=requester)
    TicketFactory(department=billing_dept, requester=requester)
    since = (timezone.now() - timedelta(days=30)).strftime("%Y-%m-%d")

    assert run("--since", since, "--department", "it-support").startswith("1 tickets: 1 triaged")
    assert run("--department", "Billing").startswith("1 tickets: 1 triaged")
    with pytest.raises(CommandError, match="No department is named “Sales”"):
        run("--department", "Sales")
    with pytest.raises(CommandError, match="write the date as 2024-01-31"):
        run("--since", "31/01/2024")


def test_a_provider_failure_is_kept_on_the_insight_and_the_run_goes_on(down, it_dept, requester):
    TicketFactory(department=it_dept, requester=requester)
    out = run()
    assert out.startswith("1 tickets: 0 triaged, 1 failed")
    assert TicketInsight.objects.get().status == InsightStatus.FAILED


def test_the_admin_action_triages_the_selection_and_shows_progress(admin_user, agent, it_dept, requester, after_commit):
    tickets = [TicketFactory(department=it_dept, requester=requester) for _ in range(3)]
    browser = logged_in(admin_user)
    changelist = reverse("admin:tickets_ticket_changelist")

    with after_commit():
        response = browser.post(
            changelist, {"action": "triage_with_ai", "_selected_action": [t.pk for t in tickets[:2]]}
        )

    job = TriageBackfill.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:tickets_ticket_ai_backfill", args=[job.pk]
    )
    assert (job.total, job.done, job.triaged, job.finished_at is not None) == (2, 2, 2, True)
    assert set(TicketInsight.objects.values_list("ticket_id", flat=True)) == {tickets[0].pk, tickets[1].pk}
    page = browser.get(response["Location"])
    assert page.status_code == 200
    assert 'data-finished="yes"' in page.content.decode() and 'value="2"' in page.content.decode()

    agent_browser = logged_in(agent)
    assert agent_browser.get(response["Location"]).status_code == 403
    actions = agent_browser.get(changelist).context["action_form"].fields["action"].choices
    assert "triage_with_ai" not in [name for name, _label in actions]
    assert TriageBackfill.objects.count() == 1
