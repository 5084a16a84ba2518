"""The back office's two-factor pages at /admin/2fa/ (in the admin site: its log-in, look and security headers).

- /admin/2fa/          enter a code (the app's or a recovery code), then back to `next`; without a confirmed
                       device it sends the person to the set-up page.
- /admin/2fa/setup/    QR code (inline SVG) and the secret as text; a right code confirms the app, verifies the
                       session and shows the 10 recovery codes once.
- /admin/2fa/manage/   status, new recovery codes, turning it off (with a code); "Two-factor authentication" in
                       the user menu (`account_links`).

Every page is an admin view (staff only, CSRF, never cached) and answers `Cache-Control: no-store`; the writes
are the services of apps/accounts/two_factor.py. `next` is only followed when it stays on this site.
"""

import math

import django_otp
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp.plugins.otp_static.models import StaticDevice

from . import two_factor
from .forms import TwoFactorCodeForm
from .throttling import client_address


def account_links(request: HttpRequest) -> list[dict]:
    """The back office's user menu (UNFOLD["ACCOUNT"]): change password (as unfold shows by default) and 2FA."""
    if not request.user.is_authenticated:
        return []
    links = []
    if request.user.has_usable_password():
        links.append({"title": gettext_lazy("Change password"), "link": reverse("admin:password_change")})
    links.append({"title": gettext_lazy("Two-factor authentication"), "link": reverse("admin:two_factor_manage")})
    return links


def urls() -> list:
    """The pages, added to the admin site's URLs (admin.site.extra_urls, set in apps/accounts/admin.py)."""
    site = admin.site
    return [
        path("2fa/", site.admin_view(verify), name="two_factor"),
        path("2fa/setup/", site.admin_view(setup), name="two_factor_setup"),
        path("2fa/manage/", site.admin_view(manage), name="two_factor_manage"),
    ]


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def _with_next(url_name: str, request: HttpRequest) -> str:
    return f"{reverse(url_name)}?{urlencode({REDIRECT_FIELD_NAME: _next_url(request)})}"


def _render(request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
    response = TemplateResponse(
        request,
        template,
        {
            **admin.site.each_context(request),
            "title": title,
            "next": _next_url(request),
            "redirect_field_name": REDIRECT_FIELD_NAME,
            **context,
        },
    )
    # The set-up page holds the secret and the recovery-code page the codes: never kept by a browser or proxy.
    response["Cache-Control"] = "no-store, private"
    return response


def _locked_out_message(exc: two_factor.SecondFactorLockedOut) -> str:
    minutes = math.ceil(exc.retry_after / 60)
    return _("Too many failed attempts. Try again in %(minutes)s.") % {
        "minutes": ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    }


def _verified(request: HttpRequest, device) -> None:
    """Mark the session as having passed the second factor (a new session key: the privilege changed)."""
    request.session.cycle_key()
    django_otp.login(request, device)


def verify(request: HttpRequest) -> HttpResponse:
    """Enter a code to unlock the back office for this session."""
    if not two_factor.has_two_factor(request.user):
        return HttpResponseRedirect(_with_next("admin:two_factor_setup", request))
    if request.user.is_verified():
        return HttpResponseRedirect(_next_url(request))
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.two_factor_verify(
                user=request.user, code=form.cleaned_data["code"], address=client_address(request)
            )
        except two_factor.SecondFactorLockedOut as exc:
            form.add_error("code", _locked_out_message(exc))
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            _verified(request, device)
            if isinstance(device, StaticDevice):
                left = two_factor.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code: %(count)d is left. Make new ones from Two-factor authentication.",
                        "You used a recovery code: %(count)d are left. Make new ones from Two-factor authentication.",
                        left,
                    )
                    % {"count": left},
                )
            return HttpResponseRedirect(_next_url(request))
    return _render(request, "admin/accounts/two_factor/verify.html", _("Two-factor authentication"), form=form)


def setup(request: HttpRequest) -> HttpResponse:
    """Connect an authenticator app: scan or type the secret, confirm with a code, get the recovery codes."""
    if two_factor.has_two_factor(request.user):
        return HttpResponseRedirect(reverse("admin:two_factor_manage"))
    device = two_factor.two_factor_setup_start(user=request.user)
    form = TwoFactorCodeForm(request.POST or None)
    form.fields["code"].help_text = _("The 6-digit code your authenticator app shows for this site.")
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.two_factor_setup_confirm(
                user=request.user, device=device, code=form.cleaned_data["code"], address=client_address(request)
            )
        except two_factor.SecondFactorLockedOut as exc:
            form.add_error("code", _locked_out_message(exc))
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            _verified(request, device)
            return _render(
                request,
                "admin/accounts/two_factor/recovery_codes.html",
                _("Your recovery codes"),
                codes=codes,
                first_time=True,
            )
    return _render(
        request,
        "admin/accounts/two_factor/setup.html",
        _("Set up two-factor authentication"),
        form=form,
        qr_code=two_factor.qr_code_svg(device),
        secret=two_factor.manual_key(device),
        required=two_factor.two_factor_required(request.user),
    )


def manage(request: HttpRequest) -> HttpResponse:
    """Status, new recovery codes, and turning two-factor off (with a code)."""
    user = request.user
    enabled = two_factor.has_two_factor(user)
    if enabled and not user.is_verified():
        # Changing the second factor needs a session that has passed it.
        return HttpResponseRedirect(f"{reverse('admin:two_factor')}?{urlencode({REDIRECT_FIELD_NAME: request.path})}")
    form = TwoFactorCodeForm(request.POST or None) if request.POST.get("action") == "remove" else TwoFactorCodeForm()
    if request.method == "POST" and enabled:
        action = request.POST.get("action")
        if action == "regenerate":
            codes = two_factor.recovery_codes_regenerate(user=user)
            return _render(
                request, "admin/accounts/two_factor/recovery_codes.html", _("Your recovery codes"), codes=codes
            )
        if action == "remove" and form.is_valid():
            try:
                two_factor.two_factor_verify(user=user, code=form.cleaned_data["code"], address=client_address(request))
            except two_factor.SecondFactorLockedOut as exc:
                form.add_error("code", _locked_out_message(exc))
            except ValidationError as exc:
                form.add_error("code", exc)
            else:
                two_factor.two_factor_remove(user=user, actor=user)
                messages.success(request, _("Two-factor authentication is off for your account."))
                return HttpResponseRedirect(reverse("admin:two_factor_manage"))
    return _render(
        request,
        "admin/accounts/two_factor/manage.html",
        _("Two-factor authentication"),
        form=form,
        enabled=enabled,
        codes_left=two_factor.recovery_codes_left(user) if enabled else 0,
        required=two_factor.two_factor_required(user),
    )
