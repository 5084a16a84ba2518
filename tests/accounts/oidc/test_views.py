"""The single sign-on pages without a browser: off means 404 and no button; the start page's redirect (state, nonce,
PKCE) from the lazily fetched discovery document; the callback's refusals, throttle and landing pages."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user
from django.contrib.messages import get_messages
from django.test import Client

from apps.accounts import throttling
from apps.accounts.oidc import provider
from apps.accounts.oidc.backend import OIDCBackend
from tests.support import db_state

from .conftest import ISSUER

pytestmark = pytest.mark.django_db

DISCOVERY = {
    "issuer": ISSUER,
    "authorization_endpoint": f"{ISSUER}/auth",
    "token_endpoint": f"{ISSUER}/token",
    "userinfo_endpoint": f"{ISSUER}/me",
    "jwks_uri": f"{ISSUER}/jwks",
}


class FakeResponse:
    def __init__(self, document):
        self.document = document

    def raise_for_status(self):
        pass

    def json(self):
        return self.document


@pytest.fixture
def discovery(monkeypatch):
    """The provider's discovery document; `discovery.fetched` lists the URLs fetched."""

    class Discovery:
        document = dict(DISCOVERY)
        fetched: list[str] = []

    def get(url, timeout):
        assert timeout == 10
        Discovery.fetched.append(url)
        return FakeResponse(Discovery.document)

    monkeypatch.setattr(provider.requests, "get", get)
    return Discovery


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# Off ----------------------------------------------------------------------------------------------------------------


def test_while_off_the_pages_are_404_and_there_is_no_button(client, settings):
    assert settings.OIDC_ENABLED is False  # the default
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=a&state=b").status_code == 404
    assert b"single sign-on" not in client.get("/login/").content
    assert b"single sign-on" not in client.get("/admin/login/").content


def test_when_on_both_log_in_pages_show_the_button_with_next(client, sso):
    portal = client.get("/login/?next=/tickets/new/").content.decode()
    assert 'href="/oidc/authenticate/?next=%2Ftickets%2Fnew%2F">Sign in with single sign-on</a>' in portal

    back_office = client.get("/admin/login/?next=/admin/tickets/").content.decode()
    assert 'href="/oidc/authenticate/?next=%2Fadmin%2Ftickets%2F"' in back_office
    assert "Sign in with single sign-on" in back_office


def test_the_button_label_is_a_setting(client, sso):
    sso.OIDC_LOGIN_LABEL = "Sign in with Contoso ID"
    assert b">Sign in with Contoso ID</a>" in client.get("/login/").content


# Discovery and the start page -----------------------------------------------------------------------------------------


def test_the_start_page_sends_to_the_discovered_endpoint_with_state_nonce_and_pkce(client, sso, discovery):
    response = client.get("/oidc/authenticate/?next=/tickets/")

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{ISSUER}/auth"
    query = {name: values[0] for name, values in parse_qs(target.query).items()}
    assert query["client_id"] == "ticket-system"
    assert query["response_type"] == "code"
    assert query["scope"] == "openid email profile"
    assert query["redirect_uri"] == "http://testserver/oidc/callback/"
    assert query["code_challenge_method"] == "S256"
    stored = client.session["oidc_states"][query["state"]]
    assert stored["nonce"] == query["nonce"]
    assert len(stored["code_verifier"]) == 64
    assert client.session["oidc_login_next"] == "/tickets/"
    assert discovery.fetched == [f"{ISSUER}/.well-known/openid-configuration"]

    client.get("/oidc/authenticate/")
    assert len(discovery.fetched) == 1  # cached


def test_an_unsafe_next_is_dropped(client, sso, discovery):
    client.get("/oidc/authenticate/?next=https://evil.example/")
    assert client.session["oidc_login_next"] is None


def test_nothing_is_fetched_before_it_is_needed(client, sso, discovery, requester):
    client.force_login(requester)
    client.get("/login/")
    OIDCBackend()
    assert discovery.fetched == []


def test_explicit_endpoints_override_the_discovery_document(client, sso, discovery):
    sso.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://login.example/authorize"
    response = client.get("/oidc/authenticate/")
    assert response["Location"].startswith("https://login.example/authorize?")
    assert discovery.fetched == []


def test_a_discovery_document_of_another_issuer_is_refused(client, sso, discovery):
    discovery.document = {**DISCOVERY, "issuer": "http://evil.example"}
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert messages_of(response) == ["Single sign-on is not available right now. Try again later."]


def test_an_unreachable_provider_is_a_message_not_an_error(client, sso, monkeypatch):
    def down(url, timeout):
        raise requests.ConnectionError("refused")

    monkeypatch.setattr(provider.requests, "get", down)
    response = client.get("/oidc/authenticate/")
    assert response["Location"] == "/login/"
    assert messages_of(response) == ["Single sign-on is not available right now. Try again later."]


# The callback -----------------------------------------------------------------------------------------------------


def started(client) -> str:
    """Start a sign-on (as the button does) and return its state."""
    location = client.get("/oidc/authenticate/")["Location"]
    return parse_qs(urlsplit(location).query)["state"][0]


