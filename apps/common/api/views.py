"""Base views of the API, safe by default (after NetBox's BaseViewSet).

A view that inherits from these gets, without writing anything:
- JWT and session authentication (settings) and IsAuthenticated, which a subclass cannot drop;
- a queryset only from `get_scoped_queryset()`, which a subclass must write with a selector: a class-level
  `queryset` is refused when the class is defined, and a missing method is an error, never "all rows";
- query parameters checked against an allow-list (pagination, the FilterSet's fields, `search` and
  `ordering` where the view declares them): anything else is a 400, never passed to the ORM;
- request bodies larger than the limit refused with 413 before they are read;
- throttles only where the view names a scope for an action, announced in `RateLimit-Limit`,
  `RateLimit-Remaining` and `RateLimit-Reset` headers (IETF draft) on every answer of a throttled action;
- `Idempotency-Key` on every POST (idempotency.py): a retry gets the first answer, nothing is done twice;
- OPTIONS without field lists (they would depend on the role);
- every error answer as an RFC 9457 problem document (errors.py), `application/problem+json`.
"""

import math

from django.conf import settings
from django.db.models import Model, QuerySet
from rest_framework.metadata import SimpleMetadata
from rest_framework.permissions import IsAuthenticated
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from .errors import PayloadTooLarge, ProblemResponseMixin
from .filters import AllowListOrderingFilter, GivenFiltersBackend, TermSearchFilter, check_query_parameters
from .idempotency import Replayed, fingerprint, idempotency_begin, request_key


class ScopedThrottle(ScopedRateThrottle):
    """ScopedRateThrottle that reads the rates at request time (DRF reads them once, at import), and leaves on
    the view what the RateLimit headers say: `view.rate_limit = (limit, remaining, reset seconds)`."""

    @property
    def THROTTLE_RATES(self):  # the attribute name DRF's throttle reads
        return api_settings.DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        if self.rate is not None and getattr(self, "history", None) is not None:
            oldest = self.history[-1] if self.history else self.now
            reset = max(1, math.ceil(self.duration - (self.now - oldest)))
            remaining = max(0, self.num_requests - len(self.history))
            self.view_state = (self.num_requests, remaining, reset)
            view.rate_limit = self.view_state
            view.rate_limit_throttle = self
        return allowed

    def refund(self) -> None:
        """Take this request back out of the count (e.g. a successful log-in: only failures use the budget)."""
        if getattr(self, "history", None) and self.history[0] == self.now:
            self.history.pop(0)
            self.cache.set(self.key, self.history, self.duration)


class RateLimitHeadersMixin(ProblemResponseMixin):
    """Answers of a throttled action say how much of the budget is left (IETF draft RateLimit header fields)."""

    rate_limit: tuple[int, int, int] | None = None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.rate_limit is not None:
            limit, remaining, reset = self.rate_limit
            response["RateLimit-Limit"] = str(limit)
            response["RateLimit-Remaining"] = str(remaining)
            response["RateLimit-Reset"] = str(reset)
        return response


class DescriptionOnlyMetadata(SimpleMetadata):
    """OPTIONS answers name, description, media types, but no field lists: which fields a caller may write
    depends on its role, and the OpenAPI schema describes the bodies."""

    def determine_actions(self, request, view):
        return {}


class SafeViewMixin(RateLimitHeadersMixin):
    """Authentication, permission, query-parameter, body-size, throttle and idempotency defaults of every API view."""

    idempotency_claim = None

    permission_classes = [IsAuthenticated]
    metadata_class = DescriptionOnlyMetadata
    #: viewset action (or lower-case HTTP method for plain views) → throttle scope in DEFAULT_THROTTLE_RATES.
    throttle_scopes: dict[str, str] = {}
    #: viewset actions that are lists (their query parameters are filters, search, ordering, pagination).
    list_actions = frozenset({"list"})

    def get_permissions(self):
        permissions = list(super().get_permissions())
        if not any(isinstance(p, IsAuthenticated) for p in permissions):
            permissions.insert(0, IsAuthenticated())
        return permissions

    def get_throttles(self):
        key = getattr(self, "action", None) or self.request.method.lower()
        scope = self.throttle_scopes.get(key)
        if scope is None:
            return []
        self.throttle_scope = scope
        return [ScopedThrottle()]

    def max_body_bytes(self) -> int:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def is_list_request(self) -> bool:
        return getattr(self, "action", None) in self.list_actions

    def initial(self, request, *args, **kwargs):
        # Before authentication: the session's CSRF check may read the body.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.max_body_bytes():
            raise PayloadTooLarge()
        # An undeclared method is a 405 whatever the query string says (DRF would check the parameters first).
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            self.http_method_not_allowed(request, *args, **kwargs)
        key = request_key(request)
        # Read before the parsers consume the body.
        request_fingerprint = fingerprint(request._request) if key is not None else None
        super().initial(request, *args, **kwargs)
        check_query_parameters(request, self, is_list=self.is_list_request())
        if key is not None:
            self.idempotency_claim = idempotency_begin(request, key=key, fingerprint=request_fingerprint)

    def handle_exception(self, exc):
        if isinstance(exc, Replayed):
            return exc.response
        try:
            return super().handle_exception(exc)
        except BaseException:
            if self.idempotency_claim is not None:  # a 500: the retry is done afresh
                self.idempotency_claim.release()
                self.idempotency_claim = None
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.idempotency_claim is not None:
            claim, self.idempotency_claim = self.idempotency_claim, None
            claim.finish(response)
        return response


class SafeAPIView(SafeViewMixin, APIView):
    """A plain API view with the safe defaults (for endpoints that are not a resource collection)."""


class ScopedViewSet(SafeViewMixin, GenericViewSet):
    """A viewset whose rows come from a selector, with allow-listed filters, search and ordering.

    Subclasses set `model` and write `get_scoped_queryset()`; they may set `filterset_class`,
    `search_fields` and `ordering_fields` (public name → field or expression).
    """

    model: type[Model]
    lookup_value_converter = "int"
    filter_backends = [GivenFiltersBackend, TermSearchFilter, AllowListOrderingFilter]
    filterset_class = None
    search_fields: tuple[str, ...] = ()
    ordering_fields: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls, "queryset", None) is not None:
            raise TypeError(f"{cls.__name__}: rows come from get_scoped_queryset(), not a class-level queryset")

    def get_scoped_queryset(self) -> QuerySet:
        raise NotImplementedError(f"{type(self).__name__} must define get_scoped_queryset() with a selector")

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # the schema generator only needs the model
            return self.model._default_manager.none()
        return self.get_scoped_queryset()
