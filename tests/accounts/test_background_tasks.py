"""The "Background tasks" pages speak plain words: each task's purpose and the ticket it was about."""

from django.urls import reverse
from django.utils import timezone
from django_q.models import Task

from tests.support import logged_in
from tests.tickets.factories import TicketFactory


def _task(pk: str, func: str, args, *, success=True, result=None) -> Task:
    now = timezone.now()
    return Task.objects.create(
        id=pk, name=pk, func=func, args=args, kwargs={}, result=result, started=now, stopped=now, success=success
    )


def test_tasks_are_listed_by_purpose_and_ticket(admin_user, it_dept, requester):
    ticket = TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")
    event = ticket.events.get()
    _task("a" * 32, "apps.notifications.tasks.deliver_event", (event.pk,))
    _task("b" * 32, "apps.ai.tasks.triage_ticket", (ticket.pk,))
    _task("c" * 32, "apps.tickets.tasks.sla_check_task", ())
    _task("d" * 32, "apps.notifications.tasks.deliver_event", (999999,), success=False, result="Event gone")

    html = logged_in(admin_user).get(reverse("admin:django_q_task_changelist")).content.decode()

    assert "Create the notifications of one ticket event (and queue their e-mails)" in html
    assert f"“Created” on ticket {ticket.reference}" in html
    assert f"ticket {ticket.reference} VPN drops every hour" in html
    assert "Record and notify SLA warnings and breaches" in html
    assert "event 999999 (deleted)" in html
    assert "apps.notifications.tasks.deliver_event" not in html


def test_a_task_page_shows_no_pickled_arguments(admin_user, it_dept, requester):
    ticket = TicketFactory(department=it_dept, requester=requester)
    task = _task("e" * 32, "apps.ai.tasks.triage_ticket", (ticket.pk,), success=False, result="Timeout after 30 s")

    for name in ("django_q_task_change", "django_q_failure_change"):
        html = logged_in(admin_user).get(reverse(f"admin:{name}", args=[task.pk])).content.decode()
        assert "Pickled" not in html
        assert f"ticket {ticket.reference}" in html
        assert "Timeout after 30 s" in html
