"""Log-in with a local password: Django's ModelBackend, refusing agents and admins while STAFF_PASSWORD_LOGIN is off.

Every password log-in goes through here: the portal's and the back office's log-in forms and the API's
`POST /api/token/` (simplejwt calls `authenticate()`), so one switch covers them all. A refused agent gets the
answer of a wrong password, after the password was checked as usual (same work, same time), so the answer never
tells whether the password was right. Requesters keep their passwords; agents and admins sign in with single
sign-on (apps/accounts/oidc/).
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from .choices import STAFF_ROLES


def staff_password_refused(user) -> bool:
    """True when `user` may not log in with a local password (an agent or admin, STAFF_PASSWORD_LOGIN off)."""
    return not settings.STAFF_PASSWORD_LOGIN and getattr(user, "role", None) in STAFF_ROLES


class PasswordBackend(ModelBackend):
    """User name and password, as Django's ModelBackend, but no agent or admin while STAFF_PASSWORD_LOGIN is off."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and staff_password_refused(user):
            return None
        return user
