"""django-q2 tasks of tickets. The SLA check runs every minute (schedule made by migration 0004); orphan
attachment files are removed every hour (migration 0006)."""

import logging

from .integrity.files import remove_orphan_files
from .sla import sla_check

logger = logging.getLogger(__name__)

ORPHAN_FILES_PER_RUN = 1000  # bounded work per run; the rest waits for the next hour


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
