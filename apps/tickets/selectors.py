"""Every read of tickets goes through here; `tickets_visible_to` is the one visibility rule."""

from collections.abc import Callable, Hashable
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connections, router
from django.db.models import BigIntegerField, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast
from django.db.models.lookups import In
from django.http import Http404

from apps.accounts.permissions import is_admin
from apps.accounts.selectors import kept_in_permissions_generation
from apps.common.kept import KeptTable

from .choices import Status
from .models import (
    Attachment,
    Comment,
    SavedView,
    Ticket,
    TicketEvent,
    TicketGroupObjectPermission,
    TicketTombstone,
    TicketUserObjectPermission,
)
from .permissions import CHANGE, VIEW, ticket_access_by_id, ticket_permission_id

# Up to this many rows in an indexed order, finding them row by row beats reading the whole visible set
# (bench/bench_visibility.py; docs/benchmarks.md).
FIRST_ROWS = 100
# Lists count at most this many matching rows (and one more, to know there are more): exact below, "10,000+" above.
LIST_COUNT_CAP = 10_000


def _grant_filters(user, perm: str):
    """The user's own grants and its groups' grants of `perm` on tickets, as two querysets."""
    permission_id = ticket_permission_id(perm)
    groups = get_user_model().groups.through.objects.filter(user=user).values("group_id")
    via_user = TicketUserObjectPermission.objects.filter(user=user, permission_id=permission_id)
    via_group = TicketGroupObjectPermission.objects.filter(group__in=groups, permission_id=permission_id)
    return via_user, via_group


# Built visibility querysets kept per process (`_kept_visible`): building one is about 1 ms of ORM work, and the
# ticket list builds two per request. Bounded; the least recently used is dropped first.
KEPT_VISIBLE_MAX = 1024
_kept = KeptTable()


def _kept_visible(user, perm: str, first_rows: bool) -> QuerySet[Ticket]:
    """`_tickets_visible_to(user, perm, first_rows)`, built once per user state and form, then copied.

    The built queryset names the user and the permission by id only and reads the grants when it runs, so a copy
    is the same query as a new one. The key holds everything the build decides on: the user's id, activity, role
    and staff flag, the permission's id (a new test database or `flush` renumbers it) and the form. The department
    form (`by_department`) is kept by `_kept_in_reach`, under the ids of the agent's groups and departments too.
    """
    key = (user.pk, user.is_active, user.role, user.is_staff, perm, ticket_permission_id(perm), first_rows)
    built = _kept.recall(key)
    if built is None:
        built = _kept.keep(key, _tickets_visible_to(user, perm=perm, first_rows=first_rows), most=KEPT_VISIBLE_MAX)
    return built.all()


def _reach_key(user, perm: str, reach: "AgentReach") -> tuple:
    """What the department form's build decides on: the user state and permission, and the reach's group and
    department ids (read anew for every request by `agent_reach`)."""
    key = (user.pk, user.is_active, user.role, user.is_staff, perm, ticket_permission_id(perm), reach.groups)
    return (*key, reach.departments)


def _kept_in_reach(user, perm: str, reach: "AgentReach") -> QuerySet[Ticket]:
    """`_visible_in_reach(user, perm, reach)`, kept as `_kept_visible` keeps the other forms, under `_reach_key`."""
    key = _reach_key(user, perm, reach)
    built = _kept.recall(key)
    if built is None:
        built = _kept.keep(key, _visible_in_reach(user, perm, reach), most=KEPT_VISIBLE_MAX)
    return built.all()


