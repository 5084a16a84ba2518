"""Back office for accounts and the system pages only admins open: users, auth groups, background tasks.

Agents may look users up (read-only); only admins add, change or delete. `is_staff` / `is_superuser` follow
the role (see User.save), so the forms edit the role and never those flags.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch
from django.utils.translation import gettext_lazy as _
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success, Task
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import BooleanRadioFilter, ChoicesCheckboxFilter
from unfold.decorators import display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget, UnfoldAdminSelect2Widget, UnfoldAdminSelectWidget

from apps.common.csv.admin import ResourceImportMixin
from apps.departments.models import Department

from .choices import STAFF_ROLES, Role
from .forms import ThrottledAdminAuthenticationForm
from .models import User, time_zone_choices
from .permissions import is_admin
from .resources import USER_COLUMNS, UserResource
from .services import PROFILE_FIELDS, user_create, user_set_departments, user_set_role, user_update

ROLE_BADGES = {Role.ADMIN: "danger", Role.AGENT: "primary", Role.REQUESTER: "default"}


class AccountFormMixin(forms.ModelForm):
    """Fields shared by the add and change forms: role, departments (a service sets them) and time zone."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, widget=UnfoldAdminSelectWidget)
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.order_by("name"),
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_("Members see and work the tickets of their departments. Only agents and admins can join."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=time_zone_choices, initial="UTC", widget=UnfoldAdminSelect2Widget
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        others = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("Another account already uses this e-mail address."))
        return email

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("departments") and cleaned.get("role") not in STAFF_ROLES:
            self.add_error("departments", _("Only agents and admins can belong to departments."))
        return cleaned


