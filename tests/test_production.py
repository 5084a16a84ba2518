"""DJANGO_ENV=production: the settings refuse what is unsafe, `check --deploy` is clean, and every kind of page
(portal, back office, API) carries the security headers.

Settings are read once per process, so everything that depends on the environment runs in a subprocess with a
clean environment of its own. The header checks run in-process with the values a production process computes
(read from such a subprocess), so that they test the middleware with exactly what production sets.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory, override_settings
from django.urls import Resolver404, resolve

from apps.common.security import BACK_OFFICE, HEADER, STRICT, ContentSecurityPolicyMiddleware, render_policy
from tests.test_browser import chromium  # noqa: F401 (a fixture: Playwright's Chromium, or skip/fail as there)

BASE_DIR = Path(__file__).resolve().parent.parent
STRONG_KEY = secrets.token_urlsafe(50)
PRODUCTION_ENV = {"DJANGO_ENV": "production", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "tickets.example.com"}
# The settings a production process computes, copied into the test process by `production` below.
SECURITY_SETTINGS = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_HTTPONLY",
    "X_FRAME_OPTIONS",
]


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run Python `code` after django.setup() in a fresh process whose environment is only `env` (and PATH).

    Variables a developer's .env might set are given empty values: the .env file never overrides the environment.
    """
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(BASE_DIR)),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "",
        "DEBUG": "false",
        "SECRET_KEY": "",
        "ALLOWED_HOSTS": "",
        "SECURE_PROXY_SSL_HEADER": "",
        "STORAGE_BACKEND": "",
        "DATABASE_URL": "sqlite://:memory:",
        "REDIS_URL": "",
        **env,
    }
    script = f"import django\ndjango.setup()\n{code}"
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", script], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    code = f"from django.core.management import call_command\ncall_command(*{list(args)!r})"
    return run_django(code, **env)