def tickets_visible_to(
    user, *, perm: str = VIEW, first_rows: bool = False, by_department: bool = False, reach: "AgentReach | None" = None
) -> QuerySet[Ticket]:
    """Tickets on which `user` holds `perm` (view_ticket or change_ticket) through a user or group grant.

    Global model permissions never widen this (guardian's accept_global_perms=False semantics); admins
    see everything. Inactive and anonymous users see nothing.

    `first_rows=True` changes how the database checks the grants, never which rows match. Pass it when the
    caller reads only the first rows of the result in an indexed order (a first page, one ticket by id),
    never when it counts or aggregates it. Staff (agents) can see a large share of all tickets, their
    departments': each candidate row's grants are then looked up through an index, so those rows cost the
    same whatever the size of the table. Otherwise PostgreSQL hashes all of the user's grants first, which
    costs in proportion to their number but is the fastest way to read many rows, count or aggregate them,
    and stays best for requesters, who have few (for them, as one IN over the union of both kinds of grant).

    `by_department=True` (agents'; others get their usual form) is the department form, the same rows again: each
    row is first tested, in the row itself, against the agent's reach (`AgentReach`: its department is one of
    theirs, or its id is one their own grants or their groups' shares name), and only a row in reach has its grants
    looked up by its id (the group's grant first, through the unique index of (group, permission, ticket) with the
    groups' ids as constants). Walking an index in the list's order it tests about (rows of the page and those
    before it) / (share of the tickets in reach) rows whatever the size of the table, and looks grants up only for
    the rows in reach; it does not hash the grants. The back office's list reads its pages in an indexed order that way,
    at any depth, and counts them by `tickets_count_capped(..., reach=...)`; so does the API a page further down.
    It reads the agent's groups and their departments (`agent_reach`: kept in the cache, else one query) unless the
    caller passes the `reach` it read already; the built form is kept under those ids.

    The other forms are built once per user state and kept (`_kept_visible`).
    """
    if perm not in (VIEW, CHANGE):
        raise ValueError(f"unknown ticket permission {perm!r}")
    if not (user.is_authenticated and user.is_active):
        return Ticket.objects.none()
    if is_admin(user):
        return Ticket.objects.all()
    if by_department and user.is_staff:
        return _kept_in_reach(user, perm, reach or agent_reach(user))
    return _kept_visible(user, perm, first_rows)


def _tickets_visible_to(user, *, perm: str, first_rows: bool) -> QuerySet[Ticket]:
    """tickets_visible_to's set and row-by-row forms for an active user who is not an admin, built anew."""
    if first_rows and user.is_staff:
        return _visible_row_by_row(user, perm)
    via_user, via_group = _grant_filters(user, perm)
    if not user.is_staff:
        # Requesters hold few grants: one IN over both kinds lets PostgreSQL start from the grants and fetch
        # each ticket by id, where two ORed INs make it test every candidate ticket (a search's every match,
        # docs/benchmarks.md). Agents, with grants on a large share of the tickets, keep the hashed form.
        grants = via_user.values("content_object_id").union(via_group.values("content_object_id"), all=True)
        return Ticket.objects.filter(pk__in=grants)
    return Ticket.objects.filter(
        Q(pk__in=via_user.values("content_object_id")) | Q(pk__in=via_group.values("content_object_id"))
    )


def _visible_row_by_row(user, perm: str) -> QuerySet[Ticket]:
    """The same rows as the set form, with each row's grants looked up by its id.

    Correlated scalar subqueries rather than EXISTS: PostgreSQL may turn an EXISTS into a hash of every
    matching grant, which is what this form avoids.
    """
    via_user, via_group = _grant_filters(user, perm)
    return Ticket.objects.alias(
        _user_grant=Subquery(via_user.filter(content_object=OuterRef("pk")).values("content_object_id")[:1]),
        _group_grant=Subquery(via_group.filter(content_object=OuterRef("pk")).values("content_object_id")[:1]),
    ).filter(Q(_user_grant__isnull=False) | Q(_group_grant__isnull=False))


class AgentReach(NamedTuple):
    """An agent's groups and the departments of those groups (ids), read once (`agent_reach`), and the ids of the
    tickets outside those departments that the agent's own grants or their groups' shares name (a subquery).

    Every ticket the agent may see is in one of their departments or among `others`: a department group's own
    grants are only on its department's tickets (apps/tickets/permissions.py writes them, and marks them
    `is_department_grant`), so any other grant is the agent's own (assigned, requested, shared with them) or a
    share with one of their groups (`is_department_grant` False, read from a partial index). The reach only
    narrows: the forms that use it still check every row's grants (a department ticket whose group lost its grant
    stays hidden).
    """

    user_id: int
    groups: tuple[int, ...]
    departments: tuple[int, ...]
    others: QuerySet

    def condition(self) -> Q:
        """The reach as a test of each ticket row: its department, or its id among `others` (hashed once)."""
        named = Q(pk__in=self.others)
        return self.in_departments() | named if self.departments else named

    def in_departments(self) -> Q:
        """The ticket's department is one of the agent's, the ids typed as the column (bigint).

        Typed so that PostgreSQL can read the GIN indexes of (department_id, document) for these departments only (a
        search's matches within them, without the word's every other match): btree_gin has no operator between an
        integer constant and a bigint column, so with plain constants the department was never an index condition
        there (docs/benchmarks.md, Search)."""
        return Q(In(F("department_id"), [Cast(Value(pk), BigIntegerField()) for pk in self.departments]))


