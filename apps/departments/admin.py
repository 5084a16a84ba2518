"""Back office for departments, routing rules, SLA policies, and the users page with department membership.

Agents look everything up; admins create and edit. Every form saves through the department (and account)
services while it validates (apps.common.admin.forms.ServiceModelForm), so a refusal is a form error with
nothing written. The users page is apps.accounts.admin.UserAdmin plus membership, registered here because a
department is above accounts; its URLs are the User model's (admin:accounts_user_...).
"""

import re

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import BooleanRadioFilter
from unfold.decorators import display
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminSelect2MultipleWidget,
    UnfoldAdminSelect2Widget,
    UnfoldAdminTextInputWidget,
)

from apps.accounts.admin import AccountChangeForm, AccountCreationForm, UserAdmin
from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import User, time_zone_choices
from apps.accounts.permissions import AdminsChangeMixin, AdminsCsvMixin
from apps.common.admin.forms import ServiceAdminMixin, ServiceModelForm
from apps.common.csv.admin import ResourceImportMixin

from .choices import Weekday
from .models import Department, RoutingRule, SlaPolicy
from .resources import DepartmentResource, UserWithDepartmentsResource
from .services import (
    POLICY_FIELDS,
    department_create,
    department_set_members,
    department_update,
    routing_rule_delete,
    routing_rule_save,
    sla_policy_delete,
    sla_policy_save,
    user_set_departments,
)

EDITABLE_FIELDS = ("name", "slug", "description", "manager", "is_default", "is_active", "keywords", *POLICY_FIELDS)


def staff_users():
    return get_user_model().objects.filter(role__in=STAFF_ROLES).order_by("username")


