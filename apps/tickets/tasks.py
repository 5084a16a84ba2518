"""django-q2 tasks of tickets. The SLA check runs every minute (schedule made by migration 0004)."""

from .sla import sla_check


def sla_check_task() -> dict[str, int]:
    """Record and notify SLA warnings and breaches (idempotent: each is recorded once per due date)."""
    result = sla_check()
    return {"warnings": len(result.warnings), "breaches": len(result.breaches)}
