"""The back office's "Agent availability" page: agents and admins, their departments, open tickets and availability.

It is about ticket workload (it counts each person's open tickets), so the tickets app registers it, for the
departments app's Agent proxy model (its URLs stay admin:departments_agent_...). Availability is written by
agent_set_availability, which decides who may mark whom.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import BooleanRadioFilter
from unfold.decorators import display

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.permissions import StaffReadOnlyMixin
from apps.accounts.selectors import department_groups, users_visible_to
from apps.departments.models import Agent
from apps.departments.services import agent_set_availability

from ..choices import OPEN_STATUSES


@admin.register(Agent)
class AgentAdmin(StaffReadOnlyMixin, ModelAdmin):
    """Who takes tickets: agents and admins with their departments, open tickets and availability.

    Admins mark anyone available or away; agents mark themselves (automatic assignment skips those away).
    """

    list_display = ("username", "full_name", "department_names", "open_tickets", "availability")
    list_display_links = None  # nothing to open: the list is the page
    fields = ("username", "first_name", "last_name", "is_available")
    list_filter = (("is_available", BooleanRadioFilter),)
    list_filter_submit = True
    search_fields = ("username", "first_name", "last_name")
    ordering = ("username",)
    actions = ("mark_available", "mark_away")

    def get_queryset(self, request):
        return (
            users_visible_to(request.user)
            .filter(role__in=STAFF_ROLES, is_active=True)
            .annotate(open_count=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=OPEN_STATUSES)))
            .prefetch_related(department_groups())
        )

    def _set(self, request, queryset, *, available: bool) -> None:
        changed, skipped = 0, 0
        for agent in queryset:
            try:
                agent_set_availability(agent=agent, is_available=available, actor=request.user)
            except PermissionDenied:
                skipped += 1
            else:
                changed += 1
        if changed:
            self.message_user(request, _("Availability changed for %(count)d people.") % {"count": changed})
        if skipped:
            self.message_user(
                request,
                _("%(count)d people were left as they were: agents change only their own availability.")
                % {"count": skipped},
                level=messages.WARNING,
            )

    @admin.action(description=_("Mark available for new tickets"))
    def mark_available(self, request, queryset):
        self._set(request, queryset, available=True)

    @admin.action(description=_("Mark away (no new tickets)"))
    def mark_away(self, request, queryset):
        self._set(request, queryset, available=False)

    @display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name()

    @display(description=_("departments"), label=True)
    def department_names(self, obj):
        return [group.department.name for group in obj.department_groups]

    @display(description=_("open tickets"), ordering="open_count")
    def open_tickets(self, obj):
        return obj.open_count

    @display(description=_("availability"), ordering="is_available", label={True: "success", False: "warning"})
    def availability(self, obj):
        return obj.is_available, _("Available") if obj.is_available else _("Away")
