"""All writes to tickets, comments and attachments. Each service runs in one transaction and records
its TicketEvent(s) there through apps/tickets/events.py, which hands every event to the listeners of the apps
above (notifications, AI triage); they queue their follow-up work with transaction.on_commit.

`actor` is the acting user, whose rights the service checks. `actor=None` means the system itself
(workers, repairs, imports): no rights are checked and the history shows no person. Entry points that serve
a request always pass `request.user`, never None.

Titles, descriptions and comment bodies are stored as apps.common.text.normalise_text makes them (LF line
endings, no surrounding white space), so the stored text does not depend on the channel that sent it, and
none is longer than its limit in apps/tickets/models.py (TITLE_MAX_LENGTH, DESCRIPTION_MAX_LENGTH,
COMMENT_MAX_LENGTH): an over-long text is a ValidationError naming the field, whichever channel sent it.

Every service that writes a title, description or comment refreshes the ticket's search documents in the
same transaction (apps/tickets/search.py `search_documents_refresh`), so search finds what was just written.
"""

import contextlib
import hashlib
import time
from collections.abc import Collection
from urllib.parse import parse_qsl, urlencode

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.access import AccessEnd, StaffAccessEnded
from apps.accounts.choices import STAFF_ROLES
from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.common.errors import StaleObjectError
from apps.common.text import normalise_text
from apps.departments.models import Department
from apps.departments.routing import choose_assignee

from . import events, sla
from . import permissions as perms
from .aggregates import stats_forget
from .choices import OPEN_STATUSES, TRANSITIONS, Category, Priority, Source, Status
from .creation import NewTicket, tickets_create_bulk
from .models import (
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Attachment,
    Comment,
    SavedView,
    Ticket,
    TicketTombstone,
)
from .references import references_allocate
from .search import search_documents_refresh
from .selectors import SIDEBAR_VIEWS_GENERATION
from .uploads import clean_file_name, validate_upload

EDITABLE_FIELDS = ("title", "description", "category", "language")
# Stored as normalise_text makes them, whichever channel sent them.
TEXT_FIELDS = ("title", "description")
# The longest text each field accepts (apps/tickets/models.py), checked before anything else reads the text.
TEXT_LIMITS = {"title": TITLE_MAX_LENGTH, "description": DESCRIPTION_MAX_LENGTH, "body": COMMENT_MAX_LENGTH}


class StaleTicketError(StaleObjectError):
    """The ticket changed since the caller read it (optimistic locking: version mismatch)."""

    noun = "ticket"


def reference_allocate(*, count: int = 1) -> list[str]:
    """Reserve `count` ticket references in one statement (race-free, no max()+1): apps/tickets/references.py."""
    return references_allocate(count=count)


def _authorize(actor, allowed) -> None:
    """Check the acting user's right, given as a callable so the system (actor=None) skips the query."""
    if actor is not None:
        perms.ensure(allowed(actor))


