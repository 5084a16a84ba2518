"""The API's session authentication, for the browsable API and the docs page, with the back office's second factor.

With STAFF_2FA_REQUIRED a staff member's session that has not passed the second factor (apps/accounts/two_factor.py)
does not authenticate API requests: the request is anonymous (401), as if there were no session. JWTs are
unaffected: they are only minted after the second factor (apps/accounts/api/serializers.py).
"""

from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication

from ..two_factor import two_factor_required


class VerifiedSessionAuthentication(SessionAuthentication):
    """DRF's SessionAuthentication (CSRF included), refusing staff sessions that still owe their second factor."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if two_factor_required(user) and not getattr(user, "is_verified", lambda: False)():
            return None
        return result


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI description: the session cookie, as for DRF's SessionAuthentication."""

    target_class = VerifiedSessionAuthentication
