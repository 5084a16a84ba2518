"""FilterSet of `GET /api/audit/`."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from apps.common.api.filters import MAX_ID, IdFilter, SafeIsoDateTimeFilter

from ..models import Action, AuditEntry
from ..selectors import content_type_for


class ObjectTypeFilter(django_filters.CharFilter):
    def filter(self, qs, value):
        if not value:
            return qs
        content_type = content_type_for(value)
        if content_type is None:
            raise ValidationError({"object_type": [_("Unknown object type; write it as app_label.model.")]})
        return qs.filter(content_type=content_type)


class AuditEntryFilter(django_filters.FilterSet):
    actor = extend_schema_field(
        {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "Entries of this account (id)."}
    )(IdFilter(field_name="actor_id"))
    object_type = ObjectTypeFilter(
        max_length=200, help_text=_('The type of object, "app_label.model", e.g. "departments.department".')
    )
    object_id = django_filters.CharFilter(max_length=64, help_text=_("The object's id (with object_type)."))
    action = django_filters.MultipleChoiceFilter(
        choices=Action.choices, distinct=False, help_text=_("Action; repeat the parameter for several.")
    )
    since = SafeIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text=_("Entries at or after this time (ISO 8601).")
    )
    until = SafeIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text=_("Entries before this time (ISO 8601).")
    )

    class Meta:
        model = AuditEntry
        fields = []
