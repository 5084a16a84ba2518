"""Back office for departments: agents look them up, admins create and edit them (through the services)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import BooleanRadioFilter
from unfold.decorators import display
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminSelect2MultipleWidget,
    UnfoldAdminSelect2Widget,
)

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import time_zone_choices
from apps.accounts.permissions import AdminsChangeMixin, StaffReadOnlyMixin, is_admin
from apps.accounts.selectors import department_groups, users_visible_to
from apps.common.csv.admin import ResourceImportMixin

from .choices import Weekday
from .models import Agent, Department, RoutingRule, SlaPolicy
from .resources import DEPARTMENT_COLUMNS, DepartmentResource
from .services import (
    POLICY_FIELDS,
    agent_set_availability,
    department_create,
    department_set_members,
    department_update,
    routing_rule_save,
    sla_policy_save,
)

EDITABLE_FIELDS = ("name", "slug", "description", "manager", "is_default", "is_active", *POLICY_FIELDS)


def staff_users():
    return get_user_model().objects.filter(role__in=STAFF_ROLES).order_by("username")


class DepartmentForm(forms.ModelForm):
    """Saving is a call to department_create, or department_update + department_set_members.

    The services run at the end of validation in a savepoint, so what they refuse becomes a form error and
    nothing is written. They validate the model themselves (and move the "default" flag, which the model's
    single-default constraint would otherwise reject here), so the form does not validate the instance.
    """

    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=staff_users(),
        required=False,
        widget=UnfoldAdminSelect2MultipleWidget,
        help_text=_("Agents and admins who work this department's tickets."),
    )
    work_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=Weekday.choices,
        coerce=int,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_("Business hours, for SLA policies counted in working time."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, widget=UnfoldAdminSelect2Widget)

    class Meta:
        model = Department
        fields = EDITABLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result = None
        if self.instance.pk and "members" in self.fields:
            self.fields["members"].initial = list(self.instance.group.user_set.values_list("pk", flat=True))
        if "work_days" in self.fields:
            self.initial["work_days"] = list(self.instance.work_days)

    def clean_work_days(self) -> str:
        # Stored as ISO weekday digits ("12345": Monday to Friday).
        return "".join(str(day) for day in sorted(set(self.cleaned_data["work_days"])))

    def _post_clean(self):
        if self._errors:
            return
        try:
            with transaction.atomic():
                self.result = self.apply()
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                self.add_error(None, exc)
                return
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)

    def apply(self) -> Department:
        data = self.cleaned_data
        fields = [f for f in EDITABLE_FIELDS if f in data]
        members = list(data.get("members") or ())
        if self.instance.pk is None:
            return department_create(**{f: data[f] for f in fields}, members=members)
        department = self.instance
        changes = {f: data[f] for f in fields if data[f] != getattr(department, f)}
        if changes:
            department = department_update(department=department, **changes)
        if "members" in self.fields:
            current = set(department.group.user_set.values_list("pk", flat=True))
            if current != {u.pk for u in members}:
                department_set_members(department=department, users=members)
        return department

    def save(self, commit=True):
        if self.result is None:
            raise ValueError("The form was not validated, or the services refused it.")
        return self.result

    def save_m2m(self):
        """Membership was saved by department_set_members."""


class DepartmentCsvMixin(ResourceImportMixin):
    """CSV import and export of departments (apps/departments/resources.py): admins only."""

    resource_classes = [DepartmentResource]
    import_columns_help = tuple((field, ", ".join(aliases[1:6]), "") for field, aliases in DEPARTMENT_COLUMNS.items())

    def has_import_permission(self, request):
        return is_admin(request.user)

    def has_export_permission(self, request):
        return is_admin(request.user)


@admin.register(Department)
class DepartmentAdmin(DepartmentCsvMixin, ModelAdmin):
    form = DepartmentForm
    list_display = ("name", "slug", "manager", "is_default", "is_active", "member_count")
    list_select_related = ("manager",)
    list_filter = (("is_active", BooleanRadioFilter),)
    search_fields = ("name", "slug")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("group__user", distinct=True))

    def get_fieldsets(self, request, obj=None):
        members = "members" if self.has_change_permission(request, obj) else "member_list"
        return (
            (None, {"fields": ("name", "slug", "description")}),
            (_("People"), {"fields": ("manager", members)}),
            (_("Routing"), {"fields": ("is_default", "is_active", "assignment_policy")}),
            (
                _("Business hours"),
                {
                    "fields": (
                        "work_days" if members == "members" else "working_days",
                        ("work_start", "work_end"),
                        "time_zone",
                    )
                },
            ),
        )

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if obj is None else {}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "manager":
            kwargs["queryset"] = staff_users().filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        """Nothing left to write: the form's services saved the department."""

    def save_related(self, request, form, formsets, change):
        """Membership was saved by the form's services."""

    # Agents look, admins change. There is no deleting: a department that is no longer used is deactivated.

    def has_add_permission(self, request):
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    @display(description=_("members"))
    def member_list(self, obj):
        return ", ".join(str(u) for u in obj.group.user_set.order_by("username")) or "-"

    @display(description=_("working days"))
    def working_days(self, obj):
        return obj.get_work_days_display() or "-"


@admin.register(RoutingRule)
class RoutingRuleAdmin(AdminsChangeMixin, ModelAdmin):
    """Routing rules, in the order they are tried; the first that matches a new ticket decides its department."""

    list_display = ("order", "field", "pattern", "department", "is_active")
    list_display_links = ("order", "field", "pattern")
    list_select_related = ("department",)
    list_filter = ("department", "field", ("is_active", BooleanRadioFilter))
    list_filter_submit = True
    search_fields = ("pattern",)
    ordering = ("order", "id")
    fields = ("order", "field", "pattern", "department", "is_active")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = Department.objects.filter(is_active=True).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        routing_rule_save(rule=obj)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AdminsChangeMixin, ModelAdmin):
    """Response and resolution targets per department and priority."""

    list_display = ("department", "priority", "first_response", "resolution", "business_hours")
    list_select_related = ("department",)
    list_filter = ("department", "priority", ("business_hours", BooleanRadioFilter))
    list_filter_submit = True
    ordering = ("department__name", "priority")
    fields = ("department", "priority", ("first_response_minutes", "resolution_minutes"), "business_hours")

    def save_model(self, request, obj, form, change):
        sla_policy_save(policy=obj)

    @display(description=_("first response within"), ordering="first_response_minutes")
    def first_response(self, obj):
        return minutes_text(obj.first_response_minutes)

    @display(description=_("resolution within"), ordering="resolution_minutes")
    def resolution(self, obj):
        return minutes_text(obj.resolution_minutes)


def minutes_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": rest}


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
        from apps.tickets.choices import OPEN_STATUSES

        return (
            users_visible_to(request.user)
            .filter(role__in=STAFF_ROLES, is_active=True)
            .annotate(open_count=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=OPEN_STATUSES)))
            .prefetch_related(department_groups())
        )

    def _set(self, request, queryset, *, available: bool) -> None:
        changed, skipped = 0, 0
        for agent in queryset:
            if not (is_admin(request.user) or agent.pk == request.user.pk):
                skipped += 1
                continue
            agent_set_availability(agent=agent, is_available=available)
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
