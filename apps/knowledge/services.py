"""Every write of the knowledge base and of satisfaction ratings.

Articles: created and edited by the agents of their owner department and by admins; every edit records a
revision (who, when, each changed field's old and new value) and refreshes the search document.
Satisfaction: one request per resolved ticket (queue.py decides when), sent by e-mail in the requester's
language (tasks.py); the requester rates from the portal or once through the e-mail's signed link, and may
change the rating until the ticket is closed.
"""

import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.tickets.choices import Status
from apps.tickets.models import Ticket
from apps.tickets.selectors import comments_visible_to

from . import permissions as perms
from .choices import ArticleStatus, Audience, RatingScale
from .models import Article, ArticleRevision, Category, Deflection, Satisfaction, SatisfactionOptOut
from .search import article_documents_refresh
from .signing import LinkInvalid, link_read

ARTICLE_FIELDS = ("slug", "language", "title", "body", "category", "status", "audience", "department")


def _value(article: Article, field: str):
    if field in ("category", "department"):
        return getattr(article, f"{field}_id")
    return getattr(article, field)


def _check_department(actor, department) -> None:
    if department is None or not perms.managed_departments(actor).filter(pk=department.pk).exists():
        raise ValidationError({"department": _("Choose one of your departments.")}, code="department")


@transaction.atomic
def article_create(
    *,
    actor,
    title: str,
    body: str,
    slug: str,
    language: str,
    category: Category,
    department,
    status: str = ArticleStatus.DRAFT,
    audience: str = Audience.PUBLIC,
    source_ticket: Ticket | None = None,
) -> Article:
    """A new article (one language variant); its first revision lists every field."""
    if not perms.may_manage_articles(actor):
        raise PermissionDenied(_("Only agents and admins write articles."))
    _check_department(actor, department)
    article = Article(
        slug=slug,
        language=language,
        title=title,
        body=body,
        category=category,
        status=status,
        audience=audience,
        department=department,
        source_ticket=source_ticket,
        published_at=timezone.now() if status == ArticleStatus.PUBLISHED else None,
    )
    article.full_clean(validate_constraints=False)  # the unique slug per language: the IntegrityError below
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"slug": _("An article with this slug already exists in this language.")}, code="unique"
        ) from exc
    changes = {field: [None, _value(article, field)] for field in ARTICLE_FIELDS}
    ArticleRevision.objects.create(article=article, author=actor, changes=changes)
    article_documents_refresh(article_ids=[article.pk])
    return article


@transaction.atomic
def article_update(*, actor, article: Article, **fields) -> Article:
    """Change some of an article's fields; a revision records what changed (nothing changed: no revision)."""
    unknown = set(fields) - set(ARTICLE_FIELDS)
    if unknown:
        raise TypeError(f"article_update: unknown fields {sorted(unknown)}")
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if not perms.may_manage_article(actor, locked):
        raise PermissionDenied(_("This article belongs to a department you are not a member of."))
    if "department" in fields:
        _check_department(actor, fields["department"])
    changes = {}
    for field, value in fields.items():
        old = _value(locked, field)
        setattr(locked, field, value)
        new = _value(locked, field)
        if old != new:
            changes[field] = [old, new]
    if not changes:
        return locked
    if changes.get("status", [None, None])[1] == ArticleStatus.PUBLISHED and locked.published_at is None:
        locked.published_at = timezone.now()
    locked.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"slug": _("An article with this slug already exists in this language.")}, code="unique"
        ) from exc
    ArticleRevision.objects.create(article=locked, author=actor, changes=changes)
    if {"title", "body"} & set(changes):
        article_documents_refresh(article_ids=[locked.pk])
    return locked


@transaction.atomic
def article_delete(*, actor, article: Article) -> None:
    if not perms.may_manage_article(actor, article):
        raise PermissionDenied(_("This article belongs to a department you are not a member of."))
    article.delete()


def article_draft_from_ticket(*, ticket: Ticket) -> dict:
    """What an article written from a ticket starts with: its title, and its public conversation as Markdown
    (the description and the public replies; never an internal note)."""
    requester = ticket.requester
    public = comments_visible_to(requester, ticket=ticket).filter(is_internal=False).select_related("author")
    parts = [f"## {_('Question')}\n\n{ticket.description.strip()}"]
    answers = [comment.body.strip() for comment in public if comment.author.is_staff and comment.body.strip()]
    if answers:
        parts.append(f"## {_('Answer')}\n\n" + "\n\n".join(answers))
    return {"title": ticket.title[:200], "body": "\n\n".join(parts)}


@transaction.atomic
def article_create_from_ticket(*, actor, ticket: Ticket, category: Category | None = None) -> Article:
    """A draft article from the ticket's public conversation, owned by the ticket's department."""
    draft = article_draft_from_ticket(ticket=ticket)
    category = category or Category.objects.order_by("order", "pk").first()
    if category is None:
        raise ValidationError({"category": _("Create an article category first.")}, code="no_category")
    department = ticket.department
    if not perms.managed_departments(actor).filter(pk=department.pk).exists():
        department = perms.managed_departments(actor).order_by("pk").first()
    return article_create(
        actor=actor,
        title=draft["title"],
        body=draft["body"],
        slug=f"ticket-{ticket.pk}-{secrets.token_hex(3)}",
        language=ticket.language or settings.LANGUAGE_CODE,
        category=category,
        department=department,
        status=ArticleStatus.DRAFT,
        audience=Audience.AGENTS,
        source_ticket=ticket,
    )


