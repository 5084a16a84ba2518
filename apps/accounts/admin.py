"""Back office for accounts and the system pages only admins open: auth groups, background tasks, audit log.

`UserAdmin` is the users page as far as accounts know it: profile, role, password, groups, CSV. It is not
registered here: apps/departments/admin.py registers a subclass that adds department membership (a
department is above accounts), at the same URLs. Agents may look up the users they can see
(users_visible_to, as in the API; read-only); only admins see everyone and add, change or delete.
`is_staff` / `is_superuser` follow the role (see User.save), so the forms edit the role and never those
flags. Every save is a set of account services (ServiceModelForm): a refusal is a form error. Admins reset the
two-factor authentication of a person who lost their phone with the list action "Reset two-factor
authentication"; the two-factor pages themselves (/admin/2fa/) are added to the admin site here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success, Task
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import BooleanRadioFilter, ChoicesCheckboxFilter
from unfold.decorators import display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget, UnfoldAdminSelect2Widget, UnfoldAdminSelectWidget

from apps.audit.admin import AuditEntryAdmin
from apps.audit.models import AuditEntry
from apps.common.admin.forms import ServiceAdminMixin, ServiceModelForm
from apps.common.csv.admin import ResourceImportMixin
from apps.common.tasks import task_purpose, task_subject

from .choices import Role
from .forms import ThrottledAdminAuthenticationForm
from .models import User, time_zone_choices
from .permissions import AdminsChangeMixin, AdminsCsvMixin, AdminsOnlyMixin, is_admin
from .resources import UserResource
from .selectors import users_visible_to
from .services import (
    ACCOUNT_FIELDS,
    PROFILE_FIELDS,
    group_delete,
    group_save,
    user_create,
    user_delete,
    user_set_groups,
    user_set_role,
    user_update,
)
from .two_factor import two_factor_remove
from .two_factor_views import urls as two_factor_urls

ROLE_BADGES = {Role.ADMIN: "danger", Role.AGENT: "primary", Role.REQUESTER: "default"}


class AccountForm(ServiceModelForm):
    """Fields shared by the add and change forms: the role and the time zone, as choices."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, widget=UnfoldAdminSelectWidget)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=time_zone_choices, initial="UTC", widget=UnfoldAdminSelect2Widget
    )


class AccountChangeForm(AccountForm, UserChangeForm):
    """Saving is user_update, user_set_role and user_set_groups (for the groups this form offers)."""

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

    def apply(self) -> User:
        data = self.cleaned_data
        profile = {field: data[field] for field in PROFILE_FIELDS if field in data}
        user = user_update(user=self.before, actor=self.actor, **profile)
        user = user_set_role(user=user, role=data["role"], actor=self.actor)
        if "groups" in data:
            user_set_groups(user=user, groups=data["groups"], among=self.fields["groups"].queryset)
        return user


