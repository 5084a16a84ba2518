"""All writes of the AI app: ticket triage (TicketInsight), applying its suggestions, and translations."""

import hashlib
import logging
import math
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.departments.choices import RuleField
from apps.departments.models import Department, RoutingRule
from apps.departments.patterns import matches
from apps.tickets.choices import Category, EventKind, Priority, Status
from apps.tickets.models import Ticket, TicketEvent
from apps.tickets.services import ticket_language_fill, ticket_transfer

from . import breaker
from .choices import InsightStatus, LearnTarget, ModelStatus, TranslatedField
from .learning import predict
from .models import TicketInsight, Translation, TriageModel
from .providers import ProviderError, TranslationUnavailable, get_provider
from .queue import triage_enabled
from .reads import cached
from .selectors import insights_to_retry

logger = logging.getLogger(__name__)

PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
# Urgency and calm in the languages of AI_DETECT_LANGUAGES (en, tr, de, fr, es, pt); matched at a word start,
# ignoring case. Calm wins ("not urgent" contains "urgent").
URGENCY_WORDS = (
    "urgent", "asap", "immediately", "emergency", "critical", "as soon as possible", "right now",
    "dringend", "sofort", "notfall", "kritisch",
    "acil", "hemen", "kritik", "derhal",
    "urgence", "immédiatement", "tout de suite", "critique",
    "urgente", "inmediatamente", "emergencia", "crítico",
    "imediatamente", "emergência",
)  # fmt: skip
CALM_WORDS = (
    "no rush", "no hurry", "not urgent", "whenever you have time", "when you have time",
    "keine eile", "nicht dringend", "wenn sie zeit haben",
    "acelesi yok", "acil değil", "vaktiniz olduğunda",
    "pas urgent", "rien de pressé", "quand vous aurez le temps",
    "sin prisa", "no es urgente", "cuando tengan tiempo",
    "sem pressa", "não é urgente", "quando tiverem tempo",
)  # fmt: skip
_URGENCY_RE = re.compile("|".join(r"(?<!\w)" + re.escape(word) for word in URGENCY_WORDS), re.IGNORECASE)
_CALM_RE = re.compile("|".join(r"(?<!\w)" + re.escape(word) for word in CALM_WORDS), re.IGNORECASE)
NEGATIVE_SENTIMENT = -0.4
# The probability given to a priority from the rules above: a fixed estimate, the rules know no better.
RULE_PRIORITY_CONFIDENCE = 0.5
# The language allow-list: an ISO 639 code (2 or 3 ASCII letters); a region or script subtag is dropped
# ("pt-BR" → "pt"). Anything else a provider answers is not stored.
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}")


def suggest_priority(*, text: str, sentiment: float | None) -> str:
    """Low for calm words; else normal, one step up for clearly negative sentiment, one more for urgency words."""
    if _CALM_RE.search(text):
        return Priority.LOW
    level = PRIORITY_ORDER.index(Priority.NORMAL)
    if sentiment is not None and sentiment <= NEGATIVE_SENTIMENT:
        level += 1
    if _URGENCY_RE.search(text):
        level += 1
    return PRIORITY_ORDER[min(level, len(PRIORITY_ORDER) - 1)]


def suggest_department(*, categories: list[str]):
    """The department of the first active category routing rule that matches one of `categories`."""
    if not categories:
        return None
    rules = cached(
        "category_rules",
        lambda: list(
            RoutingRule.objects.filter(is_active=True, department__is_active=True, field=RuleField.CATEGORY)
            .select_related("department")
            .order_by("order", "id")
        ),
    )
    for category in categories:
        for rule in rules:
            if matches(rule.field, rule.pattern, title="", description="", category=category, email=""):
                return rule.department
    return None


def department_keywords(value: str) -> list[str]:
    """A department's keywords field as lower-case words or phrases (one per line or comma-separated)."""
    return [word.strip().lower() for word in re.split(r"[,\n]", value or "") if word.strip()]


