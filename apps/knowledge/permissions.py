"""Who may read, manage and rate what in the knowledge base (the only place these questions are answered).

| who | reads (portal, API, suggestions) | manages in the back office | ratings |
|---|---|---|---|
| anonymous visitor | published public articles, unless KNOWLEDGE_REQUIRE_LOGIN | nothing | nothing |
| requester | published public and signed-in articles | nothing | rates their own resolved tickets (until closed) |
| agent | every published article | articles of their departments | reads ratings of the tickets they see |
| admin | every published article | every article and category | reads every rating |

An article of an audience a reader may not read does not exist for them (404), everywhere.
"""

from django.conf import settings
from django.db.models import QuerySet

from apps.accounts.permissions import is_admin, is_agent
from apps.departments.models import Department
from apps.tickets.choices import Status

from .choices import Audience

# What a signed-in requester reads: also what a canned response may link to (`{article:...}`, placeholders.py).
REQUESTER_AUDIENCES = (Audience.PUBLIC, Audience.REQUESTERS)


def audiences_for(user) -> list[str]:
    """The audiences whose articles `user` may read."""
    if not user.is_authenticated or not user.is_active:
        return [Audience.PUBLIC]
    if user.is_staff:
        return [Audience.PUBLIC, Audience.REQUESTERS, Audience.AGENTS]
    return list(REQUESTER_AUDIENCES)


def may_read_help(user) -> bool:
    """The portal's Help pages and suggestions: open to anonymous visitors unless KNOWLEDGE_REQUIRE_LOGIN."""
    return bool(user.is_authenticated or not settings.KNOWLEDGE_REQUIRE_LOGIN)


def managed_departments(user) -> QuerySet[Department]:
    """The departments whose articles `user` manages: every one for admins, their own for agents."""
    if is_admin(user):
        return Department.objects.all()
    if is_agent(user):
        return Department.objects.filter(group__user=user)
    return Department.objects.none()


def may_manage_articles(user) -> bool:
    return is_admin(user) or is_agent(user)


def may_manage_article(user, article) -> bool:
    if is_admin(user):
        return True
    return is_agent(user) and managed_departments(user).filter(pk=article.department_id).exists()


def may_rate(user, satisfaction) -> bool:
    """The ticket's requester, while the ticket is resolved (a rating can change until it is closed or reopened)."""
    return bool(
        user.is_authenticated and user.pk == satisfaction.requester_id and satisfaction.ticket.status == Status.RESOLVED
    )


def may_read_ratings(user) -> bool:
    """Agents and admins; which ratings: those of the tickets they see (selectors.ratings_visible_to)."""
    return is_admin(user) or is_agent(user)