def _lock(ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """Re-read the ticket under a row lock; compare versions when the caller sent one."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleTicketError(expected=expected_version, current=locked.version)
    return locked


def _save(ticket: Ticket, fields: list[str], *, bump_version: bool = True) -> None:
    ticket.updated_at = timezone.now()
    update = [*fields, "updated_at"]
    if bump_version:
        ticket.version += 1
        update.append("version")
    ticket.save(update_fields=update)


def _check_assignee(assignee) -> None:
    if assignee is not None and not (assignee.is_active and assignee.role in STAFF_ROLES):
        raise ValidationError({"assignee": _("Only active agents and admins can be assigned tickets.")})


def _check_department(department: Department) -> None:
    if not department.is_active:
        raise ValidationError({"department": _("Department “%(name)s” is not active.") % {"name": department}})


def _check_lengths(**texts: str) -> None:
    """Refuse every text longer than its field's limit, with Django's max_length message per field."""
    errors = {}
    for field, text in texts.items():
        try:
            MaxLengthValidator(TEXT_LIMITS[field])(text)
        except ValidationError as exc:
            errors[field] = exc.error_list
    if errors:
        raise ValidationError(errors)


def _check_choice(field: str, value: str, choices) -> None:
    if value not in choices.values:
        raise ValidationError({field: _("“%(value)s” is not a valid choice.") % {"value": value}})


def ticket_create(
    *,
    actor,
    requester,
    title: str,
    description: str,
    department: Department | None = None,
    category: str = Category.QUESTION,
    priority: str = Priority.NORMAL,
    assignee=None,
    language: str = "",
    source: str = Source.PORTAL,
) -> Ticket:
    """Open a ticket: the one-row case of tickets_create_bulk (apps/tickets/creation.py), which gives it its
    reference, routing, assignment policy, SLA due dates, grants, search documents and history.

    `department=None` routes the ticket (apps.departments.routing: first matching rule, else the default
    department; the rule is recorded in a 'routed' event). Without an `assignee` the department's assignment
    policy may choose one (recorded in the 'assigned' event). The events reach the listeners of the apps above
    (notifications, then AI triage), which queue their work for after the commit.
    """
    title, description = normalise_text(title), normalise_text(description)
    _check_lengths(title=title, description=description)
    if department is not None:
        _check_department(department)
    _check_assignee(assignee)
    _check_choice("priority", priority, Priority)
    _check_choice("category", category, Category)
    _check_choice("source", source, Source)
    if not requester.is_active:
        raise ValidationError({"requester": _("The requester's account is not active.")})
    row = NewTicket(
        title=title,
        description=description,
        requester_id=requester.pk,
        requester=requester,
        requester_email=requester.email or "",
        department=department,
        category=category,
        priority=priority,
        assignee_id=assignee.pk if assignee is not None else None,
        assignee=assignee,
        language=language,
    )
    return tickets_create_bulk(actor=actor, rows=[row], source=source)[0]


@transaction.atomic
def ticket_update(*, ticket: Ticket, actor, expected_version: int | None = None, **changes) -> Ticket:
    """Edit title, description, category, language and priority; one event for the edits, one for priority."""
    unknown = set(changes) - {*EDITABLE_FIELDS, "priority"}
    if unknown:
        raise ValueError(f"ticket_update cannot change {sorted(unknown)}")
    _authorize(actor, lambda user: perms.can_change_ticket(user, ticket))
    locked = _lock(ticket, expected_version)
    changes.update({f: normalise_text(changes[f]) for f in TEXT_FIELDS if f in changes})
    _check_lengths(**{f: changes[f] for f in TEXT_FIELDS if f in changes})
    if "priority" in changes:
        _check_choice("priority", changes["priority"], Priority)
    if "category" in changes:
        _check_choice("category", changes["category"], Category)
    edited = {f: [getattr(locked, f), v] for f, v in changes.items() if f != "priority" and getattr(locked, f) != v}
    old_priority = locked.priority
    new_priority = changes.get("priority", old_priority)
    if not edited and new_priority == old_priority:
        return locked
    for field, (_old, new) in edited.items():
        setattr(locked, field, new)
    locked.priority = new_priority
    locked.full_clean(exclude=["reference"])
    due_fields = sla.sla_apply(locked) if new_priority != old_priority else []
    _save(locked, [*edited, "priority", *due_fields])
    if edited.keys() & set(TEXT_FIELDS):
        search_documents_refresh(ticket_ids=[locked.pk])
    if edited:
        # The requester's old description is kept (the history shows what an edit replaced); the new one is the
        # ticket's own, so it is not copied.
        summary = {f: v if f != "description" else [v[0], None] for f, v in edited.items()}
        events.fields_updated_event(ticket=locked, actor=actor, changes=summary)
    if new_priority != old_priority:
        events.priority_changed_event(ticket=locked, actor=actor, old=old_priority, new=new_priority)
    return locked


@transaction.atomic
def ticket_language_fill(*, ticket_id: int, language: str) -> bool:
    """Set the language a provider detected on a ticket that has none (a fact the system records, like a routing);
    a language someone already set is never replaced. True when the ticket changed."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or not language:
        return False
    locked = _lock(ticket)
    if locked.language:
        return False
    locked.language = language
    locked.full_clean(exclude=["reference"])
    _save(locked, ["language"])
    events.fields_updated_event(ticket=locked, actor=None, changes={"language": ["", language]})
    return True


@transaction.atomic
def ticket_transition(*, ticket: Ticket, actor, to_status: str, expected_version: int | None = None) -> Ticket:
    """Move a ticket along the lifecycle; an illegal move raises ValidationError naming both statuses."""
    _check_choice("status", to_status, Status)
    _authorize(actor, lambda user: perms.can_transition(user, ticket, to_status))
    locked = _lock(ticket, expected_version)
    old = locked.status
    if to_status not in TRANSITIONS[old]:
        raise ValidationError(
            {
                "status": _("A ticket cannot move from “%(from)s” to “%(to)s”.")
                % {"from": Status(old).label, "to": Status(to_status).label}
            },
            code="illegal_transition",
        )
    now = timezone.now()
    locked.status = to_status
    fields = ["status"]
    if to_status == Status.RESOLVED:
        locked.resolved_at = now
        fields.append("resolved_at")
    elif to_status == Status.CLOSED:
        locked.closed_at = now
        fields.append("closed_at")
    elif old in (Status.RESOLVED, Status.CLOSED):  # reopen
        locked.resolved_at = None
        locked.closed_at = None
        fields += ["resolved_at", "closed_at"]
    fields += sla.sla_status_changed(locked, old_status=old, now=now)
    _save(locked, fields)
    events.status_changed_event(ticket=locked, actor=actor, old=old, new=to_status)
    return locked


@transaction.atomic
def ticket_auto_close(*, ticket_id: int, resolved_before) -> Ticket | None:
    """Close, as the system, a ticket still resolved since before `resolved_before`; None when it is no longer due
    (reopened, already closed, or resolved again since). Checked under the row lock, so running twice closes once."""
    locked = (
        Ticket.objects.select_for_update()
        .filter(pk=ticket_id, status=Status.RESOLVED, resolved_at__lte=resolved_before)
        .first()
    )
    if locked is None:
        return None
    return ticket_transition(ticket=locked, actor=None, to_status=Status.CLOSED)


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor, assignee, expected_version: int | None = None) -> Ticket:
    """Give the ticket to an agent (or to nobody) and move the assignee grants with it."""
    _authorize(actor, lambda user: perms.can_change_ticket(user, ticket))
    _check_assignee(assignee)
    locked = _lock(ticket, expected_version)
    old_id = locked.assignee_id
    new_id = assignee.pk if assignee else None
    if old_id == new_id:
        return locked
    locked.assignee = assignee
    _save(locked, ["assignee"])
    perms.move_assignee_grants(ticket=locked, old_assignee_id=old_id)
    events.assigned_event(ticket=locked, actor=actor, old_id=old_id, new_id=new_id)
    return locked


