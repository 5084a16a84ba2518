"""django-filter FilterSets for ticket lists. They narrow a queryset that a selector has already scoped.

Every value is validated before it reaches the ORM: a bad value is a 400, never a database error
(ids are bounded to the database's integer range, datetimes must stay representable in UTC).
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from apps.common.api.filters import MAX_ID, IdFilter, SafeIsoDateTimeFilter

from .choices import Category, Priority, Status
from .models import Comment, Ticket, TicketEvent, TicketTombstone

USER_REFERENCE_PATTERN = r"^([1-9][0-9]{0,18}|me|none)$"


class UserReferenceField(forms.CharField):
    """A user id, `me` (the caller) or `none` (no user)."""

    default_error_messages = {"invalid": _("Give a user id, “me” or “none”.")}

    def to_python(self, value):
        value = super().to_python(value)
        if value in ("", None):
            return None
        if value in ("me", "none"):
            return value
        try:
            number = int(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not 1 <= number <= MAX_ID:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class UserReferenceFilter(django_filters.Filter):
    field_class = UserReferenceField

    def filter(self, qs, value):
        if value is None:
            return qs
        if value == "none":
            return qs.filter(**{f"{self.field_name}__isnull": True})
        if value == "me":
            value = self.parent.request.user.pk
        return qs.filter(**{self.field_name: value})


def _multiple(choices, help_text):
    # distinct=False: the filter never joins, so DISTINCT would only slow the list down.
    return django_filters.MultipleChoiceFilter(choices=choices, distinct=False, help_text=help_text)


class TicketFilter(django_filters.FilterSet):
    """Filters of `GET /api/tickets/`. Repeat a multiple-choice parameter to match any of its values."""

    status = _multiple(Status.choices, _("Status; repeat the parameter for several."))
    priority = _multiple(Priority.choices, _("Priority; repeat the parameter for several."))
    category = _multiple(Category.choices, _("Category; repeat the parameter for several."))
    department = extend_schema_field(
        {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "Department id."}
    )(IdFilter(field_name="department_id"))
    assignee = extend_schema_field(
        {
            "type": "string",
            "pattern": USER_REFERENCE_PATTERN,
            "description": "Assignee: a user id, `me` (you) or `none` (unassigned).",
        }
    )(UserReferenceFilter(field_name="assignee_id"))
    requester = extend_schema_field(
        {
            "type": "string",
            "pattern": USER_REFERENCE_PATTERN,
            "description": "Requester: a user id, `me` (you) or `none` (matches nothing: every ticket has one).",
        }
    )(UserReferenceFilter(field_name="requester_id"))
    created_after = SafeIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text=_("Created at or after this ISO 8601 datetime.")
    )
    created_before = SafeIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text=_("Created before this ISO 8601 datetime.")
    )
    updated_after = SafeIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text=_("Last changed at or after this ISO 8601 datetime.")
    )

    class Meta:
        model = Ticket
        fields = []


class CommentFilter(django_filters.FilterSet):
    """Filters of `GET /api/tickets/{id}/comments/` (sync: replies written or edited since a time)."""

    updated_after = SafeIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text=_("Written or edited at or after this ISO 8601 datetime.")
    )

    class Meta:
        model = Comment
        fields = []


class TicketEventFilter(django_filters.FilterSet):
    """Filters of `GET /api/tickets/{id}/events/` (events never change: `updated_after` is their time)."""

    updated_after = SafeIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text=_("Recorded at or after this ISO 8601 datetime.")
    )

    class Meta:
        model = TicketEvent
        fields = []


class TombstoneFilter(django_filters.FilterSet):
    """Filters of `GET /api/tickets/deleted/`."""

    since = SafeIsoDateTimeFilter(
        field_name="deleted_at", lookup_expr="gte", help_text=_("Deleted at or after this ISO 8601 datetime.")
    )

    class Meta:
        model = TicketTombstone
        fields = []
