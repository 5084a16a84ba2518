"""Template helpers of the portal: user text rendered safely, status badges, query strings and names. (The
header's unread counter is apps/notifications/templatetags/notifications.py's.)"""

import re

from django import template
from django.template.loader import get_template
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from .. import extensions
from ..history import display_name, requester_status_label

register = template.Library()

# A link starts with one of the accepted schemes and runs to the next white space or escaped markup
# character. It is searched in text that is already escaped, so `&lt;`, `&gt;`, `&quot;` and `&#x27;` end
# it like the characters they stand for; `&amp;` stays inside (query strings).
LINK_RE = re.compile(
    r"(?<![\w/.:@-])(?:https?://|mailto:)(?:(?!&lt;|&gt;|&quot;|&#x27;)[^\s<>\"'])+",
    re.IGNORECASE,
)
# Punctuation that usually ends a sentence rather than the link ("see https://example.com.").
TRAILING = ".,;:!?)]}*"
# A scheme and nothing else is not a link.
BARE_SCHEME_RE = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)


def _link(match: re.Match) -> str:
    url = match.group(0)
    tail = ""
    while url and url[-1] in TRAILING:
        # Keep a closing bracket that belongs to the link, as in .../Foo_(bar)
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        if url.endswith(("&amp;", "&#x27;", "&quot;")):  # an escaped character, not punctuation
            break
        tail = url[-1] + tail
        url = url[:-1]
    if BARE_SCHEME_RE.fullmatch(url):
        return match.group(0)
    # `url` is escaped text: it is already safe inside an attribute value and as the link's text.
    return f'<a href="{url}" rel="nofollow noopener noreferrer">{url}</a>{tail}'


@register.filter(is_safe=True)
def user_text(value) -> SafeString:
    """Text a person wrote, for HTML: escaped first, then http/https/mailto links made clickable, line breaks kept.

    Nothing else becomes a link (`javascript:`, `data:`, bare domains), and no markup of the text survives.
    """
    text = escape(str(value or "")).replace("\r\n", "\n").replace("\r", "\n")
    linked = LINK_RE.sub(_link, text)
    return mark_safe(linked.replace("\n", "<br>"))  # noqa: S308 — built from escaped text only


@register.simple_tag
def status_badge(status: str) -> SafeString:
    """A status badge in the requester's words ("Waiting for you"), colour-coded by status."""
    return format_html(
        '<span class="badge badge--{}">{}</span>', status.replace("_", "-"), requester_status_label(status)
    )


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (empty values dropped), for filter and page links."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    params = {k: v for k, v in params.items() if v != ""}
    return "?" + urlencode(params) if params else "?"


@register.filter
def person(user) -> str:
    """A person's name as the portal shows it: full name, else user name."""
    return display_name(user) if user is not None else ""


@register.simple_tag(takes_context=True)
def portal_includes(context, slot: str) -> SafeString:
    """The templates other apps include at `slot` of a portal page (apps/tickets/extensions.py portal_includes)."""
    parts = [
        get_template(entry.template).render(context.flatten(), context.get("request"))
        for entry in extensions.portal_includes
        if entry.slot == slot
    ]
    return mark_safe("".join(parts))  # noqa: S308 — rendered templates, autoescaped
