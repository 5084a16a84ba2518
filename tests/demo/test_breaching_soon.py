"""seed_demo always leaves a ticket "Breaching soon" (the sidebar's view of the ticket list, `?sla=breaching_soon`),
whatever the hour, weekday or holiday of seeding."""

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.departments.models import Department
from apps.departments.services import department_update
from apps.tickets.choices import Priority, Status
from tests.demo.test_seed_demo import debug, seed_demo  # noqa: F401 (the fixture)
from tests.support import logged_in

REAL_NOW = timezone.now


class TickingClock:
    """ "Now" frozen at `start`, moving one microsecond per reading (the demo's timelines need an order)."""

    def __init__(self, start: datetime):
        self.start = start
        self.ticks = itertools.count()

    def __call__(self) -> datetime:
        return self.start + timedelta(microseconds=next(self.ticks))


def freeze(monkeypatch, start: datetime) -> TickingClock:
    """timezone.now and every model field whose default is timezone.now read the clock."""
    clock = TickingClock(start)
    monkeypatch.setattr(timezone, "now", clock)
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.default is REAL_NOW:
                monkeypatch.setattr(field, "_get_default", clock)
    return clock


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.mark.parametrize(
    "moment",
    [
        at("2026-12-09 03:00"),  # a Wednesday, before business hours
        at("2026-12-12 12:00"),  # Saturday noon
        at("2026-12-11 17:59"),  # Friday, a minute before closing
        at("2026-12-24 10:00"),  # a holiday of the departments (below)
    ],
    ids=["weekday-0300", "saturday-noon", "friday-1759", "holiday"],
)
def test_a_ticket_is_breaching_soon_whatever_the_time_of_seeding(debug, monkeypatch, moment):  # noqa: F811
    call_command("loaddata", "initial_data", verbosity=0)  # the demo's departments, which seed_demo reuses
    for department in Department.objects.all():
        department_update(department=department, holidays="2026-12-24\n2026-12-25\n2026-12-26")
    freeze(monkeypatch, moment)

    seed_demo("--tickets", "20")

    admin = User.objects.get(username="admin")
    client = logged_in(admin)
    response = client.get(reverse("admin:tickets_ticket_changelist"), {"sla": "breaching_soon"})
    soon = list(response.context["cl"].result_list)
    assert len(soon) >= 1
    now = timezone.now()
    window = timedelta(minutes=settings.SLA_WARNING_MINUTES)
    unanswered = [
        t for t in soon if (t.priority, t.status, t.first_responded_at) == (Priority.URGENT, Status.NEW, None)
    ]
    assert len(unanswered) >= 1
    assert all(now < t.first_response_due_at <= now + window for t in unanswered)
