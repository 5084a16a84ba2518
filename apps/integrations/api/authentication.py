"""API keys on the API: `Authorization: Bearer tsk_...` or `Authorization: Api-Key tsk_...`.

A key acts as its owner with exactly the owner's visibility. A Bearer value without the `tsk_` prefix is left to
the JWT authentication that follows this class. Refused at once (401): an unknown, expired or revoked key, and a
key of a deactivated account. The back office's second factor does not apply to keys (they are issued by
someone who logged in fully, and programs cannot answer a second factor).
"""

import ipaddress

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from apps.common.addresses import client_address

from ..services import API_KEY_PREFIX, api_key_use

SCHEMES = (b"bearer", b"api-key")


def _address(request) -> str | None:
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticate a request by an API key; `request.auth` is the ApiKey."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in SCHEMES:
            return None
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            return None
        if not key.startswith(API_KEY_PREFIX):
            if parts[0].lower() == b"bearer":
                return None  # a JWT
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        api_key = api_key_use(key=key, address=_address(request))
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API key."))
        if not api_key.owner.is_active:
            raise exceptions.AuthenticationFailed(_("The account of this API key is deactivated."))
        return api_key.owner, api_key

    def authenticate_header(self, request):
        # The same challenge as the JWT authentication, so an anonymous request stays a 401.
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The OpenAPI description: an API key in the Authorization header."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (`tsk_...`) as a Bearer token; `Authorization: Api-Key <key>` works too.",
        }