@transaction.atomic
def ticket_transfer(*, ticket: Ticket, actor, department: Department, expected_version: int | None = None) -> Ticket:
    """Move the ticket to another department: the department grants move in the same transaction.

    An assignee who is not a member of the new department (and not an admin) is unassigned; an unassigned
    ticket then gets the new department's assignment policy, and the due dates follow its SLA policy.
    """
    _authorize(actor, lambda user: perms.can_change_ticket(user, ticket))
    _check_department(department)
    locked = _lock(ticket, expected_version)
    old = locked.department
    if old.pk == department.pk:
        return locked
    locked.department = department
    fields = ["department"]
    old_assignee_id = locked.assignee_id
    unassigned = bool(
        locked.assignee_id
        and not (locked.assignee.is_superuser or locked.assignee.groups.filter(pk=department.group_id).exists())
    )
    if unassigned:
        locked.assignee = None
    chosen = None
    if locked.assignee_id is None and locked.status in OPEN_STATUSES:
        chosen = choose_assignee(department=department, open_statuses=OPEN_STATUSES)
    if chosen is not None:
        locked.assignee = chosen
    if locked.assignee_id != old_assignee_id:
        fields.append("assignee")
    fields += sla.sla_apply(locked)
    _save(locked, fields)
    perms.move_department_grants(ticket=locked, old_group_id=old.group_id, new_group_id=department.group_id)
    events.transferred_event(ticket=locked, actor=actor, old_id=old.pk, new_id=department.pk)
    if "assignee" in fields:
        perms.move_assignee_grants(ticket=locked, old_assignee_id=old_assignee_id)
    if unassigned:
        events.assigned_event(ticket=locked, actor=actor, old_id=old_assignee_id, new_id=None, reason="transfer")
    if chosen is not None:
        events.assigned_event(
            ticket=locked, actor=None, old_id=None, new_id=chosen.pk, policy=department.assignment_policy
        )
    return locked


