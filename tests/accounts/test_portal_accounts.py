"""Portal accounts: log in and out, the log-in throttle, password reset, sign-up, profile, language and
time zone, and the error pages."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in
from django.core import mail
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.views.defaults import server_error

from apps.accounts.choices import Role
from apps.accounts.forms import ThrottledAdminAuthenticationForm
from apps.accounts.models import User
from apps.tickets import services
from apps.tickets.choices import Status
from apps.tickets.models import Ticket
from tests.accounts.factories import UserFactory
from tests.support import logged_in
from tests.tickets.factories import TicketFactory

LOGIN_URL = reverse("accounts:login")
LOGOUT_URL = reverse("accounts:logout")
PROFILE_URL = reverse("accounts:profile")
SIGNUP_URL = reverse("accounts:signup")
LIST_URL = reverse("portal:ticket_list")
DEMO_PASSWORD = "demo"  # every factory user's password


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def log_in(browser, username, attempt=DEMO_PASSWORD, **extra):
    return browser.post(LOGIN_URL, {"username": username, "password": attempt}, **extra)


def account_state(user) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (user.last_login, user.password, user.is_active)


# Log in and out ------------------------------------------------------------------------------------------------


def test_login_page_renders_with_labels_and_csrf(client):
    html = client.get(LOGIN_URL).content.decode()
    assert '<html lang="en"' in html
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'href="{reverse("accounts:password_reset")}"' in html
    assert SIGNUP_URL not in html  # sign-up is off by default


def test_requester_logs_in_and_lands_on_my_tickets(client, requester):
    response = log_in(client, "carol")
    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    assert client.get(LIST_URL).status_code == 200


def test_login_goes_back_to_the_page_asked_for(client, requester):
    response = client.post(
        f"{LOGIN_URL}?next=/notifications/", {"username": "carol", "password": "demo", "next": "/notifications/"}
    )
    assert response["Location"] == "/notifications/"


def test_login_refuses_a_foreign_next(client, requester):
    response = client.post(LOGIN_URL, {"username": "carol", "password": "demo", "next": "https://evil.example/"})
    assert response["Location"] == LIST_URL


def test_an_agent_logging_in_on_the_portal_lands_in_the_back_office(client, agent):
    assert log_in(client, "alice")["Location"] == LIST_URL
    assert client.get(LIST_URL)["Location"] == reverse("admin:index")


def test_wrong_password_is_refused(client, requester):
    response = log_in(client, "carol", "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_says_so(requester):
    browser = logged_in(requester)
    assert browser.get(LOGOUT_URL).status_code == 405
    response = browser.post(LOGOUT_URL, follow=True)
    assert response.redirect_chain == [(LOGIN_URL, 302)]
    assert "You have logged out." in response.content.decode()
    assert browser.get(LIST_URL).status_code == 302


# The log-in throttle -------------------------------------------------------------------------------------------


def test_an_account_is_locked_after_too_many_failures(client, requester, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 3
    for _ in range(3):
        log_in(client, "carol", "wrong")
    before = account_state(requester)

    # Even the right password is refused now, without being checked, and nothing about the account changes.
    response = log_in(client, "carol", "demo")

    assert response.status_code == 200
    assert "Too many failed attempts. Try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert account_state(requester) == before


def test_the_account_lock_holds_from_any_address(requester, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 2
    for address in ("10.0.0.1", "10.0.0.2"):
        log_in(Client(REMOTE_ADDR=address), "carol", "wrong", REMOTE_ADDR=address)

    response = log_in(Client(), "carol", REMOTE_ADDR="10.0.0.3")

    assert "Too many failed attempts." in response.content.decode()


def test_the_account_lock_ignores_the_case_of_the_user_name(client, requester, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 2
    log_in(client, "carol", "wrong")
    log_in(client, "CAROL", "wrong")
    assert "Too many failed attempts." in log_in(client, "Carol").content.decode()


def test_an_address_is_locked_after_too_many_failures_on_any_accounts(requester, other_requester, settings):
    settings.LOGIN_ATTEMPTS_ADDRESS_LIMIT = 3
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("nobody", "someone", "dave"):
        log_in(guesser, name, "wrong", REMOTE_ADDR="203.0.113.9")

    refused = log_in(guesser, "carol", "demo", REMOTE_ADDR="203.0.113.9")
    elsewhere = log_in(Client(), "carol", "demo", REMOTE_ADDR="198.51.100.7")

    assert "Too many failed attempts." in refused.content.decode()
    assert elsewhere.status_code == 302  # carol herself, from her own address, is not locked out


def test_a_forged_forwarded_header_does_not_escape_the_address_lock(requester, settings):
    settings.LOGIN_ATTEMPTS_ADDRESS_LIMIT = 2
    for n in range(2):
        log_in(Client(), f"guess{n}", "wrong", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")

    response = log_in(Client(), "carol", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.99")

    assert "Too many failed attempts." in response.content.decode()


def test_refused_attempts_do_not_extend_the_lock_nor_count(client, requester, settings, monkeypatch):
    settings.LOGIN_ATTEMPTS_LIMIT = 2
    settings.LOGIN_ATTEMPTS_WINDOW = 60
    clock = [1_000_000.0]
    monkeypatch.setattr("apps.accounts.throttling.time.time", lambda: clock[0])
    log_in(client, "carol", "wrong")
    log_in(client, "carol", "wrong")

    clock[0] += 30
    assert "Try again in 1 minute." in log_in(client, "carol", "wrong").content.decode()
    clock[0] += 31  # the window that began with the first failure is over
    assert log_in(client, "carol", "demo").status_code == 302


def test_a_successful_login_clears_the_accounts_failures(client, requester, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 3
    log_in(client, "carol", "wrong")
    log_in(client, "carol", "wrong")
    assert log_in(client, "carol", "demo").status_code == 302
    client.post(LOGOUT_URL)
    log_in(client, "carol", "wrong")
    log_in(client, "carol", "wrong")
    assert log_in(client, "carol", "demo").status_code == 302


def test_a_refused_attempt_sends_no_login_signals(client, requester, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 1
    log_in(client, "carol", "wrong")
    received = []

    def record(**kwargs):
        received.append(kwargs)

    user_logged_in.disconnect(update_last_login)
    user_logged_in.connect(record)
    try:
        log_in(client, "carol", "demo")
    finally:
        user_logged_in.disconnect(record)
        user_logged_in.connect(update_last_login)
    assert received == []


# Password reset ------------------------------------------------------------------------------------------------


def test_password_reset_by_email(client, requester):
    response = client.post(reverse("accounts:password_reset"), {"email": "CAROL@example.com"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carol@example.com"]
    assert message.subject == "Choose a new password for the Help Center"
    link = re.search(r"http://testserver(/password-reset/\S+/\S+/)", message.body).group(1)
    assert "Your user name is carol." in message.body

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "a-Long-new-secret-42", "new_password2": "a-Long-new-secret-42"})

    assert done["Location"] == reverse("accounts:password_reset_complete")
    requester.refresh_from_db()
    assert requester.check_password("a-Long-new-secret-42")


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, requester):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert mail.outbox == []


def test_password_reset_email_is_in_the_language_of_the_page(client, requester):
    client.cookies["django_language"] = "de"
    client.post(reverse("accounts:password_reset"), {"email": "carol@example.com"})
    assert mail.outbox[0].subject == "Neues Passwort für das Hilfe-Center wählen"


def test_password_change_from_the_profile(requester):
    browser = logged_in(requester)
    response = browser.post(
        reverse("accounts:password_change"),
        {"old_password": "demo", "new_password1": "a-Long-new-secret-42", "new_password2": "a-Long-new-secret-42"},
    )
    assert response["Location"] == PROFILE_URL
    requester.refresh_from_db()
    assert requester.check_password("a-Long-new-secret-42")


# Sign-up -------------------------------------------------------------------------------------------------------


SIGNUP = {
    "username": "erin",
    "email": "erin@example.com",
    "first_name": "Erin",
    "last_name": "Yilmaz",
    "password1": "a-Long-secret-42",
    "password2": "a-Long-secret-42",
}


def test_signup_is_off_by_default(client, db):
    assert client.get(SIGNUP_URL).status_code == 404
    assert client.post(SIGNUP_URL, SIGNUP).status_code == 404
    assert not User.objects.filter(username="erin").exists()


def test_signup_creates_a_requester_and_logs_it_in(client, db, settings):
    settings.PORTAL_SIGNUP_ENABLED = True
    assert SIGNUP_URL in client.get(LOGIN_URL).content.decode()
    client.cookies["django_language"] = "tr"

    response = client.post(SIGNUP_URL, SIGNUP)

    erin = User.objects.get(username="erin")
    assert response["Location"] == LIST_URL
    assert (erin.role, erin.is_staff, erin.email, erin.get_full_name(), erin.language) == (
        Role.REQUESTER,
        False,
        "erin@example.com",
        "Erin Yilmaz",
        "tr",
    )
    assert erin.check_password("a-Long-secret-42")
    assert client.get(LIST_URL).status_code == 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "CAROL@example.com"}, "email"),
        ({"username": "Carol"}, "username"),
        ({"password2": "something-else-42"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password1"),
        ({"email": "not-an-address"}, "email"),
    ],
)
def test_an_invalid_signup_saves_nothing(client, requester, settings, changes, field):
    settings.PORTAL_SIGNUP_ENABLED = True
    before = User.objects.count()

    response = client.post(SIGNUP_URL, {**SIGNUP, **changes})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == before


# Profile, language and time zone -------------------------------------------------------------------------------


def test_profile_edits_name_language_and_time_zone(requester):
    browser = logged_in(requester)
    page = browser.get(PROFILE_URL).content.decode()
    for field in ("first_name", "last_name", "language", "time_zone"):
        assert f'<label for="id_{field}">' in page
    assert 'id="notification-preferences"' in page

    response = browser.post(
        PROFILE_URL, {"first_name": "Caroline", "last_name": "Ng", "language": "de", "time_zone": "Europe/Berlin"}
    )

    requester.refresh_from_db()
    assert response["Location"] == PROFILE_URL
    assert (requester.first_name, requester.last_name, requester.language, requester.time_zone) == (
        "Caroline",
        "Ng",
        "de",
        "Europe/Berlin",
    )
    assert "Ihr Profil wurde gespeichert." in browser.get(PROFILE_URL).content.decode()


def test_an_invalid_profile_saves_nothing(requester):
    before = (requester.first_name, requester.language, requester.time_zone)
    response = logged_in(requester).post(PROFILE_URL, {"first_name": "", "language": "xx", "time_zone": "Mars/Olympus"})
    assert set(response.context["form"].errors) == {"first_name", "language", "time_zone"}
    requester.refresh_from_db()
    assert (requester.first_name, requester.language, requester.time_zone) == before


def test_pages_speak_the_users_language(requester):
    requester.language = "tr"
    requester.save(update_fields=["language"])
    html = logged_in(requester).get(LIST_URL).content.decode()
    assert '<html lang="tr"' in html
    assert "Taleplerim" in html


def test_the_language_switcher_changes_the_page_and_the_profile(requester):
    browser = logged_in(requester)
    response = browser.post(reverse("accounts:set_language"), {"language": "de", "next": LIST_URL})
    assert response["Location"] == LIST_URL
    requester.refresh_from_db()
    assert requester.language == "de"
    assert '<html lang="de"' in browser.get(LIST_URL).content.decode()


def test_the_language_switcher_works_for_visitors(client, db):
    client.post(reverse("accounts:set_language"), {"language": "tr", "next": LOGIN_URL})
    html = client.get(LOGIN_URL).content.decode()
    assert '<html lang="tr"' in html
    assert "Giriş yap" in html


def test_dates_are_shown_in_the_users_time_zone(requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=ZoneInfo("UTC"))
    Ticket.objects.filter(pk=ticket.pk).update(created_at=moment, updated_at=moment)
    requester.time_zone = "Asia/Tokyo"
    requester.save(update_fields=["time_zone"])

    html = logged_in(requester).get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()

    assert '<time datetime="2026-03-01T21:00:00+09:00">' in html


def test_the_time_zone_does_not_leak_out_of_the_request(requester):
    requester.time_zone = "Asia/Tokyo"
    requester.save(update_fields=["time_zone"])
    logged_in(requester).get(LIST_URL)

    assert timezone.get_current_timezone_name() == "UTC"


# CSRF ----------------------------------------------------------------------------------------------------------


def test_account_forms_need_the_csrf_token(requester, settings):
    settings.PORTAL_SIGNUP_ENABLED = True
    anonymous = Client(enforce_csrf_checks=True)
    member = Client(enforce_csrf_checks=True)
    member.force_login(requester)

    assert anonymous.post(LOGIN_URL, {"username": "carol", "password": "demo"}).status_code == 403
    assert anonymous.post(SIGNUP_URL, SIGNUP).status_code == 403
    assert anonymous.post(reverse("accounts:password_reset"), {"email": "carol@example.com"}).status_code == 403
    assert member.post(PROFILE_URL, {"first_name": "X", "language": "de", "time_zone": "UTC"}).status_code == 403
    assert member.post(reverse("accounts:set_language"), {"language": "de"}).status_code == 403
    assert member.post(LOGOUT_URL).status_code == 403
    assert mail.outbox == []
    requester.refresh_from_db()
    assert (requester.first_name != "X", requester.language) == (True, "en")
    assert not User.objects.filter(username="erin").exists()


def test_csrf_failure_page_is_friendly(requester):
    response = Client(enforce_csrf_checks=True).post(LOGIN_URL, {"username": "carol", "password": "demo"})
    assert response.status_code == 403
    assert "Your form has expired" in response.content.decode()


# Error pages ---------------------------------------------------------------------------------------------------


def test_404_page_is_in_the_portals_style(client, db):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "We could not find that page" in html
    assert "/static/portal/portal.css" in html


def test_403_page_is_in_the_portals_style(requester, it_dept, agent):
    ticket = TicketFactory(requester=requester, department=it_dept)
    services.ticket_transition(ticket=ticket, actor=agent, to_status=Status.OPEN)
    ticket = services.ticket_transition(ticket=ticket, actor=agent, to_status=Status.IN_PROGRESS)
    response = logged_in(requester).post(
        reverse("portal:ticket_transition", args=[ticket.pk]), {"to_status": "open", "version": ticket.version}
    )
    assert response.status_code == 403
    assert "You cannot do that" in response.content.decode()


@pytest.mark.parametrize("language", ["en", "tr", "de"])
def test_500_page_renders_without_a_request(language):
    with translation.override(language):
        html = render_to_string("500.html")
    assert f'<html lang="{language}">' in html
    assert "500" in html
    assert "portal.css" in html


def test_500_handler_uses_the_portal_page(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_every_agent_role_is_sent_away_from_the_profile(db):
    agent = UserFactory(role=Role.AGENT)
    assert logged_in(agent).get(PROFILE_URL)["Location"] == reverse("admin:index")


def test_the_same_throttle_is_ready_for_the_back_office_login(client, agent, settings):
    """The back office's log-in form is ThrottledAdminAuthenticationForm (apps/accounts/admin.py). Not patched in:
    pytest's monkeypatch would restore `admin.site` (a lazy object) by deleting the form from the site."""
    assert admin.site.login_form is ThrottledAdminAuthenticationForm
    settings.LOGIN_ATTEMPTS_LIMIT = 2
    admin_login = reverse("admin:login")
    failures = [client.post(admin_login, {"username": "alice", "password": "wrong"}) for _ in range(2)]

    response = client.post(admin_login, {"username": "alice", "password": DEMO_PASSWORD})

    assert "staff account" in failures[0].content.decode()  # the back office keeps its own wording

    assert "Too many failed attempts." in response.content.decode()
    assert "_auth_user_id" not in client.session
