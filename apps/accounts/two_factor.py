"""Two-factor authentication of staff: an authenticator app (TOTP) plus single-use recovery codes (django-otp).

Who: agents and admins (`is_staff`). With STAFF_2FA_REQUIRED on (the default in production) every back-office
page sends a staff member whose session has not passed a second factor to /admin/2fa/ (apps/accounts/middleware.py):
to set it up if they have no confirmed device yet, else to enter a code. Off, staff may turn it on themselves from
the user menu ("Two-factor authentication"). Portal pages never ask for it; the API's token endpoint asks staff
with a confirmed device for `otp` (apps/accounts/api/serializers.py).

What a person has: at most one confirmed TOTPDevice (the authenticator app; an unconfirmed one exists while
setting up) and one StaticDevice holding RECOVERY_CODE_COUNT recovery codes, each accepted once. A 6-digit code
is checked against the app, anything else against the recovery codes. django-otp keeps the verified device in
the session, so a person verifies once per session, and logging out forgets it.

Turning it on or off (by the person, or an admin's reset) and new recovery codes are recorded in the audit log.
Wrong codes count toward the log-in lockout (apps/accounts/throttling.py: second_factor_failed), on every way in,
so a stolen password does not let anyone guess the 6 digits; django-otp's own per-device delay applies too.
The secret is shown only on the set-up page (QR code drawn here as SVG, and as text) and never logged.
"""

import re
from base64 import b32encode
from io import BytesIO

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import Action
from apps.audit.services import SECRET_MASK, audit_record

from . import throttling
from .models import User
from .permissions import is_admin

RECOVERY_CODE_COUNT = 10
# The device names django-otp stores (shown nowhere but its own admin, which is not registered).
APP_DEVICE_NAME = "authenticator app"
RECOVERY_DEVICE_NAME = "recovery codes"

_TOTP_CODE = re.compile(r"\d{6}")


class SecondFactorLockedOut(Exception):
    """Too many failures for the account or the address: no code is checked until the window ends."""

    def __init__(self, *, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after  # seconds


# Reads --------------------------------------------------------------------------------------------------------------


def two_factor_required(user) -> bool:
    """Whether this account must pass a second factor before the back office (STAFF_2FA_REQUIRED, staff only)."""
    return bool(settings.STAFF_2FA_REQUIRED and user.is_authenticated and user.is_active and user.is_staff)


def app_device(user: User) -> TOTPDevice | None:
    """The account's confirmed authenticator app, if it has one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_two_factor(user: User) -> bool:
    """Whether the account has turned two-factor authentication on (a confirmed authenticator app)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes the account has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code, drawn on the server (no image leaves the site)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    out = BytesIO()
    image.save(out)
    # The <svg> element without the XML declaration, to embed in the page.
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


def manual_key(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan the code."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def normalise_code(code: str) -> str:
    """A code as people type it (spaces, dashes, capitals) in the form the devices store."""
    return re.sub(r"[\s-]", "", code or "").lower()


# Writes -------------------------------------------------------------------------------------------------------------


@transaction.atomic
def two_factor_setup_start(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator device to show on the set-up page (the one already started, or a new one).

    Reusing the started device keeps the QR code the person may already have scanned valid across reloads."""
    if has_two_factor(user):
        raise ValidationError(_("Two-factor authentication is already on for this account."))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def two_factor_setup_confirm(*, user: User, device: TOTPDevice, code: str, address: str) -> list[str]:
    """Confirm the authenticator app with a code it shows; returns the new recovery codes (shown once).

    A wrong code is a ValidationError and counts toward the lockout; a locked-out account gets
    SecondFactorLockedOut before the code is checked."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError(_("Start the set-up again."))
    _refuse_locked_out(user, address)
    code = normalise_code(code)
    # Verified in its own transaction, so that django-otp's throttle counter is saved even when the code is wrong.
    if not (_TOTP_CODE.fullmatch(code) and django_otp.verify_token(user, device.persistent_id, code)):
        throttling.second_factor_failed(username=user.get_username(), address=address)
        raise ValidationError(_("That code is not right. Check the time on your phone and try the newest code."))
    throttling.second_factor_succeeded(username=user.get_username())
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        audit_record(action=Action.UPDATED, obj=user, actor=user, changes={"two_factor": ["off", "on"]})
        return _replace_recovery_codes(user)


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """New recovery codes for an account with two-factor on; the old ones stop working."""
    if not has_two_factor(user):
        raise ValidationError(_("Turn on two-factor authentication first."))
    audit_record(action=Action.UPDATED, obj=user, actor=user, changes={"recovery_codes": [SECRET_MASK, SECRET_MASK]})
    return _replace_recovery_codes(user)


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        token = StaticToken.random_token()
        if token not in codes:
            codes.append(token)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=token) for token in codes])
    return codes


def two_factor_verify(*, user: User, code: str, address: str) -> Device:
    """Check a code (the app's 6 digits, or a recovery code, which is then used up) and return the device.

    A wrong code is a ValidationError and counts toward the log-in lockout; while the account or the address is
    locked out nothing is checked (SecondFactorLockedOut)."""
    _refuse_locked_out(user, address)
    device = _match(user, normalise_code(code))
    if device is None:
        throttling.second_factor_failed(username=user.get_username(), address=address)
        raise ValidationError(_("That code is not right."), code="otp_invalid")
    throttling.second_factor_succeeded(username=user.get_username())
    return device


def _refuse_locked_out(user: User, address: str) -> None:
    lockout = throttling.login_lockout(username=user.get_username(), address=address)
    if lockout is not None:
        raise SecondFactorLockedOut(retry_after=lockout.retry_after)


def _match(user: User, code: str) -> Device | None:
    if not code or len(code) > 16:
        return None
    model = TOTPDevice if _TOTP_CODE.fullmatch(code) else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True).order_by("pk"):
        # django-otp locks the device row while it checks (and uses up a recovery code).
        matched = django_otp.verify_token(user, device.persistent_id, code)
        if matched is not None:
            return matched
    return None


@transaction.atomic
def two_factor_remove(*, user: User, actor: User) -> None:
    """Turn two-factor off for an account: its authenticator app and recovery codes are deleted.

    `actor` is the account itself (after a right code: the caller checks it with two_factor_verify) or an admin
    resetting a lost phone. With STAFF_2FA_REQUIRED the person sets it up again at the next back-office page."""
    if actor.pk != user.pk and not is_admin(actor):
        raise PermissionDenied(_("Only admins can reset another account's two-factor authentication."))
    was_on = has_two_factor(user)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    if was_on:
        audit_record(action=Action.UPDATED, obj=user, actor=actor, changes={"two_factor": ["on", "off"]})
