"""API keys: created once with the key shown once, listed without it, revoked at once; a key acts as its owner."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from apps.integrations.models import ApiKey
from apps.integrations.services import api_key_hash
from tests.accounts.factories import UserFactory
from tests.integrations.factories import ApiKeyFactory
from tests.support import assert_constant_queries, field_errors, jwt_client, references
from tests.tickets.factories import TicketFactory

KEYS = "/api/keys/"


def key_client(key: str, scheme: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return client


def keys_state() -> list:
    """The keys as a refusal must leave them (a key's own use may note its last use)."""
    return list(ApiKey.objects.order_by("pk").values("id", "owner", "name", "key_hash", "expires_at", "revoked_at"))


def test_create_shows_the_key_once_and_stores_only_its_hash(requester):
    response = jwt_client(requester).post(KEYS, {"name": "backup script", "expires_at": None}, format="json")

    assert response.status_code == 201
    body = response.json()
    key = body["key"]
    assert key.startswith("tsk_") and len(key) > 40
    api_key = ApiKey.objects.get()
    assert (api_key.owner, api_key.name, api_key.prefix, api_key.key_hash) == (
        requester,
        "backup script",
        key[:12],
        api_key_hash(key),
    )
    assert set(body) == {
        "id", "name", "owner", "prefix", "expires_at", "last_used_at", "last_used_address", "revoked_at",
        "created_at", "key",
    }  # fmt: skip
    listed = jwt_client(requester).get(KEYS).json()["results"]
    assert [row["name"] for row in listed] == ["backup script"]
    assert "key" not in listed[0]
    assert key not in str(jwt_client(requester).get(f"{KEYS}{api_key.pk}/").json())


def test_a_key_acts_as_its_owner_with_exactly_their_visibility(it_dept, requester, other_requester):
    own = TicketFactory(department=it_dept, requester=requester)
    TicketFactory(department=it_dept, requester=other_requester)
    api_key = ApiKeyFactory(owner=requester)

    for scheme in ("Bearer", "Api-Key"):
        response = key_client(api_key.plain, scheme).get("/api/tickets/")
        assert response.status_code == 200
        assert references(response) == [own.reference]
    me = key_client(api_key.plain).get("/api/users/me/").json()
    assert me["username"] == "carol"


def test_last_use_is_recorded(requester):
    api_key = ApiKeyFactory(owner=requester)

    key_client(api_key.plain).get("/api/tickets/", REMOTE_ADDR="203.0.113.9")

    api_key.refresh_from_db()
    assert api_key.last_used_address == "203.0.113.9"
    assert timezone.now() - api_key.last_used_at < timedelta(seconds=5)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda k: ApiKey.objects.filter(pk=k.pk).update(revoked_at=timezone.now()), id="revoked"),
        pytest.param(
            lambda k: ApiKey.objects.filter(pk=k.pk).update(expires_at=timezone.now() - timedelta(seconds=1)),
            id="expired",
        ),
        pytest.param(lambda k: type(k.owner).objects.filter(pk=k.owner_id).update(is_active=False), id="owner off"),
    ],
)
def test_revoked_expired_or_deactivated_keys_are_refused(spoil, it_dept, requester):
    TicketFactory(department=it_dept, requester=requester)
    api_key = ApiKeyFactory(owner=requester)
    assert key_client(api_key.plain).get("/api/tickets/").status_code == 200

    spoil(api_key)

    response = key_client(api_key.plain).get("/api/tickets/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_unknown_keys_are_refused(requester):
    ApiKeyFactory(owner=requester)

    assert key_client("tsk_" + "x" * 43).get("/api/tickets/").status_code == 401
    assert key_client("not-a-key", "Api-Key").get("/api/tickets/").status_code == 401
    assert APIClient().get(KEYS).status_code == 401


def test_a_jwt_still_works_beside_keys(requester):
    assert jwt_client(requester).get("/api/tickets/").status_code == 200


def test_keys_keep_working_for_staff_when_two_factor_is_required(settings, agent):
    settings.STAFF_2FA_REQUIRED = True
    TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    api_key = ApiKeyFactory(owner=agent)

    # The password alone gets no token from a staff account that must pass a second factor...
    token = APIClient().post("/api/token/", {"username": "alice", "password": "demo"}, format="json")
    assert token.status_code == 401
    assert "access" not in token.json()
    # ...but a key made by that account keeps working.
    assert key_client(api_key.plain).get("/api/tickets/").status_code == 200


def test_revoking_stops_the_key_at_once(requester):
    api_key = ApiKeyFactory(owner=requester)

    response = jwt_client(requester).delete(f"{KEYS}{api_key.pk}/")

    assert response.status_code == 204
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert key_client(api_key.plain).get("/api/tickets/").status_code == 401


def test_someone_elses_key_is_404_and_unchanged(requester, other_requester):
    api_key = ApiKeyFactory(owner=other_requester)
    before = keys_state()

    assert jwt_client(requester).get(f"{KEYS}{api_key.pk}/").status_code == 404
    assert jwt_client(requester).delete(f"{KEYS}{api_key.pk}/").status_code == 404

    assert keys_state() == before
    assert jwt_client(requester).get(KEYS).json()["results"] == []


def test_an_admin_sees_and_revokes_every_key_and_makes_keys_for_a_service_user(admin_user, requester):
    service = UserFactory(username="ci-bot")
    ApiKeyFactory(owner=requester)

    response = jwt_client(admin_user).post(KEYS, {"name": "ci", "owner": service.pk}, format="json")

    assert response.status_code == 201
    assert ApiKey.objects.get(pk=response.json()["id"]).owner == service
    listed = jwt_client(admin_user).get(KEYS).json()["results"]
    assert sorted((row["name"], row["owner"]) for row in listed) == sorted(
        [("ci", service.pk), (ApiKey.objects.get(owner=requester).name, requester.pk)]
    )
    assert key_client(response.json()["key"]).get("/api/users/me/").json()["username"] == "ci-bot"


def test_only_admins_make_keys_for_others(requester, other_requester):
    before = keys_state()

    response = jwt_client(requester).post(KEYS, {"name": "sneaky", "owner": other_requester.pk}, format="json")
    nobody = jwt_client(requester).post(KEYS, {"name": "sneaky", "owner": 999999}, format="json")

    assert (response.status_code, nobody.status_code) == (403, 403)  # no oracle of which accounts exist
    assert keys_state() == before


def test_a_key_cannot_make_keys(requester):
    api_key = ApiKeyFactory(owner=requester)
    before = keys_state()

    response = key_client(api_key.plain).post(KEYS, {"name": "another"}, format="json")

    assert response.status_code == 403
    assert keys_state() == before


def test_bad_input_is_400_and_nothing_saved(requester):
    client = jwt_client(requester)

    past = client.post(KEYS, {"name": "old", "expires_at": "2000-01-01T00:00:00Z"}, format="json")
    unknown = client.post(KEYS, {"name": "x", "key_hash": "abc"}, format="json")
    blank = client.post(KEYS, {"name": "  "}, format="json")

    assert (past.status_code, unknown.status_code, blank.status_code) == (400, 400, 400)
    assert field_errors(past) == {"expires_at": ["The expiry must be in the future."]}
    assert ApiKey.objects.count() == 0


def test_the_keys_list_takes_the_same_queries_for_2_and_30_keys(requester):
    client = jwt_client(requester)
    client.get(KEYS)

    assert_constant_queries(lambda: client.get(KEYS), add_rows=lambda n: ApiKeyFactory.create_batch(n, owner=requester))


def test_a_key_costs_as_many_queries_as_a_jwt(it_dept, requester):
    from tests.support import count_queries

    TicketFactory.create_batch(3, department=it_dept, requester=requester)
    api_key = ApiKeyFactory(owner=requester)
    by_key, by_jwt = key_client(api_key.plain), jwt_client(requester)
    by_key.get("/api/tickets/")  # the first use writes last_used_at; later ones within a minute do not

    # The JWT reads its user; the key reads its row with the user joined.
    assert count_queries(lambda: by_key.get("/api/tickets/")) == count_queries(lambda: by_jwt.get("/api/tickets/"))
