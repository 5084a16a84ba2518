"""Two-factor authentication of staff (apps/accounts/two_factor.py): the back office's /admin/2fa/ pages, the
redirect of unverified staff, recovery codes, the lockout, the admins' reset, and the token endpoint's `otp`.

Codes are computed here from the device's key, as an authenticator app does (django_otp.oath.TOTP)."""

import re
import time
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.accounts import throttling
from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.two_factor import two_factor_setup_confirm, two_factor_setup_start
from apps.audit.models import Action, AuditEntry
from tests.accounts.factories import UserFactory
from tests.support import logged_in

VERIFY = reverse("admin:two_factor")
SETUP = reverse("admin:two_factor_setup")
MANAGE = reverse("admin:two_factor_manage")
INDEX = reverse("admin:index")
OBTAIN = "/api/token/"
ADDRESS = "192.0.2.10"


@pytest.fixture(autouse=True)
def _no_device_delay(settings):
    """django-otp also delays a device after a wrong code (1 s, 2 s, 4 s...); the tests type the right code at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def required(settings):
    settings.STAFF_2FA_REQUIRED = True


def totp_code(device: TOTPDevice, step: int = 0) -> str:
    """The code an authenticator app shows now (step=1: in the next 30 seconds, accepted within the tolerance)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + step * device.step
    return f"{totp.token():06d}"


def enable(user: User) -> tuple[TOTPDevice, list[str]]:
    """Turn two-factor on for `user` through the services; returns the app device and the recovery codes."""
    device = two_factor_setup_start(user=user)
    codes = two_factor_setup_confirm(user=user, device=device, code=totp_code(device), address=ADDRESS)
    device.refresh_from_db()
    return device, codes


def verified(user: User, device: TOTPDevice) -> Client:
    """A back-office session that has passed the second factor (with the next code: each code works once)."""
    browser = logged_in(user)
    response = browser.post(VERIFY, {"code": totp_code(device, step=1), "next": INDEX})
    assert response.status_code == 302
    assert response["Location"] == INDEX
    return browser


def two_factor_state(user: User) -> tuple:
    return (
        list(TOTPDevice.objects.filter(user=user).values_list("pk", "confirmed", "key")),
        sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)),
    )


# The redirect -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        INDEX,
        reverse("admin:tickets_ticket_changelist"),
        reverse("admin:accounts_user_changelist"),
        "/admin/autocomplete/?app_label=tickets&model_name=ticket&field_name=requester&term=a",
        reverse("admin:search") + "?s=alice",
    ],
)
def test_required_sends_unverified_staff_from_every_back_office_page(required, agent, url):
    response = logged_in(agent).get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?{urlencode({'next': url})}"


def test_required_covers_change_views_and_posts(required, agent, admin_user):
    browser = logged_in(admin_user)
    change = reverse("admin:accounts_user_change", args=[agent.pk])
    before = User.objects.filter(pk=agent.pk).values_list("first_name", flat=True).get()

    assert browser.get(change)["Location"].startswith(f"{VERIFY}?next=")
    response = browser.post(change, {"first_name": "Changed"})

    assert response.status_code == 302
    assert response["Location"].startswith(f"{VERIFY}?next=")
    assert User.objects.filter(pk=agent.pk).values_list("first_name", flat=True).get() == before


