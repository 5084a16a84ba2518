"""Portal pages for accounts: log in and out, password reset and change, sign-up, profile, language."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import throttling
from .forms import AccountPasswordResetForm, LoginForm, ProfileForm, SignupForm
from .services import user_update


class LoginView(auth_views.LoginView):
    """Log in to the portal; agents and admins land in the back office (the portal's home sends them)."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, signup_enabled=settings.PORTAL_SIGNUP_ENABLED)


class LogoutView(auth_views.LogoutView):
    """Log out (POST only, as in Django) and say so on the log-in page."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You have logged out."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail, limited per e-mail address and per client (accounts/throttling.py).

    Past a limit nothing is sent and the answer is the usual "check your e-mail" page: the same as for an
    address with no account, so neither the limit nor the answer tells whether an account exists.
    """

    template_name = "accounts/password_reset_form.html"
    form_class = AccountPasswordResetForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        allowed = throttling.password_reset_allowed(
            email=form.cleaned_data["email"], address=throttling.client_address(self.request)
        )
        if not allowed:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


def signup(request: HttpRequest) -> HttpResponse:
    """Create a requester account and log it in (a 404 unless PORTAL_SIGNUP_ENABLED is on)."""
    if not settings.PORTAL_SIGNUP_ENABLED:
        raise Http404
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(
        request.POST or None,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        time_zone=settings.TIME_ZONE,
    )
    if request.method == "POST" and form.is_valid():
        user = form.save()
        if user is not None:
            login(request, user, backend="apps.accounts.backends.PasswordBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Name, language and time zone; notification preferences come with the notifications."""
    if request.user.is_staff:
        return redirect("admin:index")
    form = ProfileForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        translation.activate(request.user.language)
        messages.success(request, _("Your profile has been saved."))
        response = redirect("accounts:profile")
        _remember_language(response, request.user.language)
        return response
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language, which also stores the choice in a logged-in user's profile.

    Logged-in users get their profile's language on every request (UserPreferencesMiddleware), so the
    cookie alone would not change anything for them.
    """
    code = request.POST.get("language", "")
    if request.user.is_authenticated and code in dict(settings.LANGUAGES) and code != request.user.language:
        try:
            user_update(user=request.user, language=code)
        except ValidationError:
            # Another field of the profile no longer validates (say, a time zone the machine lost): the cookie
            # still switches the language for this browser; the profile page shows what to fix.
            request.user.refresh_from_db()
    return set_language(request)


def _remember_language(response: HttpResponse, code: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