def article_feedback(*, article: Article, helpful: bool) -> None:
    """ "Was this helpful?": one more yes or no (an UPDATE, safe under concurrent votes)."""
    field = "helpful_count" if helpful else "not_helpful_count"
    Article.objects.filter(pk=article.pk).update(**{field: F(field) + 1})


# Deflection ---------------------------------------------------------------------------------------------------


def deflection_suggested(*, token: str, user) -> Deflection:
    """The new-ticket page `token` showed suggestions (counted once per page)."""
    deflection, _created = Deflection.objects.get_or_create(
        token=token, defaults={"user": user if user.is_authenticated else None, "suggested_at": timezone.now()}
    )
    return deflection


@transaction.atomic
def deflection_record(*, token: str, user, article: Article) -> Deflection:
    """ "This answered my question": the page `token` ends without a ticket, thanks to `article`."""
    deflection = deflection_suggested(token=token, user=user)
    locked = Deflection.objects.select_for_update().get(pk=deflection.pk)
    if locked.deflected_at is None:
        locked.deflected_at = timezone.now()
        locked.article = article
        locked.save(update_fields=["deflected_at", "article"])
    return locked


# Satisfaction -------------------------------------------------------------------------------------------------


def satisfaction_wanted(ticket: Ticket) -> bool:
    """Whether a resolved ticket's requester is asked: CSAT on, a requester account that did not opt out."""
    requester = ticket.requester
    return bool(
        settings.CSAT_ENABLED
        and ticket.status == Status.RESOLVED
        and requester.is_active
        and requester.role == Role.REQUESTER
        and not SatisfactionOptOut.objects.filter(user=requester).exists()
    )


@transaction.atomic
def satisfaction_request(*, ticket_id: int, resolved_by_id: int | None = None) -> Satisfaction | None:
    """The ticket's one satisfaction request (made once; None when the requester is not to be asked).

    The rating is credited to the ticket's assignee, else to the staff member who resolved it."""
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None or not satisfaction_wanted(ticket):
        return None
    agent_id = ticket.assignee_id
    if agent_id is None and resolved_by_id is not None:
        agent_id = (
            User.objects.filter(pk=resolved_by_id, role__in=(Role.AGENT, Role.ADMIN))
            .values_list("pk", flat=True)
            .first()
        )
    satisfaction, created = Satisfaction.objects.get_or_create(
        ticket=ticket,
        defaults={
            "requester": ticket.requester,
            "department_id": ticket.department_id,
            "agent_id": agent_id,
            "requested_at": timezone.now(),
            "link_nonce": secrets.token_hex(8),
        },
    )
    return satisfaction if created else None


def _check_rating(rating) -> int:
    allowed = {1, 5} if settings.CSAT_SCALE == RatingScale.BINARY else {1, 2, 3, 4, 5}
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = None
    if value not in allowed:
        raise ValidationError({"rating": _("Choose one of the ratings.")}, code="rating")
    return value


@transaction.atomic
def satisfaction_rate(*, satisfaction: Satisfaction, actor, rating, comment: str = "") -> Satisfaction:
    """The requester's rating (a new one replaces the old) while the ticket is resolved."""
    locked = Satisfaction.objects.select_for_update().select_related("ticket").get(pk=satisfaction.pk)
    if not perms.may_rate(actor, locked):
        raise PermissionDenied(_("This ticket can no longer be rated."))
    locked.rating = _check_rating(rating)
    locked.comment = (comment or "").strip()[:2000]
    locked.rated_at = timezone.now()
    locked.save(update_fields=["rating", "comment", "rated_at"])
    return locked


@transaction.atomic
def satisfaction_rate_from_link(*, token: str, rating=None, comment: str = "") -> Satisfaction:
    """A rating through the e-mail's signed link: its own ticket only, once, before it expires, while the ticket
    is resolved. `rating`: the one the link carries unless the page changed it. Raises LinkInvalid."""
    data = link_read(token)
    locked = (
        Satisfaction.objects.select_for_update()
        .select_related("ticket", "requester")
        .filter(pk=data.satisfaction_id, link_nonce=data.nonce)
        .first()
    )
    if locked is None:
        raise LinkInvalid("bad")
    if not locked.link_open:
        raise LinkInvalid("used")
    if locked.ticket.status != Status.RESOLVED:
        raise LinkInvalid("closed")
    locked.rating = _check_rating(data.rating if rating in (None, "") else rating)
    locked.comment = (comment or "").strip()[:2000]
    locked.rated_at = timezone.now()
    locked.link_open = False
    locked.save(update_fields=["rating", "comment", "rated_at", "link_open"])
    return locked


def satisfaction_link_check(*, token: str) -> tuple[Satisfaction, int]:
    """What the link's page shows before the rating is sent (no write). Raises LinkInvalid."""
    data = link_read(token)
    satisfaction = (
        Satisfaction.objects.select_related("ticket").filter(pk=data.satisfaction_id, link_nonce=data.nonce).first()
    )
    if satisfaction is None:
        raise LinkInvalid("bad")
    if not satisfaction.link_open:
        raise LinkInvalid("used")
    if satisfaction.ticket.status != Status.RESOLVED:
        raise LinkInvalid("closed")
    return satisfaction, data.rating


def satisfaction_opt_out_set(*, user, opt_out: bool) -> None:
    """A requester's choice never to be asked for ratings (or to be asked again)."""
    if opt_out:
        SatisfactionOptOut.objects.get_or_create(user=user)
    else:
        SatisfactionOptOut.objects.filter(user=user).delete()
