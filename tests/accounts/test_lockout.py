"""One lockout per account for every way in: the portal log-in, the back-office log-in and `POST /api/token/`.

Failures on any of them count toward the same per-account and per-address counters (apps/accounts/throttling.py);
a locked account gets no session and no tokens, even with the right password, and the refusal changes nothing.
"""

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.accounts.models import User

OBTAIN = "/api/token/"
PORTAL_LOGIN = reverse("accounts:login")
ADMIN_LOGIN = reverse("admin:login")


def token_attempt(username, password, address="192.0.2.1"):
    return APIClient().post(OBTAIN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


def portal_attempt(username, password, address="192.0.2.1"):
    return Client().post(PORTAL_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def account_state(user) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (user.last_login, user.password, user.is_active, OutstandingToken.objects.filter(user=user).count())


def test_a_portal_lockout_holds_on_the_token_endpoint(agent, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 5
    for n in range(5):
        portal_attempt("alice", f"wrong-{n}")
    before = account_state(agent)

    response = token_attempt("alice", "demo", address="198.51.100.7")

    assert response.status_code == 429
    assert set(response.json()) == {"type", "title", "status", "detail", "code"}
    assert "access" not in response.json()
    assert int(response["Retry-After"]) > 0
    assert account_state(agent) == before


def test_token_failures_spread_over_addresses_lock_the_account(agent, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 5
    # Under the per-address API throttle (10/minute) each time: only the account's counter can stop this.
    codes = [token_attempt("alice", f"wrong-{n}", address=f"203.0.113.{n}").status_code for n in range(5)]
    before = account_state(agent)

    refused = token_attempt("alice", "demo", address="203.0.113.99")

    assert codes == [401] * 5
    assert refused.status_code == 429
    assert account_state(agent) == before


def test_token_failures_lock_the_portal_and_the_back_office(agent, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 3
    for n in range(3):
        token_attempt("ALICE", f"wrong-{n}", address=f"203.0.113.{n}")

    portal = portal_attempt("alice", "demo", address="198.51.100.7")
    browser = Client()
    back_office = browser.post(ADMIN_LOGIN, {"username": "alice", "password": "demo"}, REMOTE_ADDR="198.51.100.8")

    assert "Too many failed attempts." in portal.content.decode()
    assert "Too many failed attempts." in back_office.content.decode()
    assert "_auth_user_id" not in browser.session


def test_the_address_limit_holds_on_the_token_endpoint(agent, requester, settings):
    settings.LOGIN_ATTEMPTS_ADDRESS_LIMIT = 3
    for name in ("nobody", "someone", "dave"):
        portal_attempt(name, "wrong", address="203.0.113.9")

    assert token_attempt("carol", "demo", address="203.0.113.9").status_code == 429
    assert token_attempt("carol", "demo", address="198.51.100.7").status_code == 200


def test_refused_token_attempts_do_not_count_nor_extend_the_lock(agent, settings, monkeypatch):
    settings.LOGIN_ATTEMPTS_LIMIT = 2
    settings.LOGIN_ATTEMPTS_WINDOW = 60
    clock = [1_000_000.0]
    monkeypatch.setattr("apps.accounts.throttling.time.time", lambda: clock[0])
    token_attempt("alice", "wrong-1")
    token_attempt("alice", "wrong-2")

    clock[0] += 30
    assert token_attempt("alice", "wrong-3").status_code == 429
    clock[0] += 31  # the window that began with the first failure is over
    assert token_attempt("alice", "demo").status_code == 200


def test_a_token_success_clears_the_accounts_failures(agent, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 3
    token_attempt("alice", "wrong-1")
    token_attempt("alice", "wrong-2")
    assert token_attempt("alice", "demo").status_code == 200
    token_attempt("alice", "wrong-3")
    token_attempt("alice", "wrong-4")
    assert token_attempt("alice", "demo").status_code == 200
