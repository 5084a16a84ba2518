"""The two single sign-on pages: start at the provider (`authenticate`) and come back from it (`callback`).

Both are 404 while OIDC_ENABLED is off. The callback is behind the client address's log-in throttle
(accounts/throttling.py): while the address is locked out nothing is exchanged with the provider; a callback that
presents a code and does not sign anyone in counts as one failure for the address; a sign-on clears the account's
failures, as a right password does. A refusal goes back to the portal's log-in page with its reason. After a
sign-on: the safe `next` given to `authenticate` (checked by mozilla-django-oidc), else the back office for
agents and admins and the portal for requesters.
"""

import logging
import math

import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect, resolve_url
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .. import throttling
from . import provider

logger = logging.getLogger(__name__)


class SingleSignOnMixin:
    def dispatch(self, request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def _unavailable(request, exc: Exception):
    logger.warning("Single sign-on failed: %s", exc.__class__.__name__)
    messages.error(request, _("Single sign-on is not available right now. Try again later."))
    return redirect(settings.LOGIN_URL)


class AuthenticateView(SingleSignOnMixin, OIDCAuthenticationRequestView):
    """Send the browser to the provider, with a fresh state, nonce and PKCE challenge kept in the session."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the endpoint is read when used, not when the view is made

    OIDC_OP_AUTH_ENDPOINT = property(lambda self: provider.endpoint("OIDC_OP_AUTHORIZATION_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)

    def get(self, request):
        try:
            return super().get(request)
        except provider.ProviderUnavailable as exc:
            return _unavailable(request, exc)


class CallbackView(SingleSignOnMixin, OIDCAuthenticationCallbackView):
    """Check the state, exchange the code, sign the account in (apps/accounts/oidc/backend.py) or say why not."""

    def get(self, request):
        address = throttling.client_address(request)
        lockout = throttling.login_lockout(username="", address=address)
        if lockout is not None:
            minutes = math.ceil(lockout.retry_after / 60)
            messages.error(
                request,
                _("Too many failed attempts. Try again in %(minutes)s.")
                % {"minutes": ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}},
            )
            return redirect(settings.LOGIN_URL)
        try:
            return super().get(request)
        except (SuspiciousOperation, provider.ProviderUnavailable, requests.RequestException) as exc:
            # A forged or replayed state, a token that does not verify, an unreachable provider. The exception's
            # text can quote the provider's answer: only its class is logged.
            logger.warning("Single sign-on failed: %s", exc.__class__.__name__)
            return self.login_failure()

    def login_failure(self):
        request = self.request
        if "code" in request.GET:
            throttling.login_failed(username="", address=throttling.client_address(request))
        messages.error(
            request,
            getattr(request, "sso_refusal", None) or _("Single sign-on did not succeed. Try again, or ask for help."),
        )
        return redirect(settings.LOGIN_URL)

    def login_success(self):
        throttling.login_succeeded(username=self.user.get_username())
        return super().login_success()

    @property
    def success_url(self):
        next_url = self.request.session.get("oidc_login_next")
        if next_url:
            return next_url
        return resolve_url("admin:index" if self.user.is_staff else settings.LOGIN_REDIRECT_URL)
