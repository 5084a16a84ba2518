"""StrictSerializer makes each serializer's fields anew from their declared arguments, without DRF's deep copy:
every serializer still gets fields of its own."""

from rest_framework import serializers

from apps.accounts.models import User
from apps.common.api.serializers import StrictSerializer


class Body(StrictSerializer):
    name = serializers.CharField(max_length=5)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    extra = serializers.DictField(default=dict)
    labels = serializers.ListField(child=serializers.CharField(), default=list)
    options = serializers.JSONField(default={"a": 1})


def test_each_serializer_has_fields_of_its_own():
    first, second = Body(data={}), Body(data={})

    for name in ("name", "owner", "tags", "extra", "labels", "options"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["tags"].child.parent is first.fields["tags"]
    assert first.fields["options"].default is not second.fields["options"].default


def test_a_field_changed_on_one_serializer_is_unchanged_on_the_next():
    first = Body(data={})
    first.fields["owner"].queryset = User.objects.none()
    first.fields["name"].max_length = 1

    second = Body(data={"name": "abcd"})

    assert second.fields["owner"].queryset.query.is_empty() is False
    assert second.is_valid() is True
    assert second.validated_data == {"name": "abcd", "extra": {}, "labels": [], "options": {"a": 1}}


def test_the_fields_check_what_they_were_declared_to_check():
    body = Body(data={"name": "abcdef", "tags": "x"})

    assert body.is_valid() is False
    assert body.errors == {
        "name": ["Ensure this field has no more than 5 characters."],
        "tags": ['Expected a list of items but got type "str".'],
    }
    unknown = Body(data={"name": "a", "other": 1})
    assert unknown.is_valid() is False
    assert unknown.errors == {"other": ["Unknown field."]}
