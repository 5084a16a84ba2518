"""Every access decision about tickets, and the only code that writes ticket grants.

Grants are guardian object permissions stored in the direct foreign-key tables
TicketUserObjectPermission and TicketGroupObjectPermission:

- the ticket's department group: view_ticket + change_ticket (rows marked is_department_grant, which the agents'
  search relies on: only grants_for_new_tickets and move_department_grants write them);
- the requester: view_ticket;
- the assignee: view_ticket + change_ticket;
- a watcher (an account in the Cc of an e-mail about the ticket, apps.mail): view_ticket (watcher_grant);
- anything else is a share an admin made on the object-permission page (view or change only: shared_grants_set,
  through services.ticket_share, which records it in the history), left alone by the services until
  the account's staff access ends (user_grants_revoke: demoted or deactivated, only the requester's view stays).

Admins see and change everything without grants. Also here, for the API, the portal and the back office
alike: the write table (which ticket and comment fields each role may send) and the requester's moves
(close their own ticket, reopen it while resolved).
"""

import math
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.permissions import is_admin, is_agent
from apps.common.bulk import rows_insert

from . import extensions
from .choices import TRANSITIONS, Status
from .models import Ticket, TicketGroupObjectPermission, TicketUserObjectPermission

VIEW = "view_ticket"
CHANGE = "change_ticket"
DEPARTMENT_PERMS = frozenset({VIEW, CHANGE})
REQUESTER_PERMS = frozenset({VIEW})
ASSIGNEE_PERMS = frozenset({VIEW, CHANGE})
# Requesters may close their own ticket (cancel it, or end it while it is worked on or waits for them) and reopen
# it while resolved.
REQUESTER_TRANSITIONS = frozenset(
    {
        (Status.NEW, Status.CLOSED),
        (Status.OPEN, Status.CLOSED),
        (Status.IN_PROGRESS, Status.CLOSED),
        (Status.WAITING, Status.CLOSED),
        (Status.RESOLVED, Status.CLOSED),
        (Status.RESOLVED, Status.OPEN),
    }
)
# The statuses a requester moves a ticket to (open to reopen, closed), in the lifecycle's order.
REQUESTER_STATUSES = tuple(s for s in Status.values if s in {to for _from, to in REQUESTER_TRANSITIONS})


# ---- The write table ------------------------------------------------------------------------------------------
# Who may send which field. Department moves are not an edit: they go through a transfer.
# `version` in an update is the optimistic-locking token (like If-Match), not a value to store.
# `requester_email` names the requester by their whole address (the API's form of the back office's field).
STAFF_CREATE_FIELDS = frozenset(
    {
        "title",
        "description",
        "category",
        "priority",
        "language",
        "department",
        "requester",
        "requester_email",
        "assignee",
    }
)
STAFF_UPDATE_FIELDS = frozenset(
    {"title", "description", "category", "priority", "language", "status", "assignee", "version"}
)
TICKET_CREATE_FIELDS: dict[str, frozenset[str]] = {
    Role.REQUESTER: frozenset({"title", "description", "category"}),
    Role.AGENT: STAFF_CREATE_FIELDS,
    Role.ADMIN: STAFF_CREATE_FIELDS,
}
TICKET_UPDATE_FIELDS: dict[str, frozenset[str]] = {
    # Close or reopen (REQUESTER_TRANSITIONS); the lifecycle rules decide the rest.
    Role.REQUESTER: frozenset({"status", "version"}),
    Role.AGENT: STAFF_UPDATE_FIELDS,
    Role.ADMIN: STAFF_UPDATE_FIELDS,
}
# Comments: requesters write public replies only (can_comment refuses them an internal note).
COMMENT_CREATE_FIELDS: dict[str, frozenset[str]] = {
    Role.REQUESTER: frozenset({"body", "is_internal"}),
    Role.AGENT: frozenset({"body", "is_internal"}),
    Role.ADMIN: frozenset({"body", "is_internal"}),
}
# Only admins delete tickets (can_delete_ticket).
# ---------------------------------------------------------------------------------------------------------------