def agent_reach(user) -> AgentReach | None:
    """The agent's reach; None for admins (everything) and requesters (their grants are few: the visibility rule
    starts from them already). Their groups and those groups' departments are one query, kept in the cache until
    any group membership, group or department changes (accounts.selectors.kept_in_permissions_generation)."""
    if not (user.is_authenticated and user.is_active and user.is_staff) or is_admin(user):
        return None
    rows = kept_in_permissions_generation(
        f"tickets:reach:{user.pk}",
        lambda: tuple(Group.objects.filter(user=user).values_list("pk", "department__pk")),
    )
    groups = tuple(sorted(group for group, _department in rows))
    departments = tuple(sorted(department for _group, department in rows if department is not None))
    # No ORDER BY in the parts of a UNION (the models' default orders; SQLite refuses them there).
    others = TicketUserObjectPermission.objects.filter(user=user).values("content_object_id").order_by()
    if groups:
        shares = TicketGroupObjectPermission.objects.filter(group_id__in=groups, is_department_grant=False)
        others = others.union(shares.values("content_object_id").order_by(), all=True)
    return AgentReach(user.pk, groups, departments, others)


def _visible_in_reach(user, perm: str, reach: AgentReach) -> QuerySet[Ticket]:
    """tickets_visible_to's department form: the reach tested in the row, then the row's grants by its id.

    The group grant is looked up first (most rows in reach are their department's), in the unique index of
    (group, permission, ticket) with the groups' ids as constants, and only its ticket id is read, so that the
    look-up reads the index alone.
    """
    permission_id = ticket_permission_id(perm)
    own = TicketUserObjectPermission.objects.filter(user_id=reach.user_id, permission_id=permission_id)
    grant = Q(_user_grant__isnull=False)
    qs = Ticket.objects.alias(
        _user_grant=Subquery(own.filter(content_object=OuterRef("pk")).values("content_object_id")[:1])
    )
    if reach.groups:
        held = TicketGroupObjectPermission.objects.filter(group_id__in=reach.groups, permission_id=permission_id)
        qs = qs.alias(_group_grant=Subquery(held.filter(content_object=OuterRef("pk")).values("content_object_id")[:1]))
        grant = Q(_group_grant__isnull=False) | grant
    return qs.filter(reach.condition()).filter(grant)


def tickets_count_capped(
    queryset: QuerySet[Ticket], *, cap: int = LIST_COUNT_CAP, reach: AgentReach | None = None
) -> int:
    """How many rows `queryset` has, counting no further than `cap` + 1: `SELECT COUNT(*) FROM (SELECT 1 ...
    LIMIT cap + 1)`. A result above `cap` means "more than cap"; the database stops reading there.

    With an agent's `reach` (and `queryset` built on their department form, `tickets_visible_to(by_department=
    True)`), the rows are counted in two parts that cannot overlap, one after the other under the one LIMIT: those
    of the agent's departments, which the database reads from the department index and checks one by one until
    the cap, then those of other departments that `reach.others` names. The same rows, without hashing all of the
    agent's grants first (which costs in proportion to the size of their departments). A search's matches in the
    departments come from the GIN indexes of (department_id, document) for those departments only
    (`AgentReach.in_departments`).
    """
    return _capped_rows(queryset, cap=cap, reach=reach).count()


