"""Serializers of the accounts API: JWT obtain (with the log-in lockout and the second factor), refresh, verify and
log-out, and the read-only user representation. The token serializers refuse keys they do not know (400 naming
them), like every input serializer of the API (apps/common/api/serializers.py)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from apps.common.api.serializers import RefuseUnknownFieldsMixin

from .. import throttling, two_factor
from ..models import User


class SecondFactorFailed(AuthenticationFailed):
    """A 401 of the second factor: `{"detail": ..., "code": "otp_required" | "otp_invalid" | "otp_setup_required"}`."""

    def __init__(self, message, code: str):
        super().__init__({"detail": message, "code": code}, code)


class TokenObtainPairSerializer(RefuseUnknownFieldsMixin, jwt_serializers.TokenObtainPairSerializer):
    """simplejwt's obtain behind the same lockout as the portal and back-office log-ins (accounts/throttling.py).

    While the account or the client address is locked out, the request is refused before the password is
    checked: no token, no last_login update, nothing counted, the window not extended. The refusal is a 429
    (DRF's Throttled, with Retry-After) rather than a 401: the credentials may well be right, and a 401 would
    tell a client to try others, where the only thing that helps is waiting. Wrong credentials (and inactive
    accounts) are a 401 as before and count toward the lockout; a success clears the account's failures.

    Second factor (accounts/two_factor.py), checked after the password and before any token is minted: an account
    with a confirmed authenticator app must send `otp` (the app's code or a recovery code): without it a 401
    `otp_required` (not counted: the client asks the person and sends again), a wrong one a 401 `otp_invalid` that
    counts toward the same lockout. With STAFF_2FA_REQUIRED a staff account without an app gets a 401
    `otp_setup_required` (it sets one up in the back office first). Refreshing needs no code: the refresh token was
    minted after the second factor.
    """

    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=32,
        help_text=_("Two-factor code (authenticator app or recovery code), for accounts that have turned it on."),
    )

    default_error_messages = {
        **jwt_serializers.TokenObtainPairSerializer.default_error_messages,
        "locked_out": _("Too many failed attempts for this account or from this address."),
        "otp_required": _("This account uses two-factor authentication: send your authenticator app's code as otp."),
        "otp_invalid": _("The two-factor code is not right."),
        "otp_setup_required": _(
            "Staff accounts need two-factor authentication: set it up in the back office before requesting tokens."
        ),
    }

    def validate(self, attrs):
        request = self.context.get("request")
        username = attrs.get(self.username_field) or ""
        address = throttling.client_address(request) if request is not None else "unknown"
        lockout = throttling.login_lockout(username=username, address=address)
        if lockout is not None:
            raise Throttled(wait=lockout.retry_after, detail=str(self.error_messages["locked_out"]))
        self._otp, self._address = attrs.get("otp") or "", address
        try:
            data = super().validate(attrs)
        except SecondFactorFailed:
            raise  # counted (or not) by the second-factor check
        except AuthenticationFailed:
            throttling.login_failed(username=username, address=address)
            raise
        throttling.login_succeeded(username=username)
        return data

    def get_token(self, user):
        # simplejwt's hook between the password check and the minting: the second factor goes here, so that a
        # refusal leaves no token and no last_login behind.
        self.check_second_factor(user)
        return super().get_token(user)

    def check_second_factor(self, user: User) -> None:
        if not two_factor.has_two_factor(user):
            if two_factor.two_factor_required(user):
                raise SecondFactorFailed(self.error_messages["otp_setup_required"], "otp_setup_required")
            return
        otp = getattr(self, "_otp", "")  # set by validate(); a bare get_token() call has no code
        if not otp.strip():
            raise SecondFactorFailed(self.error_messages["otp_required"], "otp_required")
        try:
            two_factor.two_factor_verify(user=user, code=otp, address=getattr(self, "_address", "unknown"))
        except two_factor.SecondFactorLockedOut as exc:
            raise Throttled(wait=exc.retry_after, detail=str(self.error_messages["locked_out"])) from exc
        except DjangoValidationError as exc:
            raise SecondFactorFailed(self.error_messages["otp_invalid"], "otp_invalid") from exc


class TokenRefreshSerializer(RefuseUnknownFieldsMixin, jwt_serializers.TokenRefreshSerializer):
    """simplejwt's refresh (rotation, blacklist of the used token) that also refuses, with a 401, the token
    of a deleted account (simplejwt answers 500) and a token issued before a password change.

    A refresh token is spent at most once, even by simultaneous requests: simplejwt checks the blacklist
    when it reads the token and blacklists it afterwards, so requests racing between the two all won a new
    pair. Here the check and the blacklisting happen in one transaction holding the token's OutstandingToken
    row (`select_for_update` on PostgreSQL; on SQLite the IMMEDIATE transactions of config/settings.py
    serialise writers): the first request mints the new pair, the others find the token blacklisted and get
    the 401 of any reused token, and change nothing. Reuse does not revoke the rest of the token's family."""

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
        user = get_user_model().objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first() if user_id else None
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account")
        if jwt_settings.CHECK_REVOKE_TOKEN and refresh.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
            user.password
        ):
            raise AuthenticationFailed(_("The password has changed since this token was issued."), "password_changed")
        if not (jwt_settings.ROTATE_REFRESH_TOKENS and jwt_settings.BLACKLIST_AFTER_ROTATION):
            return super().validate(attrs)
        data = {"access": str(refresh.access_token)}
        with transaction.atomic():
            spent, _created = refresh.outstand()  # normally there already, made when the token was minted
            OutstandingToken.objects.select_for_update().filter(pk=spent.pk).get()
            _blacklisted, first_use = BlacklistedToken.objects.get_or_create(token=spent)
            if not first_use:
                raise TokenError(_("Token is blacklisted"))
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            refresh.outstand()
        data["refresh"] = str(refresh)
        return data


class TokenVerifySerializer(RefuseUnknownFieldsMixin, jwt_serializers.TokenVerifySerializer):
    """simplejwt's verify, answering a blacklisted token with 401 like every other invalid token (not 400)."""

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            raise InvalidToken(_("Token is blacklisted")) from exc


class TokenBlacklistSerializer(RefuseUnknownFieldsMixin, jwt_serializers.TokenBlacklistSerializer):
    """The refresh token to blacklist (log out)."""


class UserSerializer(serializers.ModelSerializer):
    """An account as other users see it; nothing here is writable through the API."""

    full_name = serializers.SerializerMethodField()
    departments = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "full_name",
            "role",
            "language",
            "time_zone",
            "is_active",
            "departments",
        ]
        read_only_fields = fields

    def get_full_name(self, user: User) -> str:
        return user.get_full_name() or user.username

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_departments(self, user: User) -> list[int]:
        """Ids of the departments the user belongs to (prefetched by `department_groups()`)."""
        groups = getattr(user, "department_groups", None)
        if groups is None:
            groups = user.groups.filter(department__isnull=False).select_related("department").order_by("pk")
        return [group.department.pk for group in groups]
