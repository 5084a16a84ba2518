"""Logging: one JSON object per line on stdout in production, and no secret in any log line.

RedactSecretsFilter sits on the console handler (config/settings.py LOGGING), so every record of every logger
(Django, django-q2, the project's own) passes it before any formatter sees it. It rewrites the message, the
exception text and the extra fields: Authorization headers and bearer/basic credentials, JWTs, values of
password/secret/token/key/session/cookie fields (`password=...`, `"token": "..."`), passwords inside URLs
(`postgres://user:PASSWORD@host`) and the token of password-reset links become "[redacted]". The rules err on
the side of hiding: a log line may lose a harmless value, never keep a secret.

JsonFormatter writes time, level, logger, message, the extra fields and the exception. AccessLogMiddleware logs
one line per request (method, path, status, duration, user id), as gunicorn's access log would, but through
the same filter and formatter.
"""

import json
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import LazyObject, empty

REDACTED = "[redacted]"

# Names of fields whose values are secret wherever they appear: extra={...} keys and key=value pairs.
SENSITIVE_NAME = re.compile(
    r"pass(word|wd|phrase)?|secret|token|authori[sz]ation|cookie|session|api[_-]?key|private[_-]?key"
    r"|credential|signature|^access$|^refresh$",
    re.IGNORECASE,
)
_NAME = (
    r"[\w-]*(?:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|credential|sessionid|csrftoken)"
    r"[\w-]*"
)


def _keep_quotes(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group('name')}{quote}{REDACTED}{quote}"


PATTERNS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # Authorization / Proxy-Authorization / Cookie headers (also as HTTP_COOKIE), whatever follows on the line.
    (
        re.compile(r"(?i)(?<![a-z])((?:proxy-)?authorization|cookie)(['\"]?\s*[:=]\s*['\"]?)([^'\"\r\n]+)"),
        rf"\1\2{REDACTED}",
    ),
    (re.compile(r"\b([Bb]earer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    # JSON Web Tokens anywhere (header.payload.signature, base64url; the header always starts with eyJ).
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # password=..., "secret": "...", 'api_key': '...', csrfmiddlewaretoken=... (form bodies, repr() of dicts).
    (
        re.compile(
            rf"(?i)(?P<name>[\"']?\b{_NAME}[\"']?\s*[:=]\s*)(?!\[redacted\])(?P<value>\"[^\"]*\"|'[^']*'|[^\s&,;)}}\]]+)"
        ),
        _keep_quotes,
    ),
    # A password inside a URL: scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@"), rf"\1{REDACTED}@"),
    # The token of a password-reset link: /password-reset/<uidb64>/<token>/
    (re.compile(r"(/password-reset/[\w-]+/)[\w-]+(?=/|$)"), rf"\1{REDACTED}"),
)

# Attributes every LogRecord has; anything else on a record came from extra={...}.
STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def redact(text: str) -> str:
    """`text` with every secret the PATTERNS recognise replaced by "[redacted]"."""
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any, *, name: str = "") -> Any:
    """A log-safe copy of an extra field's value: secret names hidden, strings redacted, requests summarised."""
    if name and SENSITIVE_NAME.search(name):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(key): redact_value(item, name=str(key)) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, HttpRequest):
        # Never headers, cookies or the body: the method and the path (redacted) say which request it was.
        return {"method": value.method, "path": redact(value.path)}
    return f"<{type(value).__name__}>"  # sockets, model instances...: their repr may hold anything


class RedactSecretsFilter(logging.Filter):
    """Rewrite a record so that no secret reaches any formatter (see the module's docstring)."""

    _exception_formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep both, as text
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exception_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name in set(vars(record)) - STANDARD_ATTRIBUTES:
            setattr(record, name, redact_value(getattr(record, name), name=name))
        return True


class OrdinaryForbiddenFilter(logging.Filter):
    """Keep the one line of a refused request (403) but drop its traceback.

    Django logs "Forbidden (Permission denied): /path" with the PermissionDenied exception attached, so every
    ordinary refusal printed a traceback that looked like a crash. Set on the `django.request` logger.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in sorted(set(vars(record)) - STANDARD_ATTRIBUTES):
            entry.setdefault(name, redact_value(getattr(record, name), name=name))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


access_logger = logging.getLogger("ticket_system.access")


def _user_id(request: HttpRequest) -> int | None:
    """The id of the user the request was served for; None when anonymous or when nothing looked.

    request.user is lazy: reading it here for a request that never did would load the session for a log line.
    """
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, LazyObject) and user._wrapped is empty):
        return None
    return getattr(user, "pk", None)


class AccessLogMiddleware:
    """Log one line per request: method, path (no query string), status, duration in ms and the user's id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        access_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "user_id": _user_id(request),
            },
        )
        return response