# Start-up refuses an unsafe configuration, saying what to do.


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SECRET_KEY": ""}, "DJANGO_ENV=production requires the SECRET_KEY environment variable"),
        ({"SECRET_KEY": secrets.token_urlsafe(30)}, "SECRET_KEY is too weak for production: it has 40 characters"),
        ({"SECRET_KEY": "a" * 60}, "SECRET_KEY is too weak for production"),
        ({"SECRET_KEY": "insecure-development-key-change-me-0123456789abcdef"}, "SECRET_KEY is a development key"),
        ({"SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)}, "SECRET_KEY is a development key"),
        ({"ALLOWED_HOSTS": ""}, "DJANGO_ENV=production requires ALLOWED_HOSTS"),
        ({"DEBUG": "true"}, "DEBUG must be off when DJANGO_ENV=production"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be 'filesystem' or 's3', not 'ftp'"),
        ({"STORAGE_BACKEND": "s3"}, "STORAGE_BACKEND=s3 requires AWS_STORAGE_BUCKET_NAME."),
    ],
)
def test_production_refuses_to_start_with_an_unsafe_configuration(changes, message):
    result = run_django("print('started')", **{**PRODUCTION_ENV, **changes})

    assert result.returncode == 1
    assert "started" not in result.stdout
    assert "ImproperlyConfigured: " + message in result.stderr


def test_a_strong_key_starts_and_development_needs_no_key():
    assert run_django("print('started')", **PRODUCTION_ENV).stdout == "started\n"
    development = run_django("from django.conf import settings; print(len(settings.SECRET_KEY))")
    assert development.returncode == 0, development.stderr
    assert development.stdout == "51\n"


def test_check_deploy_reports_nothing_in_production():
    result = run_django(
        "from django.core.management import call_command\ncall_command('check', deploy=True, fail_level='DEBUG')",
        **PRODUCTION_ENV,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_reports_what_a_development_configuration_lacks():
    """The converse: the same check does see the development defaults (so the clean run above means something)."""
    result = run_django(
        "from django.core.management import call_command\ncall_command('check', deploy=True, fail_level='CRITICAL')",
    )

    assert result.returncode == 0, result.stderr
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016", "security.W020"):
        assert warning in result.stderr


@pytest.fixture(scope="module")
def production_values():
    code = (
        "import json\nfrom django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name, None) for name in {SECURITY_SETTINGS!r}}}))"
    )
    result = run_django(code, **PRODUCTION_ENV, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


def test_production_values(production_values):
    assert production_values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_REDIRECT_EXEMPT": ["^healthz$", "^readyz$"],
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "LANGUAGE_COOKIE_SECURE": True,
        "LANGUAGE_COOKIE_HTTPONLY": True,
        "X_FRAME_OPTIONS": "DENY",
    }


def test_production_stack_and_switches():
    code = (
        "import json\nfrom django.conf import settings\n"
        "print(json.dumps([settings.MIDDLEWARE[:4], settings.STORAGES['staticfiles'], "
        "settings.LOGGING['handlers']['console'], settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS]))"
    )
    default = json.loads(run_django(code, **PRODUCTION_ENV).stdout)
    assert default == [
        [
            "apps.common.logs.AccessLogMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "apps.common.security.ContentSecurityPolicyMiddleware",
        ],
        {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["redact_secrets"],
        },
        True,
        31536000,
    ]
    # Behind a proxy that redirects to HTTPS itself, and while trying HSTS out with a short max-age:
    switched = json.loads(
        run_django(code, **PRODUCTION_ENV, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="3600").stdout
    )
    assert switched[3:] == [False, 3600]


def test_development_keeps_plain_static_files_and_logs():
    code = (
        "import json\nfrom django.conf import settings\n"
        "print(json.dumps([settings.STORAGES['staticfiles']['BACKEND'], "
        "settings.LOGGING['handlers']['console']['formatter'], "
        "'whitenoise.middleware.WhiteNoiseMiddleware' in settings.MIDDLEWARE, settings.SESSION_COOKIE_SECURE]))"
    )
    result = run_django(code)
    assert json.loads(result.stdout) == ["django.contrib.staticfiles.storage.StaticFilesStorage", "plain", False, False]


# Media: any storage backend by setting; never a public URL on the site.


def test_s3_storage_is_a_setting():
    code = "import json\nfrom django.conf import settings\nprint(json.dumps(settings.STORAGES['default']))"
    result = run_django(
        code,
        **PRODUCTION_ENV,
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="tickets-media",
        AWS_S3_REGION_NAME="eu-central-1",
        AWS_S3_ENDPOINT_URL="https://s3.example.com",
        AWS_LOCATION="attachments-prod",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "tickets-media",
            "location": "attachments-prod",
            "region_name": "eu-central-1",
            "endpoint_url": "https://s3.example.com",
            "addressing_style": None,
            "access_key": None,
            "secret_key": None,
            "default_acl": None,
            "file_overwrite": False,
        },
    }


def test_the_default_storage_is_the_file_system_under_media_root(settings):
    from django.core.files.storage import default_storage

    assert settings.STORAGES["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert Path(default_storage.location) == Path(settings.MEDIA_ROOT)


def test_media_files_have_no_public_url(client, settings):
    stored = Path(settings.MEDIA_ROOT) / "attachments" / "2026" / "secret.txt"
    stored.parent.mkdir(parents=True)
    stored.write_text("internal")

    for path in (f"{settings.MEDIA_URL}attachments/2026/secret.txt", "/media/attachments/2026/secret.txt"):
        with pytest.raises(Resolver404):
            resolve(path)
        response = client.get(path)
        assert response.status_code == 404
        assert b"internal" not in response.content


def test_the_deployment_guide_lists_every_variable_of_env_example():
    example = {
        line.split("=", 1)[0]
        for line in (BASE_DIR / ".env.example").read_text().splitlines()
        if re.match(r"[A-Z][A-Z0-9_]*=", line)
    }
    guide = {
        name
        for line in (BASE_DIR / "docs" / "DEPLOYMENT.md").read_text().splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1])
    }

    assert sorted(example - guide) == [], "in .env.example, missing from docs/DEPLOYMENT.md's table"
    assert sorted(guide - example) == [], "in docs/DEPLOYMENT.md's table, missing from .env.example"


