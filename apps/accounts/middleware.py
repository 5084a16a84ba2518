"""Per-user language and time zone for every request of a logged-in user; the back office's second factor."""

import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .two_factor import two_factor_required


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


class StaffTwoFactorMiddleware:
    """With STAFF_2FA_REQUIRED, send staff whose session has not passed a second factor to /admin/2fa/.

    Every URL under /admin/ (pages, actions, downloads, the autocomplete and search JSON) is covered but the
    two-factor pages themselves, the log-in, the log-out and the JavaScript catalogue. The portal is not: a staff
    member reaching a portal page sees what the portal shows any signed-in person (its home sends staff on to the
    back office, where they are asked). The API refuses such a session by itself
    (apps/accounts/api/authentication.py). Sits after django-otp's OTPMiddleware, which sets user.is_verified().
    """

    exempt_names = ("admin:login", "admin:logout", "admin:jsi18n")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.STAFF_2FA_REQUIRED and self.must_verify(request):
            target = reverse("admin:two_factor")
            return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def must_verify(self, request) -> bool:
        path = request.path
        if not path.startswith(reverse("admin:index")):
            return False
        if path.startswith(reverse("admin:two_factor")) or path in {reverse(name) for name in self.exempt_names}:
            return False
        user = getattr(request, "user", None)
        return user is not None and two_factor_required(user) and not user.is_verified()


class RequesterAdminRedirectMiddleware:
    """Send a signed-in requester who opens a back-office URL to the portal, saying why.

    Django's admin would show its log-in page with "You are authenticated as carol, but are not authorized to
    access this page", which reads like a broken account. They log out in the portal.
    Sits after AuthenticationMiddleware and MessageMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_staff
            and request.path.startswith(reverse("admin:index"))
        ):
            messages.info(
                request,
                _("The back office is for agents and admins. Here are your tickets in the support portal."),
            )
            return HttpResponseRedirect(reverse("portal:ticket_list"))
        return self.get_response(request)