@transaction.atomic
def assignee_withdraw(*, assignee, actor=None, department_ids=None) -> list[Ticket]:
    """Unassign `assignee` from their tickets (only those of `department_ids`, when given), whatever the status:
    the assignee grants go (the requester's view stays), and each ticket records an 'assigned' event to nobody.

    No right is checked: the caller is the change that ended the access (apps/accounts/access.py), made by an
    admin (`actor`, shown in the history) or the system (None). Nobody else is assigned in their place, and
    the due dates stay: an unassigned ticket waits for its department as any other.
    """
    tickets = Ticket.objects.filter(assignee=assignee)
    if department_ids is not None:
        tickets = tickets.filter(department_id__in=department_ids)
    withdrawn = []
    for locked in tickets.select_for_update().order_by("pk"):
        locked.assignee = None
        _save(locked, ["assignee"])
        perms.move_assignee_grants(ticket=locked, old_assignee_id=assignee.pk)
        events.assigned_event(ticket=locked, actor=actor, old_id=assignee.pk, new_id=None)
        withdrawn.append(locked)
    return withdrawn


@transaction.atomic
def staff_access_end(change: StaffAccessEnded) -> None:
    """The tickets' part when an account's staff access ends (a listener of apps/accounts/access.py).

    Demoted or deactivated: unassigned from every ticket, and every ticket grant goes but the view of the
    tickets it requested. Out of some departments: unassigned from those departments' tickets, unless it is an
    admin (admins see every ticket; no other membership gives access to a department's tickets). Shares an
    admin made on a ticket's permission page stay then: they were given to the person, not to the member.
    """
    user = change.user
    if change.reason == AccessEnd.DEPARTMENTS:
        if user.is_superuser or not change.group_ids:
            return
        departments = Department.objects.filter(group_id__in=change.group_ids).values_list("pk", flat=True)
        withdrawn = assignee_withdraw(assignee=user, actor=change.actor, department_ids=list(departments))
        if withdrawn:
            _record_access_ended(change, withdrawn=withdrawn, revoked=0)
        return
    withdrawn = assignee_withdraw(assignee=user, actor=change.actor)
    revoked = perms.user_grants_revoke(user=user)
    _record_access_ended(change, withdrawn=withdrawn, revoked=revoked)


def _record_access_ended(change: StaffAccessEnded, *, withdrawn: list[Ticket], revoked: int) -> None:
    """One audit entry for what the end of staff access took: the tickets unassigned (their assignee grants go
    with them) and how many other ticket grants (shares an admin made) were revoked."""
    audit_record(
        action=Action.ACCESS_ENDED,
        obj=change.user,
        actor=change.actor,
        changes={
            "reason": [None, str(change.reason)],
            "assigned_tickets": [sorted(ticket.reference for ticket in withdrawn), []],
            "ticket_shares_revoked": [None, revoked],
        },
    )


_UNCHANGED = object()


@transaction.atomic
def ticket_change(
    *,
    ticket: Ticket,
    actor,
    expected_version: int | None = None,
    assignee=_UNCHANGED,
    status: str | None = None,
    department: Department | None = None,
    **edits,
) -> Ticket:
    """Several changes in one all-or-nothing step (a form or an API PATCH): edits, assignee, status, department.

    The version is compared once, under the row lock, before anything changes; the lock is held to commit, so
    the steps cannot interleave with another writer. The transfer goes last: it can take the actor's access away.
    """
    ticket = _lock(ticket, expected_version)
    if edits:
        ticket = ticket_update(ticket=ticket, actor=actor, **edits)
    if assignee is not _UNCHANGED and (assignee.pk if assignee else None) != ticket.assignee_id:
        ticket = ticket_assign(ticket=ticket, actor=actor, assignee=assignee)
    if status is not None and status != ticket.status:
        ticket = ticket_transition(ticket=ticket, actor=actor, to_status=status)
    if department is not None and department.pk != ticket.department_id:
        ticket = ticket_transfer(ticket=ticket, actor=actor, department=department)
    return ticket


