"""Demo data for `manage.py seed_demo`: a small organisation, its routing rules, SLA policies and canned responses
(workspace.py), and ~200 tickets with a believable history.

Everything is written through the services (accounts, departments, tickets, comments), in one transaction,
from a fixed random seed: the same tickets every time, only moved to the days before "now". The newest ticket is
urgent and unanswered, its first response due within the SLA warning window (stories.breaching_soon), so the
ticket list's "Breaching soon" shows one whenever the demo is seeded.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.departments.models import SlaPolicy
from apps.notifications.queue import notifications_muted
from apps.tickets import events
from apps.tickets.aggregates import stats_rebuild
from apps.tickets.choices import Priority

from .knowledge import articles_seed, knowledge_seed
from .people import DEMO_PASSWORD, DEMO_USERNAMES, DEPARTMENTS, USERS, SeedError, is_seeded, organisation_get_or_create
from .stories import backdate, plan_stories, tell_stories
from .workspace import WorkspaceResult, workspace_seed

__all__ = [
    "DEFAULT_TICKETS",
    "DEMO_PASSWORD",
    "DEMO_USERNAMES",
    "DEPARTMENTS",
    "USERS",
    "SeedError",
    "SeedResult",
    "is_seeded",
    "seed",
]

RANDOM_SEED = 20250301
DEFAULT_TICKETS = 200
_ACCOUNT_AGE = timedelta(days=90)  # demo accounts "joined" before the oldest demo ticket
# Any constant works: it only has to be the same for every seed_demo process (PostgreSQL advisory lock key).
_LOCK_KEY = 0x5EED_DE30


@dataclass
class SeedResult:
    ticket_ids: list[int]
    created_users: list[str]
    reused_users: list[str]
    created_departments: list[str]
    reused_departments: list[str]
    workspace: WorkspaceResult


def seed(*, tickets: int = DEFAULT_TICKETS, random_seed: int = RANDOM_SEED) -> SeedResult | None:
    """Write the demo data, or return None when it is already there (then nothing is written).

    Notifications are muted: the demo's two months of history must not queue hundreds of e-mails.
    """
    # Nobody is asked to rate the demo's resolved tickets by e-mail either (the demo rates a few itself).
    with notifications_muted(), events.silenced(events.SATISFACTION), transaction.atomic():
        _wait_for_other_seeders()
        if is_seeded():
            return None
        org = organisation_get_or_create()
        articles = articles_seed(org)  # before the canned responses: "Password reset steps" links to one
        workspace = workspace_seed(org)  # before the tickets: they take their due dates from its SLA policies
        rng = random.Random(random_seed)  # noqa: S311 -- reproducible demo data, not a secret
        now = timezone.now()
        names = {slug: department.name for slug, department in org.departments.items()}
        stories = plan_stories(
            rng, count=tickets, now=now, department_names=names, round_the_clock=_round_the_clock(org)
        )
        timelines = tell_stories(org, stories)
        backdate(timelines)
        knowledge_seed(org, ticket_ids=list(timelines), articles=articles)
        stats_rebuild()  # the history was moved back in time behind the services: count the tickets again
        User.objects.filter(username__in=org.created_users).update(date_joined=now - _ACCOUNT_AGE)
    return SeedResult(
        ticket_ids=list(timelines),
        created_users=org.created_users,
        reused_users=org.reused_users,
        created_departments=org.created_departments,
        reused_departments=org.reused_departments,
        workspace=workspace,
    )


def _round_the_clock(org) -> dict[str, int]:
    """Department slug → first-response minutes of its urgent policy, where that policy ignores business hours."""
    policies = SlaPolicy.objects.filter(
        department__in=list(org.departments.values()),
        priority=Priority.URGENT,
        business_hours=False,
        first_response_minutes__isnull=False,
    ).select_related("department")
    return {policy.department.slug: policy.first_response_minutes for policy in policies}


def _wait_for_other_seeders() -> None:
    """Serialise concurrent seeds (two `make run` at once): the second one then finds the data seeded.

    SQLite needs nothing: its transactions here begin IMMEDIATE, i.e. with the database's write lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
