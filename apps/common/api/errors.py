"""Errors of the API: every refusal is JSON with a status that says what went wrong.

DRF already turns Http404 into 404 and Django's PermissionDenied into 403. This module adds what the
services raise (Django's ValidationError → 400 with field messages, StaleObjectError → 412) and what
Django raises for oversized or malformed bodies (→ 413 / 400), so that none of them becomes a 500.
"""

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
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
    return drf_exception_handler(exc, context)