class AccountChangeForm(AccountFormMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = (
            "username",
            "password",
            "first_name",
            "last_name",
            "email",
            "role",
            "is_active",
            "language",
            "time_zone",
            "groups",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "departments" in self.fields:
            self.fields["departments"].initial = Department.objects.filter(group__user=self.instance)


class AccountCreationForm(AccountFormMixin, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "first_name", "last_name", "role", "language", "time_zone")


class UserCsvMixin(ResourceImportMixin):
    """CSV import and export of accounts (apps/accounts/resources.py): admins only, e-mail addresses are personal."""

    resource_classes = [UserResource]
    import_columns_help = tuple((field, ", ".join(aliases[1:6]), "") for field, aliases in USER_COLUMNS.items())

    def has_import_permission(self, request):
        return is_admin(request.user)

    def has_export_permission(self, request):
        return is_admin(request.user)


@admin.register(User)
class UserAdmin(UserCsvMixin, BaseUserAdmin, ModelAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    change_password_form = AdminPasswordChangeForm

    list_display = ("username", "full_name", "email", "role_badge", "department_names", "language", "is_active")
    list_filter = (("role", ChoicesCheckboxFilter), ("is_active", BooleanRadioFilter))
    list_filter_submit = True
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")

    add_fieldsets = (
        (None, {"fields": ("username", "email", "first_name", "last_name")}),
        (_("Password"), {"fields": ("usable_password", "password1", "password2")}),
        (_("Role and departments"), {"fields": ("role", "departments")}),
        (_("Preferences"), {"fields": ("language", "time_zone")}),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if not self.has_change_permission(request, obj):
            # Read-only view for agents: no password hash, no groups or permissions.
            return (
                (None, {"fields": ("username",)}),
                (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
                (_("Role and departments"), {"fields": ("role", "department_list", "is_active")}),
                (_("Preferences"), {"fields": ("language", "time_zone")}),
            )
        return (
            (None, {"fields": ("username", "password")}),
            (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
            (_("Role and departments"), {"fields": ("role", "departments", "is_active")}),
            (_("Preferences"), {"fields": ("language", "time_zone")}),
            (_("Other groups"), {"fields": ("groups",)}),
            (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        )

    def get_queryset(self, request):
        department_groups = Group.objects.filter(department__isnull=False).select_related("department")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("groups", queryset=department_groups.order_by("department__name"), to_attr="department_groups")
            )
        )

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "groups":
            # Department groups are edited through "departments" (user_set_departments), never here.
            kwargs["queryset"] = Group.objects.filter(department__isnull=True).order_by("name")
            kwargs["widget"] = UnfoldAdminCheckboxSelectMultipleWidget
            kwargs["help_text"] = _("Groups that are not departments, e.g. to share tickets with a team.")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # Who may do what: agents look, admins change.

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user)

    # Saving: a new account through user_create; role and departments through their services.

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        return user_create(
            username=data["username"],
            email=data["email"],
            password=data.get("password1") if data.get("set_usable_password") else None,
            role=data["role"],
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            language=data["language"],
            time_zone=data["time_zone"],
            departments=data.get("departments") or (),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            return  # user_create saved it
        data = form.cleaned_data
        user_update(user=obj, **{field: data[field] for field in PROFILE_FIELDS if field in data})
        user_set_role(user=obj, role=data["role"])

    def save_related(self, request, form, formsets, change):
        if not change:
            return
        user = form.instance
        if "groups" in form.cleaned_data:
            wanted = set(form.cleaned_data["groups"])
            current = set(user.groups.filter(department__isnull=True))
            user.groups.remove(*(current - wanted))
            user.groups.add(*(wanted - current))
        user_set_departments(user=user, departments=form.cleaned_data.get("departments") or ())

    # Columns

    @display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name()

    @display(description=_("role"), ordering="role", label=ROLE_BADGES)
    def role_badge(self, obj):
        return obj.role, obj.get_role_display()

    @display(description=_("departments"), label=True)
    def department_names(self, obj):
        groups = getattr(obj, "department_groups", None)
        if groups is None:
            groups = Group.objects.filter(department__isnull=False, user=obj).select_related("department")
        return [g.department.name for g in groups]

    @display(description=_("departments"))
    def department_list(self, obj):
        return ", ".join(self.department_names(obj)) or "-"


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    """auth groups (each department owns one); admins only."""

    list_display = ("name", "department", "member_count")
    list_select_related = ("department",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("user", distinct=True))

    def get_readonly_fields(self, request, obj=None):
        # A department's group is named after the department (department_update keeps them in step).
        if obj is not None and hasattr(obj, "department"):
            return ("name",)
        return ()

    @display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_add_permission(self, request):
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        # Deleting a department's group would orphan the department and its ticket grants.
        return is_admin(request.user) and not (obj is not None and hasattr(obj, "department"))


# django-q2 registers plain ModelAdmins; re-register them with unfold's look, for admins only.


class AdminsOnlyMixin:
    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_add_permission(self, request, *args, **kwargs):
        return is_admin(request.user) and super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_delete_permission(request, obj)


# django-q2 registers the queue (OrmQ) only when the ORM broker is in use; keep that.
_QUEUE_REGISTERED = admin.site.is_registered(OrmQ)
for _model in (Success, Failure, Schedule, OrmQ):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(Task)
class TaskAdmin(AdminsOnlyMixin, ModelAdmin):
    """Every task the workers ran, successful or not (the sidebar's "Background tasks")."""

    list_display = ("name", "func", "group", "started", "stopped", "success_badge")
    list_filter = (("success", BooleanRadioFilter), "group")
    list_filter_submit = True
    search_fields = ("name", "func", "group")
    ordering = ("-stopped",)
    actions = (q_admin.resubmit_task,)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @display(description=_("result"), ordering="success", label={True: "success", False: "danger"})
    def success_badge(self, obj):
        return obj.success, _("Success") if obj.success else _("Failed")


@admin.register(Success)
class SuccessAdmin(AdminsOnlyMixin, q_admin.TaskAdmin, ModelAdmin):
    pass


@admin.register(Failure)
class FailureAdmin(AdminsOnlyMixin, q_admin.FailAdmin, ModelAdmin):
    pass


@admin.register(Schedule)
class ScheduleAdmin(AdminsOnlyMixin, q_admin.ScheduleAdmin, ModelAdmin):
    pass


class QueueAdmin(AdminsOnlyMixin, q_admin.QueueAdmin, ModelAdmin):
    pass


if _QUEUE_REGISTERED:
    admin.site.register(OrmQ, QueueAdmin)


# The back office's log-in counts failures per account and address like the portal's (apps/accounts/throttling.py).
admin.site.login_form = ThrottledAdminAuthenticationForm
