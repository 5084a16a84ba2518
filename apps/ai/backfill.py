"""Triage of tickets that are already there (imported, or opened before the AI was turned on), in batches.

    result = tickets_triage_backfill(since=date(2024, 1, 1), department=it, progress=print_progress)

Used by `manage.py triage_tickets` and the ticket list's "Triage with AI" action. Each batch of
BATCH_SIZE tickets is read in one query (keyset paging on the id, so the run neither skips nor
repeats tickets while others are opened), analysed by the configured provider, and written in a few
statements: the insights in one upsert, the detected languages of tickets that have none in one UPDATE per
language plus their "updated" events in one insert. Like ticket_triage, a backfill stores suggestions; it
applies none of them and moves no ticket, and the events it writes are announced with the notifications and
triage listeners silenced, so nobody is notified and nothing is queued. A ticket whose insight is done is
skipped unless `force`. A provider error fails that ticket's insight (kept with its error, retried by the
usual retry task), never the run.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.tickets import events
from apps.tickets.choices import EventKind
from apps.tickets.models import Ticket, TicketEvent

from .choices import InsightStatus
from .models import TicketInsight, TriageBackfill
from .providers import ProviderError, get_provider
from .reads import reads_cached
from .services import clean_categories, clean_language, clean_sentiment, triage_suggestions

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
Progress = Callable[[int, int], None]  # (tickets done, tickets to do)
INSIGHT_FIELDS = (
    "status",
    "provider",
    "language",
    "sentiment",
    "categories",
    "suggested_priority",
    "suggested_category",
    "suggested_department",
    "confidence",
    "suggested_by",
    "error",
    "analysed_at",
    "attempts",
)


@dataclass
class BackfillResult:
    total: int = 0  # tickets selected
    triaged: int = 0
    failed: int = 0
    skipped: int = 0  # already done
    languages_filled: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return (self.triaged + self.failed) / self.seconds if self.seconds else 0.0


def tickets_for_backfill(*, since: datetime | None = None, department=None, ticket_ids=None):
    """The tickets a backfill would triage: opened since `since`, of `department`, or the given ids."""
    tickets = Ticket.objects.all()
    if since is not None:
        tickets = tickets.filter(created_at__gte=since)
    if department is not None:
        tickets = tickets.filter(department=department)
    if ticket_ids is not None:
        tickets = tickets.filter(pk__in=list(ticket_ids))
    return tickets


def tickets_triage_backfill(
    *,
    since: datetime | None = None,
    department=None,
    ticket_ids=None,
    force: bool = False,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> BackfillResult:
    """Triage the selected tickets batch by batch (see the module's docstring); returns the counts."""
    started = timezone.now()
    batch_size = batch_size or BATCH_SIZE
    selected = tickets_for_backfill(since=since, department=department, ticket_ids=ticket_ids)
    result = BackfillResult(total=selected.count())
    provider = get_provider()
    last_id = 0
    done = 0
    while True:
        batch = list(
            selected.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "title", "description", "language")[:batch_size]
        )
        if not batch:
            break
        last_id = batch[-1][0]
        with reads_cached():  # rules, keywords and models read once per batch
            _triage_batch(batch, provider=provider, force=force, result=result)
        done += len(batch)
        if progress is not None:
            progress(done, result.total)
    result.seconds = (timezone.now() - started).total_seconds()
    return result