def suggest_department_by_keywords(*, text: str) -> tuple[Department | None, float]:
    """The active department whose keywords occur most often in `text` (each keyword counted once, at a word
    start, ignoring case), and its share of all the keywords found: (None, 0.0) when none is found."""
    lowered = text.lower()
    hits = []
    departments = cached(
        "keyword_departments",
        lambda: [
            (department, set(department_keywords(department.keywords)))
            for department in Department.objects.filter(is_active=True).exclude(keywords="").order_by("name", "pk")
        ],
    )
    for department, keywords in departments:
        found = sum(1 for word in keywords if re.search(r"(?<!\w)" + re.escape(word), lowered))
        if found:
            hits.append((found, department))
    if not hits:
        return None, 0.0
    best_count, best = max(hits, key=lambda hit: hit[0])  # the first (by name) among equals
    return best, round(best_count / sum(count for count, _department in hits), 3)


def triage_suggestions(*, text: str, categories: list[str], sentiment: float | None, learned: bool = True) -> dict:
    """The suggestions for a ticket's text, each with a probability and its origin.

    A model in use (TriageModel, trained on the site's own tickets; not with `learned=False`) answers for its
    target. Without one, the
    cold start: the provider's first category (keywords in six languages, or Google's categories), with
    probability 1/n among the n categories found; the department of a category routing rule (with the
    category's probability) or else of the departments' keywords (its share of the keywords found); the
    priority from sentiment, urgency and calm words (RULE_PRIORITY_CONFIDENCE).
    Returns {"priority": str, "category": str, "department": Department | None, "confidence": {...},
    "suggested_by": {...}}.
    """
    confidence: dict[str, float] = {}
    suggested_by: dict[str, str] = {}
    category = categories[0] if categories else ""
    if category:
        confidence[LearnTarget.CATEGORY] = round(1 / len(categories), 3)
        suggested_by[LearnTarget.CATEGORY] = "provider"
    department = suggest_department(categories=categories)
    if department is not None:
        confidence[LearnTarget.DEPARTMENT] = confidence[LearnTarget.CATEGORY]
        suggested_by[LearnTarget.DEPARTMENT] = "rules"
    else:
        department, share = suggest_department_by_keywords(text=text)
        if department is not None:
            confidence[LearnTarget.DEPARTMENT] = share
            suggested_by[LearnTarget.DEPARTMENT] = "keywords"
    priority = suggest_priority(text=text, sentiment=sentiment)
    confidence[LearnTarget.PRIORITY] = RULE_PRIORITY_CONFIDENCE
    suggested_by[LearnTarget.PRIORITY] = "rules"

    for target, prediction in (predict.predict(text) if learned else {}).items():
        if target == LearnTarget.DEPARTMENT:
            learned = Department.objects.filter(pk=prediction.label, is_active=True).first()
            if learned is None:  # deactivated since training: the cold start stands
                continue
            department = learned
        elif target == LearnTarget.CATEGORY:
            category = prediction.label
        else:
            priority = prediction.label
        confidence[target] = prediction.probability
        suggested_by[target] = f"model v{prediction.version}"
    return {
        "priority": priority,
        "category": category,
        "department": department,
        "confidence": confidence,
        "suggested_by": suggested_by,
    }


def clean_language(value) -> str:
    """The provider's language as an ISO 639 code (lower case, no region), or "" when it is not one."""
    if not isinstance(value, str):
        return ""
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    return primary if _LANGUAGE_RE.fullmatch(primary) else ""