def _capped_rows(queryset: QuerySet[Ticket], *, cap: int, reach: "AgentReach | None") -> QuerySet:
    """The ids `tickets_count_capped` counts: at most `cap` + 1, in two parts with a `reach`."""
    rows = queryset.order_by().values("pk")
    if reach is not None:
        elsewhere = rows.filter(pk__in=reach.others)
        if reach.departments:
            elsewhere = elsewhere.exclude(reach.in_departments())
            rows = rows.filter(reach.in_departments()).union(elsewhere, all=True)
        else:
            rows = elsewhere
    return rows[: cap + 1]


# The statements of `tickets_in_reach_count_capped`, kept per process beside the built forms. Bounded.
KEPT_COUNTS_MAX = 1024
_kept_counts = KeptTable()


def tickets_in_reach_count_capped(
    user,
    reach: "AgentReach",
    *,
    perm: str = VIEW,
    cap: int = LIST_COUNT_CAP,
    narrowed: "tuple[Hashable, Callable[[], QuerySet[Ticket]]] | None" = None,
) -> int:
    """`tickets_count_capped(tickets_visible_to(user, perm=perm, by_department=True, reach=reach), cap=cap,
    reach=reach)`: how many tickets in all the agent may see, up to the cap, by the same statement. With
    `narrowed` (a key and a function returning those tickets narrowed by a list's filters), how many of those.

    That statement depends on nothing but what the department form's build decides on (`_reach_key`: the agent's
    id and state, the permission, their groups and departments), the cap, the database and, when narrowed, what
    its key says, so it is compiled once per such key and kept (building and compiling its two parts was about
    4 ms of the ticket list's CPU); each request only runs it. The caller's key must hold everything the narrowing
    depends on: filters whose rows depend on the moment (the SLA's) must not be counted this way.
    """
    alias = router.db_for_read(Ticket)
    key = (alias, cap, *_reach_key(user, perm, reach), None if narrowed is None else narrowed[0])
    statement = _kept_counts.recall(key)
    if statement is None:
        if narrowed is None:
            rows = tickets_visible_to(user, perm=perm, by_department=True, reach=reach)
        else:
            rows = narrowed[1]()
        sql, params = _capped_rows(rows, cap=cap, reach=reach).query.get_compiler(alias).as_sql()
        # What QuerySet.count() runs for these rows: Django's compiled statement, its values still parameters.
        counting = f"SELECT COUNT(*) FROM ({sql}) subquery"  # noqa: S608
        statement = _kept_counts.keep(key, (counting, params), most=KEPT_COUNTS_MAX)
    with connections[alias].cursor() as cursor:
        cursor.execute(*statement)
        return cursor.fetchone()[0]


def ticket_get_with_access(*, user, pk, select_related: tuple[str, ...] = ()) -> tuple[Ticket, bool]:
    """One ticket the user may see (Http404 otherwise) and whether they may change it (`permissions.ticket_access`).

    The same rule as `tickets_visible_to`: the user's grants on that one ticket (one query, both answers), then
    the row by its id. Two plain queries cost less to build than one with the grant subqueries of
    `first_rows=True` plus `ticket_access` after it (docs/benchmarks.md, the ticket page)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No ticket matches the given query.") from None
    may_view, may_change = ticket_access_by_id(user, pk)
    if not may_view:
        raise Http404("No ticket matches the given query.")
    try:
        return Ticket.objects.select_related(*select_related).get(pk=pk), may_change
    except Ticket.DoesNotExist:
        raise Http404("No ticket matches the given query.") from None


def ticket_get_for_user(*, user, pk, perm: str = VIEW, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    """One ticket the user holds `perm` on, or Http404 (never 403: no existence oracle)."""
    qs = tickets_visible_to(user, perm=perm, first_rows=True)
    if queryset is not None:
        qs = queryset & qs
    try:
        return qs.get(pk=pk)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404("No ticket matches the given query.") from None


def comments_visible_to(user, *, ticket: Ticket) -> QuerySet[Comment]:
    """The conversation of a ticket the caller can already see; requesters never get internal notes."""
    qs = ticket.comments.select_related("author").prefetch_related("attachments")
    return qs if user.is_staff else qs.filter(is_internal=False)


def events_visible_to(user, *, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The history of a ticket the caller can already see; internal events are for staff only."""
    qs = ticket.events.select_related("actor")
    return qs if user.is_staff else qs.filter(is_internal=False)


