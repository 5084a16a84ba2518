"""Reading the audit log (who may read it is decided where the read side is registered: apps/accounts)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from .models import AuditEntry


def audit_entries() -> QuerySet[AuditEntry]:
    """Every entry, newest first, with what a list shows (the object's type) in the same query."""
    return AuditEntry.objects.select_related("content_type").order_by("-created_at", "-id")


def content_type_for(label: str) -> ContentType | None:
    """The content type named "app_label.model" (lower case), or None."""
    app_label, _dot, model = label.strip().lower().partition(".")
    if not app_label or not model:
        return None
    return ContentType.objects.filter(app_label=app_label, model=model).first()
