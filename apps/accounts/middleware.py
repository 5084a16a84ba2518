"""Per-user language and time zone for every request of a logged-in user."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """Activate the logged-in user's language and time zone for the request.

    Sits after AuthenticationMiddleware (it reads request.user) and after LocaleMiddleware, whose choice
    (cookie, Accept-Language) it overrides: a logged-in user's profile wins. Anonymous users keep what
    LocaleMiddleware chose and the site's TIME_ZONE.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language in self.languages:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()  # a time zone the machine does not know: the site's default
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