def _triage_batch(batch, *, provider, force: bool, result: BackfillResult) -> None:
    found = TicketInsight.objects.filter(ticket_id__in=[row[0] for row in batch])
    existing = {insight.ticket_id: insight for insight in found}
    now = timezone.now()
    insights = []
    languages: dict[str, list[int]] = {}
    for ticket_id, title, description, language in batch:
        insight = existing.get(ticket_id) or TicketInsight(ticket_id=ticket_id)
        if insight.status == InsightStatus.DONE and not force:
            result.skipped += 1
            continue
        text = f"{title}\n\n{description}"[: settings.AI_MAX_ANALYSED_CHARS]
        insight.provider = provider.name
        insight.analysed_at = now
        insight.attempts = (insight.attempts or 0) + 1
        try:
            detected = provider.detect_language(text)
            analysis = provider.analyze(text)
            insight.language = clean_language(detected)
            insight.sentiment = clean_sentiment(analysis.sentiment)
            insight.categories = clean_categories(analysis.categories)
            suggestions = triage_suggestions(text=text, categories=insight.categories, sentiment=insight.sentiment)
        except Exception as exc:  # one ticket's failure is recorded on its insight, never the run's end
            if not isinstance(exc, ProviderError):
                logger.exception("AI backfill of ticket %s failed", ticket_id)
            insight.status = InsightStatus.FAILED
            insight.error = str(exc)[:2000] or type(exc).__name__
            result.failed += 1
            insights.append(insight)
            continue
        insight.status = InsightStatus.DONE
        insight.error = ""
        insight.suggested_priority = suggestions["priority"]
        insight.suggested_category = suggestions["category"]
        insight.suggested_department = suggestions["department"]
        insight.confidence = suggestions["confidence"]
        insight.suggested_by = suggestions["suggested_by"]
        insights.append(insight)
        result.triaged += 1
        if insight.language and not language:
            languages.setdefault(insight.language, []).append(ticket_id)
    with events.silenced(events.NOTIFICATIONS, events.TRIAGE), transaction.atomic():
        TicketInsight.objects.bulk_create(
            insights, update_conflicts=True, unique_fields=["ticket"], update_fields=list(INSIGHT_FIELDS)
        )
        result.languages_filled += _fill_languages(languages, now=now)


def _fill_languages(languages: dict[str, list[int]], *, now) -> int:
    """Set each detected language on the tickets that still have none, as ticket_language_fill does, in bulk."""
    filled = []
    for language, ids in languages.items():
        empty = list(Ticket.objects.filter(pk__in=ids, language="").values_list("pk", flat=True))
        if not empty:
            continue
        Ticket.objects.filter(pk__in=empty, language="").update(
            language=language, version=F("version") + 1
        )  # updated_at stays: an import's old tickets must not all look changed today
        filled += [
            TicketEvent(
                ticket_id=ticket_id,
                actor=None,
                kind=EventKind.UPDATED,
                data={"changes": {"language": ["", language]}},
                created_at=now,
            )
            for ticket_id in empty
        ]
    if filled:
        events.events_record(filled)
    return len(filled)


TASK = "apps.ai.tasks.triage_backfill"
TASK_TICKETS = 5000  # tickets per worker task: well under the cluster's timeout at the local provider's speed


def backfill_queue(*, ticket_ids: list[int], requested_by) -> TriageBackfill:
    """Record a backfill of `ticket_ids` and queue its tasks (TASK_TICKETS each) after commit; the progress page
    reads the returned TriageBackfill."""
    from django_q.tasks import async_task

    job = TriageBackfill.objects.create(requested_by=requested_by, total=len(ticket_ids))
    chunks = [ticket_ids[start : start + TASK_TICKETS] for start in range(0, len(ticket_ids), TASK_TICKETS)]
    for number, chunk in enumerate(chunks, 1):
        transaction.on_commit(
            lambda chunk=chunk, number=number: async_task(
                TASK, job.pk, chunk, task_name=f"ai-backfill-{job.pk}-{number}", group="ai"
            )
        )
    if not chunks:
        TriageBackfill.objects.filter(pk=job.pk).update(finished_at=timezone.now())
    return job


def backfill_run_chunk(*, job_id: int, ticket_ids: list[int]) -> None:
    """One task of a queued backfill: triage its tickets and add to the job's counts batch by batch."""
    counted = {"done": 0}

    def progress(done: int, _total: int) -> None:
        TriageBackfill.objects.filter(pk=job_id).update(done=F("done") + (done - counted["done"]))
        counted["done"] = done

    result = tickets_triage_backfill(ticket_ids=ticket_ids, progress=progress)
    TriageBackfill.objects.filter(pk=job_id).update(
        triaged=F("triaged") + result.triaged, failed=F("failed") + result.failed, skipped=F("skipped") + result.skipped
    )
    TriageBackfill.objects.filter(pk=job_id, finished_at=None, done__gte=F("total")).update(finished_at=timezone.now())