def write_role(user) -> str:
    """The row of the write table that applies to `user`: admins, other active staff (agents), everyone else."""
    if is_admin(user):
        return Role.ADMIN
    if is_agent(user):
        return Role.AGENT
    return Role.REQUESTER


def ticket_permission_id(codename: str) -> int | None:
    """The id of a ticket permission (None if it does not exist yet), read once per process.

    Every visibility query filters grants by it; a literal id spares each of them a subquery. Permission
    rows are created by migrations and stay as they are while the site runs; `flush` deletes and
    recreates them, and its post_migrate signal empties this cache.
    """
    if codename not in _permission_ids:
        found = Permission.objects.filter(
            codename=codename, content_type__app_label="tickets", content_type__model="ticket"
        ).values_list("pk", flat=True)
        if not found:
            return None
        _permission_ids[codename] = found[0]
    return _permission_ids[codename]


_permission_ids: dict[str, int] = {}


@receiver(post_migrate)
def _forget_permission_ids(**kwargs) -> None:
    _permission_ids.clear()


def ticket_permissions(codenames: Iterable[str]) -> dict[str, Permission]:
    """Permission rows for the given ticket codenames, in one query."""
    perms = Permission.objects.filter(content_type__app_label="tickets", content_type__model="ticket")
    return {p.codename: p for p in perms.filter(codename__in=set(codenames))}


def required_user_grants(ticket: Ticket) -> dict[int, frozenset[str]]:
    """user id → codenames that the ticket's requester and assignee must hold."""
    required: dict[int, set[str]] = {ticket.requester_id: set(REQUESTER_PERMS)}
    if ticket.assignee_id:
        required.setdefault(ticket.assignee_id, set()).update(ASSIGNEE_PERMS)
    return {uid: frozenset(perms) for uid, perms in required.items()}


def grants_for_new_tickets(
    tickets: Iterable[Ticket], *, group_ids: dict[int, int] | None = None, missing_only: bool = False
) -> None:
    """Write the standard grants for freshly created tickets (batched: one insert per table).

    `group_ids` (department id → its group's id) spares the query for the departments the caller has loaded.
    `missing_only`: the tickets may hold some of them already (a repair): those are skipped, not refused.
    """
    tickets = list(tickets)
    perm_ids = {c: ticket_permission_id(c) for c in DEPARTMENT_PERMS | REQUESTER_PERMS | ASSIGNEE_PERMS}
    group_ids = dict(group_ids or {})
    missing = {t.department_id for t in tickets} - group_ids.keys()
    if missing:
        group_ids.update(Group.objects.filter(department__in=missing).values_list("department", "id"))
    # Plain rows, not model instances: a bulk import writes four or five grants a ticket (apps/common/bulk.py).
    department_perms = [perm_ids[c] for c in sorted(DEPARTMENT_PERMS)]
    user_rows = []
    group_rows = []
    for ticket in tickets:
        for user_id, codenames in required_user_grants(ticket).items():
            user_rows += [(user_id, perm_ids[c], ticket.pk) for c in sorted(codenames)]
        group_id = group_ids[ticket.department_id]
        group_rows += [(group_id, perm_id, ticket.pk, True) for perm_id in department_perms]
    fields = ("permission", "content_object")
    rows_insert(TicketUserObjectPermission, ("user", *fields), user_rows, ignore_conflicts=missing_only)
    rows_insert(
        TicketGroupObjectPermission,
        ("group", *fields, "is_department_grant"),
        group_rows,
        ignore_conflicts=missing_only,
    )


