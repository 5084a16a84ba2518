"""The single sign-on backend: mozilla-django-oidc's code flow, with our rules for linking and creating accounts.

- The provider's e-mail links to an existing account (case-insensitively) only when its `email_verified` claim is
  true; an unverified e-mail neither links nor creates anything: the sign-on is refused with a message.
- A new account (OIDC_CREATE_USER) is made by apps.accounts.services.user_create, with an unusable password.
- The role from the claims (claims.py) is applied on every sign-on through user_set_role, the service of an
  admin's role change, so a demotion at the provider ends the staff access as it does here.
- Then the listeners of claims.py apply the rest (departments), in the same transaction.
- Deactivated accounts are refused; so is a user-info answer about another subject than the ID token's.

The ID token must be signed by one of the provider's keys (JWKS) with OIDC_RP_SIGN_ALGO (RS256), carry the nonce of
the request (checked by mozilla-django-oidc), and name this client in `aud` and the issuer in `iss`. Tokens are not
stored in the session and never logged.

A refusal's message for the person is left on the request (`sso_refusal`) for the callback view to show.
"""

import logging
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from ..choices import Role
from ..services import user_create, user_set_role
from . import provider
from .claims import role_from_claims, sso_signed_in

logger = logging.getLogger(__name__)

USERNAME_CHARACTERS = re.compile(r"^[\w.@+-]+\Z")


class SignOnRefused(SuspiciousOperation):
    """A sign-on refused for a reason the person is told (the message is on the request)."""


def _verified(claims) -> bool:
    # Some providers send the flag as a string.
    return claims.get("email_verified") is True or str(claims.get("email_verified")).lower() == "true"


class OIDCBackend(OIDCAuthenticationBackend):
    """OpenID Connect sign-on (authorization code flow, PKCE, nonce, RS256); signs no one in while OIDC_ENABLED is off.

    It answers no permission question (RolePermissionBackend and guardian's backend do), and like ModelBackend it
    gives a session's user only while the account is active.
    """

    def __init__(self, *args, **kwargs):
        # mozilla-django-oidc reads every endpoint here; Django builds a backend for each request's session user,
        # so the endpoints are read only when used (the properties below), from the discovery document if need be.
        self.UserModel = get_user_model()

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: provider.endpoint("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: provider.endpoint("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: provider.endpoint("OIDC_OP_JWKS_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None  # always the provider's published keys

    # Sessions and permissions --------------------------------------------------------------------------------------
    def get_user(self, user_id):
        if not settings.OIDC_ENABLED:
            return None  # turning single sign-on off ends the sessions it opened
        return ModelBackend.get_user(self, user_id)  # inactive accounts have no session

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False

    def with_perm(self, perm, is_active=True, include_superusers=True, obj=None):
        return self.UserModel._default_manager.none()

    # The code flow ---------------------------------------------------------------------------------------------------
    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce: a password log-in never reaches the provider, whatever its URL holds.
        if not settings.OIDC_ENABLED or request is None or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is meant for another client.")
        if provider.issuer() and str(payload.get("iss", "")).rstrip("/") != provider.issuer():
            raise SuspiciousOperation("The ID token comes from another issuer.")
        return payload

    def refuse(self, message: str, reason: str):
        """Refuse the sign-on: `message` for the person, `reason` for the log (neither holds a token)."""
        self.request.sso_refusal = message
        raise SignOnRefused(reason)

    def verify_claims(self, claims):
        if not claims.get("email"):
            self.refuse(_("Your single sign-on account has no e-mail address, so it cannot be used here."), "no e-mail")
        if not _verified(claims):
            self.refuse(
                _(
                    "Your identity provider has not verified your e-mail address, so it cannot be used to sign in "
                    "here. Verify it with your provider, or log in with your password."
                ),
                "e-mail not verified",
            )
        return True

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The user info is about another subject than the ID token.")
        self.verify_claims(claims)
        with transaction.atomic():
            users = list(self.filter_users_by_claims(claims).select_for_update()[:2])
            if len(users) > 1:
                self.refuse(_("Several accounts use this e-mail address. Ask an administrator."), "several accounts")
            if users:
                return self.update_user(users[0], claims)
            if not settings.OIDC_CREATE_USER:
                self.refuse(
                    _("There is no account for your e-mail address here. Ask an administrator to create one."),
                    "no account",
                )
            return self.create_user(claims)

    def create_user(self, claims):
        """A new account from the claims, made by the account service, with no usable password."""
        try:
            with transaction.atomic():
                user = user_create(
                    username=self._free_username(claims),
                    email=claims["email"],
                    password=None,
                    role=role_from_claims(claims) or Role.REQUESTER,
                    first_name=str(claims.get("given_name") or "")[:150],
                    last_name=str(claims.get("family_name") or "")[:150],
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                    time_zone=settings.TIME_ZONE,
                )
        except (ValidationError, IntegrityError) as exc:
            # The same person signing on twice at once (the other request made the account), or claims the account
            # model refuses.
            self.refuse(_("Your account could not be created. Try again, or ask an administrator."), repr(exc)[:200])
        sso_signed_in(user=user, claims=claims)
        return user

    def update_user(self, user, claims):
        """An existing account: refused when deactivated; otherwise the role and the listeners' parts are applied."""
        if not user.is_active:
            self.refuse(_("This account is deactivated. Ask an administrator."), "account deactivated")
        role = role_from_claims(claims)
        if role is not None and role != user.role:
            user_set_role(user=user, role=role, actor=None)
        sso_signed_in(user=user, claims=claims)
        return user

    def _free_username(self, claims) -> str:
        """The provider's preferred user name, else the e-mail address, made unique with a number if taken."""
        candidates = [str(claims.get("preferred_username") or ""), claims["email"]]
        for candidate in candidates:
            if (
                candidate
                and len(candidate) <= 150
                and USERNAME_CHARACTERS.match(candidate)
                and not self._taken(candidate)
            ):
                return candidate
        base = re.sub(r"[^\w.@+-]", "", claims["email"])[:140] or "user"
        number = 2
        while self._taken(f"{base}-{number}"):
            number += 1
        return f"{base}-{number}"

    def _taken(self, username: str) -> bool:
        return self.UserModel.objects.filter(username__iexact=username).exists()
