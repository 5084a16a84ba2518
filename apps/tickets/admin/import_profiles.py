"""Import profiles (saved from the ticket import's mapping step): admins see and delete them here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from apps.accounts.permissions import AdminsOnlyMixin

from ..models import ImportProfile


@admin.register(ImportProfile)
class ImportProfileAdmin(AdminsOnlyMixin, ModelAdmin):
    list_display = ("name", "preset", "created_by", "updated_at")
    readonly_fields = ("name", "mapping", "created_by", "updated_at")

    @admin.display(description=_("exported from"))
    def preset(self, obj):
        return (obj.mapping or {}).get("preset") or "—"

    def has_add_permission(self, request):
        return False  # profiles are saved from the import page, with the mapping that was checked there

    def has_change_permission(self, request, obj=None):
        return False
