"""All writes of the AI app: ticket triage (TicketInsight), applying its suggestions, and translations."""

import hashlib
import logging
import math
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.departments.choices import RuleField
from apps.departments.models import RoutingRule
from apps.departments.patterns import matches
from apps.tickets.choices import Category, EventKind, Priority, Status
from apps.tickets.models import Ticket, TicketEvent
from apps.tickets.services import ticket_language_fill, ticket_transfer

from . import breaker
from .choices import InsightStatus, TranslatedField
from .models import TicketInsight, Translation
from .providers import ProviderError, TranslationUnavailable, get_provider
from .queue import triage_enabled
from .selectors import insights_to_retry

logger = logging.getLogger(__name__)

PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
# Urgency in the site's languages (en, de, tr); matched at a word start, ignoring case.
URGENCY_WORDS = (
    "urgent", "asap", "immediately", "emergency", "critical", "as soon as possible", "right now",
    "dringend", "sofort", "notfall", "kritisch",
    "acil", "hemen", "kritik", "derhal",
)  # fmt: skip
_URGENCY_RE = re.compile("|".join(r"(?<!\w)" + re.escape(word) for word in URGENCY_WORDS), re.IGNORECASE)
NEGATIVE_SENTIMENT = -0.4
# The language allow-list: an ISO 639 code (2 or 3 ASCII letters); a region or script subtag is dropped
# ("pt-BR" → "pt"). Anything else a provider answers is not stored.
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}")


def suggest_priority(*, text: str, sentiment: float | None) -> str:
    """Normal, one step up for clearly negative sentiment, one more for urgency words."""
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
    rules = (
        RoutingRule.objects.filter(is_active=True, department__is_active=True, field=RuleField.CATEGORY)
        .select_related("department")
        .order_by("order", "id")
    )
    for category in categories:
        for rule in rules:
            if matches(rule.field, rule.pattern, title="", description="", category=category, email=""):
                return rule.department
    return None


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
    insight.suggested_priority = suggest_priority(text=text, sentiment=insight.sentiment)
    insight.suggested_department = suggest_department(categories=insight.categories)
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
    """Send the ticket to the insight's suggested department when routing matched no rule (the ticket went to
    the default department) and nobody has moved or worked it since. Recorded as a transfer by the system."""
    department = insight.suggested_department
    if department is None:
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
