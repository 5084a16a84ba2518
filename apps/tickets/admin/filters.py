"""Changelist filters of the ticket back office (unfold's filter widgets, our own lookups)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.validators import EMPTY_VALUES
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import CheckboxFilter, DropdownFilter, RelatedDropdownFilter

from apps.accounts.choices import STAFF_ROLES

from .. import extensions, sla
from ..choices import OPEN_STATUSES, Status

# The people and departments the filters offer, kept as long as the filter panel that shows them
# (TicketChangeList.filter_cache_seconds): a new agent or department appears within that time.
CHOICES_CACHE_SECONDS = 60


def choices_cached(name: str, read) -> list:
    key = f"tickets:list-filter-choices:{name}"
    found = cache.get(key)
    if found is None:
        found = list(read())
        cache.set(key, found, CHOICES_CACHE_SECONDS)
    return found


def staff_choices() -> list[tuple[str, str]]:
    staff = (
        get_user_model()
        .objects.filter(is_active=True, role__in=STAFF_ROLES)
        .order_by("username")
        .only("pk", "username", "first_name", "last_name")
    )
    return [(str(u.pk), str(u)) for u in staff]


class StatusFilter(CheckboxFilter):
    """Status checkboxes on `status__in`, which also reads the sidebar's `status__in=new,open,...` links."""

    title = _("status")
    parameter_name = "status__in"

    def lookups(self, request, model_admin):
        return Status.choices

    def value(self) -> list[str]:
        raw = self.request.GET.getlist(self.parameter_name)
        wanted = {part.strip() for item in raw for part in item.split(",")}
        return [status for status in Status.values if status in wanted]

    def queryset(self, request, queryset):
        statuses = self.value()
        return queryset.filter(status__in=statuses) if statuses else queryset


class AssigneeFilter(DropdownFilter):
    """`assignee=me`, `assignee=none` (unassigned) or `assignee=<user id>`."""

    title = _("assignee")
    parameter_name = "assignee"
    ME = "me"
    NONE = "none"

    def lookups(self, request, model_admin):
        return [(self.ME, _("Assigned to me")), (self.NONE, _("Unassigned")), *choices_cached("staff", staff_choices)]

    def queryset(self, request, queryset):
        value = self.value()
        if value in EMPTY_VALUES:
            return queryset
        if value == self.ME:
            return queryset.filter(assignee=request.user)
        if value == self.NONE:
            return queryset.filter(assignee__isnull=True)
        if value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset.none()


class DepartmentFilter(RelatedDropdownFilter):
    """unfold's department dropdown, its choices cached like the assignee filter's (choices_cached)."""

    def field_choices(self, field, request, model_admin):
        return choices_cached(
            "departments", lambda: super(DepartmentFilter, self).field_choices(field, request, model_admin)
        )


class SlaFilter(DropdownFilter):
    """`sla=breaching_soon` (a running target due within SLA_WARNING_MINUTES), `breached` or `paused`."""

    title = _("SLA")
    parameter_name = "sla"
    BREACHING_SOON = "breaching_soon"
    BREACHED = "breached"
    PAUSED = "paused"

    def lookups(self, request, model_admin):
        return [(self.BREACHING_SOON, _("Breaching soon")), (self.BREACHED, _("Breached")), (self.PAUSED, _("Paused"))]

    def queryset(self, request, queryset):
        value = self.value()
        now = timezone.now()
        if value == self.BREACHING_SOON:
            return sla.tickets_due_before(queryset, now + sla.warning_window(), after=now)
        if value == self.BREACHED:
            return sla.tickets_due_before(queryset, now)
        if value == self.PAUSED:
            return queryset.filter(status__in=OPEN_STATUSES, sla_paused_at__isnull=False)
        return queryset if value in EMPTY_VALUES else queryset.none()


class LanguageFilter(DropdownFilter):
    """The ticket's language: the one set on the ticket, else one detected elsewhere (the AI triage registers its
    own in extensions.ticket_language_lookups)."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return settings.LANGUAGES

    def queryset(self, request, queryset):
        value = self.value()
        if value not in dict(settings.LANGUAGES):
            return queryset
        matches = Q(language=value)
        for detected in extensions.ticket_language_lookups:
            matches |= Q(language="", **{detected.lookup: value})
        return queryset.filter(matches)