# Security headers on every kind of page, with the values production computes.


@pytest.fixture
def production(settings, production_values):
    for name, value in production_values.items():
        setattr(settings, name, value)
    return settings


def assert_security_headers(response, *, policy: str):
    assert response[HEADER] == policy
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


STRICT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
BACK_OFFICE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def test_the_policies_are_what_the_comments_say():
    assert render_policy(STRICT) == STRICT_POLICY
    assert render_policy(BACK_OFFICE) == BACK_OFFICE_POLICY


@pytest.mark.django_db
def test_portal_page_headers_and_cookies(client, production):
    response = client.get("/login/", secure=True)

    assert response.status_code == 200
    assert_security_headers(response, policy=STRICT_POLICY)
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"


@pytest.mark.django_db
def test_back_office_page_headers(client, production):
    response = client.get("/admin/login/", secure=True)

    assert response.status_code == 200
    assert_security_headers(response, policy=BACK_OFFICE_POLICY)


@pytest.mark.django_db
def test_back_office_session_cookie_is_secure_and_http_only(client, production, admin_user):
    response = client.get("/admin/login/", secure=True)
    token = response.cookies["csrftoken"].value
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": "demo", "csrfmiddlewaretoken": token},
        secure=True,
        HTTP_REFERER="https://testserver/admin/login/",
    )

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True


@pytest.mark.django_db
def test_api_response_headers(client, production):
    response = client.get("/api/users/me/", secure=True)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert_security_headers(response, policy=STRICT_POLICY)


@pytest.mark.django_db
def test_plain_http_is_redirected_unless_a_proxy_says_https(client, production):
    assert client.get("/login/").headers["Location"] == "https://testserver/login/"
    assert client.get("/login/").status_code == 301

    proxied = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    assert "Strict-Transport-Security" in proxied


@pytest.mark.django_db
def test_probes_are_not_redirected(client, production):
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


def test_api_docs_policy_allows_only_the_swagger_template_style():
    from django.template.loader import get_template

    from apps.common.security import api_docs_policy

    policy = api_docs_policy()
    source = get_template("drf_spectacular/swagger_ui.html").template.source
    assert source.count("<style>") == 1
    assert policy["script-src"] == ("'self'",)
    assert len(policy["style-src"]) == 2
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", policy["style-src"][1])
    assert policy["img-src"] == ("'self'", "data:")
    assert "'unsafe-inline'" not in render_policy(policy)


def test_a_response_keeps_its_own_policy():
    from django.http import HttpResponse

    def attachment(request):
        response = HttpResponse(b"%PDF-")
        response[HEADER] = "default-src 'none'; sandbox"
        return response

    response = ContentSecurityPolicyMiddleware(attachment)(RequestFactory().get("/"))
    assert response[HEADER] == "default-src 'none'; sandbox"


@override_settings(DEBUG=True)
def test_debug_error_pages_go_without_a_policy():
    from django.http import HttpResponse

    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse(status=404))
    assert HEADER not in middleware(RequestFactory().get("/missing/"))
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse(status=200))
    assert middleware(RequestFactory().get("/"))[HEADER] == STRICT_POLICY


# Static files: whitenoise serves what collectstatic wrote, under hashed names, cacheable forever.


