"""The single sign-on backend without a browser: linking by verified e-mail, new accounts, roles and departments
from the claims, refusals (which change nothing), and the sessions it gives."""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import SuspiciousOperation
from django.test import RequestFactory

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.oidc.backend import OIDCBackend, SignOnRefused
from apps.accounts.oidc.claims import claim_values, role_from_claims
from apps.tickets.services import ticket_assign
from tests.accounts.factories import UserFactory
from tests.departments.factories import DepartmentFactory
from tests.support import db_state
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def claims(**values):
    return {"sub": "subject-1", "email": "erin@example.com", "email_verified": True, **values}


def sign_on(user_info: dict, *, subject: str = "subject-1"):
    """What the backend does after the code exchange and the ID token's checks, with `user_info` as the provider's
    user-info answer. Returns (user, request)."""
    backend = OIDCBackend()
    backend.request = RequestFactory().get("/oidc/callback/")
    backend.get_userinfo = lambda access_token, id_token, payload: user_info
    return backend.get_or_create_user("access", "id", {"sub": subject}), backend.request


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["helpdesk-agents", "helpdesk-admins"], Role.ADMIN),
        (["staff", "helpdesk-agents"], Role.AGENT),
        ("helpdesk-agents", Role.AGENT),
        (["staff"], Role.REQUESTER),
        ([], Role.REQUESTER),
        (None, Role.REQUESTER),
        ([7, {"x": 1}], Role.REQUESTER),
    ],
)
def test_the_role_claim_maps_to_the_highest_role_matched(sso, groups, role):
    assert role_from_claims(claims(groups=groups)) == role


def test_roles_do_not_come_from_the_provider_without_a_role_claim(sso):
    sso.OIDC_ROLE_CLAIM = ""
    assert role_from_claims(claims(groups=["helpdesk-admins"])) is None


def test_a_map_value_that_is_no_role_counts_for_nothing(sso):
    sso.OIDC_ROLE_MAP = {"helpdesk-admins": "superuser"}
    assert role_from_claims(claims(groups=["helpdesk-admins"])) == Role.REQUESTER


def test_a_dotted_claim_name_reaches_into_nested_claims():
    nested = {"realm_access": {"roles": ["helpdesk-agents", 3]}, "flat": "x"}
    assert claim_values(nested, "realm_access.roles") == ["helpdesk-agents"]
    assert claim_values(nested, "flat") == ["x"]
    assert claim_values(nested, "flat.deeper") == []
    assert claim_values(nested, "missing") == []


def test_a_first_sign_on_creates_a_requester_without_a_usable_password(sso):
    user, _request = sign_on(claims(given_name="Erin", family_name="Example", preferred_username="erin"))

    user.refresh_from_db()
    assert (user.username, user.email, user.first_name, user.last_name, user.role) == (
        "erin",
        "erin@example.com",
        "Erin",
        "Example",
        Role.REQUESTER,
    )
    assert user.has_usable_password() is False
    assert list(user.groups.all()) == []


def test_a_first_sign_on_of_an_agent_gets_the_mapped_role_and_departments(sso, it_dept, billing_dept):
    user, _request = sign_on(claims(groups=["helpdesk-agents"], departments=["billing", "unknown"]))

    assert User.objects.get(pk=user.pk).role == Role.AGENT
    assert list(user.groups.filter(department__isnull=False).values_list("department__slug", flat=True)) == ["billing"]


def test_the_user_name_falls_back_to_the_e_mail_address_and_a_number(sso):
    UserFactory(username="erin", email="erin.other@example.com")
    UserFactory(username="erin@example.org", email="someone@example.org")

    first, _request = sign_on(claims(preferred_username="erin"))
    assert first.username == "erin@example.com"

    other, _request = sign_on(claims(sub="s2", email="erin@example.org", preferred_username="bad name!"), subject="s2")
    assert other.username == "erin@example.org-2"


def test_a_verified_e_mail_links_the_existing_account_and_applies_role_and_departments(sso, it_dept, billing_dept):
    frank = UserFactory(username="frank", email="Frank@Example.com", role=Role.REQUESTER)
    keep = DepartmentFactory(name="Facilities", slug="facilities")

    user, _request = sign_on(claims(email="frank@example.com", groups=["helpdesk-agents"], departments=["it"]))
    assert user.pk == frank.pk
    assert User.objects.count() == 1
    frank.refresh_from_db()
    assert frank.role == Role.AGENT
    assert sorted(frank.groups.values_list("department__slug", flat=True)) == ["it-support"]

    # A department the map does not name is managed here and kept; the named ones follow the claim.
    frank.groups.add(keep.group)
    sign_on(claims(email="frank@example.com", groups=["helpdesk-admins"], departments=["billing"]))
    frank.refresh_from_db()
    assert frank.role == Role.ADMIN
    assert sorted(frank.groups.values_list("department__slug", flat=True)) == ["billing", "facilities"]


def test_a_demotion_at_the_provider_ends_the_staff_access_as_an_admins_role_change_does(sso, agent, it_dept):
    ticket = TicketFactory(department=it_dept)
    ticket = ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    assert ticket.assignee == agent

    sign_on(claims(email=agent.email, groups=["someone-else"], departments=["it"]))

    agent.refresh_from_db()
    ticket.refresh_from_db()
    assert agent.role == Role.REQUESTER
    assert list(agent.groups.all()) == []
    assert ticket.assignee is None
    assert not agent.has_perm("tickets.change_ticket", ticket)