def move_department_grants(*, ticket: Ticket, old_group_id: int, new_group_id: int) -> None:
    """Take the department grants away from the old department's group and give them to the new one."""
    perms = ticket_permissions(DEPARTMENT_PERMS)
    TicketGroupObjectPermission.objects.filter(
        content_object=ticket, group_id=old_group_id, permission__in=perms.values()
    ).delete()
    TicketGroupObjectPermission.objects.bulk_create(
        [
            TicketGroupObjectPermission(
                group_id=new_group_id, permission=p, content_object=ticket, is_department_grant=True
            )
            for p in perms.values()
        ],
        ignore_conflicts=True,
    )


def move_assignee_grants(*, ticket: Ticket, old_assignee_id: int | None) -> None:
    """Give the current assignee its grants; take from the previous one what no other role justifies."""
    perms = ticket_permissions(ASSIGNEE_PERMS)
    required = required_user_grants(ticket)
    if old_assignee_id and old_assignee_id != ticket.assignee_id:
        keep = required.get(old_assignee_id, frozenset())
        TicketUserObjectPermission.objects.filter(
            content_object=ticket,
            user_id=old_assignee_id,
            permission__in=[p for c, p in perms.items() if c not in keep],
        ).delete()
    if ticket.assignee_id:
        TicketUserObjectPermission.objects.bulk_create(
            [
                TicketUserObjectPermission(user_id=ticket.assignee_id, permission=p, content_object=ticket)
                for p in perms.values()
            ],
            ignore_conflicts=True,
        )


def watcher_grant(*, ticket: Ticket, user) -> bool:
    """Let a watcher see the ticket (view_ticket); False when they already could through their own grant."""
    permission = ticket_permissions([VIEW])[VIEW]
    _grant, created = TicketUserObjectPermission.objects.get_or_create(
        user=user, permission=permission, content_object=ticket
    )
    return created


def watcher_revoke(*, ticket: Ticket, user) -> bool:
    """Take back the view a watcher was given; never the grants a requester or an assignee holds as such."""
    if user.pk in (ticket.requester_id, ticket.assignee_id):
        return False
    deleted, _rows = TicketUserObjectPermission.objects.filter(
        user=user, permission=ticket_permissions([VIEW])[VIEW], content_object=ticket
    ).delete()
    return bool(deleted)


# What an admin may share a single ticket with on its object-permission page: see it, or work it. The model's
# other permissions (add, delete, import, export) mean nothing on one ticket.
SHAREABLE_PERMS = (VIEW, CHANGE)


def can_share_ticket(user) -> bool:
    """Only admins share a single ticket (guardian's own pages would let any staff grant themselves access)."""
    return is_admin(user)


def shared_grants(*, ticket: Ticket, user=None, group=None) -> frozenset[str]:
    """The shareable grants a user (or a group) holds on this ticket directly."""
    if user is not None:
        rows = TicketUserObjectPermission.objects.filter(content_object=ticket, user=user)
    else:
        rows = TicketGroupObjectPermission.objects.filter(content_object=ticket, group=group)
    rows = rows.filter(permission__codename__in=SHAREABLE_PERMS)
    return frozenset(rows.values_list("permission__codename", flat=True))


def shared_grants_set(*, ticket: Ticket, codenames: Collection[str], user=None, group=None) -> None:
    """Make a user's (or a group's) shareable grants on this ticket exactly `codenames`."""
    perms = ticket_permissions(SHAREABLE_PERMS)
    if user is not None:
        model, holder = TicketUserObjectPermission, {"user": user}
    else:
        model, holder = TicketGroupObjectPermission, {"group": group}
    model.objects.filter(
        content_object=ticket, permission__in=[p for c, p in perms.items() if c not in codenames], **holder
    ).delete()
    model.objects.bulk_create(
        [model(permission=perms[c], content_object=ticket, **holder) for c in codenames], ignore_conflicts=True
    )


