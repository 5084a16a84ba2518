"""django-q2 tasks of tickets. The SLA check runs every minute (schedule made by migration 0004); orphan
attachment files are removed every hour (migration 0006); resolved tickets are closed after
TICKET_AUTO_CLOSE_DAYS by an hourly run (migration 0015); the figures' past days are folded into one row per
bucket every day (migration 0018)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .aggregates import stats_fold_days
from .integrity.files import remove_orphan_files
from .selectors import tickets_due_for_auto_close
from .services import ticket_auto_close
from .sla import sla_check

logger = logging.getLogger(__name__)

ORPHAN_FILES_PER_RUN = 1000  # bounded work per run; the rest waits for the next hour
AUTO_CLOSE_PER_RUN = 1000  # likewise: each ticket is its own transaction, the rest waits for the next hour


def sla_check_task() -> dict[str, int]:
    """Record and notify SLA warnings and breaches (idempotent: each is recorded once per due date)."""
    result = sla_check()
    return {"warnings": len(result.warnings), "breaches": len(result.breaches)}


def orphan_files_task(limit: int = ORPHAN_FILES_PER_RUN) -> dict[str, int]:
    """Delete attachment files that no attachment refers to, older than an hour (left by a create whose
    transaction rolled back): the check_data --fix of orphan-attachment-file, at most `limit` per run."""
    deleted, remaining = remove_orphan_files(limit=limit)
    if deleted or remaining:
        logger.info("%d orphan attachment file(s) deleted, %d left for the next run", deleted, remaining)
    return {"deleted": deleted, "remaining": remaining}


def auto_close_task(limit: int = AUTO_CLOSE_PER_RUN) -> dict[str, int]:
    """Close the tickets resolved more than TICKET_AUTO_CLOSE_DAYS ago (0: never), as the system; the requester
    hears of it as of any status change. Safe to run twice: each ticket is re-checked under its row lock."""
    days = settings.TICKET_AUTO_CLOSE_DAYS
    if days <= 0:
        return {"closed": 0}
    resolved_before = timezone.now() - timedelta(days=days)
    ids = tickets_due_for_auto_close(resolved_before=resolved_before, limit=limit)
    closed = sum(ticket_auto_close(ticket_id=pk, resolved_before=resolved_before) is not None for pk in ids)
    if closed:
        logger.info("%d resolved ticket(s) closed after %d days", closed, days)
    return {"closed": closed}


def stats_fold_task() -> dict[str, int]:
    """Fold the shards of the figures' days before yesterday into one row per bucket (stats_fold_days)."""
    removed = stats_fold_days()
    if removed:
        logger.info("%d figure row(s) folded away", removed)
    return {"removed": removed}
