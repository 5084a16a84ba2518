"""JWT endpoints, the users API, and the audit log's API for admins."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt_views

from apps.audit.api.views import AuditEntryViewSet
from apps.common.api.views import RateLimitHeadersMixin, ScopedThrottle, ScopedViewSet

from ..models import User
from ..permissions import is_admin, is_agent
from ..selectors import department_groups, users_visible_to
from .filters import UserFilter
from .serializers import (
    TokenBlacklistSerializer,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
    UserSerializer,
)

# What the token endpoints answer with, for the schema (simplejwt's serializers do not describe it).
TOKEN_PAIR = inline_serializer("TokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()})
# Verify and log-out answer with an empty object.
EMPTY = OpenApiResponse(
    {"type": "object", "properties": {}, "additionalProperties": False, "description": "An empty object."},
    description="Done.",
)


class ThrottledTokenView(RateLimitHeadersMixin):
    """Token endpoints are throttled per client address (settings: NUM_PROXIES, API_THROTTLE_TOKEN), with the
    RateLimit headers on every answer. A successful log-in is taken back out of the count: the budget is for
    failures, so a program that logs in often is never locked out by its own successes (wrong passwords are
    also counted per account and address by apps/accounts/throttling.py)."""

    throttle_classes = [ScopedThrottle]
    throttle_scope = "token"
    refund_success = False

    def finalize_response(self, request, response, *args, **kwargs):
        throttle = getattr(self, "rate_limit_throttle", None)
        if self.refund_success and throttle is not None and response.status_code == 200:
            throttle.refund()
            limit, remaining, reset = self.rate_limit
            self.rate_limit = (limit, min(limit, remaining + 1), reset)
        return super().finalize_response(request, response, *args, **kwargs)


@extend_schema(
    tags=["auth"],
    summary="Obtain a token pair",
    description=(
        "Username and password → an access token (short-lived) and a refresh token. The account lockout of "
        "the log-in pages applies: after too many failures for the account (from any address and any way in) "
        "or from the client address, requests are refused with 429 until the window ends."
    ),
    responses={200: TOKEN_PAIR},
    examples=[
        OpenApiExample(
            "Password",
            summary="Username and password",
            value={"username": "ada", "password": "correct horse"},
            request_only=True,
        ),
        OpenApiExample(
            "With the second factor",
            value={"username": "ada", "password": "correct horse", "otp": "492039"},
            request_only=True,
        ),
        OpenApiExample(
            "A token pair",
            value={
                "access": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwidXNlcl9pZCI6NX0.c2lnbmF0dXJl",
                "refresh": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsInVzZXJfaWQiOjV9.c2lnbmF0dXJl",
            },
            response_only=True,
            status_codes=["200"],
        ),
    ],
)
@extend_schema_view(post=extend_schema(operation_id="token_obtain"))
class TokenObtainPairView(ThrottledTokenView, jwt_views.TokenObtainPairView):
    serializer_class = TokenObtainPairSerializer
    refund_success = True


@extend_schema(
    tags=["auth"],
    summary="Refresh the access token",
    description=(
        "A refresh token → a new access token and a new refresh token. The refresh token sent is "
        "blacklisted: using it again is a 401."
    ),
)
class TokenRefreshView(ThrottledTokenView, jwt_views.TokenRefreshView):
    serializer_class = TokenRefreshSerializer


@extend_schema(
    tags=["auth"],
    summary="Log out",
    description="Blacklist a refresh token. Access tokens already issued expire by themselves (minutes).",
    responses={200: EMPTY},
)
class TokenBlacklistView(ThrottledTokenView, jwt_views.TokenBlacklistView):
    serializer_class = TokenBlacklistSerializer


@extend_schema(
    tags=["auth"],
    summary="Verify a token",
    description="200 if the token is valid, else 401.",
    responses={200: EMPTY},
)
class TokenVerifyView(ThrottledTokenView, jwt_views.TokenVerifyView):
    serializer_class = TokenVerifySerializer


class IsStaffRole(BasePermission):
    """Agents and admins (requesters do not browse other accounts)."""

    message = _("Only agents and admins can list users.")

    def has_permission(self, request, view):
        return is_admin(request.user) or is_agent(request.user)


@extend_schema_view(
    list=extend_schema(
        summary="List users",
        description=(
            "Admins see every account; agents see themselves, the members of their departments and the "
            "requesters of the tickets they can see; requesters are refused (403)."
        ),
    ),
    retrieve=extend_schema(
        summary="Read a user",
        description="An account you may list (requesters: only their own); any other is a 404.",
    ),
    me=extend_schema(summary="Your own account", description="The account the request is authenticated as."),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = User
    serializer_class = UserSerializer
    filterset_class = UserFilter
    search_fields = ("username", "email", "first_name", "last_name")
    ordering_fields = {"username": "username", "last_name": "last_name", "date_joined": "date_joined", "id": "id"}

    def get_permissions(self):
        permissions = super().get_permissions()
        if self.action == "list":
            permissions.append(IsStaffRole())
        return permissions

    def get_scoped_queryset(self):
        user = self.request.user
        if self.action == "retrieve" and not (is_admin(user) or is_agent(user)):
            return User.objects.filter(pk=user.pk).prefetch_related(department_groups())
        return users_visible_to(user).prefetch_related(department_groups())

    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def me(self, request):
        user = User.objects.prefetch_related(department_groups()).get(pk=request.user.pk)
        return Response(self.get_serializer(user).data)


class IsAdminRole(BasePermission):
    """Admins only."""

    message = _("Only admins can read the audit log.")

    def has_permission(self, request, view):
        return is_admin(request.user)


class AdminAuditEntryViewSet(AuditEntryViewSet):
    """`GET /api/audit/` for admins (apps/audit/api/views.py)."""

    reader_permission = IsAdminRole