def user_grants_revoke(*, user) -> int:
    """Take every ticket grant from `user` but the view of the tickets they requested (an account whose staff
    access ended: the assignee grants and any share an admin made). Returns how many went."""
    grants = TicketUserObjectPermission.objects.filter(user=user)
    own = grants.filter(permission__codename__in=REQUESTER_PERMS, content_object__requester=user)
    return grants.exclude(pk__in=own.values("pk")).delete()[0]


def foreign_department_grants():
    """Department-group grants on tickets of another department: leftovers, since transfers move them."""
    return TicketGroupObjectPermission.objects.filter(
        group__department__isnull=False, permission__in=ticket_permissions(DEPARTMENT_PERMS).values()
    ).exclude(group=F("content_object__department__group"))


def foreign_department_grants_remove(*, ticket_ids: Iterable[int]) -> int:
    """Delete the leftover department-group grants on these tickets; returns how many went."""
    return foreign_department_grants().filter(content_object_id__in=list(ticket_ids)).delete()[0]


def _user_holds(user, ticket: Ticket, codename: str) -> bool:
    return (
        TicketUserObjectPermission.objects.filter(
            content_object=ticket, user=user, permission__codename=codename
        ).exists()
        or TicketGroupObjectPermission.objects.filter(
            content_object=ticket, group__user=user, permission__codename=codename
        ).exists()
    )


def can_view_ticket(user, ticket: Ticket) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return is_admin(user) or _user_holds(user, ticket, VIEW)


def can_change_ticket(user, ticket: Ticket) -> bool:
    """May edit fields, assign, transfer and write internal notes (staff with change_ticket)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return is_admin(user) or _user_holds(user, ticket, CHANGE)


def ticket_access(user, ticket: Ticket) -> tuple[bool, bool]:
    """(can_view_ticket, can_change_ticket) for one ticket, its grants read in one query for both answers."""
    return ticket_access_by_id(user, ticket.pk)


def ticket_access_by_id(user, ticket_id: int) -> tuple[bool, bool]:
    """`ticket_access` for the ticket with this id (whether it exists or not: no grant, no access)."""
    if not (user.is_authenticated and user.is_active):
        return False, False
    if is_admin(user):
        return True, bool(user.is_staff)
    held = set(
        TicketUserObjectPermission.objects.filter(content_object_id=ticket_id, user=user)
        .values_list("permission__codename", flat=True)
        .union(
            TicketGroupObjectPermission.objects.filter(content_object_id=ticket_id, group__user=user).values_list(
                "permission__codename", flat=True
            )
        )
    )
    return VIEW in held, bool(user.is_staff) and CHANGE in held


def can_delete_ticket(user) -> bool:
    return is_admin(user)


def can_transition(user, ticket: Ticket, to_status: str) -> bool:
    """Agents with change rights follow the lifecycle; requesters only close or reopen their own ticket."""
    if to_status not in TRANSITIONS.get(ticket.status, ()):
        return True  # the lifecycle refuses it with its own, clearer message
    if user.is_staff:
        return can_change_ticket(user, ticket)
    return user.is_active and ticket.requester_id == user.pk and (ticket.status, to_status) in REQUESTER_TRANSITIONS


def requester_moves(user, ticket: Ticket) -> list[str]:
    """The statuses the ticket's requester can move it to right now (lifecycle and permissions agree)."""
    return [
        status
        for status in REQUESTER_STATUSES
        if status in TRANSITIONS.get(ticket.status, ()) and can_transition(user, ticket, status)
    ]


def can_comment(user, ticket: Ticket, *, internal: bool) -> bool:
    """Staff who can change the ticket may reply or note; the requester may reply publicly, and so may the
    people an app above allows who can see the ticket (extensions.ticket_reply_rights: e-mail watchers)."""
    if user.is_staff:
        return can_change_ticket(user, ticket)
    # A requester cannot reopen a closed ticket, so they do not write on it either: they open a new one.
    if internal or not user.is_active or ticket.status == Status.CLOSED:
        return False
    if ticket.requester_id == user.pk:
        return True
    rights = list(extensions.ticket_reply_rights)
    return bool(rights) and can_view_ticket(user, ticket) and any(right.allows(user, ticket) for right in rights)


