"""Who may do what at the level of whole models (the back-office pages an account can open), by role.

Row-level access to tickets is decided in apps/tickets/permissions.py; this module only says which admin
pages a role may open. Admins are superusers. Agents get a fixed set of model permissions from their
role, so granting the role is enough and no permission rows can drift from it.

`is_admin` is the one definition of an admin. The ModelAdmin mixins at the end (StaffViewMixin,
StaffReadOnlyMixin, AdminsChangeMixin, AdminsOnlyMixin, AdminsCsvMixin) answer the admin's has_*_permission
questions from the role; they live here, not in apps.common, because common sits below accounts and cannot
know roles, and a second test of "admin" there would be a second definition.
"""

from django.http import HttpRequest

from .choices import Role

AGENT_MODEL_PERMISSIONS = frozenset(
    {
        "tickets.add_ticket",
        "tickets.view_ticket",
        "tickets.change_ticket",
        "tickets.view_comment",
        "tickets.add_comment",
        "tickets.view_attachment",
        "tickets.add_attachment",
        "tickets.view_ticketevent",
        "departments.view_department",
        "accounts.view_user",
    }
)


def role_model_permissions(user) -> frozenset[str]:
    """The global model permissions an account holds because of its role."""
    if not user.is_active or user.is_anonymous:
        return frozenset()
    if user.role == Role.AGENT:
        return AGENT_MODEL_PERMISSIONS
    return frozenset()


class RolePermissionBackend:
    """Authentication backend that answers model-level permission checks from the role.

    It never answers object-level checks (obj is not None): those belong to guardian's backend.
    """

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        return None

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None:
            return set()
        return set(role_model_permissions(user_obj))

    def has_perm(self, user_obj, perm, obj=None):
        return obj is None and perm in role_model_permissions(user_obj)

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(f"{app_label}.") for p in role_model_permissions(user_obj))


def is_admin(user) -> bool:
    """Admins run the whole system: every object, object-permission pages, users and departments."""
    return bool(user.is_authenticated and user.is_active and user.role == Role.ADMIN)


def is_agent(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.AGENT)


def sidebar_is_staff(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_staff)


def sidebar_is_admin(request: HttpRequest) -> bool:
    return is_admin(request.user)


# ModelAdmin mixins: which back-office pages a role opens, and what it may do there -----------------------------


class StaffViewMixin:
    """Every active agent and admin sees the module and its rows."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class NoWritesMixin:
    """Nobody adds, changes or deletes rows on this page (its actions, if any, write through services). Put it
    before the mixin that says who sees the page."""

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StaffReadOnlyMixin(NoWritesMixin, StaffViewMixin):
    """Agents and admins see it; nobody adds, changes or deletes rows here (its actions write, through services)."""


class AdminsChangeMixin(StaffViewMixin):
    """Agents look (to learn where tickets go, what is due when, who is who); admins change, through the services."""

    def has_add_permission(self, request):
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user)


class AdminsOnlyMixin:
    """System pages: admins only, within what the ModelAdmin itself allows."""

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


class AdminsCsvMixin:
    """CSV import and export for admins only (accounts and departments hold personal data and access)."""

    def has_import_permission(self, request):
        return is_admin(request.user)

    def has_export_permission(self, request):
        return is_admin(request.user)
