"""`{% user_menu %}`: the back office's user menu (unfold/helpers/user_menu.html), kept per user and language.

Every back-office page shows it, and through the template engine it cost about as much as the sidebar (the theme
switch, unfold's language list, the account links, the avatar). It is rendered once for each combination of what
it shows (the language, the user's name, e-mail and avatar, the account links, the site link, unfold's theme and
setting) and kept in this process (`RENDERED`, bounded); the key holds all of it, so a change of any is
seen on the next page. Only the log-out form's CSRF token differs from request to request: it is filled in.
"""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from apps.common.kept import CSRF_PLACEHOLDER, KeptTable, csrf_token_filled, csrf_token_usable

register = template.Library()

TEMPLATE = "unfold/helpers/user_menu.html"
RENDERED_MAX = 512
RENDERED = KeptTable()


def _key(context, user) -> tuple:
    """Everything user_menu.html reads, as comparable values."""
    return (
        get_language(),
        user.pk,
        user.get_username(),
        user.get_full_name(),
        user.email,
        getattr(user, "avatar_url", None),
        user.has_usable_password(),
        tuple((str(link["title"]), str(link["link"])) for link in context.get("account_links") or ()),
        context.get("site_url"),
        context.get("theme"),
        str(context.get("extra_userlinks") or ""),
    )


@register.simple_tag(takes_context=True)
def user_menu(context) -> SafeString:
    request = context.get("request")
    user = context.get("user")
    token = context.get("csrf_token")
    # unfold's language forms (SHOW_LANGUAGES, off here) carry the page's own address: not kept.
    uncached = context.get("show_languages") or not csrf_token_usable(token)
    if uncached or request is None or user is None or not user.is_authenticated:
        return render_to_string(TEMPLATE, context.flatten(), request=None)
    key = _key(context, user)
    html = RENDERED.recall(key)
    if html is None:
        html = RENDERED.keep(
            key, render_to_string(TEMPLATE, {**context.flatten(), "csrf_token": CSRF_PLACEHOLDER}), most=RENDERED_MAX
        )
    return mark_safe(csrf_token_filled(html, token))  # noqa: S308 - our template's HTML, the token escaped
