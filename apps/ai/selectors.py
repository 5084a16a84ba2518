"""All reads of the AI app."""

from django.conf import settings

from apps.tickets.choices import Category, Priority

from .choices import InsightStatus, LearnTarget, ModelStatus
from .models import TicketInsight, TriageModel


def insight_for_ticket(ticket) -> TicketInsight | None:
    """The ticket's insight (with its suggested department), or None before triage."""
    return TicketInsight.objects.filter(ticket=ticket).select_related("suggested_department").first()


def insights_to_retry(*, limit: int) -> list[int]:
    """Ids of the tickets whose triage failed and may be tried again, the longest-waiting first."""
    return list(
        TicketInsight.objects.filter(status=InsightStatus.FAILED, attempts__lt=settings.AI_TRIAGE_MAX_ATTEMPTS)
        .order_by("analysed_at", "pk")
        .values_list("ticket_id", flat=True)[:limit]
    )


def _label_names(target: str, metrics: dict) -> dict[str, str]:
    if target == LearnTarget.DEPARTMENT:
        return dict(metrics.get("labels") or {})
    choices = Category if target == LearnTarget.CATEGORY else Priority
    return {value: str(label) for value, label in choices.choices}


def _model_figures(model: TriageModel) -> dict:
    metrics = model.metrics or {}
    names = _label_names(model.target, metrics)
    return {
        "version": model.version,
        "status": model.status,
        "status_display": str(model.get_status_display()),
        "trained_at": model.trained_at.isoformat(),
        "training_size": model.training_size,
        "heldout_size": model.heldout_size,
        "accuracy": model.accuracy,
        "baseline_accuracy": model.baseline_accuracy,
        "compared_accuracy": model.compared_accuracy,
        "cold_start_accuracy": metrics.get("cold_start_accuracy"),
        "majority_class": names.get(metrics.get("majority", ""), metrics.get("majority", "")),
        "classes": {names.get(label, label): count for label, count in (metrics.get("classes") or {}).items()},
        "languages": metrics.get("languages") or {},
        "confused": [
            {
                "true": names.get(pair["true"], pair["true"]),
                "predicted": names.get(pair["predicted"], pair["predicted"]),
                "count": pair["count"],
            }
            for pair in metrics.get("confused") or []
        ],
        "seconds": metrics.get("seconds"),
    }


def triage_quality() -> dict:
    """The learning triage's figures per target: the model in use (held-out accuracy beside the majority class,
    per language, most-confused classes, training size and date) and the latest training if it was not promoted.
    What the "AI quality" page, `train_triage --report` and GET /api/ai/quality/ show (admins only)."""
    models = TriageModel.objects.defer("payload").order_by("target", "-version")
    latest: dict[str, TriageModel] = {}
    active: dict[str, TriageModel] = {}
    for model in models:
        latest.setdefault(model.target, model)
        if model.status == ModelStatus.ACTIVE:
            active[model.target] = model
    targets = []
    for target, label in LearnTarget.choices:
        in_use = active.get(target)
        last = latest.get(target)
        targets.append(
            {
                "target": target,
                "name": str(label),
                "model": _model_figures(in_use) if in_use else None,
                "latest": _model_figures(last) if last is not None and last is not in_use else None,
            }
        )
    return {"min_per_class": settings.AI_LEARN_MIN_PER_CLASS, "targets": targets}
