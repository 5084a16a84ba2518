"""Security the project adds itself: the Content-Security-Policy header, and the checks of a production secret key.

Django 5.2 has no Content-Security-Policy support (it arrives in Django 6.0), so ContentSecurityPolicyMiddleware
sets the header on every response that has none of its own. Every page gets STRICT: scripts, styles, images,
fonts and requests from the site itself only, nothing inline, no eval, no plugins, no framing. Two parts of the
site run code from packages that cannot work under STRICT; each gets a copy that relaxes exactly what those
packages force, and nothing else:

- the back office (every view in the "admin" namespace): django-unfold 0.91
  - script-src 'unsafe-eval': unfold ships the standard build of Alpine.js 3.14 (static/unfold/js/alpine/
    alpine.js), which compiles every x-data, x-init, x-show, x-bind... attribute of unfold's templates with the
    AsyncFunction constructor; the CSP build of Alpine (@alpinejs/csp) is not shipped and could not parse
    unfold's inline expressions anyway. (htmx, also bundled, would need it too for hx-on attributes.)
  - style-src 'unsafe-inline': unfold's templates write <style> elements (unfold/layouts/skeleton.html: the
    theme colours from the UNFOLD["COLORS"] setting; admin/change_list.html) and style="" attributes (progress
    bars, avatars, dropdown sizes), Alpine's x-bind:style writes style attributes, and htmx injects its
    indicator <style> (htmx.config.includeIndicatorStyles). Inline *script* stays forbidden there too.
  (Checked in Chromium: without 'unsafe-eval' Alpine stops at the log-in page and unfold's menus and command
  palette stay open; without 'unsafe-inline' styles six kinds of style are refused. No page of ours uses
  unfold.contrib.forms' WYSIWYG editor, whose Trix stylesheet would also need img-src data:.)
- the API docs page (view "api:docs"): drf-spectacular's Swagger UI (from drf-spectacular-sidecar)
  - style-src with the sha256 of the one fixed <style> block of drf_spectacular/swagger_ui.html (computed here
    from the installed template, so an upgrade that changes it keeps working); no 'unsafe-inline'.
  - img-src data: Swagger UI's stylesheet draws its icons and arrows as data: URLs.
  - its init script must come from a URL, not inline: that is drf-spectacular's SpectacularSwaggerSplitView
    ("?script" answers the JavaScript). Under SpectacularSwaggerView, whose inline <script> carries the CSRF
    token (a hash cannot cover it), the docs page stays blank under this policy.

Responses that set their own policy keep it (attachment downloads send "default-src 'none'; sandbox").
With DEBUG on, Django's own technical 404 and 500 pages (inline script and style) go without a policy.
"""

import base64
import hashlib
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"

STRICT: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'",),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}


def _relax(policy: dict[str, tuple[str, ...]], **extra: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """A copy of `policy` with sources added (directive names with "_" for "-")."""
    relaxed = dict(policy)
    for name, sources in extra.items():
        directive = name.replace("_", "-")
        relaxed[directive] = relaxed.get(directive, ()) + sources
    return relaxed


# See the module's docstring for the package behind each relaxation.
BACK_OFFICE = _relax(STRICT, script_src=("'unsafe-eval'",), style_src=("'unsafe-inline'",))


def _inline_style_hashes(template_name: str) -> tuple[str, ...]:
    """CSP sources for the fixed <style> blocks of a package's template ('sha256-...')."""
    from django.template.loader import get_template

    try:
        source = get_template(template_name).template.source
    except Exception:  # the package is missing or its template moved: no hash, the page merely loses styles
        return ()
    blocks = re.findall(r"<style>(.*?)</style>", source, flags=re.DOTALL)
    return tuple(
        f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
        for block in blocks
        if "{{" not in block and "{%" not in block  # a block with template tags renders differently each time
    )


def api_docs_policy() -> dict[str, tuple[str, ...]]:
    """STRICT plus what Swagger UI from drf-spectacular needs (see the module's docstring)."""
    return _relax(
        STRICT,
        style_src=_inline_style_hashes("drf_spectacular/swagger_ui.html"),
        img_src=("data:",),
    )


def render_policy(policy: dict[str, tuple[str, ...]]) -> str:
    """The header's value: directives in a fixed order, sources space-separated."""
    return "; ".join(" ".join((directive, *sources)) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Set Content-Security-Policy on every response that has none: STRICT, or the relaxed policy of its view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.strict = render_policy(STRICT)
        self.back_office = render_policy(BACK_OFFICE)
        self._api_docs: str | None = None  # read from the package's template on first use

    def policy_for(self, request: HttpRequest) -> str:
        match = getattr(request, "resolver_match", None)
        if match is None:  # answered before URL resolution (redirects, refused hosts): nothing to relax
            return self.strict
        if "admin" in match.namespaces:
            return self.back_office
        if match.view_name == "api:docs":
            if self._api_docs is None:
                self._api_docs = render_policy(api_docs_policy())
            return self._api_docs
        return self.strict

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER in response:
            return response
        if settings.DEBUG and response.status_code in (404, 500):
            return response  # Django 5.2's technical debug pages are inline script and style
        response[HEADER] = self.policy_for(request)
        return response


# What Django's `check --deploy` (security.W009) calls a weak key, made fatal: a production server must not start
# with one. The development fallback of config/settings.py is refused by name.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


def require_production_secret_key(key: str, *, development_key: str) -> str:
    """Return `key` if it may sign a production site; raise ImproperlyConfigured saying what is wrong otherwise."""
    how = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
    if not key:
        raise ImproperlyConfigured(f"DJANGO_ENV=production requires the SECRET_KEY environment variable; {how}")
    if key == development_key or key.startswith("django-insecure"):
        raise ImproperlyConfigured(f"SECRET_KEY is a development key, which must not sign a production site; {how}")
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak for production: it has {len(key)} characters ({len(set(key))} different); "
            f"it needs at least {SECRET_KEY_MIN_LENGTH} (and {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different); {how}"
        )
    return key
