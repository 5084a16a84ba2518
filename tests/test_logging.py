"""Logs: JSON lines on stdout in production, and no password, token, key or cookie in any of them."""

import json
import logging
import secrets
import sys

import pytest
from django.test import RequestFactory

from apps.common.logs import JsonFormatter, RedactSecretsFilter, redact, redact_value
from tests.test_production import PRODUCTION_ENV, run_django

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwidXNlcl9pZCI6MX0."
    "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def.ghi-123", "Authorization: [redacted]"),
        ("headers={'Authorization': 'Basic dXNlcjpwYXNz'}", "headers={'Authorization': '[redacted]'}"),
        ("HTTP_COOKIE=sessionid=abc123; csrftoken=xyz", "HTTP_COOKIE=[redacted]"),
        ("sent Bearer 8f14e45fceea167a5a36dedd4bea2543 upstream", "sent Bearer [redacted] upstream"),
        (f"refresh token {JWT} rotated", "refresh token [redacted] rotated"),
        ("password=hunter22&username=carol", "password=[redacted]&username=carol"),
        ('{"username": "carol", "password": "hunter 22"}', '{"username": "carol", "password": "[redacted]"}'),
        (
            "{'new_password1': 's3cret', 'old_password': 'x'}",
            "{'new_password1': '[redacted]', 'old_password': '[redacted]'}",
        ),
        ("csrfmiddlewaretoken=Qm9vayBy&next=/admin/", "csrfmiddlewaretoken=[redacted]&next=/admin/"),
        ("SECRET_KEY = 'abc' API_KEY: xyz", "SECRET_KEY = '[redacted]' API_KEY: [redacted]"),
        ("could not reach redis://:pa55@cache:6379/0", "could not reach redis://:[redacted]@cache:6379/0"),
        ("postgres://tickets:pa55@db.internal:5432/tickets", "postgres://tickets:[redacted]@db.internal:5432/tickets"),
        ("Not Found: /password-reset/MQ/cn1k3s-8f14e45fceea/", "Not Found: /password-reset/MQ/[redacted]/"),
        # Ordinary text stays as it is.
        ("Ticket TCK-000123 assigned to alice", "Ticket TCK-000123 assigned to alice"),
        ("Token blacklisted after rotation", "Token blacklisted after rotation"),
        ("GET /api/token/refresh/ 200", "GET /api/token/refresh/ 200"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected
    assert redact(expected) == expected  # the filter and the formatter may both pass over a message


def test_redact_value_hides_secret_fields_and_summarises_requests():
    request = RequestFactory().post("/password-reset/MQ/abc-123/?token=x", HTTP_AUTHORIZATION="Bearer 123456789")

    assert redact_value(
        {
            "user": "carol",
            "password": "hunter22",
            "tokens": ["a", "b"],
            "headers": {"Authorization": "Bearer 123456789", "Accept": "application/json"},
            "request": request,
            "count": 3,
            "socket": object(),
        }
    ) == {
        "user": "carol",
        "password": "[redacted]",
        "tokens": "[redacted]",
        "headers": {"Authorization": "[redacted]", "Accept": "application/json"},
        "request": {"method": "POST", "path": "/password-reset/MQ/[redacted]/"},
        "count": 3,
        "socket": "<object>",
    }


def make_record(msg, *args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.getLogger("tests.logging").makeRecord(
        "tests.logging", logging.WARNING, __file__, 1, msg, args, exc_info, extra=extra
    )
    record.created = 1_800_000_000.25
    return record


def test_the_filter_rewrites_message_arguments_extras_and_exception():
    try:
        raise ValueError(f"bad token {JWT}")
    except ValueError:
        exc_info = sys.exc_info()
    record = make_record(
        "login failed for %s with password=%s", "carol", "hunter22", exc_info=exc_info, api_key="k-123", user_id=7
    )

    assert RedactSecretsFilter().filter(record) is True
    assert record.getMessage() == "login failed for carol with password=[redacted]"
    assert record.args == ()
    assert record.api_key == "[redacted]"
    assert record.user_id == 7
    assert JWT not in record.exc_text
    assert record.exc_text.endswith("ValueError: bad token [redacted]")


def test_json_formatter_writes_one_object_per_line():
    record = make_record("ticket %s created", "TCK-000001", status=201, authorization="Bearer x")
    RedactSecretsFilter().filter(record)

    line = JsonFormatter().format(record)

    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2027-01-15T08:00:00.250+00:00",
        "level": "WARNING",
        "logger": "tests.logging",
        "message": "ticket TCK-000001 created",
        "status": 201,
        "authorization": "[redacted]",
    }


def test_json_formatter_redacts_even_without_the_filter():
    record = make_record("Authorization: Bearer 123456789abc", password="x")

    assert json.loads(JsonFormatter().format(record))["message"] == "Authorization: [redacted]"
    assert json.loads(JsonFormatter().format(record))["password"] == "[redacted]"


def test_production_process_logs_json_lines_without_secrets():
    """A production process, end to end: settings' LOGGING, a failed API log-in, a request with a token."""
    password = "correct-horse-" + secrets.token_hex(8)
    bearer = secrets.token_urlsafe(24)
    code = f"""
import logging
from django.conf import settings
from django.test import Client
PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"
logging.getLogger("apps.tickets").warning("user %s sent password=%s", "carol", {password!r})
logging.getLogger("apps.tickets").info("calling upstream", extra={{"headers": {{"Authorization": "Bearer {bearer}"}}}})
from django.test import override_settings
override_settings(STORAGES={{**settings.STORAGES, "staticfiles": {{"BACKEND": PLAIN}}}}).enable()  # no collectstatic
client = Client(HTTP_X_FORWARDED_PROTO="https")
client.get("/api/users/me/", HTTP_AUTHORIZATION="Bearer {bearer}")
client.get("/password-reset/x/{bearer}/")  # an undecodable uid: no database needed
"""
    result = run_django(
        code, **{**PRODUCTION_ENV, "ALLOWED_HOSTS": "testserver", "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    )

    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert password not in result.stdout
    assert bearer not in result.stdout
    assert entries[0]["message"] == "user carol sent password=[redacted]"
    assert entries[1]["headers"] == {"Authorization": "[redacted]"}
    access = [entry for entry in entries if entry["logger"] == "ticket_system.access"]
    assert [(entry["method"], entry["path"], entry["status"]) for entry in access] == [
        ("GET", "/api/users/me/", 401),
        ("GET", "/password-reset/x/[redacted]/", 200),
    ]
    assert {entry["level"] for entry in entries} <= {"INFO", "WARNING"}


def test_an_ordinary_403_is_logged_as_one_line_without_a_traceback(caplog, db):
    from django.test import Client

    from tests.accounts.factories import UserFactory
    from tests.support import logged_in

    agent = UserFactory(username="erin", role="agent")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        # The ticket import page: agents without tickets.import_ticket are refused (PermissionDenied).
        response = logged_in(agent).get("/admin/tickets/ticket/import/")
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Forbidden (Permission denied): /admin/tickets/ticket/import/"
    assert record.exc_info is None
    assert Client().get("/favicon.ico").status_code == 200