def test_whitenoise_serves_hashed_static_files(tmp_path):
    code = """
import re
from django.core.management import call_command
from django.test import Client
call_command("collectstatic", interactive=False, verbosity=0)
client = Client(HTTP_X_FORWARDED_PROTO="https")
page = client.get("/login/").content.decode()
css = re.search(r'href="(/static/portal/portal\\.[0-9a-f]{12}\\.css)"', page).group(1)
js = re.search(r'src="(/static/portal/portal\\.[0-9a-f]{12}\\.js)"', page).group(1)
for url in (css, js):
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    print(url, response.status_code, response["Cache-Control"], response.get("Content-Encoding"))
print(client.get("/static/portal/portal.css").status_code)
"""
    result = run_django(
        code,
        **{
            **PRODUCTION_ENV,
            "ALLOWED_HOSTS": "testserver",
            "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "STATIC_ROOT": str(tmp_path / "static"),
        },
    )

    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("{")]  # not the access log
    assert len(lines) == 3
    for line in lines[:2]:
        assert re.fullmatch(
            r"/static/portal/portal\.[0-9a-f]{12}\.(css|js) 200 max-age=315360000, public, immutable gzip", line
        )
    assert lines[2] == "200"  # the unhashed name still answers (with a short cache life)


# In a real browser: the pages of the portal and the back office, and the API docs, run under their policy.

# The pages a person opens (the back office's as an admin, who sees every menu). Some are screenshotted for
# docs/USER_GUIDE.md (artifacts/screenshots/, beside the portal's from tests/test_browser.py).
PORTAL_PAGES = ["/", "/tickets/new/", "/tickets/{ticket}/", "/notifications/", "/profile/"]
BACK_OFFICE_PAGES = {
    "/admin/": "back-office-dashboard",
    "/admin/tickets/ticket/": "back-office-tickets",
    "/admin/tickets/ticket/?status__exact=new": None,
    "/admin/tickets/ticket/{ticket}/change/": None,  # tests/test_browser.py shoots it with a reply
    "/admin/tickets/ticket/add/": None,
    "/admin/accounts/user/": "back-office-users",
    "/admin/departments/department/": None,
    "/admin/departments/department/{department}/change/": "back-office-department",
    "/admin/notifications/notification/": None,
}
SCREENSHOTS = BASE_DIR / "artifacts" / "screenshots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_run_under_their_policy_in_a_browser(chromium, live_server):  # noqa: F811 (the imported fixture)
    """No console error (a blocked script, style or eval is one), and Alpine.js runs the back office."""
    from django.db.models import Count

    from apps.demo import seeding as demo
    from apps.departments.models import Department
    from apps.tickets.models import Ticket

    demo.seed(tickets=40)  # `make run`'s data: the pages show what people see
    # The IT Support ticket with the longest conversation, public replies and internal notes both.
    ticket = (
        Ticket.objects.filter(department__slug="it-support", comments__is_internal=True)
        .annotate(replies=Count("comments", distinct=True))
        .order_by("-replies", "pk")
        .first()
    )
    department = Department.objects.get(slug="it-support")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []

    def on_console(message):
        # The back office links no favicon, so Chromium asks for /favicon.ico by itself: not a page's error.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))

    def log_in(path: str, username: str):
        page.goto(live_server.url + path)
        page.fill("#id_username", username)
        page.fill("#id_password", "demo")
        page.locator("button[type=submit]").first.click()
        page.wait_for_load_state("load")

    log_in("/login/", ticket.requester.username)
    for path in PORTAL_PAGES:
        page.goto(live_server.url + path.format(ticket=ticket.pk))
    context.clear_cookies()
    log_in("/admin/login/", "admin")
    for path, shot in BACK_OFFICE_PAGES.items():
        page.goto(live_server.url + path.format(ticket=ticket.pk, department=department.pk))
        # Alpine.js evaluated unfold's x-data (under a policy without 'unsafe-eval' it stops with a page error).
        assert page.evaluate("() => !!window.Alpine && document.body._x_dataStack?.length > 0"), path
        if shot:
            page.wait_for_timeout(300)  # charts and transitions settle
            page.screenshot(path=str(SCREENSHOTS / f"{shot}-1280x800.png"))
    assert problems == []

    page.goto(live_server.url + "/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert page.inner_text(".swagger-ui .info .title").startswith("Ticket System API")
    context.close()
    assert problems == []