def test_without_a_role_claim_an_existing_role_is_kept(sso, agent):
    sso.OIDC_ROLE_CLAIM = ""
    sign_on(claims(email=agent.email, groups=[]))
    agent.refresh_from_db()
    assert agent.role == Role.AGENT


@pytest.mark.parametrize("verified", [False, None, "false"])
def test_an_unverified_e_mail_links_nothing_and_creates_nothing(sso, agent, verified):
    before = db_state()
    user_info = claims(email=agent.email.upper(), groups=["helpdesk-admins"])
    if verified is None:
        del user_info["email_verified"]
    else:
        user_info["email_verified"] = verified

    with pytest.raises(SignOnRefused):
        sign_on(user_info)
    assert db_state() == before

    with pytest.raises(SignOnRefused) as refused:
        sign_on(claims(email="new@example.com", email_verified=False))
    assert db_state() == before
    assert str(refused.value) == "e-mail not verified"


def test_an_unverified_e_mail_is_refused_with_a_message(sso):
    backend = OIDCBackend()
    backend.request = RequestFactory().get("/oidc/callback/")
    with pytest.raises(SignOnRefused):
        backend.verify_claims(claims(email_verified="no"))
    assert backend.request.sso_refusal == (
        "Your identity provider has not verified your e-mail address, so it cannot be used to sign in here. "
        "Verify it with your provider, or log in with your password."
    )


def test_the_string_true_counts_as_verified(sso):
    user, _request = sign_on(claims(email_verified="true"))
    assert user.email == "erin@example.com"


def test_a_deactivated_account_is_refused_and_unchanged(sso, agent):
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    before = db_state()

    with pytest.raises(SignOnRefused):
        sign_on(claims(email=agent.email, groups=["helpdesk-admins"]))
    assert db_state() == before


def test_no_account_is_created_when_creating_is_off(sso):
    sso.OIDC_CREATE_USER = False
    with pytest.raises(SignOnRefused):
        sign_on(claims())
    assert User.objects.count() == 0


def test_user_info_about_another_subject_is_refused(sso):
    with pytest.raises(SuspiciousOperation):
        sign_on(claims(sub="someone-else"))
    assert User.objects.count() == 0


def test_the_id_token_must_name_this_client_and_the_issuer(sso, monkeypatch):
    from mozilla_django_oidc.auth import OIDCAuthenticationBackend

    backend = OIDCBackend()
    payloads = iter(
        [
            {"aud": "ticket-system", "iss": sso.OIDC_ISSUER, "sub": "s"},
            {"aud": ["other", "ticket-system"], "iss": sso.OIDC_ISSUER + "/", "sub": "s"},
            {"aud": "other-client", "iss": sso.OIDC_ISSUER, "sub": "s"},
            {"aud": "ticket-system", "iss": "http://elsewhere", "sub": "s"},
        ]
    )
    monkeypatch.setattr(OIDCAuthenticationBackend, "verify_token", lambda self, token, **kwargs: next(payloads))

    assert backend.verify_token("t")["sub"] == "s"
    assert backend.verify_token("t")["sub"] == "s"
    with pytest.raises(SuspiciousOperation):
        backend.verify_token("t")
    with pytest.raises(SuspiciousOperation):
        backend.verify_token("t")


def test_a_password_log_in_never_reaches_the_provider(sso, requester, monkeypatch):
    monkeypatch.setattr(OIDCBackend, "get_token", lambda self, payload: pytest.fail("the provider was called"))
    request = RequestFactory().post("/login/?code=abc&state=xyz")

    assert authenticate(request, username="carol", password="demo") == requester
    assert authenticate(request, username="carol", password="wrong") is None


def test_it_signs_no_one_in_while_off(settings, monkeypatch):
    settings.OIDC_ENABLED = False
    monkeypatch.setattr(OIDCBackend, "get_token", lambda self, payload: pytest.fail("the provider was called"))
    request = RequestFactory().get("/oidc/callback/?code=abc&state=xyz")

    assert OIDCBackend().authenticate(request, nonce="n", code_verifier="v") is None


def test_sessions_it_opened_need_an_active_account_and_single_sign_on_on(sso, agent):
    assert OIDCBackend().get_user(agent.pk) == agent

    sso.OIDC_ENABLED = False
    assert OIDCBackend().get_user(agent.pk) is None

    sso.OIDC_ENABLED = True
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert OIDCBackend().get_user(agent.pk) is None


def test_it_grants_no_permission_of_its_own(sso, admin_user):
    backend = OIDCBackend()
    assert backend.get_all_permissions(admin_user) == set()
    assert backend.has_perm(admin_user, "tickets.view_ticket") is False
    assert backend.has_module_perms(admin_user, "tickets") is False
    assert list(backend.with_perm("tickets.view_ticket")) == []


def test_claims_the_account_model_refuses_are_a_refusal_not_an_error(sso):
    with pytest.raises(SignOnRefused):
        sign_on(claims(email="not an address"))
    assert User.objects.count() == 0