@pytest.fixture
def provider_says(monkeypatch):
    """Make the code exchange return `user`, or run `refuse(request)` (the backend's refusal), without a provider."""

    def configure(user=None, refusal=None):
        def authenticate(self, request, **kwargs):
            if "nonce" not in kwargs:
                return None
            assert kwargs["nonce"] and kwargs["code_verifier"]
            if refusal:
                request.sso_refusal = refusal
                return None
            user.backend = "apps.accounts.oidc.backend.OIDCBackend"
            return user

        monkeypatch.setattr(OIDCBackend, "authenticate", authenticate)

    return configure


def test_a_forged_state_signs_no_one_in_and_counts_a_failure(client, sso, discovery, requester, provider_says):
    provider_says(user=requester)
    started(client)
    before = db_state()

    response = client.get("/oidc/callback/?code=abc&state=forged")

    assert response["Location"] == "/login/"
    assert messages_of(response) == ["Single sign-on did not succeed. Try again, or ask for help."]
    assert not get_user(client).is_authenticated
    assert db_state() == before


def test_a_callback_without_a_started_sign_on_is_refused(client, sso, requester, provider_says):
    provider_says(user=requester)
    response = client.get("/oidc/callback/?code=abc&state=xyz")
    assert response["Location"] == "/login/"
    assert not get_user(client).is_authenticated


def test_a_refusal_shows_its_reason(client, sso, discovery, provider_says):
    provider_says(refusal="Your identity provider has not verified your e-mail address.")
    state = started(client)

    response = client.get(f"/oidc/callback/?code=abc&state={state}")

    assert response["Location"] == "/login/"
    assert messages_of(response) == ["Your identity provider has not verified your e-mail address."]
    assert not get_user(client).is_authenticated


def test_a_state_is_good_for_one_callback_only(client, sso, discovery, requester, provider_says):
    provider_says(user=requester)
    state = started(client)
    assert client.get(f"/oidc/callback/?code=abc&state={state}")["Location"] == "/"
    client.logout()

    response = client.get(f"/oidc/callback/?code=abc&state={state}")
    assert response["Location"] == "/login/"
    assert not get_user(client).is_authenticated


def test_staff_land_in_the_back_office_and_requesters_in_the_portal(sso, discovery, agent, requester, provider_says):
    for user, landing in ((agent, "/admin/"), (requester, "/")):
        browser = Client()
        provider_says(user=user)
        state = started(browser)
        response = browser.get(f"/oidc/callback/?code=abc&state={state}")
        assert response["Location"] == landing
        assert get_user(browser) == user


def test_a_safe_next_wins(client, sso, discovery, agent, provider_says):
    provider_says(user=agent)
    location = client.get("/oidc/authenticate/?next=/admin/tickets/ticket/")["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]

    assert client.get(f"/oidc/callback/?code=abc&state={state}")["Location"] == "/admin/tickets/ticket/"


def test_the_callback_is_behind_the_address_throttle(client, sso, discovery, requester, provider_says, monkeypatch):
    sso.LOGIN_ATTEMPTS_ADDRESS_LIMIT = 2
    provider_says(refusal="No.")
    for _attempt in range(2):
        state = started(client)
        client.get(f"/oidc/callback/?code=abc&state={state}")

    monkeypatch.setattr(OIDCBackend, "authenticate", lambda self, request, **kwargs: pytest.fail("not throttled"))
    state = started(client)
    response = client.get(f"/oidc/callback/?code=abc&state={state}")
    assert response["Location"] == "/login/"
    assert messages_of(response)[-1] == "Too many failed attempts. Try again in 15 minutes."


def test_a_sign_on_clears_the_accounts_password_failures(client, sso, discovery, requester, provider_says):
    for _attempt in range(3):
        throttling.login_failed(username="carol", address="10.0.0.1")
    sso.LOGIN_ATTEMPTS_LIMIT = 3
    assert throttling.login_lockout(username="carol", address="10.0.0.2") is not None

    provider_says(user=requester)
    state = started(client)
    client.get(f"/oidc/callback/?code=abc&state={state}")

    assert throttling.login_lockout(username="carol", address="10.0.0.2") is None


def test_a_cancelled_sign_on_is_not_counted(client, sso, discovery):
    sso.LOGIN_ATTEMPTS_ADDRESS_LIMIT = 1
    state = started(client)
    response = client.get(f"/oidc/callback/?error=access_denied&state={state}")
    assert response["Location"] == "/login/"
    assert throttling.login_lockout(username="", address="127.0.0.1") is None


# Settings checks --------------------------------------------------------------------------------------------------


def test_the_settings_are_checked_only_when_on(settings):
    from apps.accounts.oidc.checks import check_single_sign_on

    assert check_single_sign_on() == []

    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = ""
    settings.OIDC_RP_CLIENT_ID = ""
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    settings.OIDC_ROLE_MAP = {"helpdesk-admins": "adminn", "staff": "agent", "all": "requester"}
    assert [error.id for error in check_single_sign_on()] == [
        "accounts.E101",
        "accounts.E102",
        "accounts.E103",
        "accounts.E104",
    ]


def test_a_complete_configuration_passes_the_checks(sso):
    from apps.accounts.oidc.checks import check_single_sign_on

    assert check_single_sign_on() == []