def test_two_factor_pages_login_logout_and_jsi18n_stay_reachable(required, agent):
    browser = logged_in(agent)

    assert browser.get(VERIFY)["Location"] == f"{SETUP}?{urlencode({'next': INDEX})}"
    assert browser.get(SETUP).status_code == 200
    assert browser.get(MANAGE).status_code == 200
    assert browser.get(reverse("admin:jsi18n")).status_code == 200
    assert browser.get(reverse("admin:login")).status_code == 302  # logged in: admin sends it to the index
    response = browser.post(reverse("admin:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in browser.session


def test_not_required_no_redirect(settings, agent):
    settings.STAFF_2FA_REQUIRED = False

    assert logged_in(agent).get(INDEX).status_code == 200


def test_not_required_staff_with_a_device_are_not_asked(settings, agent):
    settings.STAFF_2FA_REQUIRED = False
    enable(agent)

    assert logged_in(agent).get(INDEX).status_code == 200


def test_requesters_and_the_portal_are_unaffected(required, agent, requester):
    carol = logged_in(requester)
    assert carol.get(reverse("portal:ticket_list")).status_code == 200
    # The back office sends her to the portal, not to the two-factor page.
    assert carol.get(INDEX)["Location"] == reverse("portal:ticket_list")
    # Staff on a portal page are not asked either (the portal is not the back office).
    # (the portal's own rule sends them on to the back office, which asks there).
    assert logged_in(agent).get(reverse("accounts:profile"))["Location"] == INDEX


def test_anonymous_visitors_get_the_log_in_page(required, db):
    assert Client().get(INDEX)["Location"].startswith(reverse("admin:login"))


# Set-up -------------------------------------------------------------------------------------------------------


def test_set_up_with_a_real_code_verifies_the_session_and_shows_ten_recovery_codes(required, agent):
    browser = logged_in(agent)

    page = browser.get(SETUP)
    device = TOTPDevice.objects.get(user=agent)
    content = page.content.decode()
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert device.confirmed is False
    qr = re.search(r'<div [^>]*id="two-factor-qr"[^>]*>(.*?)</div>', content, re.DOTALL).group(1)
    assert qr.startswith("<svg")
    assert "<img" not in qr and "href" not in qr
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', content).group(1)
    assert secret.replace(" ", "") == __import__("base64").b32encode(device.bin_key).decode().rstrip("=")
    assert browser.get(SETUP).content.decode().count(secret) == 1  # a reload shows the same secret
    assert TOTPDevice.objects.filter(user=agent).count() == 1

    response = browser.post(SETUP, {"code": totp_code(device), "next": INDEX})

    codes = re.findall(r"<li data-recovery-code>([a-z2-7]+)</li>", response.content.decode())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert len(codes) == len(set(codes)) == 10
    assert sorted(codes) == sorted(StaticToken.objects.filter(device__user=agent).values_list("token", flat=True))
    assert TOTPDevice.objects.get(user=agent).confirmed is True
    assert browser.get(INDEX).status_code == 200
    assert browser.get(reverse("admin:tickets_ticket_changelist")).status_code == 200
    assert browser.get(SETUP)["Location"] == MANAGE


def test_a_wrong_set_up_code_is_an_error_and_verifies_nothing(required, agent, settings):
    browser = logged_in(agent)
    browser.get(SETUP)
    device = TOTPDevice.objects.get(user=agent)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    response = browser.post(SETUP, {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "code": ["That code is not right. Check the time on your phone and try the newest code."]
    }
    assert TOTPDevice.objects.get(user=agent).confirmed is False
    assert StaticDevice.objects.filter(user=agent).exists() is False
    assert browser.get(INDEX)["Location"].startswith(VERIFY)


# Verifying ----------------------------------------------------------------------------------------------------


def test_verify_with_the_app_code_goes_back_to_next(required, agent):
    device, _codes = enable(agent)
    browser = logged_in(agent)
    changelist = reverse("admin:tickets_ticket_changelist")

    page = browser.get(f"{VERIFY}?{urlencode({'next': changelist})}")
    response = browser.post(VERIFY, {"code": totp_code(device, step=1), "next": changelist})

    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == changelist
    assert browser.get(changelist).status_code == 200
    assert browser.get(VERIFY)["Location"] == INDEX  # already verified


def test_next_off_the_site_is_ignored(required, agent):
    device, _codes = enable(agent)

    response = logged_in(agent).post(VERIFY, {"code": totp_code(device, step=1), "next": "https://evil.example/x"})

    assert response["Location"] == INDEX


def test_a_code_works_once(required, agent):
    device, _codes = enable(agent)
    code = totp_code(device, step=1)
    assert logged_in(agent).post(VERIFY, {"code": code})["Location"] == INDEX

    response = logged_in(agent).post(VERIFY, {"code": code})

    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["That code is not right."]}


def test_recovery_codes_work_once_each(required, agent):
    _device, codes = enable(agent)

    first = logged_in(agent)
    response = first.post(VERIFY, {"code": codes[0].upper(), "next": INDEX})
    assert response["Location"] == INDEX
    assert first.get(INDEX).status_code == 200
    assert StaticToken.objects.filter(device__user=agent).count() == 9

    again = logged_in(agent)
    refused = again.post(VERIFY, {"code": codes[0]})
    assert refused.status_code == 200
    assert refused.context["form"].errors == {"code": ["That code is not right."]}
    assert again.get(INDEX)["Location"].startswith(VERIFY)

    assert logged_in(agent).post(VERIFY, {"code": codes[1]})["Location"] == INDEX
    assert StaticToken.objects.filter(device__user=agent).count() == 8


def test_wrong_codes_count_toward_the_lockout(required, agent, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 3
    device, _codes = enable(agent)
    browser = logged_in(agent)

    for n in range(3):
        response = browser.post(VERIFY, {"code": f"00000{n}"}, REMOTE_ADDR=ADDRESS)
        assert response.context["form"].errors == {"code": ["That code is not right."]}
    assert throttling.login_lockout(username="alice", address="198.51.100.1") is not None
    refused = browser.post(VERIFY, {"code": totp_code(device, step=1)}, REMOTE_ADDR=ADDRESS)

    assert refused.status_code == 200
    assert refused.context["form"].errors["code"][0].startswith("Too many failed attempts. Try again in")
    assert browser.get(INDEX)["Location"].startswith(VERIFY)
    # The password log-in is locked too, even with the right password.
    assert Client().post(reverse("admin:login"), {"username": "alice", "password": "demo"}).status_code == 200


def test_a_right_password_does_not_clear_wrong_codes(required, agent, settings):
    """Logging in again between guesses must not give a password holder fresh tries at the 6 digits."""
    settings.LOGIN_ATTEMPTS_LIMIT = 3
    enable(agent)
    for n in range(3):
        browser = Client()
        assert browser.post(reverse("admin:login"), {"username": "alice", "password": "demo"}).status_code == 302
        browser.post(VERIFY, {"code": f"00000{n}"})

    assert throttling.login_lockout(username="alice", address="203.0.113.50") is not None


def test_logging_out_forgets_the_second_factor(required, agent):
    device, _codes = enable(agent)
    browser = verified(agent, device)

    browser.post(reverse("admin:logout"))
    browser.force_login(agent)

    assert browser.get(INDEX)["Location"].startswith(VERIFY)


# The person's own page ----------------------------------------------------------------------------------------


def test_manage_page_when_off_and_when_on(settings, agent):
    settings.STAFF_2FA_REQUIRED = False
    assert b"Two-factor authentication is off" in logged_in(agent).get(MANAGE).content

    device, _codes = enable(agent)
    assert logged_in(agent).get(MANAGE)["Location"] == f"{VERIFY}?{urlencode({'next': MANAGE})}"
    page = verified(agent, device).get(MANAGE)
    assert page.status_code == 200
    assert b"You have 10 unused recovery codes." in page.content


def test_new_recovery_codes_replace_the_old_ones(required, agent):
    device, old = enable(agent)
    browser = verified(agent, device)

    response = browser.post(MANAGE, {"action": "regenerate"})

    new = re.findall(r"<li data-recovery-code>([a-z2-7]+)</li>", response.content.decode())
    assert len(new) == 10
    assert "no-store" in response["Cache-Control"]
    assert sorted(StaticToken.objects.filter(device__user=agent).values_list("token", flat=True)) == sorted(new)
    assert set(old).isdisjoint(new)
    assert logged_in(agent).post(VERIFY, {"code": old[0]}).status_code == 200
    assert logged_in(agent).post(VERIFY, {"code": new[0]})["Location"] == INDEX


def test_turning_off_needs_a_right_code(settings, agent):
    settings.STAFF_2FA_REQUIRED = False
    device, codes = enable(agent)
    browser = verified(agent, device)
    before = two_factor_state(agent)

    wrong = browser.post(MANAGE, {"action": "remove", "code": "zzzzzzzz"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors == {"code": ["That code is not right."]}
    assert two_factor_state(agent) == before

    response = browser.post(MANAGE, {"action": "remove", "code": codes[3]})
    assert response["Location"] == MANAGE
    assert two_factor_state(agent) == ([], [])


def test_user_menu_links_to_the_two_factor_page(settings, agent):
    settings.STAFF_2FA_REQUIRED = False
    content = logged_in(agent).get(INDEX).content.decode()

    assert f'href="{MANAGE}"' in content
    assert f'href="{reverse("admin:password_change")}"' in content


# The admins' reset --------------------------------------------------------------------------------------------


def reset(browser: Client, user: User):
    return browser.post(
        reverse("admin:accounts_user_changelist"), {"action": "reset_two_factor", "_selected_action": [user.pk]}
    )


def test_an_admin_resets_a_lost_phone(required, admin_user, agent):
    admin_device, _codes = enable(admin_user)
    enable(agent)

    response = reset(verified(admin_user, admin_device), agent)

    assert response.status_code == 302
    assert two_factor_state(agent) == ([], [])
    entries = AuditEntry.objects.filter(object_id=str(agent.pk), action=Action.UPDATED).order_by("pk")
    assert [(e.actor, e.changes) for e in entries if "two_factor" in e.changes] == [
        (agent, {"two_factor": ["off", "on"]}),
        (admin_user, {"two_factor": ["on", "off"]}),
    ]
    # At the next back-office page the agent sets it up again.
    assert logged_in(agent).get(VERIFY)["Location"].startswith(SETUP)


def test_an_agent_cannot_reset(settings, agent, it_dept):
    settings.STAFF_2FA_REQUIRED = False
    colleague = UserFactory(username="erin", role=Role.AGENT, departments=[it_dept])  # on alice's users page
    enable(colleague)
    before = two_factor_state(colleague)
    browser = logged_in(agent)

    changelist = browser.get(reverse("admin:accounts_user_changelist"))
    response = reset(browser, colleague)

    assert "erin" in changelist.content.decode()
    assert "reset_two_factor" not in changelist.content.decode()
    assert response.status_code == 200  # no action an agent may run: the list again
    assert two_factor_state(colleague) == before
    assert AuditEntry.objects.filter(actor=agent).count() == 0


def test_device_pages_of_django_otp_are_not_in_the_back_office(settings, admin_user):
    settings.STAFF_2FA_REQUIRED = False
    browser = logged_in(admin_user)

    assert browser.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert browser.get("/admin/otp_static/staticdevice/").status_code == 404


# The API ------------------------------------------------------------------------------------------------------


def obtain(username: str, password: str = "demo", address: str = ADDRESS, **extra):  # noqa: S107 (the factories)
    return APIClient().post(
        OBTAIN, {"username": username, "password": password, **extra}, format="json", REMOTE_ADDR=address
    )


def token_state(user: User) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (user.last_login, OutstandingToken.objects.filter(user=user).count())


def test_token_without_a_device_is_unchanged(settings, agent, requester):
    settings.STAFF_2FA_REQUIRED = False

    assert obtain("alice").status_code == 200
    assert obtain("carol").status_code == 200


def test_token_required_staff_without_a_device_must_set_it_up(required, agent, requester):
    before = token_state(agent)

    response = obtain("alice")

    assert response.status_code == 401
    assert {k: response.json()[k] for k in ("detail", "code")} == {
        "detail": "Staff accounts need two-factor authentication: set it up in the back office before requesting "
        "tokens.",
        "code": "otp_setup_required",
    }
    assert token_state(agent) == before
    assert obtain("carol").status_code == 200  # requesters never need it


def test_token_with_a_device_and_no_otp(required, agent):
    enable(agent)
    before = token_state(agent)

    response = obtain("alice")

    assert response.status_code == 401
    assert {k: response.json()[k] for k in ("detail", "code")} == {
        "detail": "This account uses two-factor authentication: send your authenticator app's code as otp.",
        "code": "otp_required",
    }
    assert "WWW-Authenticate" in response
    assert token_state(agent) == before


def test_token_with_a_wrong_otp_counts_toward_the_lockout(required, agent, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 3
    device, _codes = enable(agent)
    before = token_state(agent)

    responses = [obtain("alice", otp=f"99999{n}", address=f"203.0.113.{n}") for n in range(3)]

    assert [r.status_code for r in responses] == [401, 401, 401]
    assert {k: responses[0].json()[k] for k in ("detail", "code")} == {
        "detail": "The two-factor code is not right.",
        "code": "otp_invalid",
    }
    assert token_state(agent) == before
    locked = obtain("alice", otp=totp_code(device, step=1), address="203.0.113.99")
    assert locked.status_code == 429
    assert token_state(agent) == before


def test_token_with_a_wrong_password_and_otp_is_the_usual_401(required, agent):
    device, _codes = enable(agent)

    response = obtain("alice", password="wrong", otp=totp_code(device, step=1))

    assert response.status_code == 401
    assert "access" not in response.json()


def test_token_with_the_right_otp_and_refresh(required, agent):
    device, _codes = enable(agent)

    response = obtain("alice", otp=totp_code(device, step=1))

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    refreshed = APIClient().post("/api/token/refresh/", {"refresh": response.json()["refresh"]}, format="json")
    assert refreshed.status_code == 200
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    assert me.get("/api/users/me/").json()["username"] == "alice"


def test_token_with_a_recovery_code_uses_it_up(required, agent):
    _device, codes = enable(agent)

    assert obtain("alice", otp=codes[5]).status_code == 200
    assert obtain("alice", otp=codes[5]).status_code == 401
    assert StaticToken.objects.filter(device__user=agent).count() == 9


def test_token_while_locked_out_checks_nothing(required, agent, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 2
    _device, codes = enable(agent)
    for n in range(2):
        obtain("alice", password=f"wrong-{n}")
    before = (token_state(agent), two_factor_state(agent))

    response = obtain("alice", otp=codes[0])

    assert response.status_code == 429
    assert (token_state(agent), two_factor_state(agent)) == before


def test_the_otp_field_is_in_the_schema(settings, admin_user):
    settings.STAFF_2FA_REQUIRED = False
    schema = logged_in(admin_user).get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["TokenObtainPairRequest"]["properties"]

    assert fields["otp"]["type"] == "string"
    assert "otp" not in schema["components"]["schemas"]["TokenObtainPairRequest"].get("required", [])


def test_an_unverified_staff_session_does_not_authenticate_the_api(required, agent):
    device, _codes = enable(agent)

    assert logged_in(agent).get("/api/users/me/").status_code == 401
    assert verified(agent, device).get("/api/users/me/").json()["username"] == "alice"
