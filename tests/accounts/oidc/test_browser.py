"""Single sign-on through the real redirect flow: Chromium, the live server, and a real OpenID provider.

The provider is `oidc-provider` (certified by the OpenID Foundation) run by Node from tests/accounts/oidc/provider/
(`npm ci` there installs it; .ci/run does). It listens on 127.0.0.1 on a free port with one client, whose redirect
URI is the live server's callback, and the accounts below. Without Node, the package or Chromium the tests skip
with a message, unless CI is set: then they fail (the rule of tests/test_browser.py).
"""

import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from apps.accounts.choices import Role
from apps.accounts.models import User
from tests.accounts.factories import UserFactory
from tests.departments.factories import DepartmentFactory
from tests.support import component_missing
from tests.test_browser import CHROMIUM_ARGS, CHROMIUM_PATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROVIDER_DIR = Path(__file__).resolve().parent / "provider"
CLIENT_ID = "ticket-system"
CLIENT_SECRET = "a-test-client-secret-of-enough-length"
# Login name -> password and the claims the provider releases (the login name is the subject).
ACCOUNTS = {
    "erin": {
        "password": "erin-pw",
        "claims": {
            "email": "erin@example.com",
            "email_verified": True,
            "given_name": "Erin",
            "family_name": "Example",
            "groups": ["everyone"],
        },
    },
    "alice": {
        "password": "alice-pw",
        "claims": {
            "email": "Alice@Example.com",
            "email_verified": True,
            "groups": ["everyone", "helpdesk-admins"],
            "departments": ["billing"],
        },
    },
    "mallory": {
        "password": "mallory-pw",
        "claims": {"email": "carol@example.com", "email_verified": False, "groups": ["helpdesk-admins"]},
    },
}


def _unavailable(reason: str):
    component_missing(reason, tests="the single sign-on browser tests")


@pytest.fixture(scope="module")
def oidc_provider(live_server, tmp_path_factory):
    """The provider's issuer URL, while `node server.mjs` runs."""
    node = shutil.which("node")
    if node is None:
        _unavailable("Node is not installed")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        _unavailable(f"oidc-provider is not installed (run `npm ci` in {PROVIDER_DIR.relative_to(Path.cwd())})")
    config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": f"{live_server.url}/oidc/callback/",
        "accounts": ACCOUNTS,
    }
    log = tmp_path_factory.mktemp("oidc-provider") / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own script, no shell
            [node, "server.mjs"],
            cwd=PROVIDER_DIR,
            env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config)},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        deadline = time.monotonic() + 20
        line = ""
        while not line.startswith("ready ") and time.monotonic() < deadline and process.poll() is None:
            if select.select([process.stdout], [], [], 0.5)[0]:
                line = process.stdout.readline()
        if not line.startswith("ready "):
            pytest.fail(f"The OpenID provider did not start: {log.read_text()[-2000:]}")
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("The Python package `playwright` is not installed")
    if not CHROMIUM_PATH.exists():
        _unavailable(f"No Chromium at {CHROMIUM_PATH}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def real_sso(sso, oidc_provider):
    sso.OIDC_ISSUER = oidc_provider
    sso.OIDC_RP_CLIENT_ID = CLIENT_ID
    sso.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    sso.OIDC_RP_SCOPES = "openid email profile groups"
    return sso


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in_at_the_provider(page, issuer: str, login: str):
    """Fill in the provider's own log-in form (consent is granted without a page)."""
    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(f"^{re.escape(issuer)}/interaction/"))
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(ACCOUNTS[login]["password"])
    page.get_by_role("button", name="Sign in").click()


def test_a_requester_signs_in_from_the_portal_and_gets_a_new_account(page, live_server, real_sso, oidc_provider):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    sign_in_at_the_provider(page, oidc_provider, "erin")

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    erin = User.objects.get(email="erin@example.com")
    assert (erin.username, erin.first_name, erin.last_name, erin.role, erin.has_usable_password()) == (
        "erin@example.com",
        "Erin",
        "Example",
        Role.REQUESTER,
        False,
    )
    assert erin.last_login is not None


def test_a_staff_account_is_linked_by_verified_e_mail_and_lands_in_the_back_office(
    page, live_server, real_sso, oidc_provider
):
    from playwright.sync_api import expect

    it = DepartmentFactory(name="IT Support", slug="it-support")
    billing = DepartmentFactory(name="Billing", slug="billing")
    alice = UserFactory(username="alice", email="alice@example.com", role=Role.AGENT, departments=[it])

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    sign_in_at_the_provider(page, oidc_provider, "alice")

    expect(page).to_have_url(f"{live_server.url}/admin/")
    alice.refresh_from_db()
    assert User.objects.count() == 1
    assert alice.role == Role.ADMIN
    assert [group.department for group in alice.groups.all()] == [billing]
    assert alice.last_login is not None


def test_an_unverified_e_mail_does_not_link_and_says_why(page, live_server, real_sso, oidc_provider):
    from playwright.sync_api import expect

    carol = UserFactory(username="carol", email="carol@example.com", role=Role.REQUESTER)

    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    sign_in_at_the_provider(page, oidc_provider, "mallory")

    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.get_by_text("Your identity provider has not verified your e-mail address")).to_be_visible()
    carol.refresh_from_db()
    assert (carol.role, carol.last_login, User.objects.count()) == (Role.REQUESTER, None, 1)
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
