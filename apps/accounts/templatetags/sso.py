"""`{% sso_login next as sso %}`: the single sign-on link of the log-in pages (None while OIDC_ENABLED is off).

`sso.url` starts the sign-on (keeping `next`), `sso.label` is the button's text (OIDC_LOGIN_LABEL).
"""

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def sso_login(next_url: str = "") -> dict | None:
    if not settings.OIDC_ENABLED:
        return None
    url = reverse("oidc:authenticate")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return {"url": url, "label": settings.OIDC_LOGIN_LABEL or _("Sign in with single sign-on")}
