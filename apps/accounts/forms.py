"""Forms for accounts: log-in (throttled), sign-up, the profile, and the back office's second-factor code."""

import math

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UsernameField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.forms import AuthenticationForm as UnfoldAuthenticationForm
from unfold.widgets import UnfoldAdminTextInputWidget

from . import throttling
from .choices import Role
from .models import User, time_zone_choices
from .services import user_create, user_update


class ThrottledLoginMixin:
    """Refuse a log-in while the account or the address is locked out, and count failures.

    A refused attempt never reaches the authentication backends: the password is not checked, nothing is
    counted, no signal is sent and the account is not touched.
    """

    throttled_message = _("Too many failed attempts. Try again in %(minutes)s.")

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = throttling.client_address(self.request) if self.request else "unknown"
        lockout = throttling.login_lockout(username=username, address=address)
        if lockout is not None:
            minutes = math.ceil(lockout.retry_after / 60)
            raise ValidationError(
                self.throttled_message,
                code="throttled",
                params={"minutes": ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            if username and self.cleaned_data.get("password"):
                throttling.login_failed(username=username, address=address)
            raise
        throttling.login_succeeded(username=username)
        return cleaned


class StaffPasswordHintMixin:
    """While STAFF_PASSWORD_LOGIN is off, a refused log-in says that agents and admins use single sign-on.

    Everyone gets the same message (a wrong password, or an agent's right one: apps/accounts/backends.py), so it
    tells nothing about the account or the password.
    """

    def get_invalid_login_error(self):
        if settings.STAFF_PASSWORD_LOGIN:
            return super().get_invalid_login_error()
        return ValidationError(
            _(
                "Enter a correct user name and password. Agents and admins cannot log in with a password here: "
                "they sign in with single sign-on."
            ),
            code="invalid_login",
        )


class LoginForm(StaffPasswordHintMixin, ThrottledLoginMixin, AuthenticationForm):
    """The portal's log-in form."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class ThrottledAdminAuthenticationForm(StaffPasswordHintMixin, ThrottledLoginMixin, UnfoldAuthenticationForm):
    """The back office's log-in form with the same throttle (set as admin.site.login_form).

    Built on unfold's admin log-in form (Django's AdminAuthenticationForm with unfold's input styling): Django's
    plain widgets render as unstyled boxes that cannot be seen on unfold's log-in page.
    """


class AccountPasswordResetForm(PasswordResetForm):
    """Django's reset form, which also reaches accounts that never had a password.

    Accounts made for people by the site (a CSV import's requesters, a new sender of the e-mail channel, single
    sign-on) have an unusable password, and "forgot password" is how they set their first one; Django's own form
    sends nothing to them. Proving control of the address is what the reset link checks either way.
    """

    def get_users(self, email):
        return (
            user
            for user in User._default_manager.filter(email__iexact=email, is_active=True)
            if user.email.casefold() == email.casefold()
        )


class SignupForm(forms.Form):
    """Self sign-up for requesters (only when PORTAL_SIGNUP_ENABLED is on)."""

    username = UsernameField(
        label=_("User name"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only. You log in with it."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send updates about your tickets and password resets here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, language: str = "en", time_zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.language = language
        self.time_zone = time_zone
        self.user = None

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This user name is taken. Choose another one."))
        return username

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            candidate = User(
                username=cleaned.get("username", ""),
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned

    def save(self) -> User:
        data = self.cleaned_data
        try:
            self.user = user_create(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                role=Role.REQUESTER,
                first_name=data["first_name"],
                last_name=data.get("last_name", ""),
                language=self.language,
                time_zone=self.time_zone,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
            return None
        return self.user


class ProfileForm(forms.Form):
    """What a requester can change about themselves: name, language and time zone."""

    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Dates and times are shown in this time zone."),
    )

    def __init__(self, *args, user: User, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
                "time_zone": user.time_zone,
            },
        )
        super().__init__(*args, **kwargs)
        self.user = user

    def save(self) -> User | None:
        changes = {f: v for f, v in self.cleaned_data.items() if getattr(self.user, f) != v}
        if not changes:
            return self.user
        try:
            return user_update(user=self.user, **changes)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
            return None


class TwoFactorCodeForm(forms.Form):
    """A second-factor code: the authenticator app's 6 digits or a recovery code (checked in accounts/two_factor.py)."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code your authenticator app shows, or one of your recovery codes."),
        widget=UnfoldAdminTextInputWidget(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
    )