@transaction.atomic
def attachment_add(*, ticket: Ticket, actor, upload: UploadedFile, comment: Comment | None = None) -> Attachment:
    """Store an uploaded file on a ticket, or on the uploader's own comment of it, under a server-generated name."""
    internal = bool(comment and comment.is_internal)
    perms.ensure(perms.can_comment(actor, ticket, internal=internal))
    # A file on a comment shows as its author's: nobody hangs one on someone else's reply or note.
    if comment is not None and (comment.ticket_id != ticket.pk or comment.author_id != actor.pk):
        raise ValidationError({"comment": _("A file can only be added to your own comment, or to the ticket.")})
    content_type = validate_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = clean_file_name(upload)
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        uploaded_by=actor,
        original_name=name,
        size=upload.size,
        content_type=content_type,
        sha256=digest.hexdigest(),
    )
    attachment.file.save(name, upload, save=False)
    try:
        attachment.save(force_insert=True)
        events.attachment_added_event(attachment=attachment, internal=internal)
    except BaseException:
        # This function's savepoint rolls the row back: its file (a fresh server-generated name) goes too. A file
        # whose row a caller's transaction rolls back later is an orphan; the hourly orphan_files_task removes it.
        with contextlib.suppress(Exception):  # never hide the real error; the hourly task is the fallback
            attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


@transaction.atomic
def comment_add(
    *, ticket: Ticket, actor, body: str, is_internal: bool = False, uploads: list[UploadedFile] = ()
) -> Comment:
    """Add a public reply or an internal note (staff only), with its attachments, in one transaction."""
    perms.ensure(perms.can_comment(actor, ticket, internal=is_internal))
    body = normalise_text(body)
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    _check_lengths(body=body)
    for upload in uploads:
        validate_upload(upload)
    locked = _lock(ticket)
    comment = Comment.objects.create(ticket=locked, author=actor, body=body, is_internal=is_internal)
    search_documents_refresh(ticket_ids=[locked.pk])
    fields = []
    if not is_internal and actor.is_staff and locked.first_responded_at is None and actor.pk != locked.requester_id:
        locked.first_responded_at = comment.created_at
        fields.append("first_responded_at")
    # Saved before the event, which counts the first response in the figures (apps/tickets/aggregates.py).
    _save(locked, fields, bump_version=False)
    events.comment_added_event(comment=comment)
    for upload in uploads:
        attachment_add(ticket=locked, actor=actor, upload=upload, comment=comment)
    return comment


def status_path(from_status: str, to_status: str) -> list[str]:
    """The statuses a ticket passes through to get from `from_status` to `to_status` along the lifecycle, fewest
    steps first and never through Closed on the way (e.g. New → Waiting: the direct move when TRANSITIONS allows
    it, else Open, In progress, Waiting); [] when it is already there, ValidationError when no path exists."""
    if from_status == to_status:
        return []
    paths = {from_status: [from_status]}
    frontier = [from_status]
    while frontier:
        reached = []
        for status in frontier:
            for following in sorted(TRANSITIONS.get(status, ())):
                if following in paths or (following == Status.CLOSED and following != to_status):
                    continue
                paths[following] = [*paths[status], following]
                if following == to_status:
                    return paths[following][1:]
                reached.append(following)
        frontier = reached
    raise ValidationError(
        {
            "status": _("A ticket cannot move from “%(from)s” to “%(to)s”.")
            % {"from": Status(from_status).label, "to": Status(to_status).label}
        },
        code="illegal_transition",
    )


@transaction.atomic
def comment_send(
    *,
    ticket: Ticket,
    actor,
    body: str,
    is_internal: bool = False,
    uploads: list[UploadedFile] = (),
    to_status: str | None = None,
) -> Comment:
    """The composer's one click: a reply or an internal note and, optionally, the status it leaves the ticket in
    ("Send and wait for requester", "Send and resolve"), all in one transaction: if the status cannot change,
    nothing is written. The status follows the lifecycle (`status_path`), one history entry per move."""
    if to_status is not None:
        _check_choice("status", to_status, Status)
        status_path(ticket.status, to_status)  # refuse an impossible move before writing anything
    comment = comment_add(ticket=ticket, actor=actor, body=body, is_internal=is_internal, uploads=uploads)
    if to_status is not None:
        # comment_add holds the row lock to commit: the status read here is the one the moves start from.
        current = Ticket.objects.get(pk=ticket.pk)
        for status in status_path(current.status, to_status):
            current = ticket_transition(ticket=current, actor=actor, to_status=status)
    return comment


