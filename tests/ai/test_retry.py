"""Failed triages are tried again by a scheduled task once the provider answers, a bounded number of times."""

import pytest
from django_q.models import Schedule

from apps.ai import breaker
from apps.ai.choices import InsightStatus
from apps.ai.models import TicketInsight
from apps.ai.tasks import retry_failed_triages

from .test_breaker import triage_new_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def triage_enabled(settings):
    settings.AI_TRIAGE_ENABLED = True


def test_failed_triages_are_done_once_the_provider_is_back(down, clock, triage_enabled, it_dept, requester):
    failed = triage_new_tickets(4, it_dept, requester)  # 3 failures open the breaker; the 4th fails fast
    assert [i.attempts for i in failed] == [1, 1, 1, 1]
    calls = len(down.requests)

    assert retry_failed_triages() == 0  # the breaker is open: nothing is tried, no call goes out
    assert len(down.requests) == calls

    clock["t"] += 61
    down.responses.clear()  # the provider is back
    assert retry_failed_triages() == 4

    done = TicketInsight.objects.order_by("pk")
    assert [(i.status, i.attempts, i.error) for i in done] == [(InsightStatus.DONE, 2, "")] * 4
    assert retry_failed_triages() == 0  # nothing left to retry


def test_a_retry_run_stops_when_the_breaker_opens_again(down, clock, triage_enabled, settings, it_dept, requester):
    triage_new_tickets(6, it_dept, requester)
    clock["t"] += 61  # half-open, but the provider is still down
    calls = len(down.requests)

    assert retry_failed_triages() == 1  # the trial fails, the breaker opens, the run stops
    assert breaker.state("google").is_open
    assert len(down.requests) > calls
    assert sorted(TicketInsight.objects.values_list("attempts", flat=True)) == [1, 1, 1, 1, 1, 2]


def test_retries_stop_at_the_attempt_limit_and_respect_the_batch(
    down, clock, triage_enabled, settings, it_dept, requester
):
    settings.AI_BREAKER_FAILURES = 0  # off: every retry reaches the provider, which stays down
    settings.AI_TRIAGE_MAX_ATTEMPTS = 3
    settings.AI_TRIAGE_RETRY_BATCH = 2
    triage_new_tickets(3, it_dept, requester)

    tried = [retry_failed_triages() for _ in range(5)]

    assert tried == [2, 2, 2, 0, 0]  # 3 tickets × 2 retries = 6, two at a time, then the limit
    assert list(TicketInsight.objects.values_list("attempts", flat=True)) == [3, 3, 3]
    assert set(TicketInsight.objects.values_list("status", flat=True)) == {InsightStatus.FAILED}


def test_nothing_is_retried_while_triage_is_off(down, clock, it_dept, requester):
    triage_new_tickets(1, it_dept, requester)
    clock["t"] += 61
    down.responses.clear()
    assert retry_failed_triages() == 0  # AI_TRIAGE_ENABLED is off in tests unless a test turns it on
    assert TicketInsight.objects.get().status == InsightStatus.FAILED


def test_the_retry_is_scheduled_every_ten_minutes_by_a_migration():
    schedule = Schedule.objects.get(name="Retry failed AI triages")
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "apps.ai.tasks.retry_failed_triages",
        Schedule.MINUTES,
        10,
        -1,
    )
