"""STAFF_PASSWORD_LOGIN=false: agents and admins cannot log in with a password anywhere (portal, back office,
`POST /api/token/`), with the answer of a wrong password whether theirs was right or not; requesters still can."""

import pytest
from django.contrib.auth import get_user
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.accounts.models import User

REFUSAL = (
    "Enter a correct user name and password. Agents and admins cannot log in with a password here: they sign in "
    "with single sign-on."
)


@pytest.fixture
def no_staff_passwords(settings):
    settings.STAFF_PASSWORD_LOGIN = False
    return settings


def account_state(user) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (user.last_login, user.password, user.is_active, OutstandingToken.objects.filter(user=user).count())


def form_errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


@pytest.mark.parametrize("password", ["demo", "wrong"])
def test_the_portal_refuses_staff_passwords_the_same_way_right_or_wrong(
    no_staff_passwords, agent, admin_user, password
):
    for user in (agent, admin_user):
        before = account_state(user)
        browser = Client()
        response = browser.post("/login/", {"username": user.username, "password": password})
        assert response.status_code == 200
        assert form_errors(response) == [REFUSAL]
        assert not get_user(browser).is_authenticated
        assert account_state(user) == before


def test_a_wrong_requester_password_gets_the_same_message(no_staff_passwords, requester):
    response = Client().post("/login/", {"username": "carol", "password": "wrong"})
    assert form_errors(response) == [REFUSAL]


@pytest.mark.parametrize("password", ["demo", "wrong"])
def test_the_back_office_refuses_staff_passwords(no_staff_passwords, agent, password):
    before = account_state(agent)
    browser = Client()
    response = browser.post("/admin/login/", {"username": "alice", "password": password})
    assert response.status_code == 200
    assert form_errors(response) == [REFUSAL]
    assert not get_user(browser).is_authenticated
    assert account_state(agent) == before


@pytest.mark.parametrize("password", ["demo", "wrong"])
def test_the_token_endpoint_refuses_staff_passwords_with_401(no_staff_passwords, agent, admin_user, password):
    for user in (agent, admin_user):
        before = account_state(user)
        response = APIClient().post("/api/token/", {"username": user.username, "password": password}, format="json")
        assert response.status_code == 401
        assert response.json()["detail"] == "No active account found with the given credentials"
        assert account_state(user) == before


def test_requesters_keep_their_passwords(no_staff_passwords, requester):
    browser = Client()
    response = browser.post("/login/", {"username": "carol", "password": "demo"})
    assert response.status_code == 302
    assert get_user(browser) == requester

    tokens = APIClient().post("/api/token/", {"username": "carol", "password": "demo"}, format="json")
    assert tokens.status_code == 200
    assert set(tokens.json()) == {"access", "refresh"}


def test_staff_refusals_count_toward_the_lockout_like_wrong_passwords(no_staff_passwords, agent):
    no_staff_passwords.LOGIN_ATTEMPTS_LIMIT = 2
    for _attempt in range(2):
        Client().post("/login/", {"username": "alice", "password": "demo"})
    response = Client().post("/login/", {"username": "alice", "password": "demo"})
    assert form_errors(response) == ["Too many failed attempts. Try again in 15 minutes."]


def test_staff_passwords_work_by_default(settings, agent):
    assert settings.STAFF_PASSWORD_LOGIN is True
    browser = Client()
    assert browser.post("/admin/login/", {"username": "alice", "password": "demo"}).status_code == 302
    assert get_user(browser) == agent
    assert APIClient().post("/api/token/", {"username": "alice", "password": "demo"}, format="json").status_code == 200