@transaction.atomic
def comment_edit(*, comment: Comment, actor, body: str) -> Comment:
    """The author rewrites their comment within the edit window; the old text is kept in the history."""
    perms.ensure(perms.can_edit_comment(actor, comment))
    body = normalise_text(body)
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    _check_lengths(body=body)
    locked = _lock(comment.ticket)
    old_body = comment.body
    if body == old_body:
        return comment
    comment.body, comment.edited_at = body, timezone.now()
    comment.updated_at = comment.edited_at
    comment.save(update_fields=["body", "edited_at", "updated_at"])
    search_documents_refresh(ticket_ids=[locked.pk])
    events.comment_edited_event(comment=comment, actor=actor, old_body=old_body)
    _save(locked, [], bump_version=False)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, actor) -> None:
    """The author deletes their comment (and its files) within the edit window; the text stays in the history."""
    perms.ensure(perms.can_edit_comment(actor, comment))
    locked = _lock(comment.ticket)
    names = list(comment.attachments.values_list("file", flat=True))
    storage = Attachment._meta.get_field("file").storage
    comment_id, body, internal = comment.pk, comment.body, comment.is_internal
    comment.delete()
    search_documents_refresh(ticket_ids=[locked.pk])
    events.comment_deleted_event(ticket=locked, actor=actor, comment_id=comment_id, body=body, internal=internal)
    _save(locked, [], bump_version=False)
    transaction.on_commit(lambda: [storage.delete(n) for n in names])


@transaction.atomic
def attachment_delete(*, attachment: Attachment, actor) -> None:
    """Staff who may change the ticket remove one of its files; the history records which."""
    ticket = attachment.ticket
    perms.ensure(perms.can_delete_attachment(actor, ticket))
    locked = _lock(ticket)
    name, storage = attachment.file.name, attachment.file.storage
    attachment_id, original, internal = attachment.pk, attachment.original_name, attachment.is_internal
    attachment.delete()
    events.attachment_deleted_event(
        ticket=locked, actor=actor, attachment_id=attachment_id, name=original, internal=internal
    )
    _save(locked, [], bump_version=False)
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def ticket_watcher_grant(*, ticket: Ticket, user, actor) -> bool:
    """Let `user` see the ticket as a watcher (apps.mail: an account in the Cc of an e-mail), with a history line.

    `actor` is the person whose message named the watcher, and must be able to write on the ticket; returns
    False (nothing recorded) when the user could already see it."""
    if actor is not None:
        perms.ensure(perms.can_comment(actor, ticket, internal=False))
    if not user.is_active or perms.can_view_ticket(user, ticket):
        return False
    perms.watcher_grant(ticket=ticket, user=user)
    events.watcher_added_event(ticket=ticket, actor=actor, user_id=user.pk)
    return True


@transaction.atomic
def ticket_watcher_revoke(*, ticket: Ticket, user, actor) -> bool:
    """Take back the view `user` had as a watcher (apps.mail: a watcher removed by hand), with a history line.

    `actor` must be able to change the ticket; returns False (nothing recorded) when there was no such grant,
    or when the user holds it as the ticket's requester or assignee."""
    perms.ensure(perms.can_change_ticket(actor, ticket))
    if not perms.watcher_revoke(ticket=ticket, user=user):
        return False
    events.watcher_removed_event(ticket=ticket, actor=actor, user_id=user.pk)
    return True


@transaction.atomic
def ticket_delete(*, ticket: Ticket, actor) -> None:
    """Delete a ticket (admins only): grants, comments, events go with it, its figures are taken out; files
    after commit."""
    perms.ensure(perms.can_delete_ticket(actor))
    ticket = _lock(ticket)
    names = list(ticket.attachments.values_list("file", flat=True))
    storage = Attachment._meta.get_field("file").storage
    stats_forget([ticket])
    TicketTombstone.objects.create(
        ticket_id=ticket.pk,
        reference=ticket.reference,
        department_id=ticket.department_id,
        requester_id=ticket.requester_id,
        assignee_id=ticket.assignee_id,
    )
    ticket.delete()
    transaction.on_commit(lambda: [storage.delete(n) for n in names])


