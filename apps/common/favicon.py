"""/favicon.ico: browsers ask for it on every site, whatever the page links; without it each visit logs a 404."""

from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe


@cache
def _icon() -> bytes | None:
    found = finders.find("favicon.ico")
    return Path(found).read_bytes() if found else None


@require_safe
def favicon(request):
    """The site's icon (static/favicon.ico, the portal's headset mark), cached by browsers for a day."""
    icon = _icon()
    if icon is None:
        raise Http404
    response = HttpResponse(icon, content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
