"""The models whose writes are audited, registered by the apps that own them.

An app calls `track(Model, ...)` in its `AppConfig.ready()`; from then on every save and delete of that model
(and of its proxy models) writes an audit entry in the saving transaction, through Django's model signals:

    from apps.audit.registry import track
    track(Webhook, exclude=("last_delivery_at",), secrets=("secret",))

- `fields` (default: every concrete field but the primary key and `auto_now` / `auto_now_add` timestamps)
  are the ones compared and recorded; `exclude` removes some (derived or noisy ones, like `last_login`);
- `secrets` are recorded as apps/audit/services.py SECRET_MASK, never their value or hash;
- `deletions_only=True` records deletions only (tickets and attachments: their other writes are in the
  tickets' own history).

A save reads the row as stored before it (one query, only for tracked models, only for the fields it
saves); an update that changes no tracked field writes nothing. `QuerySet.update()`, `bulk_create()` and
many-to-many changes send no model signals: the services that use them record explicitly with
`audit_record` / `audit_record_many` (apps/audit/services.py); `created_changes` gives them the same values
a tracked save would record.
"""

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_save

from .models import Action
from .services import audit_record, json_value, masked


@dataclass(frozen=True)
class Tracked:
    model: type[Model]
    fields: tuple[str, ...]
    secrets: frozenset[str]
    deletions_only: bool = False


#: concrete model → how it is tracked.
TRACKED: dict[type[Model], Tracked] = {}


def _default_fields(model: type[Model]) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if not field.primary_key and not getattr(field, "auto_now", False) and not getattr(field, "auto_now_add", False)
    ]


def track(
    model: type[Model],
    *,
    fields: tuple[str, ...] | None = None,
    exclude: tuple[str, ...] = (),
    secrets: tuple[str, ...] = (),
    deletions_only: bool = False,
) -> Tracked:
    """Audit every save and delete of `model` from now on (call it from an AppConfig.ready())."""
    concrete = model._meta.concrete_model
    names = [name for name in (fields or _default_fields(concrete)) if name not in exclude]
    for name in (*names, *secrets):
        try:
            concrete._meta.get_field(name)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(f"track({concrete._meta.label}): no field {name!r}") from None
    untracked = sorted(set(secrets) - set(names))
    if untracked:
        raise ImproperlyConfigured(f"track({concrete._meta.label}): secrets {untracked} are not tracked fields")
    tracked = Tracked(model=concrete, fields=tuple(names), secrets=frozenset(secrets), deletions_only=deletions_only)
    TRACKED[concrete] = tracked
    senders = [concrete, *(m for m in apps.get_models() if m._meta.proxy and m._meta.concrete_model is concrete)]
    for sender in senders:
        uid = f"audit:{sender._meta.label}"
        if not deletions_only:
            pre_save.connect(_before_save, sender=sender, dispatch_uid=f"{uid}:pre_save")
            post_save.connect(_after_save, sender=sender, dispatch_uid=f"{uid}:post_save")
        post_delete.connect(_after_delete, sender=sender, dispatch_uid=f"{uid}:post_delete")
    return tracked


def _tracked(sender) -> Tracked | None:
    return TRACKED.get(sender._meta.concrete_model)


def render(tracked: Tracked, name: str, value, *, instance: Model | None = None):
    """The value of field `name` as the log keeps it (secret masked, foreign key as its object's label)."""
    if name in tracked.secrets:
        return masked(value)
    field = tracked.model._meta.get_field(name)
    if field.is_relation and value is not None:
        related = None
        if instance is not None and field.is_cached(instance):
            related = getattr(instance, field.name)
        if related is None or related.pk != value:
            related = field.related_model._base_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    return json_value(value)


def _empty(value) -> bool:
    return value in (None, "", [], {})


def created_changes(instance: Model) -> dict:
    """{field: [None, value]} for the non-empty tracked fields of a new `instance` of a tracked model."""
    tracked = _tracked(type(instance))
    changes = {}
    for name in tracked.fields:
        value = tracked.model._meta.get_field(name).value_from_object(instance)
        if not _empty(value):
            changes[name] = [None, render(tracked, name, value, instance=instance)]
    return changes


def _before_save(sender, instance, raw=False, using=None, update_fields=None, **kwargs):
    tracked = _tracked(sender)
    if raw or tracked is None or instance._state.adding or instance.pk is None:
        return
    meta = tracked.model._meta
    names = [
        name
        for name in tracked.fields
        if update_fields is None or name in update_fields or meta.get_field(name).attname in update_fields
    ]
    if not names:
        return
    attnames = [meta.get_field(name).attname for name in names]
    before = tracked.model._base_manager.using(using).filter(pk=instance.pk).values(*attnames).first()
    instance.__dict__["_audit_before"] = (names, before)


def _after_save(sender, instance, created, raw=False, using=None, **kwargs):
    tracked = _tracked(sender)
    if raw or tracked is None:
        return
    if created:
        audit_record(action=Action.CREATED, obj=instance, changes=created_changes(instance))
        return
    names, before = instance.__dict__.pop("_audit_before", ((), None))
    if before is None:
        return
    meta = tracked.model._meta
    changes = {}
    for name in names:
        field = meta.get_field(name)
        old, new = before[field.attname], field.value_from_object(instance)
        if old != new:
            changes[name] = [render(tracked, name, old), render(tracked, name, new, instance=instance)]
    if changes:
        audit_record(action=Action.UPDATED, obj=instance, changes=changes)


def _after_delete(sender, instance, using=None, **kwargs):
    tracked = _tracked(sender)
    if tracked is None:
        return
    changes = {}
    for name in tracked.fields:
        value = tracked.model._meta.get_field(name).value_from_object(instance)
        if not _empty(value):
            changes[name] = [render(tracked, name, value, instance=instance), None]
    audit_record(action=Action.DELETED, obj=instance, changes=changes)
