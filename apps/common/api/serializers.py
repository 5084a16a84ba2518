"""Serializers for writes: a body may only hold what the caller may write; nothing is silently dropped."""

import copy
from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return False


class RefuseUnknownFieldsMixin:
    """Refuses (400) every key of the body that is not one of the serializer's writable fields, naming each.

    The one mechanism behind every request body of the API (our input serializers through StrictSerializer,
    simplejwt's token serializers by mixing this in), so that the schema can say `additionalProperties: false`
    on every request body (apps/common/api/schema.py) and mean it. Subclasses explain the refusal of a known key
    (read-only, not for your role, use another action) by overriding `refusal_reason`; any other key is an
    unknown field.
    """

    #: Names of the resource that nobody writes (the read representation's read-only fields).
    read_only_names: frozenset[str] = frozenset()

    def refusal_reason(self, name: str) -> str:
        if name in self.read_only_names:
            return _("This field is read-only.")
        return _("Unknown field.")

    def writable_names(self) -> set[str]:
        return {name for name, field in self.fields.items() if not field.read_only}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = self.writable_names()
            errors = {name: [self.refusal_reason(name)] for name in data if name not in writable}
            errors |= {
                name: [_("The text is not valid Unicode.")]
                for name, value in data.items()
                if name in writable and _has_lone_surrogate(value)
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """An input serializer: a body may hold only its writable fields (RefuseUnknownFieldsMixin)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # DRF deep-copies the declared fields for every serializer, arguments included (querysets, choices, lazy
        # texts), to make each field anew from them: a tenth of a ticket create's CPU. A field is made anew here
        # from the same arguments, which fields only read; one given another field or a serializer (a child, a
        # nested serializer), which it would bind to itself, is deep-copied as DRF does.
        return {name: _fresh(field) for name, field in self._declared_fields.items()}


def _fresh(field: serializers.Field) -> serializers.Field:
    """A new, unbound field made from the arguments `field` was declared with."""
    arguments = (*field._args, *field._kwargs.values())
    if (
        isinstance(field, serializers.BaseSerializer)
        or any(isinstance(argument, serializers.Field) for argument in arguments)
        or isinstance(field._kwargs.get("default"), list | dict | set)  # each serializer's own, as DRF's copy
    ):
        return copy.deepcopy(field)
    return type(field)(*field._args, **field._kwargs)


class NullableChoiceField(serializers.ChoiceField):
    """A read-only choice stored as "" when empty, read as null: the schema says the enum is nullable."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false, nothing else: DRF's BooleanField would also read 0, 1, "yes", "on" and the like."""

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)