def _public_files(user) -> Q:
    """Files a requester may see: on the ticket itself, or on a public reply."""
    return Q() if user.is_staff else Q(comment__isnull=True) | Q(comment__is_internal=False)


def attachments_visible_to(user, *, ticket: Ticket) -> QuerySet[Attachment]:
    """The files of a ticket the caller can already see; requesters never get those of internal notes."""
    return ticket.attachments.filter(_public_files(user))


def attachment_get_for_user(*, user, pk, ticket: Ticket | None = None) -> Attachment:
    """One file on a ticket the user can see (for requesters, not on an internal note), or Http404."""
    qs = Attachment.objects.filter(_public_files(user), ticket__in=tickets_visible_to(user).values("pk"))
    if ticket is not None:
        qs = qs.filter(ticket=ticket)
    try:
        return qs.get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("No attachment matches the given query.") from None


def tombstones_visible_to(user) -> QuerySet[TicketTombstone]:
    """Deleted tickets the user could see when they went: admins all; agents those of their departments or
    assigned to them; requesters their own. (One-off shares made on the object-permission page are not kept.)"""
    if not (user.is_authenticated and user.is_active):
        return TicketTombstone.objects.none()
    if is_admin(user):
        return TicketTombstone.objects.all()
    if user.is_staff:
        groups = get_user_model().groups.through.objects.filter(user=user).values("group_id")
        return TicketTombstone.objects.filter(Q(department__group__in=groups) | Q(assignee=user))
    return TicketTombstone.objects.filter(requester=user)


def comment_get_for_user(*, user, ticket: Ticket, pk) -> Comment:
    """One comment of a ticket the user can see (for requesters, not an internal note), or Http404."""
    try:
        return comments_visible_to(user, ticket=ticket).get(pk=pk)
    except (Comment.DoesNotExist, ValueError, TypeError):
        raise Http404("No comment matches the given query.") from None


def requesters_seen_by(user) -> QuerySet:
    """Ids of the requesters of the tickets the user can see (agents may look those accounts up)."""
    return tickets_visible_to(user).values("requester_id")


def tickets_due_for_auto_close(*, resolved_before, limit: int) -> list[int]:
    """Ids of up to `limit` tickets resolved before `resolved_before` and still resolved, oldest first."""
    due = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=resolved_before)
    return list(due.order_by("resolved_at", "pk").values_list("pk", flat=True)[:limit])


def saved_views_for(user) -> QuerySet[SavedView]:
    """The saved views a user finds in the sidebar: their own, and those shared with one of their departments.

    A view is only a query string: opening one, anyone sees just the tickets tickets_visible_to lets them see.
    """
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return SavedView.objects.none()
    groups = get_user_model().groups.through.objects.filter(user=user).values("group_id")
    return SavedView.objects.filter(Q(owner=user) | Q(shared_with__group__in=groups)).order_by("position", "name", "id")


# The sidebar's saved views per user, in the cache under the current generation: every write that can change any
# user's list (a view saved, shared or deleted, a department membership) starts a new generation
# (services.saved_views_changed), so an entry is never read after what it shows has changed.
SIDEBAR_VIEWS_GENERATION = "tickets:saved-views:generation"
SIDEBAR_VIEWS_SECONDS = 24 * 3600


def sidebar_saved_views(user, limit: int) -> list[tuple]:
    """The first `limit` of saved_views_for(user) as (id, name, owner id, query, updated_at) rows, kept in the cache."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return []
    generation = cache.get(SIDEBAR_VIEWS_GENERATION, 0)
    key = f"tickets:saved-views:{user.pk}:{generation}:{limit}"
    rows = cache.get(key)
    if rows is None:
        rows = list(saved_views_for(user).values_list("pk", "name", "owner_id", "query", "updated_at")[:limit])
        cache.set(key, rows, SIDEBAR_VIEWS_SECONDS)
    return rows


def saved_view_get_for_user(*, user, pk) -> SavedView:
    """One view the user finds in their sidebar, or Http404."""
    try:
        return saved_views_for(user).get(pk=pk)
    except (SavedView.DoesNotExist, ValueError, TypeError):
        raise Http404("No saved view matches the given query.") from None
