"""The project's form renderer (settings.FORM_RENDERER): Django's, keeping the HTML of widgets it has rendered.

A widget is rendered through three to ten small templates (the input, its attributes, each option), about 0.1 to
0.5 ms each time on a back-office page that shows a few of them on every request (the changelist's action and
"Save this view" forms). A widget's HTML depends only on its template, its context and the language, so when the
context holds nothing but plain values (strings, numbers, booleans, None, lazy translations, in dicts, lists and
tuples) it is kept under exactly those values and reused. Contexts holding anything else (a form, a bound field,
a model instance in a choice) are rendered every time, as are renders given a request.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.translation import get_language

from .kept import KeptTable

# Distinct widgets (template, values, language) kept per process, the least recently used dropped first.
KEPT_MAX = 1024
SCALARS = (str, int, float, bool, type(None))


class Unkeepable(Exception):
    """The context holds a value whose rendering the key cannot capture."""


def frozen(value):
    """`value` as a hashable key that tells apart everything a template could render differently."""
    if isinstance(value, Promise):
        value = str(value)  # what the template engine renders (conditional_escape does the same)
    if isinstance(value, SCALARS):
        # The type too: a SafeString renders unescaped where an equal str is escaped, True is not 1.
        return type(value), value
    if isinstance(value, dict):
        return dict, tuple((frozen(key), frozen(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return type(value), tuple(frozen(item) for item in value)
    raise Unkeepable


class KeptWidgetRenderer(DjangoTemplates):
    """Django's default renderer; the HTML of a widget whose context is plain values is rendered once."""

    def __init__(self):
        super().__init__()
        self.kept = KeptTable()

    def render(self, template_name, context, request=None):
        if request is not None or "widget" not in context:
            return super().render(template_name, context, request)
        try:
            key = (get_language(), template_name, frozen(context))
        except Unkeepable:
            return super().render(template_name, context, request)
        html = self.kept.recall(key)
        if html is None:
            html = self.kept.keep(key, super().render(template_name, context, request), most=KEPT_MAX)
        return html
