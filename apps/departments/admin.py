"""Back office for departments: agents look them up, admins create and edit them (through the services)."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import BooleanRadioFilter
from unfold.decorators import display
from unfold.widgets import UnfoldAdminSelect2MultipleWidget

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.permissions import is_admin

from .models import Department
from .services import department_create, department_set_members, department_update

EDITABLE_FIELDS = ("name", "slug", "description", "manager", "is_default", "is_active")


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

    class Meta:
        model = Department
        fields = EDITABLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result = None
        if self.instance.pk and "members" in self.fields:
            self.fields["members"].initial = list(self.instance.group.user_set.values_list("pk", flat=True))

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


@admin.register(Department)
class DepartmentAdmin(ModelAdmin):
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
            (_("Routing"), {"fields": ("is_default", "is_active")}),
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
