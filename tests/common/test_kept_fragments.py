"""`{% kept %}` (apps/common/templatetags/kept.py): a part of a page rendered once per key and kept; the back
office's page frame uses it. The HTML is the body's own, the key tells apart languages and the values given,
CSRF tokens are each request's own, and a value that cannot be keyed means no keeping."""

import pytest
from django.forms import Media
from django.template import Context, Template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from apps.common.templatetags import kept

TAG = Template("{% load kept %}{% kept 'sample' a %}{{ a }}/{{ b }}{% endkept %}")


@pytest.fixture(autouse=True)
def empty_table():
    kept.forget_all()
    yield
    kept.forget_all()


def test_the_body_is_rendered_once_per_key_and_the_key_is_the_given_values():
    assert TAG.render(Context({"a": 1, "b": "first"})) == "1/first"
    # `b` is not in the key: the kept HTML is reused (which is why every value the body shows must be given).
    assert TAG.render(Context({"a": 1, "b": "second"})) == "1/first"
    assert TAG.render(Context({"a": 2, "b": "second"})) == "2/second"
    assert TAG.render(Context({"a": "1", "b": "third"})) == "1/third"  # "1" is not 1


def test_the_html_is_kept_per_language():
    template = Template("{% load kept %}{% kept 'label' %}{{ label }}{% endkept %}")
    with override("en"):
        assert template.render(Context({"label": _("Status")})) == "Status"
    with override("de"):
        assert template.render(Context({"label": _("Status")})) == "Status"
    with override("tr"):
        assert template.render(Context({"label": _("Status")})) == "Durum"
    with override("en"):
        assert template.render(Context({"label": _("Status")})) == "Status"


def test_output_is_escaped_as_the_body_escapes_it():
    assert TAG.render(Context({"a": "<b>", "b": "&"})) == "&lt;b&gt;/&amp;"


def test_each_request_gets_its_own_csrf_token():
    form = Template("{% load kept %}{% kept 'form' %}<form>{% csrf_token %}</form>{% endkept %}")
    first = form.render(Context({"csrf_token": "token-one"}))
    second = form.render(Context({"csrf_token": "token-two"}))
    assert 'value="token-one"' in first and 'value="token-two"' in second
    assert first.replace("token-one", "") == second.replace("token-two", "")
    assert all("token-one" not in html and "token-two" not in html for html in kept._kept.values())
    # No token (a page without CSRF protection): rendered as the tag writes it, never with the placeholder.
    assert form.render(Context({})) == "<form></form>"


def test_a_value_that_cannot_be_keyed_means_no_keeping():
    class Opaque:
        def __init__(self, text):
            self.text = text

        def __str__(self):
            return self.text

    assert TAG.render(Context({"a": Opaque("x"), "b": "first"})) == "x/first"
    assert TAG.render(Context({"a": Opaque("x"), "b": "second"})) == "x/second"
    assert len(kept._kept) == 0


def test_media_is_keyed_by_the_files_it_lists():
    template = Template("{% load kept %}{% kept 'media' media %}{{ media }}{% endkept %}")
    one, two = Media(js=["one.js"]), Media(js=["two.js"])
    assert "one.js" in template.render(Context({"media": one}))
    assert "two.js" in template.render(Context({"media": two}))


def test_the_table_is_bounded(monkeypatch):
    monkeypatch.setattr(kept, "KEPT_MAX", 3)
    for value in range(10):
        assert TAG.render(Context({"a": value, "b": value})) == f"{value}/{value}"
    assert len(kept._kept) == 3
