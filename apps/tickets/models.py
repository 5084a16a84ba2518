"""Tickets, their conversation (comments, attachments), their history, and the grants that scope them."""

import uuid
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .choices import OPEN_STATUSES, PRIORITY_RANK, Category, EventKind, Priority, SlaStage, SlaTarget, Source, Status

# The longest texts a ticket accepts, in characters, whichever channel sends them (portal, API, back office,
# import): the forms and serializers declare them, the services enforce them (apps/tickets/services.py).
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 20_000
COMMENT_MAX_LENGTH = 20_000


class ReferenceSequence(models.Model):
    """A named counter; ticket references are drawn from it with an atomic UPDATE (see services)."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("reference sequence")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class TicketManager(models.Manager):
    """Tickets without their search documents: nothing but the search reads them, and a ticket saved without
    `update_fields` then writes only what it loaded, never a stale document over a fresh one."""

    def get_queryset(self):
        return super().get_queryset().defer(*SEARCH_DOCUMENTS)


# The stored search documents of a ticket (apps/tickets/search.py), written only by search_documents_refresh.
SEARCH_DOCUMENTS = ("search_public", "search_internal")


# The fields of a ticket that the figures depend on (apps/tickets/aggregates.py), as attribute names.
STATS_FIELDS = (
    "id",
    "department_id",
    "assignee_id",
    "status",
    "priority",
    "created_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "first_response_due_at",
    "resolution_due_at",
)


STATS_NAMES = frozenset(name.removesuffix("_id") for name in STATS_FIELDS)


def stats_snapshot(ticket) -> tuple:
    """The values of STATS_FIELDS of a ticket, in that order."""
    return tuple(getattr(ticket, name) for name in STATS_FIELDS)


class Ticket(models.Model):
    """A request for help, owned by a department and (optionally) worked by one assignee."""

    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, default=Category.QUESTION)
    # No index of their own on the three keys: each leads one of the indexes in Meta (requester, created),
    # (department, status, created) and (assignee, status), which serve the same lookups; every index is one
    # more entry to write for each new ticket (docs/benchmarks.md, CSV import).
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        verbose_name=_("requester"),
        db_index=False,
    )
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("department"),
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
        db_index=False,
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.PORTAL)
    # Where an imported ticket came from: the other system and its id there. Importing the same file again
    # finds the ticket by them (apps/tickets/imports), so a re-run updates instead of duplicating.
    external_source = models.CharField(_("external source"), max_length=50, blank=True, default="")
    external_id = models.CharField(_("external id"), max_length=100, blank=True, default="")
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # SLA clocks stop while the ticket waits for the requester (apps/tickets/sla.py): since when, and how much
    # SLA time (working time when the policy counts business hours) earlier pauses took.
    sla_paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True, editable=False)
    sla_paused = models.DurationField(_("SLA time paused"), default=timedelta(0), editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_("Raised by every change; used for optimistic locking."),
    )
    # Full-text search documents (PostgreSQL; empty elsewhere), kept by the services through
    # apps/tickets/search.py: reference, title, description and public replies; internal notes (staff only).
    # Their GIN indexes, each on (department_id, document) through the btree_gin extension, are created by
    # migrations 0009 and 0017 on PostgreSQL only, so they are not declared below.
    search_public = SearchVectorField(null=True, editable=False)
    search_internal = SearchVectorField(null=True, editable=False)

    objects = TicketManager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("import_ticket", _("Can import tickets from CSV")),
            ("export_ticket", _("Can export tickets to CSV")),
        ]
        indexes = [
            models.Index(fields=["department", "status", "created_at"], name="ticket_dept_status_created"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["requester", "created_at"], name="ticket_requester_created"),
            models.Index(fields=["-created_at", "-id"], name="ticket_created_desc"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated_desc"),
            # Sorted by priority (by urgency: PRIORITY_RANK), newest first or in id order within each: the back
            # office's list in either direction (the most urgent first is this one read backwards, the least urgent
            # first the next one), the API's `ordering=priority` and `-priority` (this one, either way).
            models.Index(PRIORITY_RANK, models.F("id"), name="ticket_priority_rank"),
            models.Index(PRIORITY_RANK, models.F("id").desc(), name="ticket_priority_rank_id_desc"),
            # The dashboard's oldest open tickets: the head of this index, whatever the number of closed ones.
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
                name="ticket_open_created",
            ),
            # The SLA check (every minute) and the "breaching soon" filter look only at running clocks.
            models.Index(
                fields=["first_response_due_at"],
                condition=models.Q(first_responded_at__isnull=True, sla_paused_at__isnull=True),
                name="ticket_sla_response_running",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=models.Q(resolved_at__isnull=True, sla_paused_at__isnull=True),
                name="ticket_sla_resolution_running",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=~models.Q(external_id=""),
                name="ticket_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # The ticket as the figures (TicketDayStat, TicketOpenCount) count it: the values it was loaded with, moved
    # on by apps/tickets/aggregates.py each time it applies a change. A Django-documented use of from_db().
    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance.stats_counted = stats_snapshot(instance) if set(STATS_FIELDS) <= set(field_names) else None
        return instance

    def refresh_from_db(self, using=None, fields=None, **kwargs):
        super().refresh_from_db(using=using, fields=fields, **kwargs)
        # Reading a deferred field (a search document) refreshes only that field: the snapshot stays.
        if fields is None or {name.removesuffix("_id") for name in fields} & STATS_NAMES:
            self.stats_counted = stats_snapshot(self)


class TicketUserObjectPermission(UserObjectPermissionBase):
    """guardian grant of one permission on one ticket to one user (requester, assignee, or a share)."""

    # No index on the user alone nor on (user, permission): the unique index (user, permission, content_object)
    # leads with them and answers those lookups too (with the ticket ids in the index); an import writes a few
    # grants for every ticket, and each index is one more entry per grant.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    content_object = models.ForeignKey(Ticket, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        unique_together = [("user", "permission", "content_object")]


class TicketGroupObjectPermission(GroupObjectPermissionBase):
    """guardian grant of one permission on one ticket to one group (a department, or a share)."""

    # As for the user grants: the unique index (group, permission, content_object) serves the group's lookups.
    group = models.ForeignKey(Group, on_delete=models.CASCADE, db_index=False)
    content_object = models.ForeignKey(Ticket, on_delete=models.CASCADE)
    # True only on the grants the ticket services write for the ticket's own department group (routing,
    # transfer): such a row always names a ticket of that group's department. Every other row (a share, any row
    # written another way) is False, and an agent's reach (their lists and searches) reads those from the partial
    # index below (selectors.agent_reach).
    is_department_grant = models.BooleanField(default=False, editable=False)

    class Meta(GroupObjectPermissionBase.Meta):
        unique_together = [("group", "permission", "content_object")]
        indexes = [
            models.Index(fields=["group"], condition=models.Q(is_department_grant=False), name="ticket_gperm_shares"),
        ]


class Comment(models.Model):
    """A message on a ticket: a public reply, or an internal note that requesters never see."""

    # Indexed by (ticket, created_at) below, which serves the lookups by ticket alone too.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="comments", verbose_name=_("ticket"), db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments", verbose_name=_("author")
    )
    body = models.TextField(_("message"))
    is_internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # Set when the author edits the body (services.comment_edit); the sync reads comments changed since a time.
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_created")]

    def __str__(self) -> str:
        kind = _("Internal note") if self.is_internal else _("Reply")
        return f"{kind} #{self.pk} on {self.ticket_id}"


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    """Server-generated storage name: the user's file name never reaches the file system."""
    suffix = PurePosixPath(filename).suffix.lower()[:16]
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A file on a ticket (optionally on one comment, whose visibility it then shares)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket"))
    comment = models.ForeignKey(
        Comment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("comment"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="attachment_ticket_created")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_internal(self) -> bool:
        return bool(self.comment_id and self.comment.is_internal)


class TicketEvent(models.Model):
    """One entry of a ticket's history: who changed what, from what, to what."""

    # Indexed by (ticket, created_at) below, which serves the lookups by ticket alone too.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket"), db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    data = models.JSONField(_("data"), default=dict, blank=True)
    is_internal = models.BooleanField(
        _("internal"), default=False, help_text=_("Internal events are never shown to requesters.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.ticket_id})"


class TicketTombstone(models.Model):
    """What is left of a deleted ticket for the sync (`GET /api/tickets/deleted/`): its id and reference, and who
    could see it when it went (its department, requester and assignee), to scope the list like the tickets."""

    ticket_id = models.PositiveBigIntegerField(_("ticket id"), unique=True)
    reference = models.CharField(_("reference"), max_length=32)
    department = models.ForeignKey(
        "departments.Department", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("department")
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("requester")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("assignee")
    )
    deleted_at = models.DateTimeField(_("deleted"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("deleted ticket")
        verbose_name_plural = _("deleted tickets")
        ordering = ["deleted_at", "id"]
        indexes = [models.Index(fields=["deleted_at", "id"], name="tombstone_deleted")]

    def __str__(self) -> str:
        return f"{self.reference} ({self.ticket_id})"


class SlaAlert(models.Model):
    """One warning or breach of one SLA target of a ticket, for one due date: the SLA check records and
    notifies it once (the unique constraint is the idempotency key). A new due date can breach again."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_alerts", verbose_name=_("ticket"))
    target = models.CharField(_("target"), max_length=16, choices=SlaTarget.choices)
    stage = models.CharField(_("stage"), max_length=16, choices=SlaStage.choices)
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("SLA alert")
        verbose_name_plural = _("SLA alerts")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "stage", "due_at"], name="slaalert_once_per_due"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.stage} {self.due_at:%Y-%m-%d %H:%M}"


class SavedView(models.Model):
    """A named ticket list of the back office: the changelist's filters, search and ordering, kept as the query
    string the list reads (only its own parameters; see services.saved_view_create).

    A view is a query, never a list of tickets: whoever opens it sees only the tickets they may see. It belongs
    to its owner; an admin may share one with a department, whose members then find it in their sidebar.
    """

    NAME_MAX_LENGTH = 60
    QUERY_MAX_LENGTH = 1000

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    query = models.CharField(_("filters"), max_length=QUERY_MAX_LENGTH, blank=True)
    shared_with = models.ForeignKey(
        "departments.Department",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_views",
        verbose_name=_("shared with"),
        help_text=_("Members of this department see the view in their sidebar (admins only)."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["position", "name", "id"]
        indexes = [
            models.Index(fields=["owner", "position"], name="savedview_owner_position"),
            models.Index(fields=["shared_with"], name="savedview_shared_with"),
        ]

    def __str__(self) -> str:
        return self.name


# Upper edges, in seconds, of the duration histograms of TicketDayStat (first response, resolution); the last
# bucket holds everything from 90 days on. A percentile read from them is exact to within its bucket.
DURATION_BUCKETS = (
    300,
    900,
    1800,
    3600,
    7200,
    14400,
    28800,
    43200,
    86400,
    172800,
    259200,
    432000,
    604800,
    1209600,
    2592000,
    5184000,
    7776000,
)
RESPONSE_HISTOGRAM = tuple(f"response_h{n:02d}" for n in range(len(DURATION_BUCKETS) + 1))
RESOLUTION_HISTOGRAM = tuple(f"resolution_h{n:02d}" for n in range(len(DURATION_BUCKETS) + 1))
NO_AGENT = 0  # the `agent` of unassigned tickets in the figures
# Each bucket of the figures is kept in this many rows (a ticket counts in the row of its id modulo STATS_SHARDS):
# an upsert holds its row until commit, and tickets created at once in one department would otherwise wait for each
# other. Readers sum the rows.
STATS_SHARDS = 8


class TicketDayStat(models.Model):
    """What happened to tickets on one day (site time zone) in one department, per assignee (tickets/aggregates.py).

    Each ticket counts, as it is now, on the day of each of its moments: created, first answered, resolved, left
    the backlog (resolved or closed). Kept by the services in the transaction of each change.
    """

    day = models.DateField(_("day"))
    # Indexed by (department, day) below.
    department = models.ForeignKey("departments.Department", on_delete=models.CASCADE, related_name="+", db_index=False)
    # The assignee's id, NO_AGENT for none (an integer, not a key: a NULL would not meet the unique constraint).
    agent = models.PositiveIntegerField(_("agent"), default=NO_AGENT)
    shard = models.PositiveSmallIntegerField(default=0)  # see STATS_SHARDS
    created = models.IntegerField(default=0)
    done = models.IntegerField(default=0)  # left the backlog: resolved, or closed without being resolved
    responded = models.IntegerField(default=0)
    response_seconds = models.BigIntegerField(default=0)
    response_met = models.IntegerField(default=0)
    response_breached = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolution_seconds = models.BigIntegerField(default=0)
    resolution_met = models.IntegerField(default=0)
    resolution_breached = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("ticket day figures")
        verbose_name_plural = _("ticket day figures")
        constraints = [
            models.UniqueConstraint(fields=["day", "department", "agent", "shard"], name="ticketdaystat_key")
        ]
        indexes = [models.Index(fields=["department", "day"], name="ticketdaystat_dept_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.department_id}/{self.agent}"


for _name in (*RESPONSE_HISTOGRAM, *RESOLUTION_HISTOGRAM):
    TicketDayStat.add_to_class(_name, models.IntegerField(default=0))


class TicketOpenCount(models.Model):
    """How many tickets are open now, per department, assignee, status and priority (apps/tickets/aggregates.py)."""

    # Indexed as the first column of the unique key below.
    department = models.ForeignKey("departments.Department", on_delete=models.CASCADE, related_name="+", db_index=False)
    agent = models.PositiveIntegerField(_("agent"), default=NO_AGENT)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices)
    shard = models.PositiveSmallIntegerField(default=0)  # see STATS_SHARDS
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("open ticket count")
        verbose_name_plural = _("open ticket counts")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "agent", "status", "priority", "shard"], name="ticketopencount_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.agent} {self.status} {self.priority}: {self.count}"


class ImportProfile(models.Model):
    """A named mapping for ticket imports (preset, columns, values, options) saved from the import page."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    mapping = models.JSONField(_("mapping"), default=dict)  # apps.tickets.imports.mapping.ImportMapping.as_dict()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("import profile")
        verbose_name_plural = _("import profiles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
