"""Serializers of the tickets API.

Reads use one representation for every role (what a requester may not see is filtered out by the
selectors, row by row). Other apps add read-only fields to a ticket's representation (the AI triage as
`insight`) through apps/tickets/extensions.py. Writes are parsed by strict serializers narrowed to the caller's
role by the write table of apps/tickets/permissions.py: a field the role may not write, a read-only field, or
an unknown key is a 400 that names it, never silently dropped.
"""

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf
from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.selectors import requester_by_email, users_visible_to
from apps.common.api.schema import JSON_SCALAR_SCHEMA, JSON_VALUE_SCHEMA
from apps.common.api.serializers import StrictBooleanField, StrictSerializer
from apps.departments.models import Department

from .. import extensions
from ..choices import Category, EventKind, Priority, Status
from ..models import (
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Attachment,
    Comment,
    Ticket,
    TicketEvent,
    TicketTombstone,
)
from ..permissions import (
    COMMENT_CREATE_FIELDS,
    REQUESTER_STATUSES,
    STAFF_CREATE_FIELDS,
    STAFF_UPDATE_FIELDS,
    TICKET_CREATE_FIELDS,
    TICKET_UPDATE_FIELDS,
)


def ticket_languages() -> list[str]:
    """The language codes a ticket may carry: the site's languages and those the AI triage detects."""
    codes = {code for code, _name in settings.LANGUAGES} | set(settings.AI_DETECT_LANGUAGES)
    return sorted(codes)


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as every role reads it; links lead to its conversation, files and history."""

    url = serializers.HyperlinkedIdentityField(view_name="api:ticket-detail")
    comments = serializers.HyperlinkedIdentityField(view_name="api:ticket-comment-list", lookup_url_kwarg="ticket_pk")
    attachments = serializers.HyperlinkedIdentityField(
        view_name="api:ticket-attachment-list", lookup_url_kwarg="ticket_pk"
    )
    events = serializers.HyperlinkedIdentityField(view_name="api:ticket-event-list", lookup_url_kwarg="ticket_pk")

    class Meta:
        model = Ticket
        own_fields = (
            "id",
            "url",
            "reference",
            "title",
            "description",
            "status",
            "priority",
            "category",
            "department",
            "requester",
            "assignee",
            "language",
            "source",
            "first_response_due_at",
            "resolution_due_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "created_at",
            "updated_at",
            "version",
            "comments",
            "attachments",
            "events",
        )

        @classproperty
        def fields(cls) -> list[str]:
            """The ticket's own fields, then those that other apps add (extensions.api_ticket_fields)."""
            return [*cls.own_fields, *(extra.name for extra in extensions.api_ticket_fields)]

        read_only_fields = fields

    def get_fields(self) -> dict:
        # The fields other apps add count as declared ones (built fresh for each serializer, like those).
        added = {extra.name: extra.field() for extra in extensions.api_ticket_fields}
        self._declared_fields = {**type(self)._declared_fields, **added}
        return super().get_fields()

    def to_representation(self, ticket: Ticket) -> dict:
        """What DRF's field-by-field serialisation writes (a test holds the two equal), written directly.

        A list page holds up to 100 tickets; building and walking the serializer's fields, and reversing
        four URLs per ticket, cost more than the data itself. Here the links are reversed once per
        serializer (the ticket id is put into each) and the fields are read in one go.
        """
        request = self.context.get("request")
        # Without a request (no absolute links) or with a format suffix in the links: DRF's generic path.
        if request is None or self.context.get("format"):
            return super().to_representation(ticket)
        links = {name: head + str(ticket.pk) + tail for name, (head, tail) in self._link_templates(request).items()}
        data = {
            "id": ticket.pk,
            "url": links["url"],
            "reference": ticket.reference,
            "title": ticket.title,
            "description": ticket.description,
            "status": str(ticket.status),
            "priority": str(ticket.priority),
            "category": str(ticket.category),
            "department": ticket.department_id,
            "requester": ticket.requester_id,
            "assignee": ticket.assignee_id,
            "language": ticket.language,
            "source": str(ticket.source),
            "first_response_due_at": _datetime(ticket.first_response_due_at),
            "resolution_due_at": _datetime(ticket.resolution_due_at),
            "first_responded_at": _datetime(ticket.first_responded_at),
            "resolved_at": _datetime(ticket.resolved_at),
            "closed_at": _datetime(ticket.closed_at),
            "created_at": _datetime(ticket.created_at),
            "updated_at": _datetime(ticket.updated_at),
            "version": ticket.version,
            "comments": links["comments"],
            "attachments": links["attachments"],
            "events": links["events"],
        }
        for name, field in self._added_fields().items():
            data[name] = field.to_representation(ticket)  # source="*": the field is given the ticket
        return data

    def _link_templates(self, request) -> dict[str, tuple[str, str]]:
        """Each link field's URL split where the ticket id goes, made once per serializer."""
        templates = getattr(self, "_links", None)
        if templates is None:
            templates = self._links = link_templates(self._declared_fields, request)
        return templates

    def _added_fields(self) -> dict[str, serializers.Field]:
        """The fields other apps add, built and bound once per serializer (their context is this one's)."""
        added = getattr(self, "_added", None)
        if added is None:
            added = {}
            for extra in extensions.api_ticket_fields:
                field = extra.field()
                field.bind(extra.name, self)
                added[extra.name] = field
            self._added = added
        return added


