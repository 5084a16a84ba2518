"""The audit log in the back office: a read-only list and entry page.

`AuditEntryAdmin` is not registered here: who may read the log is a question of roles, which live above
this app, so apps/accounts/admin.py registers it with the admins-only mixin. Nobody, superusers included,
adds, changes or deletes an entry here (the has_*_permission answers below are final).
"""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesCheckboxFilter
from unfold.decorators import display

from apps.common.admin.filters import DayRangeFilter

from .models import Action
from .selectors import audit_entries
from .services import SECRET_MASK

ACTION_BADGES = {
    Action.CREATED: "success",
    Action.UPDATED: "info",
    Action.DELETED: "danger",
    Action.GRANTED: "warning",
    Action.REVOKED: "warning",
    Action.ACCESS_ENDED: "danger",
}


class ObjectTypeFilter(admin.RelatedOnlyFieldListFilter):
    """Only the types of object the log holds entries about."""


def value_text(value) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


def change_rows(changes: dict) -> list[tuple[str, str, str]]:
    """(field, before, after) as text; a secret reads "changed", never a value."""
    rows = []
    for name, pair in (changes or {}).items():
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        if SECRET_MASK in (before, after):
            before, after = ("–" if before in (None, "") else SECRET_MASK), str(_("changed"))
        rows.append((name, value_text(before), value_text(after)))
    return rows


class AuditEntryAdmin(ModelAdmin):
    """Audit entries: list with filters by actor, object type, action and date; a read-only entry page."""

    list_display = ("created_at", "actor_name", "address", "action_badge", "object_type", "object_label")
    list_display_links = ("created_at", "object_label")
    list_filter = (
        ("actor", AutocompleteSelectFilter),
        ("content_type", ObjectTypeFilter),
        ("action", ChoicesCheckboxFilter),
        ("created_at", DayRangeFilter),
    )
    list_filter_submit = True
    search_fields = ("object_label", "actor_label", "object_id")
    search_help_text = _("Object, actor's user name or object id")
    show_full_result_count = False
    fields = (
        "created_at",
        "actor_name",
        "address",
        "action",
        "object_type",
        "object_id",
        "object_label",
        "changes_table",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return audit_entries()

    # Nobody writes here (a subclass may only narrow who reads).
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("actor"), ordering="actor_label")
    def actor_name(self, obj):
        return obj.actor_label or _("System")

    @display(description=_("action"), ordering="action", label=ACTION_BADGES)
    def action_badge(self, obj):
        return obj.action, obj.get_action_display()

    @display(description=_("object type"), ordering="content_type")
    def object_type(self, obj):
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

    @display(description=_("changes"))
    def changes_table(self, obj):
        rows = change_rows(obj.changes)
        if not rows:
            return "–"
        return format_html(
            '<table class="audit-changes"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("field"),
            _("before"),
            _("after"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>→ {}</td></tr>", rows),
        )