class DepartmentForm(ServiceModelForm):
    """Saving is a call to department_create, or department_update + department_set_members.

    The services validate the department (and move the "default" flag, which the model's single-default
    constraint would otherwise reject in a plain ModelForm).
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
        if self.instance.pk and "members" in self.fields:
            self.fields["members"].initial = list(self.instance.group.user_set.values_list("pk", flat=True))
        if "work_days" in self.fields:
            self.initial["work_days"] = list(self.instance.work_days)

    def clean_work_days(self) -> str:
        # Stored as ISO weekday digits ("12345": Monday to Friday).
        return "".join(str(day) for day in sorted(set(self.cleaned_data["work_days"])))

    def apply(self) -> Department:
        data = self.cleaned_data
        fields = [f for f in EDITABLE_FIELDS if f in data]
        members = list(data.get("members") or ())
        if self.before.pk is None:
            return department_create(**{f: data[f] for f in fields}, members=members)
        department = self.before
        changes = {f: data[f] for f in fields if data[f] != getattr(department, f)}
        if changes:
            department = department_update(department=department, **changes)
        if "members" in self.fields:
            current = set(department.group.user_set.values_list("pk", flat=True))
            if current != {u.pk for u in members}:
                department_set_members(department=department, users=members, actor=self.actor)
        return department


@admin.register(Department)
class DepartmentAdmin(AdminsChangeMixin, ServiceAdminMixin, AdminsCsvMixin, ResourceImportMixin, ModelAdmin):
    form = DepartmentForm
    resource_classes = [DepartmentResource]
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
            (_("Routing"), {"fields": ("is_default", "is_active", "assignment_policy", "keywords")}),
            (
                _("Business hours"),
                {
                    "fields": (
                        "work_days" if members == "members" else "working_days",
                        ("work_start", "work_end"),
                        "time_zone",
                        "holidays",
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

    def has_delete_permission(self, request, obj=None):
        # A department that is no longer used is deactivated: its tickets and history keep pointing at it.
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


class RoutingRuleForm(ServiceModelForm):
    """Saving is routing_rule_save (which refuses a pattern that cannot be used)."""

    def apply(self) -> RoutingRule:
        return routing_rule_save(rule=self.filled_instance())


@admin.register(RoutingRule)
class RoutingRuleAdmin(AdminsChangeMixin, ServiceAdminMixin, ModelAdmin):
    """Routing rules, in the order they are tried; the first that matches a new ticket decides its department."""

    form = RoutingRuleForm

    list_display = ("order", "field", "pattern", "department", "is_active")
    list_display_links = ("order", "field", "pattern")
    list_select_related = ("department",)
    list_filter = ("department", "field", ("is_active", BooleanRadioFilter))
    list_filter_submit = True
    search_fields = ("pattern",)
    ordering = ("order", "id")
    fields = ("order", "field", "pattern", "department", "is_active")

    def delete_with_service(self, request, obj):
        routing_rule_delete(rule=obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = Department.objects.filter(is_active=True).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


SLA_TIME = re.compile(r"^\s*(?:(\d+)\s*:\s*(\d{1,2})|(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?)\s*$", re.IGNORECASE)


class HoursMinutesField(forms.CharField):
    """A time target typed in hours and minutes ("4:30", "4h 30m", "2h", "45m"), cleaned to whole minutes."""

    widget = UnfoldAdminTextInputWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("Hours and minutes, e.g. 4:30, 4h 30m, 8h or 45m."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value // 60}:{value % 60:02d}"
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        match = SLA_TIME.match(value)
        if not match or not any(match.groups()):
            raise forms.ValidationError(_("Write it as hours and minutes, e.g. 4:30 or 4h 30m."), code="invalid")
        colon_hours, colon_minutes, hours, minutes = match.groups()
        if colon_hours is not None:
            if int(colon_minutes) > 59:
                raise forms.ValidationError(_("Minutes go up to 59."), code="invalid")
            total = int(colon_hours) * 60 + int(colon_minutes)
        else:
            total = int(hours or 0) * 60 + int(minutes or 0)
        if not 1 <= total <= 525_600:
            raise forms.ValidationError(_("Between 1 minute and 365 days."), code="out_of_range")
        return total


class SlaPolicyForm(ServiceModelForm):
    """Saving is sla_policy_save. The targets are typed in hours and minutes and stored in minutes."""

    first_response_time = HoursMinutesField(label=_("First response within"))
    resolution_time = HoursMinutesField(label=_("Resolution within"))
    error_fields = {"first_response_minutes": "first_response_time", "resolution_minutes": "resolution_time"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("first_response_time", self.instance.first_response_minutes)
            self.initial.setdefault("resolution_time", self.instance.resolution_minutes)

    def apply(self) -> SlaPolicy:
        policy = self.filled_instance()
        policy.first_response_minutes = self.cleaned_data["first_response_time"]
        policy.resolution_minutes = self.cleaned_data["resolution_time"]
        return sla_policy_save(policy=policy)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AdminsChangeMixin, ServiceAdminMixin, ModelAdmin):
    """Response and resolution targets per department and priority."""

    form = SlaPolicyForm

    list_display = ("department", "priority", "first_response", "resolution", "business_hours")
    list_select_related = ("department",)
    list_filter = ("department", "priority", ("business_hours", BooleanRadioFilter))
    list_filter_submit = True
    ordering = ("department__name", "priority")
    fields = ("department", "priority", ("first_response_time", "resolution_time"), "business_hours")

    def delete_with_service(self, request, obj):
        sla_policy_delete(policy=obj)

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


# Users, with the departments they belong to ---------------------------------------------------------------------


class MembershipForm(forms.ModelForm):
    """The departments field of the users page; saved by user_set_departments after the account services."""

    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.order_by("name"),
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_("Members see and work the tickets of their departments. Only agents and admins can join."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "departments" in self.fields:
            self.fields["departments"].initial = Department.objects.filter(group__user=self.instance)

    def apply(self) -> User:
        user = super().apply()
        if "departments" in self.fields:
            user_set_departments(user=user, departments=self.cleaned_data["departments"], actor=self.actor)
        return user


class UserChangeWithDepartmentsForm(MembershipForm, AccountChangeForm):
    pass


class UserCreationWithDepartmentsForm(MembershipForm, AccountCreationForm):
    pass


@admin.register(User)
class UserWithDepartmentsAdmin(UserAdmin):
    """The users page: accounts (apps.accounts.admin.UserAdmin) and their departments."""

    form = UserChangeWithDepartmentsForm
    add_form = UserCreationWithDepartmentsForm
    resource_classes = [UserWithDepartmentsResource]

    list_display = ("username", "full_name", "email", "role_badge", "department_names", "language", "is_active")
    role_section = _("Role and departments")
    role_fields = ("departments",)
    role_display = ("department_list",)
    groups_section = _("Other groups")
    groups_help = _("Groups that are not departments, e.g. to share tickets with a team.")

    def get_queryset(self, request):
        department_groups = Group.objects.filter(department__isnull=False).select_related("department")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("groups", queryset=department_groups.order_by("department__name"), to_attr="department_groups")
            )
        )

    def groups_queryset(self):
        # Department groups are edited through "departments" (user_set_departments), never here.
        return super().groups_queryset().filter(department__isnull=True)

    @display(description=_("departments"), label=True)
    def department_names(self, obj):
        groups = getattr(obj, "department_groups", None)
        if groups is None:
            groups = Group.objects.filter(department__isnull=False, user=obj).select_related("department")
        return [g.department.name for g in groups]

    @display(description=_("departments"))
    def department_list(self, obj):
        return ", ".join(self.department_names(obj)) or "-"