IMPORT_PERMISSION = "tickets.import_ticket"
EXPORT_PERMISSION = "tickets.export_ticket"


def can_import_tickets(user) -> bool:
    """Admins, and staff in a group holding tickets.import_ticket (Groups in the back office)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return is_admin(user) or user.has_perm(IMPORT_PERMISSION)


def can_export_tickets(user) -> bool:
    """Every back-office user exports the tickets they can see; with TICKET_EXPORT_REQUIRES_PERMISSION on,
    only admins and holders of tickets.export_ticket. Global permissions never widen which tickets."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if is_admin(user) or not settings.TICKET_EXPORT_REQUIRES_PERMISSION:
        return True
    return user.has_perm(EXPORT_PERMISSION)


# ---- Saved views ----------------------------------------------------------------------------------------------


def can_save_view(user) -> bool:
    """Staff keep their ticket lists as named views (the back office is theirs)."""
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def can_share_view(user) -> bool:
    """Only admins share a view with a department."""
    return is_admin(user)


def can_change_saved_view(user, view) -> bool:
    """Its owner (while still staff) renames, reorders or deletes a view; an admin any view."""
    return is_admin(user) or (can_save_view(user) and view.owner_id == user.pk)


def comment_edit_deadline(comment) -> datetime:
    """When the edit window of a comment closes (COMMENT_EDIT_WINDOW seconds after it was written)."""
    return comment.created_at + timedelta(seconds=settings.COMMENT_EDIT_WINDOW)


def edit_minutes_left(deadline: datetime, now: datetime) -> int:
    """The whole minutes an edit window has left, rounded up (what the pages say: "for another 4 minutes")."""
    return max(1, math.ceil((deadline - now).total_seconds() / 60))


def comments_editable_until(
    user, comments: Iterable, *, ticket: Ticket, may_change: bool | None = None
) -> dict[int, datetime]:
    """Which comments of `ticket` the user may still edit or delete, each with the end of its window: their own,
    within COMMENT_EDIT_WINDOW, while they may still write on the ticket. The one rule of the API, the back office
    and the portal; asks `can_comment` once for staff and at most twice for others, however many comments.
    `may_change`: the caller's own answer of `can_change_ticket` for this user and ticket, which is staff's
    `can_comment` (the back office's ticket page has it already: no second query)."""
    if not (user.is_authenticated and user.is_active):
        return {}
    now = timezone.now()
    writes: dict[bool, bool] = {False: may_change} if user.is_staff and may_change is not None else {}
    editable = {}
    for comment in comments:
        deadline = comment_edit_deadline(comment)
        if comment.author_id != user.pk or now > deadline:
            continue
        # can_comment answers staff alike for replies and notes (change_ticket), so one question covers both.
        kind = False if user.is_staff else comment.is_internal
        if kind not in writes:
            writes[kind] = can_comment(user, ticket, internal=comment.is_internal)
        if writes[kind]:
            editable[comment.pk] = deadline
    return editable


def can_edit_comment(user, comment) -> bool:
    """The author may edit or delete their own comment within COMMENT_EDIT_WINDOW seconds of writing it, while
    they may still write on the ticket."""
    return comment.pk in comments_editable_until(user, [comment], ticket=comment.ticket)


def can_delete_attachment(user, ticket: Ticket) -> bool:
    """Staff who may change the ticket remove its files (recorded in the history)."""
    return can_change_ticket(user, ticket)


def ensure(allowed: bool) -> None:
    """Raise PermissionDenied unless allowed (callers have already 404'd out-of-scope tickets)."""
    if not allowed:
        raise PermissionDenied(_("You are not allowed to do that on this ticket."))
