"""Who may see and change a back-office module, by role (the project does not use Django's model permissions
for these): mixins for ModelAdmin classes."""

from apps.accounts.permissions import is_admin


class StaffViewMixin:
    """Every active agent and admin sees the module and its rows."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class StaffReadOnlyMixin(StaffViewMixin):
    """Agents and admins see it; nobody adds, changes or deletes rows here (its actions write, through services)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AdminsChangeMixin(StaffViewMixin):
    """Agents look (to learn where tickets go and what is due when); admins change, through the services."""

    def has_add_permission(self, request):
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user)
