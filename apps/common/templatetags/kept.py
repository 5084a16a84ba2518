"""`{% kept %}`: a part of a page rendered once per key and kept in the process, for the back office's page frame.

    {% load kept %}
    {% kept "object-tools" opts.label has_add_permission cl.get_query_string %}...{% endkept %}

The body is rendered the first time a key is met, and that HTML is reused for every later request with the same key.
The key is the fragment's name, the language, the script prefix and the values the tag is given: **everything the
body's output depends on must be among them** (the permissions that show or hide a link, the query string a link
carries). Use it only for parts whose output is a function of such values, never for anything read from the
database per request or made for one user unless the user is part of the key. The values must be plain (strings,
numbers, booleans, None, lazy translations, in lists, tuples and dicts) or a form's media; with any other value the
body is rendered every time, as without the tag.

The kept HTML never holds a request's CSRF token: the body is rendered with a placeholder, which each request's
own token replaces. The table is bounded (KEPT_MAX entries, least recently used dropped first), so keys built from
a list's parameters cannot grow it without limit.
"""

from django import template
from django.forms import Media
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from apps.common.kept import CSRF_PLACEHOLDER, KeptTable, csrf_token_filled, csrf_token_usable
from apps.common.widget_rendering import Unkeepable, frozen

register = template.Library()

KEPT_MAX = 1024
_kept = KeptTable()


def _part(value):
    """A key's part: plain values as the widget renderer keys them (`frozen`: strings, numbers, lazy translations, in
    lists, tuples and dicts; Unkeepable for anything else); a form's media by the files it lists (its repr)."""
    if isinstance(value, Media):
        return Media, repr(value)
    return frozen(value)


class KeptNode(template.Node):
    def __init__(self, name, parts, nodelist):
        self.name, self.parts, self.nodelist = name, parts, nodelist

    def render(self, context):
        try:
            values = tuple(_part(part.resolve(context)) for part in self.parts)
        except Unkeepable:
            return self.nodelist.render(context)
        key = (self.name, get_language(), get_script_prefix(), values)
        html = _kept.recall(key)
        if html is None:
            with context.push(csrf_token=CSRF_PLACEHOLDER):
                html = _kept.keep(key, self.nodelist.render(context), most=KEPT_MAX)
        if CSRF_PLACEHOLDER in html:
            token = context.get("csrf_token")
            if not csrf_token_usable(token):  # no token: rendered as the tag writes it then
                return self.nodelist.render(context)
            html = csrf_token_filled(html, token)
        return mark_safe(html)  # noqa: S308 - the template's own output, rendered with autoescaping


@register.tag("kept")
def do_kept(parser, token):
    """{% kept "name" value ... %} ... {% endkept %}: see the module's docstring."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% kept %} needs a name, then the values its output depends on.")
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    name = bits[1].strip("\"'")
    return KeptNode(name, [parser.compile_filter(bit) for bit in bits[2:]], nodelist)


def forget_all() -> None:
    """Drop every kept fragment (tests; a deployment starts new processes with new templates)."""
    _kept.clear()