@transaction.atomic
def ticket_share(*, ticket: Ticket, actor, codenames: Collection[str], user=None, group=None) -> bool:
    """Set what one user (or group) may do with this ticket beyond their roles: view, change, or nothing (admins
    only, on the ticket's object-permission page). The change is an internal history entry; False if none."""
    if actor is not None:
        perms.ensure(perms.can_share_ticket(actor))
    wanted = frozenset(codenames)
    if not wanted <= frozenset(perms.SHAREABLE_PERMS) or (user is None) == (group is None):
        raise ValidationError(_("Share a ticket with one user or one group, to view or change it."))
    before = perms.shared_grants(ticket=ticket, user=user, group=group)
    if before == wanted:
        return False
    perms.shared_grants_set(ticket=ticket, codenames=wanted, user=user, group=group)
    events.access_changed_event(ticket=ticket, actor=actor, user=user, group=group, before=before, after=wanted)
    return True


# Saved views ----------------------------------------------------------------------------------------------------


def saved_view_query(query: str, *, allowed: Collection[str]) -> str:
    """The query string of a view in one canonical form (its parameters sorted), or ValidationError when it holds a
    parameter the ticket list does not read (`allowed`: its filters, search and ordering)."""
    pairs = parse_qsl(query or "", keep_blank_values=False)
    for key, _value in pairs:
        if key not in allowed:
            raise ValidationError({"query": _("The ticket list has no filter named %(name)s.") % {"name": key[:40]}})
    canonical = urlencode(sorted(set(pairs)))
    if len(canonical) > SavedView.QUERY_MAX_LENGTH:
        raise ValidationError({"query": _("These filters are too long to keep as a view.")})
    return canonical


def _check_view(name: str, shared_with: Department | None, actor) -> str:
    name = normalise_text(name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if len(name) > SavedView.NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": _("Keep the name under %(count)d characters.") % {"count": SavedView.NAME_MAX_LENGTH + 1}}
        )
    if shared_with is not None and not perms.can_share_view(actor):
        raise PermissionDenied(_("Only admins share a view with a department."))
    return name


def saved_views_generation_next() -> None:
    """A new generation of the sidebar's kept saved views (selectors.sidebar_saved_views)."""
    cache.set(SIDEBAR_VIEWS_GENERATION, time.time_ns(), None)


def saved_views_changed() -> None:
    """Start a new generation of the sidebar's kept saved views: now, and again once the transaction commits, so a
    page read between the two cannot keep what the transaction replaced."""
    saved_views_generation_next()
    transaction.on_commit(saved_views_generation_next)


@transaction.atomic
def saved_view_create(
    *, actor, name: str, query: str, allowed: Collection[str], shared_with: Department | None = None
) -> SavedView:
    """Keep the ticket list's current filters, search and ordering as a view named `name`, owned by `actor`;
    shared with the members of `shared_with` when an admin asks. The view goes after the owner's others."""
    if not perms.can_save_view(actor):
        raise PermissionDenied(_("Only staff keep ticket views."))
    name = _check_view(name, shared_with, actor)
    query = saved_view_query(query, allowed=allowed)
    last = SavedView.objects.filter(owner=actor).order_by("-position").values_list("position", flat=True).first()
    return SavedView.objects.create(
        owner=actor, name=name, query=query, shared_with=shared_with, position=0 if last is None else last + 1
    )


@transaction.atomic
def saved_view_update(
    *, view: SavedView, actor, name: str | None = None, shared_with=_UNCHANGED, position: int | None = None
) -> SavedView:
    """Rename a view, move it in the sidebar (`position`) or change whom it is shared with (admins only)."""
    if not perms.can_change_saved_view(actor, view):
        raise PermissionDenied(_("Only its owner or an admin changes this view."))
    view = SavedView.objects.select_for_update().get(pk=view.pk)
    sharing = view.shared_with if shared_with is _UNCHANGED else shared_with
    if shared_with is not _UNCHANGED and shared_with != view.shared_with and not perms.can_share_view(actor):
        raise PermissionDenied(_("Only admins share a view with a department."))
    view.name = _check_view(view.name if name is None else name, None, actor)
    view.shared_with = sharing
    if position is not None:
        view.position = max(0, min(int(position), 32767))
    view.updated_at = timezone.now()
    view.save(update_fields=["name", "shared_with", "position", "updated_at"])
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor) -> None:
    """Delete a view: its owner or an admin."""
    if not perms.can_change_saved_view(actor, view):
        raise PermissionDenied(_("Only its owner or an admin deletes this view."))
    SavedView.objects.filter(pk=view.pk).delete()