LINK_FIELDS = ("url", "comments", "attachments", "events")
# (URL configuration, script prefix) → each link's path split where the ticket id goes.
_LINK_PATHS: dict[tuple, dict[str, tuple[str, str]]] = {}


def link_templates(fields: dict[str, serializers.Field], request) -> dict[str, tuple[str, str]]:
    """The absolute URL of each link field, split where the ticket id goes.

    The paths are reversed once per URL configuration and script prefix, then made absolute for the request (a
    create answers with one ticket, and reversing four URLs cost it more than the rest of its representation).
    With a versioning scheme, or a format override in the query (which DRF's reverse() carries into the links),
    each call reverses them as DRF does.
    """
    override = api_settings.URL_FORMAT_OVERRIDE
    if getattr(request, "versioning_scheme", None) is not None or (override and override in request.GET):
        return {
            name: tuple(
                reverse(
                    fields[name].view_name, kwargs={fields[name].lookup_url_kwarg: _ID_MARK}, request=request
                ).rsplit(str(_ID_MARK), 1)
            )
            for name in LINK_FIELDS
        }
    key = (get_urlconf(), get_script_prefix())
    paths = _LINK_PATHS.get(key)
    if paths is None:
        paths = {}
        for name in LINK_FIELDS:
            path = reverse(fields[name].view_name, kwargs={fields[name].lookup_url_kwarg: _ID_MARK})
            paths[name] = tuple(path.rsplit(str(_ID_MARK), 1))
        _LINK_PATHS[key] = paths
    return {name: (request.build_absolute_uri(head), tail) for name, (head, tail) in paths.items()}


# Reversed in place of a ticket id, then replaced by each ticket's id (no real id is this large).
_ID_MARK = 987_654_321_987_654_321
_DATETIME = serializers.DateTimeField()


def _datetime(value):
    return None if value is None else _DATETIME.to_representation(value)


def ticket_read_only_names() -> frozenset[str]:
    """The fields of a ticket's representation that no role ever writes (other apps' fields included)."""
    return frozenset(TicketSerializer.Meta.fields) - STAFF_CREATE_FIELDS - STAFF_UPDATE_FIELDS


