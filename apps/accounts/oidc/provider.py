"""The OpenID provider's endpoints: an explicit setting, or the issuer's discovery document.

The document (`<OIDC_ISSUER>/.well-known/openid-configuration`) is fetched the first time an endpoint is
needed, never at import time, and kept in Django's cache for OIDC_DISCOVERY_CACHE_SECONDS. A document whose
`issuer` is not OIDC_ISSUER is refused (OpenID Connect Discovery 1.0, section 4.3).
"""

import hashlib

import requests
from django.conf import settings
from django.core.cache import cache

# Our setting -> the discovery document's key.
DISCOVERY_KEYS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


class ProviderUnavailable(Exception):
    """The provider's configuration could not be read (not configured, unreachable, or inconsistent)."""


def issuer() -> str:
    return settings.OIDC_ISSUER.rstrip("/")


def _cache_key(url: str) -> str:
    return "oidc-discovery:" + hashlib.sha256(url.encode()).hexdigest()[:32]


def discovery() -> dict:
    """The issuer's discovery document (cached)."""
    if not issuer():
        raise ProviderUnavailable("OIDC_ISSUER is not set")
    url = f"{issuer()}/.well-known/openid-configuration"
    document = cache.get(_cache_key(url))
    if document is None:
        try:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"the discovery document could not be read ({exc.__class__.__name__})") from exc
        if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer():
            raise ProviderUnavailable("the discovery document names another issuer")
        cache.set(_cache_key(url), document, timeout=settings.OIDC_DISCOVERY_CACHE_SECONDS)
    return document


def endpoint(setting: str) -> str:
    """The URL of one endpoint: the setting when it is set, else the discovery document's."""
    explicit = getattr(settings, setting, "")
    if explicit:
        return explicit
    value = discovery().get(DISCOVERY_KEYS[setting])
    if not value:
        raise ProviderUnavailable(f"the discovery document has no {DISCOVERY_KEYS[setting]}")
    return value


def forget_discovery() -> None:
    """Drop the cached document (the next use fetches it again)."""
    if issuer():
        cache.delete(_cache_key(f"{issuer()}/.well-known/openid-configuration"))