class AccountCreationForm(AccountForm, UserCreationForm):
    """Saving is user_create, with the password or without one ("password-based authentication" off)."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "first_name", "last_name", "role", "language", "time_zone")

    def _post_clean(self):
        # Django checks the password against the account it is for (not too close to its name or e-mail).
        self.validate_password_for_user(self.filled_instance())
        super()._post_clean()

    def apply(self) -> User:
        data = self.cleaned_data
        password = data.get("password1") if data.get("set_usable_password") else None
        return user_create(password=password, **{field: data[field] for field in ACCOUNT_FIELDS if field in data})


class UserAdmin(AdminsChangeMixin, ServiceAdminMixin, AdminsCsvMixin, ResourceImportMixin, BaseUserAdmin, ModelAdmin):
    """Accounts: agents look, admins change (see the module docstring for where it is registered)."""

    form = AccountChangeForm

    add_form = AccountCreationForm
    change_password_form = AdminPasswordChangeForm
    resource_classes = [UserResource]

    list_display = ("username", "full_name", "email", "role_badge", "language", "is_active")
    list_filter = (("role", ChoicesCheckboxFilter), ("is_active", BooleanRadioFilter))
    list_filter_submit = True
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")
    actions = ("reset_two_factor",)

    # What a subclass adds to the role's section: form fields, and what the read-only view shows instead.
    role_section = _("Role")
    role_fields: tuple[str, ...] = ()
    role_display: tuple[str, ...] = ()
    groups_section = _("Groups")
    groups_help = ""

    def delete_with_service(self, request, obj):
        user_delete(user=obj)

    def get_queryset(self, request):
        # The list, its search, the account pages and every user autocomplete (the ticket's requester) hold
        # the people the API shows this user; another account's page is like a missing one.
        return super().get_queryset(request) & users_visible_to(request.user)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return (
                (None, {"fields": ("username", "email", "first_name", "last_name")}),
                (_("Password"), {"fields": ("usable_password", "password1", "password2")}),
                (self.role_section, {"fields": ("role", *self.role_fields)}),
                (_("Preferences"), {"fields": ("language", "time_zone")}),
            )
        if not self.has_change_permission(request, obj):
            # Read-only view for agents: no password hash, no groups or permissions.
            return (
                (None, {"fields": ("username",)}),
                (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
                (self.role_section, {"fields": ("role", *self.role_display, "is_active")}),
                (_("Preferences"), {"fields": ("language", "time_zone")}),
            )
        return (
            (None, {"fields": ("username", "password")}),
            (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
            (self.role_section, {"fields": ("role", *self.role_fields, "is_active")}),
            (_("Preferences"), {"fields": ("language", "time_zone")}),
            (self.groups_section, {"fields": ("groups",)}),
            (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        )

    def groups_queryset(self):
        """The groups the change form offers (and user_set_groups sets)."""
        return Group.objects.order_by("name")

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = self.groups_queryset()
            kwargs["widget"] = UnfoldAdminCheckboxSelectMultipleWidget
            if self.groups_help:
                kwargs["help_text"] = self.groups_help
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # Actions

    @admin.action(description=_("Reset two-factor authentication"), permissions=["reset_two_factor"])
    def reset_two_factor(self, request, queryset):
        """Delete the accounts' authenticator apps and recovery codes (a lost phone); they set it up again."""
        users = list(queryset)
        for user in users:
            two_factor_remove(user=user, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "Two-factor authentication was reset for %(count)d account.",
                "Two-factor authentication was reset for %(count)d accounts.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )

    def has_reset_two_factor_permission(self, request):
        return is_admin(request.user)

    # Columns

    @display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name()

    @display(description=_("role"), ordering="role", label=ROLE_BADGES)
    def role_badge(self, obj):
        return obj.role, obj.get_role_display()


admin.site.unregister(Group)


class GroupForm(ServiceModelForm):
    """Saving is group_save (a department's group keeps its name: the field is read-only there)."""

    def apply(self) -> Group:
        permissions = self.cleaned_data.get("permissions") if "permissions" in self.fields else None
        return group_save(group=self.filled_instance(), permissions=permissions)


@admin.register(Group)
class GroupAdmin(AdminsOnlyMixin, ServiceAdminMixin, BaseGroupAdmin, ModelAdmin):
    """auth groups (each department owns one); admins only."""

    form = GroupForm

    list_display = ("name", "department", "member_count")
    list_select_related = ("department",)

    def delete_with_service(self, request, obj):
        group_delete(group=obj)

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

    def has_delete_permission(self, request, obj=None):
        # Deleting a department's group would orphan the department and its ticket grants.
        return super().has_delete_permission(request, obj) and not (obj is not None and hasattr(obj, "department"))


# django-q2 registers plain ModelAdmins; re-register them with unfold's look, for admins only.

# django-q2 registers the queue (OrmQ) only when the ORM broker is in use; keep that.
_QUEUE_REGISTERED = admin.site.is_registered(OrmQ)
for _model in (Success, Failure, Schedule, OrmQ):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class PlainTaskMixin:
    """A background task in plain words: what it is for and what it was about, never pickled arguments."""

    list_display = ("purpose", "subject", "started", "stopped", "success_badge")
    fields = ("purpose", "subject", "name", "group", "started", "stopped", "attempt_count", "outcome")

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @display(description=_("task"))
    def purpose(self, obj):
        return task_purpose(obj.func)

    @display(description=_("about"))
    def subject(self, obj):
        return task_subject(obj.func, obj.args, obj.kwargs) or "-"

    @display(description=_("outcome"))
    def outcome(self, obj):
        return str(obj.result)[:2000] if obj.result is not None else "-"

    @display(description=_("result"), ordering="success", label={True: "success", False: "danger"})
    def success_badge(self, obj):
        return obj.success, _("Success") if obj.success else _("Failed")


@admin.register(Task)
class TaskAdmin(AdminsOnlyMixin, PlainTaskMixin, ModelAdmin):
    """Every task the workers ran, successful or not (the sidebar's "Background tasks")."""

    list_filter = (("success", BooleanRadioFilter), "group")
    list_filter_submit = True
    search_fields = ("name", "func", "group")
    ordering = ("-stopped",)
    actions = (q_admin.resubmit_task,)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Success)
class SuccessAdmin(AdminsOnlyMixin, PlainTaskMixin, q_admin.TaskAdmin, ModelAdmin):
    list_display = PlainTaskMixin.list_display


@admin.register(Failure)
class FailureAdmin(AdminsOnlyMixin, PlainTaskMixin, q_admin.FailAdmin, ModelAdmin):
    list_display = PlainTaskMixin.list_display


@admin.register(Schedule)
class ScheduleAdmin(AdminsOnlyMixin, q_admin.ScheduleAdmin, ModelAdmin):
    pass


class QueueAdmin(AdminsOnlyMixin, q_admin.QueueAdmin, ModelAdmin):
    pass


if _QUEUE_REGISTERED:
    admin.site.register(OrmQ, QueueAdmin)


@admin.register(AuditEntry)
class AdminsAuditEntryAdmin(AdminsOnlyMixin, AuditEntryAdmin):
    """The audit log (apps/audit/admin.py), for admins; read-only for them too."""


# The back office's log-in counts failures per account and address like the portal's (apps/accounts/throttling.py).
admin.site.login_form = ThrottledAdminAuthenticationForm

# Two-factor authentication: its pages at /admin/2fa/ (apps/accounts/two_factor_views.py), inside the admin site for
# its log-in check, look and Content-Security-Policy. django-otp's own device pages are taken out: they would show
# admins every person's secret, and devices are only changed through apps/accounts/two_factor.py.
admin.site.extra_urls = two_factor_urls
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