class StaleTicketSerializer(serializers.Serializer):
    """Body of a 412 (a problem document, RFC 9457): the ticket changed since the version the client sent."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    current_version = serializers.IntegerField()
    current = TicketSerializer()


class RoleWriteSerializer(StrictSerializer):
    """A strict serializer narrowed to the fields `role` may write according to `table`."""

    table: dict[str, frozenset[str]] = {}

    def __init__(self, *args, role: str = Role.ADMIN, **kwargs):
        super().__init__(*args, **kwargs)
        self.role = role
        allowed = self.table[role]
        for name in list(self.fields):
            if name not in allowed:
                del self.fields[name]

    def refusal_reason(self, name: str) -> str:
        every_role = frozenset().union(*self.table.values())
        if name in every_role:
            return _("Your role (%(role)s) may not set this field. Fields you may send: %(allowed)s.") % {
                "role": Role(self.role).label,
                "allowed": ", ".join(sorted(self.table[self.role])),
            }
        return super().refusal_reason(name)


class VisibleUserField(serializers.PrimaryKeyRelatedField):
    """A user id among the accounts `actor` can see (users_visible_to; without an actor, any account).

    The scoped queryset is built when a value is read, not when the serializer is: most bodies do not name a
    requester, and building the directory's query cost a create a fifth of its time."""

    actor = None

    def get_queryset(self):
        if self.actor is None:
            return super().get_queryset()
        return users_visible_to(self.actor)


class TicketCreateSerializer(RoleWriteSerializer):
    """Body of `POST /api/tickets/`. Requesters send title, description and category only."""

    table = TICKET_CREATE_FIELDS

    @property
    def read_only_names(self) -> frozenset[str]:
        return ticket_read_only_names() | {"status", "version"}

    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, help_text=_("Agents and admins."))
    language = serializers.ChoiceField(
        choices=ticket_languages(), allow_blank=True, required=False, help_text=_("Agents and admins: a language code.")
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(),
        required=False,
        help_text=_("Agents and admins; without it the routing rules choose (no match: the default department)."),
    )
    requester = VisibleUserField(
        queryset=User.objects.all(),
        required=False,
        help_text=_(
            "Agents and admins, to open a ticket for someone you can see (GET /api/users/); default: yourself. "
            "Anyone else is named by requester_email."
        ),
    )
    requester_email = serializers.EmailField(
        required=False,
        help_text=_(
            "Agents and admins: the whole e-mail address of the requester, instead of `requester`: someone you "
            "can see, or any active requester."
        ),
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Agents and admins: an active agent or admin."),
    )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if "requester" in self.fields:
            # An id outside the caller's directory reads as one that does not exist: ids cannot be walked.
            self.fields["requester"].actor = actor

    def validate(self, attrs):
        if "requester_email" in attrs:
            if "requester" in attrs:
                raise serializers.ValidationError(
                    {"requester_email": [_("Send either requester or requester_email, not both.")]}
                )
            found = requester_by_email(actor=self.actor, email=attrs.pop("requester_email"))
            if found is None:
                message = _(
                    "No requester has this e-mail address. Type the whole address; an admin can create the account."
                )
                raise serializers.ValidationError({"requester_email": [message]})
            attrs["requester"] = found
        return attrs


class TicketUpdateSerializer(RoleWriteSerializer):
    """Body of `PUT`/`PATCH /api/tickets/{id}/`. Requesters send `status` only (closed, or open to reopen)."""

    table = TICKET_UPDATE_FIELDS

    @property
    def read_only_names(self) -> frozenset[str]:
        return ticket_read_only_names() | {"requester"}

    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH)
    category = serializers.ChoiceField(choices=Category.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    language = serializers.ChoiceField(choices=ticket_languages(), allow_blank=True)
    status = serializers.ChoiceField(
        choices=Status.choices,
        help_text=_("Follows the lifecycle; requesters may only close (closed) or reopen a resolved ticket (open)."),
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), allow_null=True, help_text=_("An active agent or admin, or null.")
    )
    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text=_("Optional: the version you read. If the ticket has changed since, nothing is saved (412)."),
    )

    def refusal_reason(self, name: str) -> str:
        if name == "department":
            return _("A ticket changes department only through POST /api/tickets/{id}/transfer/.")
        return super().refusal_reason(name)

    def validate_status(self, value):
        if self.role == Role.REQUESTER and value not in REQUESTER_STATUSES:
            raise serializers.ValidationError(
                _("You may only close a ticket (closed) or reopen a resolved one (open).")
            )
        return value


