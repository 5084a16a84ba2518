"""JWT: obtaining, rotating and revoking tokens; every kind of bad token is a 401; token endpoints throttle."""

import datetime as dt
import json

import jwt
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.accounts.models import User
from tests.support import jwt_client, reset_throttles, run_at_once

OBTAIN = "/api/token/"
REFRESH = "/api/token/refresh/"
BLACKLIST = "/api/token/blacklist/"
VERIFY = "/api/token/verify/"
ME = "/api/users/me/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


def bearer(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def obtain(user, password="demo") -> dict:  # noqa: S107 - the factories' demo password
    response = APIClient().post(OBTAIN, {"username": user.username, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_obtain_a_pair_and_use_the_access_token(agent):
    assert agent.last_login is None
    tokens = obtain(agent)
    assert set(tokens) == {"access", "refresh"}
    response = bearer(tokens["access"]).get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    agent.refresh_from_db()
    assert agent.last_login is not None


def test_access_tokens_live_15_minutes_by_default(agent):
    access = AccessToken(obtain(agent)["access"])
    assert access["exp"] - access["iat"] == 15 * 60


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong"), ("nobody", "demo"), ("alice", ""), ("", "")])
def test_bad_credentials_are_refused(agent, username, password):
    response = APIClient().post(OBTAIN, {"username": username, "password": password}, format="json")
    assert response.status_code in (400, 401)
    assert "access" not in response.json()


def test_an_inactive_account_gets_no_token(agent):
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    response = APIClient().post(OBTAIN, {"username": "alice", "password": "demo"}, format="json")
    assert response.status_code == 401


def test_refresh_rotates_and_the_old_refresh_token_is_refused(agent):
    first = obtain(agent)
    response = APIClient().post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert response.status_code == 200
    second = response.json()
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    assert bearer(second["access"]).get(ME).status_code == 200
    again = APIClient().post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"
    assert APIClient().post(REFRESH, {"refresh": second["refresh"]}, format="json").status_code == 200


def test_a_reused_refresh_token_is_a_401_and_mints_nothing(agent):
    first = obtain(agent)
    assert APIClient().post(REFRESH, {"refresh": first["refresh"]}, format="json").status_code == 200
    outstanding, blacklisted = OutstandingToken.objects.count(), BlacklistedToken.objects.count()
    again = APIClient().post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"
    assert (OutstandingToken.objects.count(), BlacklistedToken.objects.count()) == (outstanding, blacklisted)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_refreshes_with_one_token_let_exactly_one_win(agent):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")
    refresh = obtain(agent)["refresh"]
    outstanding = OutstandingToken.objects.count()
    # Distinct addresses, so the per-address throttle of the token endpoints does not decide.
    responses = run_at_once(
        6, lambda n: APIClient(REMOTE_ADDR=f"192.0.2.{n + 1}").post(REFRESH, {"refresh": refresh}, format="json")
    )
    assert sorted(response.status_code for response in responses) == [200, 401, 401, 401, 401, 401]
    assert all(response.json()["code"] == "token_not_valid" for response in responses if response.status_code == 401)
    # One new refresh token, and the one sent is blacklisted once.
    assert OutstandingToken.objects.count() == outstanding + 1
    assert BlacklistedToken.objects.filter(token__token=refresh).count() == 1


def test_logout_blacklists_the_refresh_token(agent):
    tokens = obtain(agent)
    assert APIClient().post(BLACKLIST, {"refresh": tokens["refresh"]}, format="json").status_code == 200
    assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert APIClient().post(VERIFY, {"token": tokens["refresh"]}, format="json").status_code == 401


def test_verify(agent):
    tokens = obtain(agent)
    assert APIClient().post(VERIFY, {"token": tokens["access"]}, format="json").status_code == 200
    assert APIClient().post(VERIFY, {"token": "not.a.token"}, format="json").status_code == 401


def _payload(user, **changes) -> dict:
    now = int(timezone.now().timestamp())
    token = AccessToken.for_user(user)
    return {**token.payload, "iat": now, "exp": now + 300, **changes}


def _refused(token) -> None:
    response = bearer(token).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_an_expired_access_token_is_refused(agent):
    token = AccessToken.for_user(agent)
    token.set_exp(from_time=timezone.now() - dt.timedelta(hours=1))
    _refused(str(token))


def test_a_forged_signature_is_refused(agent):
    _refused(jwt.encode(_payload(agent), "another-key-of-at-least-32-bytes-length", algorithm="HS256"))


def test_alg_none_is_refused(agent):
    unsigned = jwt.encode(_payload(agent), key=None, algorithm="none")
    _refused(unsigned)
    # Also with the header rewritten by hand onto a valid signature.
    _header, body, signature = str(AccessToken.for_user(agent)).split(".")
    none_header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    _refused(f"{none_header}.{body}.")
    _refused(f"{none_header}.{body}.{signature}")


def test_a_tampered_payload_is_refused(agent, admin_user):
    header, _body, signature = str(AccessToken.for_user(agent)).split(".")
    forged = jwt.utils.base64url_encode(json.dumps(_payload(agent, user_id=str(admin_user.pk))).encode()).decode()
    _refused(f"{header}.{forged}.{signature}")


def test_a_refresh_token_is_not_an_access_token(agent):
    _refused(str(RefreshToken.for_user(agent)))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_token_signed_with_the_right_key_but_another_algorithm_is_refused(agent):
    _refused(jwt.encode(_payload(agent), django_settings.SECRET_KEY, algorithm="HS512"))


def test_a_password_change_revokes_existing_tokens(agent):
    tokens = obtain(agent)
    agent.set_password("a-new-long-password")
    agent.save()
    _refused_auth = bearer(tokens["access"]).get(ME)
    assert _refused_auth.status_code == 401
    refresh = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 401
    assert bearer(obtain(agent, password="a-new-long-password")["access"]).get(ME).status_code == 200


def test_tokens_of_a_deactivated_or_deleted_account_are_refused(agent, requester):
    tokens = obtain(requester)
    requester.is_active = False
    requester.save(update_fields=["is_active"])
    assert bearer(tokens["access"]).get(ME).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    other = obtain(agent)
    User.objects.filter(pk=agent.pk).delete()
    assert bearer(other["access"]).get(ME).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": other["refresh"]}, format="json").status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Token abc", "Basic YWxpY2U6ZGVtbw=="])
def test_malformed_authorization_headers_are_refused(agent, header):
    response = APIClient().get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_the_session_works_for_the_browsable_api_and_enforces_csrf(agent):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    assert browser.get(ME).status_code == 200
    assert browser.get("/api/tickets/", HTTP_ACCEPT="text/html").status_code == 200
    response = browser.post("/api/tickets/", {"title": "x", "description": "y"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# ---- throttling -------------------------------------------------------------------------------------------


@pytest.fixture
def three_per_minute(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "token": "3/minute"}}


def _attempt(client, n, **extra):
    return client.post(OBTAIN, {"username": "alice", "password": f"guess-{n}"}, format="json", **extra).status_code


def test_token_endpoint_is_throttled(agent, three_per_minute):
    client = APIClient()
    assert [_attempt(client, n) for n in range(4)] == [401, 401, 401, 429]
    # The right password does not get through either, and refresh shares the scope.
    right = client.post(OBTAIN, {"username": "alice", "password": "demo"}, format="json")
    assert right.status_code == 429
    assert int(right["Retry-After"]) > 0
    assert client.post(REFRESH, {"refresh": "x"}, format="json").status_code == 429


def test_a_new_x_forwarded_for_each_time_does_not_escape_the_throttle(agent, three_per_minute):
    client = APIClient()
    codes = [_attempt(client, n, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    # The key is the socket's address: another client still gets in.
    assert _attempt(client, 9, REMOTE_ADDR="198.51.100.7") == 401


def test_behind_one_proxy_only_the_address_it_appended_counts(agent, three_per_minute, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = APIClient()
    spoofed = [f"203.0.113.{n}, 192.0.2.10" for n in range(5)]  # the client's lie, then the proxy's entry
    codes = [_attempt(client, n, HTTP_X_FORWARDED_FOR=xff) for n, xff in enumerate(spoofed)]
    assert codes == [401, 401, 401, 429, 429]
    assert _attempt(client, 9, HTTP_X_FORWARDED_FOR="192.0.2.11") == 401


def test_jwt_client_helper_matches_a_real_token(agent):
    assert jwt_client(agent).get(ME).json()["id"] == agent.pk
