"""Log-in with a local password: Django's ModelBackend, refusing agents and admins while STAFF_PASSWORD_LOGIN is off.

Every password log-in goes through here: the portal's and the back office's log-in forms and the API's
`POST /api/token/` (simplejwt calls `authenticate()`), so one switch covers them all. A refused agent gets the
answer of a wrong password, after the password was checked as usual (same work, same time), so the answer never
tells whether the password was right. Requesters keep their passwords; agents and admins sign in with single
sign-on (apps/accounts/oidc/).

As the ModelBackend, it also answers model permission checks; an account's permissions from the database (two
queries per request otherwise: its own and its groups') are kept in the cache until any permission changes
(selectors.kept_model_permissions).
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from .choices import STAFF_ROLES
from .selectors import kept_model_permissions


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

    def get_all_permissions(self, user_obj, obj=None):
        # Superusers hold every permission without asking (has_perm does not call this for them); the rest, as the
        # ModelBackend reads them, kept (`_perm_cache` is where the ModelBackend keeps them for the request).
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None or user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = kept_model_permissions(
                user_obj, read=lambda: super(PasswordBackend, self).get_all_permissions(user_obj)
            )
        return user_obj._perm_cache
