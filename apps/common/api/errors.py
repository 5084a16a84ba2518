"""Errors of the API: every refusal is a problem document (RFC 9457, `application/problem+json`).

    {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "Invalid input.",
     "code": "invalid", "errors": {"title": ["This field is required."]}}

`code` is machine-readable (DRF's error codes: invalid, not_authenticated, token_not_valid, permission_denied,
not_found, method_not_allowed, throttled, stale, ...); `errors` holds the field (or query parameter, or
`non_field_errors`) messages of a 400. Other members are extensions (a 412 carries `current`).

DRF already turns Http404 into 404 and Django's PermissionDenied into 403. This module adds what the
services raise (Django's ValidationError → 400 with field messages, StaleObjectError → 412) and what
Django raises for oversized or malformed bodies (→ 413 / 400), so that none of them becomes a 500.
`ProblemResponseMixin` gives every error answer of a view the problem form, also those a view builds itself.
"""

from http import HTTPStatus

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from apps.common.errors import StaleObjectError


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The object was changed by someone else since you read it. Reload it and try again.")
    default_code = "stale"


def validation_detail(exc: DjangoValidationError, *, field: str | None = None) -> dict[str, list[str]]:
    """Field → messages of a Django ValidationError; messages without a field go under `field` or
    DRF's non-field key."""
    fallback = field or api_settings.NON_FIELD_ERRORS_KEY
    if hasattr(exc, "error_dict"):
        detail: dict[str, list[str]] = {}
        for name, messages in exc.message_dict.items():
            key = fallback if name == NON_FIELD_ERRORS else name
            detail.setdefault(key, []).extend(messages)
        return detail
    return {fallback: list(exc.messages)}


PROBLEM_MEDIA_TYPE = "application/problem+json"
# The code of an error answer that names none, by status.
STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "stale",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "throttled",
    503: "unavailable",
}


def _plain(value):
    """ErrorDetail strings and lazy text as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def problem(*, status: int, detail: str | None = None, code: str | None = None, errors=None, **extensions) -> dict:
    """An RFC 9457 problem document."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": str(detail) if detail is not None else HTTPStatus(status).description,
        "code": code or STATUS_CODES.get(status, "error"),
    }
    if errors is not None:
        body["errors"] = _plain(errors)
    return body | extensions


def is_problem(data) -> bool:
    return isinstance(data, dict) and "type" in data and "status" in data and "code" in data


def problem_from_data(status: int, data) -> dict:
    """The problem form of an error answer a view built itself (DRF's {"detail": ...} and extra members)."""
    if is_problem(data):
        return data
    if isinstance(data, dict) and "detail" in data:
        extra = {k: v for k, v in data.items() if k not in ("detail", "code", "type", "title", "status")}
        return problem(status=status, detail=data["detail"], code=data.get("code"), **extra)
    if isinstance(data, (dict, list)) and status == 400:
        errors = data if isinstance(data, dict) else {api_settings.NON_FIELD_ERRORS_KEY: data}
        return problem(status=status, detail=_("Invalid input."), errors=errors)
    return problem(status=status, detail=None if data is None else str(data))


def problem_from_exception(exc: exceptions.APIException) -> dict:
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        errors = detail if isinstance(detail, dict) else {api_settings.NON_FIELD_ERRORS_KEY: detail}
        return problem(status=exc.status_code, detail=_("Invalid input."), code="invalid", errors=errors)
    if isinstance(detail, dict):  # simplejwt: {"detail", "code", "messages"}
        return problem(status=exc.status_code, detail=detail.get("detail"), code=str(detail.get("code") or ""))
    code = getattr(detail, "code", None) or exc.default_code
    if isinstance(detail, list):
        detail = " ".join(str(d) for d in detail)
    return problem(status=exc.status_code, detail=detail, code=str(code))


class ProblemResponseMixin:
    """Every error answer of the view in the problem form, served as application/problem+json (JSON only; the
    browsable API keeps its HTML page)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400 and hasattr(response, "data"):
            response.data = problem_from_data(response.status_code, response.data)
            renderer = getattr(response, "accepted_renderer", None)
            if renderer is not None and renderer.format == "json":
                response.content_type = PROBLEM_MEDIA_TYPE
        return response


def exception_handler(exc, context):
    """DRF's handler, plus the exceptions of our services and of Django's request parsing."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_detail(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ParseError(_("The request has too many fields or files."))
    elif isinstance(exc, StaleObjectError):
        # Views that can show the current state answer with it (see TicketViewSet.stale_response).
        stale_response = getattr(context.get("view"), "stale_response", None)
        if stale_response is not None:
            return stale_response(exc)
        exc = PreconditionFailed()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = problem_from_exception(exc)
    return response
