"""django-q2 tasks of the AI app; each re-reads its objects by id and is safe to run twice."""

from .services import failed_triages_retry, ticket_triage, triage_models_train


def triage_ticket(ticket_id: int, force: bool = False):
    """Analyse a new ticket and store its TicketInsight (a done insight is kept unless `force`)."""
    insight = ticket_triage(ticket_id=ticket_id, force=force)
    return insight.status if insight is not None else None


def retry_failed_triages():
    """Scheduled (migration 0002): triage again the tickets whose triage failed, once the provider answers."""
    return failed_triages_retry()


def train_triage_models():
    """Scheduled nightly (migration 0003): train the learning triage and promote the better models."""
    return [str(model) for model in triage_models_train()]


def triage_backfill(job_id: int, ticket_ids: list[int]):
    """Part of a "Triage with AI" run of the ticket list (apps/ai/backfill.py): triage these tickets."""
    from .backfill import backfill_run_chunk

    backfill_run_chunk(job_id=job_id, ticket_ids=ticket_ids)