class TicketTransferSerializer(StrictSerializer):
    """Body of `POST /api/tickets/{id}/transfer/`."""

    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    version = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, help_text=_("Optional: the version you read (412 if stale).")
    )


class AttachmentSerializer(serializers.ModelSerializer):
    """A file on a ticket; `download` is the only way to its bytes."""

    name = serializers.CharField(source="original_name", read_only=True)
    download = serializers.HyperlinkedIdentityField(view_name="api:attachment-download")

    class Meta:
        model = Attachment
        fields = ["id", "ticket", "comment", "name", "size", "content_type", "sha256", "uploaded_by", "created_at"]
        fields += ["download"]
        read_only_fields = fields


class AttachmentCreateSerializer(StrictSerializer):
    """Multipart body of `POST /api/tickets/{id}/attachments/`."""

    read_only_names = frozenset({"id", "ticket", "name", "size", "content_type", "sha256", "uploaded_by"}) | {
        "created_at",
        "download",
    }

    file = serializers.FileField(
        help_text=_(
            "The file. Its type is read from its bytes and must match its extension; the size limit is the "
            "ATTACHMENT_MAX_BYTES setting (10 MB by default)."
        )
    )
    comment = serializers.PrimaryKeyRelatedField(
        queryset=Comment.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("Optional: one of your own comments of this ticket that the file belongs to."),
    )

    def __init__(self, *args, comments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if comments is not None:
            self.fields["comment"].queryset = comments


class CommentSerializer(serializers.ModelSerializer):
    """A reply or (for staff only) an internal note, with its files."""

    author_name = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "url", "ticket", "author", "author_name", "body", "is_internal", "created_at"]
        fields += ["updated_at", "edited_at", "attachments"]
        read_only_fields = fields

    url = serializers.SerializerMethodField()

    def get_url(self, comment: Comment) -> str:
        request = self.context.get("request")
        kwargs = {"ticket_pk": comment.ticket_id, "pk": comment.pk}
        return reverse("api:ticket-comment-detail", kwargs=kwargs, request=request)

    def get_author_name(self, comment: Comment) -> str:
        return comment.author.get_full_name() or comment.author.username


class CommentCreateSerializer(RoleWriteSerializer):
    """Body of `POST /api/tickets/{id}/comments/`."""

    table = COMMENT_CREATE_FIELDS
    read_only_names = frozenset({"id", "ticket", "author", "author_name", "created_at", "attachments"})

    body = serializers.CharField(max_length=COMMENT_MAX_LENGTH)
    is_internal = StrictBooleanField(
        default=False, help_text=_("An internal note, never shown to the requester (agents and admins only).")
    )

    def validate_is_internal(self, value: bool) -> bool:
        if value and self.role == Role.REQUESTER:
            raise serializers.ValidationError(_("Requesters cannot write internal notes."))
        return value


