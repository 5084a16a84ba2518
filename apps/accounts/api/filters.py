"""FilterSet of `GET /api/users/` (it narrows `users_visible_to`, never widens it)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from apps.common.api.filters import MAX_ID, IdFilter

from ..choices import Role
from ..models import User


class DepartmentMemberFilter(IdFilter):
    def filter(self, qs, value):
        if value is None:
            return qs
        members = User.groups.through.objects.filter(group__department=value).values("user_id")
        return qs.filter(pk__in=members)


class UserFilter(django_filters.FilterSet):
    role = django_filters.MultipleChoiceFilter(
        choices=Role.choices, distinct=False, help_text=_("Role; repeat the parameter for several.")
    )
    department = extend_schema_field(
        {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "Members of this department (id)."}
    )(DepartmentMemberFilter())
    is_active = django_filters.BooleanFilter(help_text=_("Active (true) or deactivated (false) accounts."))

    class Meta:
        model = User
        fields = []
