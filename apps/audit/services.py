"""Writing the audit log: `audit_record` for one change, `audit_record_many` for a bulk write.

Callers are the services of the apps above (inside their transaction, so an entry exists exactly when its
change does) and the signal receivers of apps/audit/registry.py for the models the apps registered. Entries
are only ever added: nothing in the application edits or deletes one.

Values are stored as JSON: text cut at MAX_TEXT characters, dates as ISO 8601, a foreign key as the label of
the object it points at. A secret is never stored: its value becomes SECRET_MASK (an empty one stays empty,
so the log still shows whether one was set), a password therefore shows only that it changed.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from .context import current_actor, current_address
from .models import Action, AuditEntry

SECRET_MASK = "[hidden]"  # noqa: S105 (the mask shown instead of a secret, not one)
MAX_TEXT = 500
MAX_LABEL = AuditEntry._meta.get_field("object_label").max_length


def json_value(value: Any) -> Any:
    """`value` as JSON can hold it, text shortened to MAX_TEXT characters."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "…"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted((json_value(item) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    return json_value(str(value))


def masked(value: Any) -> str:
    """What the log keeps of a secret: the mask, or an empty string for an empty secret."""
    return SECRET_MASK if value not in (None, "") else ""


def object_label(obj: Model) -> str:
    return str(obj)[:MAX_LABEL]


@dataclass
class Change:
    """One entry to write with audit_record_many."""

    action: str
    obj: Model
    changes: dict = field(default_factory=dict)


def _entry(*, action: str, model: type[Model], object_id, label: str, changes: dict | None, actor) -> AuditEntry:
    who = current_actor(actor)
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEntry(
        actor=who if who is not None and who.pk else None,
        actor_label=who.get_username() if who is not None else "",
        address=current_address(),
        action=action,
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(object_id),
        object_label=label[:MAX_LABEL],
        changes=json_value(changes or {}),
    )


def audit_record(
    *,
    action: str,
    obj: Model | None = None,
    model: type[Model] | None = None,
    object_id=None,
    label: str | None = None,
    changes: dict | None = None,
    actor=None,
) -> AuditEntry:
    """Record one change of `obj` (or of `model` #`object_id`, for an object that is gone).

    `changes`: {field: [before, after]}, secrets already masked by the caller. `actor`: who acts when known
    (a service's actor); otherwise the current request's user, else the system (no actor).
    """
    if obj is not None:
        model, object_id = obj._meta.model, obj.pk  # _meta: also through a lazy request.user
        label = object_label(obj) if label is None else label
    if model is None or object_id is None:
        raise ValueError("audit_record needs an object, or a model and an object id")
    entry = _entry(action=action, model=model, object_id=object_id, label=label or "", changes=changes, actor=actor)
    entry.save(force_insert=True)
    return entry


def audit_record_many(changes: Iterable[Change], *, actor=None) -> list[AuditEntry]:
    """Record several changes with one insert (for the bulk writes that save no model one by one)."""
    entries = [
        _entry(
            action=change.action,
            model=change.obj._meta.model,
            object_id=change.obj.pk,
            label=object_label(change.obj),
            changes=change.changes,
            actor=actor,
        )
        for change in changes
    ]
    return AuditEntry.objects.bulk_create(entries)