# An event's `from` / `to`: a status or priority code, a user or department id, a text (a comment's), the
# permission codenames of a share, or null.
_CHANGE_VALUE = {
    "nullable": True,
    "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "array", "items": {"type": "string"}}],
}
_ID = {"type": "integer", "nullable": True}
EVENT_DATA_SCHEMA = {
    "type": "object",
    "description": (
        "What happened, by `kind`: created: status, priority, department, source (an import adds file, row, "
        "notify, triage, external_reference, kept, title_from, description_from); status_changed, "
        "priority_changed: from, to (codes); assigned: from, to (user ids), policy, reason; transferred: from, "
        "to (department ids); routed: department, rule, order, field, pattern; updated: changes "
        "({field: [before, after]}); commented, note_added: comment; attachment_added, attachment_deleted: "
        "attachment, name, comment; sla_warning, sla_breached: target, due; watcher_added, watcher_removed: "
        "user; access_changed: user or group and group_name, from, to (permissions); comment_edited: comment, "
        "from, to (texts); comment_deleted: comment, from."
    ),
    "properties": {
        "from": _CHANGE_VALUE,
        "to": _CHANGE_VALUE,
        "status": {"type": "string"},
        "priority": {"type": "string"},
        "department": _ID,
        "source": {"type": "string"},
        "rule": _ID,
        "order": {"type": "integer"},
        "field": {"type": "string"},
        "pattern": {"type": "string"},
        "policy": {"type": "string"},
        "reason": {"type": "string"},
        "changes": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": JSON_SCALAR_SCHEMA, "minItems": 2, "maxItems": 2},
        },
        "comment": _ID,
        "attachment": _ID,
        "name": {"type": "string"},
        "target": {"type": "string"},
        "due": {"type": "string", "format": "date-time"},
        "user": _ID,
        "group": _ID,
        "group_name": {"type": "string"},
        "file": {"type": "string"},
        "row": {"type": "integer"},
        "notify": {"type": "boolean"},
        "triage": {"type": "boolean"},
        "external_reference": {"type": "string"},
        "kept": {"type": "object", "additionalProperties": {"type": "string"}},
        "title_from": {"type": "string"},
        "description_from": {"type": "string"},
    },
    "additionalProperties": JSON_VALUE_SCHEMA,
}


@extend_schema_field(EVENT_DATA_SCHEMA)
class EventDataField(serializers.JSONField):
    """An event's `data` as stored, described member by member in the schema."""


class TicketEventSerializer(serializers.ModelSerializer):
    """One entry of a ticket's history."""

    actor_name = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=EventKind.choices, read_only=True)
    data = EventDataField(read_only=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor", "actor_name", "data", "is_internal", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor_name(self, event: TicketEvent) -> str | None:
        if event.actor is None:
            return None
        return event.actor.get_full_name() or event.actor.username


class CommentEditSerializer(StrictSerializer):
    """Body of `PATCH`/`PUT /api/tickets/{id}/comments/{id}/`: the author's new text (within the edit window)."""

    read_only_names = frozenset({"id", "url", "ticket", "author", "author_name", "is_internal", "created_at"}) | {
        "updated_at",
        "edited_at",
        "attachments",
    }

    body = serializers.CharField(max_length=COMMENT_MAX_LENGTH)


class TicketTombstoneSerializer(serializers.ModelSerializer):
    """A deleted ticket, as the sync sees it."""

    id = serializers.IntegerField(source="ticket_id", read_only=True, help_text=_("The deleted ticket's id."))

    class Meta:
        model = TicketTombstone
        fields = ["id", "reference", "deleted_at"]
        read_only_fields = fields


class TicketBulkSerializer(StrictSerializer):
    """Body of `POST /api/tickets/bulk/`: the tickets, and the status and/or assignee to give each."""

    tickets = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=100,
        help_text=_("Ids of the tickets to change (1 to 100, each once)."),
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), allow_null=True, required=False, help_text=_("An active agent or admin, or null.")
    )

    def validate_tickets(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("Name each ticket once."))
        return value

    def validate(self, attrs):
        if "status" not in attrs and "assignee" not in attrs:
            raise serializers.ValidationError(_("Give a status, an assignee, or both."))
        return attrs


class TicketBulkResultSerializer(serializers.Serializer):
    """What happened to one ticket of a bulk change."""

    id = serializers.IntegerField()
    ok = serializers.BooleanField()
    status_code = serializers.IntegerField(help_text=_("The status a single change of this ticket would answer."))
    detail = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True, help_text=_("The ticket's version after the change."))


class TicketBulkResponseSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = TicketBulkResultSerializer(many=True)
