"""The form renderer that keeps widgets' HTML (apps/common/widget_rendering.py): the same HTML as Django's own
renderer, rendered once per template, values and language, and never kept for a context it cannot key."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from apps.common import widget_rendering
from apps.common.widget_rendering import KeptWidgetRenderer, Unkeepable, frozen

CHOICES = [("", _("Status")), ("open", _("Open")), ("closed", _("Closed"))]


class Counting(KeptWidgetRenderer):
    """Counts the renders that reach the templates."""

    rendered = 0

    def get_template(self, template_name):
        self.rendered += 1
        return super().get_template(template_name)


def test_widgets_are_rendered_once_and_as_djangos_renderer_renders_them():
    renderer, plain = Counting(), DjangoTemplates()
    widget = forms.Select(choices=CHOICES, attrs={"class": "a&b"})
    first = widget.render("status", "open", renderer=renderer)
    again = widget.render("status", "open", renderer=renderer)
    assert first == again == widget.render("status", "open", renderer=plain)
    assert renderer.rendered == 1
    assert 'class="a&amp;b"' in first
    other = widget.render("status", "closed", renderer=renderer)
    assert other == widget.render("status", "closed", renderer=plain) != first
    assert renderer.rendered == 2


def test_a_widget_is_kept_per_language():
    renderer = Counting()
    widget = forms.Select(choices=CHOICES)
    with override("de"):
        german = widget.render("status", "", renderer=renderer)
        assert german == widget.render("status", "", renderer=DjangoTemplates())
    with override("en"):
        english = widget.render("status", "", renderer=renderer)
    assert ">Open</option>" in english
    assert ">Open</option>" not in german
    assert renderer.rendered == 2


def test_a_context_with_other_values_is_rendered_every_time():
    renderer = Counting()
    html = renderer.render(
        "django/forms/widgets/input.html", {"widget": {"type": "text", "name": "x", "value": object(), "attrs": {}}}
    )
    renderer.render(
        "django/forms/widgets/input.html", {"widget": {"type": "text", "name": "x", "value": object(), "attrs": {}}}
    )
    assert html.startswith('<input type="text" name="x" value="&lt;object object at')
    assert renderer.rendered == 2
    assert len(renderer.kept) == 0


def test_the_key_tells_apart_what_renders_differently():
    assert frozen("1") != frozen(1)
    assert frozen(True) != frozen(1)
    assert frozen(mark_safe("a&b")) != frozen("a&b")
    assert frozen(["a"]) != frozen(("a",))
    assert frozen({"a": 1, "b": 2}) != frozen({"b": 2, "a": 1})  # attributes are written in their order
    assert frozen(_("Open")) == frozen("Open")
    with pytest.raises(Unkeepable):
        frozen({"value": [object()]})


def test_the_kept_widgets_are_bounded(monkeypatch):
    monkeypatch.setattr(widget_rendering, "KEPT_MAX", 2)
    renderer = KeptWidgetRenderer()
    for value in ("a", "b", "c"):
        forms.TextInput().render("name", value, renderer=renderer)
    assert len(renderer.kept) == 2
    # The least recently used went first.
    assert list(renderer.kept.values()) == [
        '<input type="text" name="name" value="b">',
        '<input type="text" name="name" value="c">',
    ]