def clean_sentiment(value) -> float | None:
    """The provider's sentiment clamped to [-1, 1], or None when it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return round(min(1.0, max(-1.0, float(value))), 3)


def clean_categories(values) -> list[str]:
    """The provider's categories that are ticket categories, each once, in the provider's order."""
    if not isinstance(values, list | tuple):
        return []
    known = [value for value in values if isinstance(value, str) and value in Category.values]
    return list(dict.fromkeys(known))


def ticket_triage(*, ticket_id: int, force: bool = False) -> TicketInsight | None:
    """Analyse the ticket with the configured provider and store the result; never raises for provider failures.

    Safe to run twice: a done insight is returned as it is unless `force`. The provider is called outside any
    transaction. Suggestions stay suggestions (agents apply them through the ticket services); the detected
    language is a fact and becomes the ticket's language when it has none (recorded as the system).
    The provider reads the first settings.AI_MAX_ANALYSED_CHARS characters of title and description; of its
    answer only an ISO 639 language code, a sentiment clamped to [-1, 1] and ticket categories are stored.
    """
    ticket = Ticket.objects.filter(pk=ticket_id).only("pk", "title", "description").first()
    if ticket is None:
        return None
    insight, _created = TicketInsight.objects.get_or_create(ticket=ticket)
    if insight.status == InsightStatus.DONE and not force:
        return insight
    # Only a prefix is analysed, so the time a triage takes has a bound whatever the ticket's length.
    text = f"{ticket.title}\n\n{ticket.description}"[: settings.AI_MAX_ANALYSED_CHARS]
    provider = get_provider()
    insight.provider = provider.name
    insight.analysed_at = timezone.now()
    insight.attempts += 1
    try:
        language = provider.detect_language(text)
        analysis = provider.analyze(text)
    except Exception as exc:  # a broken provider must never break the ticket flow: record why, move on
        if not isinstance(exc, ProviderError):
            logger.exception("AI triage of ticket %s failed", ticket_id)
        insight.status = InsightStatus.FAILED
        insight.error = str(exc)[:2000] or type(exc).__name__
        insight.save(update_fields=["status", "error", "provider", "analysed_at", "attempts"])
        return insight
    insight.status = InsightStatus.DONE
    insight.error = ""
    # A provider's answer is data from outside: only what fits the fields is stored.
    insight.language = clean_language(language)
    insight.sentiment = clean_sentiment(analysis.sentiment)
    insight.categories = clean_categories(analysis.categories)
    try:
        suggestions = triage_suggestions(text=text, categories=insight.categories, sentiment=insight.sentiment)
    except Exception:  # a broken model must not lose the provider's answer: the rules' suggestions stand
        logger.exception("Learned triage of ticket %s failed", ticket_id)
        suggestions = triage_suggestions(
            text=text, categories=insight.categories, sentiment=insight.sentiment, learned=False
        )
    insight.suggested_priority = suggestions["priority"]
    insight.suggested_category = suggestions["category"]
    insight.suggested_department = suggestions["department"]
    insight.confidence = suggestions["confidence"]
    insight.suggested_by = suggestions["suggested_by"]
    with transaction.atomic():
        insight.save()
        # The detected language is a fact, not a suggestion: it becomes the ticket's language when it has none.
        ticket_language_fill(ticket_id=ticket.pk, language=insight.language)
    try:
        insight_route(insight=insight)
    except Exception:  # routing is a convenience: the insight stays, an agent can still apply it by hand
        logger.exception("Routing ticket %s by its insight failed", ticket_id)
    return insight


def failed_triages_retry(*, limit: int | None = None) -> int:
    """Triage again the tickets whose triage failed (oldest first, at most `limit`, each up to
    AI_TRIAGE_MAX_ATTEMPTS times) and return how many were tried. Nothing while triage is off or the circuit
    breaker is open; the run stops as soon as the breaker opens, so a provider that is still down costs a few
    calls, not one per ticket."""
    if not triage_enabled():
        return 0
    name = get_provider().name
    if breaker.state(name).is_open:
        return 0
    tried = 0
    for ticket_id in insights_to_retry(limit=settings.AI_TRIAGE_RETRY_BATCH if limit is None else limit):
        ticket_triage(ticket_id=ticket_id, force=True)
        tried += 1
        if breaker.state(name).is_open:
            break
    return tried


def insight_route(*, insight: TicketInsight) -> bool:
    """Send the ticket to the insight's suggested department when its probability is at least
    AI_ROUTE_MIN_CONFIDENCE, routing matched no rule (the ticket went to the default department) and nobody has
    moved or worked it since. Recorded as a transfer by the system."""
    department = insight.suggested_department
    if department is None:
        return False
    if (insight.confidence or {}).get(LearnTarget.DEPARTMENT, 0) < settings.AI_ROUTE_MIN_CONFIDENCE:
        return False
    ticket = Ticket.objects.select_related("department", "assignee").get(pk=insight.ticket_id)
    if ticket.department_id == department.pk or ticket.status != Status.NEW:
        return False
    history = TicketEvent.objects.filter(ticket=ticket)
    routed = history.filter(kind=EventKind.ROUTED).order_by("pk").first()
    if routed is None or routed.data.get("rule") is not None or routed.data.get("department") != ticket.department_id:
        return False
    if history.filter(kind=EventKind.TRANSFERRED).exists():
        return False
    ticket_transfer(ticket=ticket, actor=None, department=department)
    return True


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def translation_get(*, ticket: Ticket, field: str, text: str, language: str, comment=None) -> str:
    """`text` (the ticket's `field`, or the comment's body) in `language`, from the cache or the provider.

    Raises TranslationUnavailable (local and disabled providers) or ProviderError; the caller shows the original.
    The cache row remembers the hash of what was translated, so an edited original is translated again.
    """
    digest = text_hash(text)
    cached = Translation.objects.filter(ticket=ticket, comment=comment, field=field, language=language).first()
    if cached is not None and cached.source_hash == digest:
        return cached.text
    provider = get_provider()
    translated = provider.translate(text, target=language)
    Translation.objects.update_or_create(
        ticket=ticket,
        comment=comment,
        field=field,
        language=language,
        defaults={"text": translated, "source_hash": digest, "provider": provider.name},
    )
    return translated


def ticket_translation(*, user, ticket: Ticket, language: str) -> dict:
    """The ticket's title, description and the comments `user` may see (requesters: no internal notes), each
    translated into `language`. Raises TranslationUnavailable / ProviderError as translation_get does."""
    from apps.tickets.selectors import comments_visible_to

    comments = [
        {
            "id": comment.pk,
            "is_internal": comment.is_internal,
            "body": translation_get(
                ticket=ticket, comment=comment, field=TranslatedField.BODY, text=comment.body, language=language
            ),
        }
        for comment in comments_visible_to(user, ticket=ticket)
    ]
    return {
        "language": language,
        "title": translation_get(ticket=ticket, field=TranslatedField.TITLE, text=ticket.title, language=language),
        "description": translation_get(
            ticket=ticket, field=TranslatedField.DESCRIPTION, text=ticket.description, language=language
        ),
        "comments": comments,
    }


def replies_translate(*, ticket: Ticket, comments: list, language: str) -> str:
    """Set `comment.translated` on the agents' public replies among `comments` (the portal's toggle).

    Internal notes are skipped whatever the caller passed. Returns "" or, when the provider cannot translate,
    the message to show (the originals are shown then).
    """
    from django.utils.translation import gettext as _

    try:
        for comment in comments:
            if comment.is_internal or not comment.author.is_staff:
                continue
            comment.translated = translation_get(
                ticket=ticket, comment=comment, field=TranslatedField.BODY, text=comment.body, language=language
            )
    except TranslationUnavailable:
        return _("Translation is unavailable with the configured AI provider.")
    except ProviderError:
        return _("The translation service failed; try again later.")
    return ""


# The learning triage -------------------------------------------------------------------------------------------


def _cold_start_guesses(examples, target: str) -> dict[int, str]:
    """What the cold-start path (keywords, rules, the provider's categories) suggested for these tickets, where
    it did: the bar a model must clear on the same tickets before it replaces that path."""
    ids = [example.ticket_id for example in examples]
    rows = (
        row
        for start in range(0, len(ids), 2000)  # bounded IN lists (SQLite limits a statement's parameters)
        for row in TicketInsight.objects.filter(ticket_id__in=ids[start : start + 2000], status=InsightStatus.DONE)
        .values_list("ticket_id", "categories", "suggested_department_id", "suggested_priority", "suggested_by")
        .iterator()
    )
    guesses = {}
    for ticket_id, categories, department_id, priority, suggested_by in rows:
        if target == LearnTarget.CATEGORY:
            guesses[ticket_id] = categories[0] if categories else ""
        elif str((suggested_by or {}).get(target, "")).startswith("model"):
            continue  # a model's suggestion, not the cold start's
        elif target == LearnTarget.DEPARTMENT:
            guesses[ticket_id] = str(department_id) if department_id else ""
        else:
            guesses[ticket_id] = priority
    return guesses


def _accuracy(pairs) -> float | None:
    pairs = list(pairs)
    return round(sum(guess == truth for guess, truth in pairs) / len(pairs), 4) if pairs else None


def _judge(candidate, current) -> tuple[bool, dict]:
    """Whether `candidate` beats the majority class, the model in use (`current`, a TriageModel or None) and the
    cold-start suggestions on the same held-out tickets; the figures it was compared with."""
    from .learning.dataset import model_text
    from .learning.predict import pipeline_for

    target = candidate.target
    heldout = candidate.heldout
    texts = [model_text(example.text) for example in heldout]
    predicted = {e.ticket_id: p for e, p in zip(heldout, candidate.predicted, strict=True)}
    truth = {example.ticket_id: example.labels[target] for example in heldout}
    figures: dict = {"current_accuracy": None, "current_version": None}
    better = candidate.accuracy > candidate.baseline_accuracy
    if current is not None:
        current_predicted = pipeline_for(current.pk).predict(texts)
        figures["current_version"] = current.version
        figures["current_accuracy"] = _accuracy(zip((str(p) for p in current_predicted), truth.values(), strict=True))
        better = better and candidate.accuracy > figures["current_accuracy"]
    guesses = _cold_start_guesses(heldout, target)
    figures["cold_start_tickets"] = len(guesses)
    figures["cold_start_accuracy"] = _accuracy((guess, truth[pk]) for pk, guess in guesses.items())
    figures["model_accuracy_on_cold_start_tickets"] = _accuracy((predicted[pk], truth[pk]) for pk in guesses)
    if guesses and len(guesses) >= settings.AI_LEARN_MIN_PER_CLASS:
        better = better and figures["model_accuracy_on_cold_start_tickets"] > figures["cold_start_accuracy"]
    return better, figures


def triage_models_train(*, seed: int | None = None) -> list[TriageModel]:
    """Train a new version per target on the labelled tickets (apps/ai/learning/dataset.py) and promote each one
    that is better on the held-out tickets than the model in use, the majority class and the cold start.

    Returns the versions stored: promoted ones become active (the previous one is retired, its payload kept for
    AI_LEARN_KEEP_VERSIONS versions), the others are stored as rejected with their figures and no payload.
    Targets without enough labelled tickets store nothing. Deterministic for a given seed.
    """
    from .learning import training
    from .learning.dataset import labelled_tickets

    examples = list(labelled_tickets())
    names = {str(pk): name for pk, name in Department.objects.values_list("pk", "name")}
    results = training.train(
        examples, min_per_class=settings.AI_LEARN_MIN_PER_CLASS, seed=training.SEED if seed is None else seed
    )
    run = timezone.now().isoformat()  # the models of one run share their features (see predict.predict)
    stored = []
    for candidate in results:
        if isinstance(candidate, training.Skipped):
            logger.info("Triage model for %s not trained: %s %s", candidate.target, candidate.reason, candidate.classes)
            continue
        with transaction.atomic():
            current = (
                TriageModel.objects.select_for_update()
                .filter(target=candidate.target, status=ModelStatus.ACTIVE)
                .defer("payload")
                .first()
            )
            better, figures = _judge(candidate, current)
            last = TriageModel.objects.filter(target=candidate.target).order_by("-version").first()
            metrics = {**candidate.metrics, **figures, "run": run}
            if candidate.target == LearnTarget.DEPARTMENT:
                metrics["labels"] = {label: names.get(label, label) for label in candidate.metrics["classes"]}
            model = TriageModel(
                target=candidate.target,
                version=(last.version if last else 0) + 1,
                status=ModelStatus.ACTIVE if better else ModelStatus.REJECTED,
                trained_at=timezone.now(),
                training_size=candidate.training_size,
                heldout_size=candidate.heldout_size,
                accuracy=candidate.accuracy,
                baseline_accuracy=candidate.baseline_accuracy,
                compared_accuracy=figures["current_accuracy"],
                metrics=metrics,
                payload=training.dumps(candidate.pipeline) if better else b"",
            )
            if better and current is not None:
                TriageModel.objects.filter(pk=current.pk).update(status=ModelStatus.RETIRED)
            model.save()
            if better:
                # Older versions keep their figures; only the last few keep the model itself (to go back to).
                kept = TriageModel.objects.filter(target=candidate.target).exclude(payload=b"").order_by("-version")
                old = list(kept.values_list("pk", flat=True)[settings.AI_LEARN_KEEP_VERSIONS :])
                TriageModel.objects.filter(pk__in=old).update(payload=b"")
        stored.append(model)
    return stored
