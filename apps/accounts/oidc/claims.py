"""What a provider's claims mean here: the role, and the registry for what the apps above accounts read from them.

Role: when OIDC_ROLE_CLAIM is set, the claim's values (a string or a list; a dotted name reaches into nested
objects, e.g. `realm_access.roles`) are looked up in OIDC_ROLE_MAP (value -> admin / agent / requester); the
highest role matched wins and no match means requester. The backend applies it on every sign-on, so a change at
the provider takes effect at the next sign-on. With OIDC_ROLE_CLAIM empty, roles are managed here only and a new
account is a requester.

Departments are above accounts: apps.departments registers a listener with `on_sso_sign_in()` in its
AppConfig.ready() and applies OIDC_DEPARTMENT_CLAIM / OIDC_DEPARTMENT_MAP itself (apps/departments/services.py).
Listeners run inside the sign-on's transaction, after the role; one that fails refuses the sign-on.
"""

from collections.abc import Callable, Mapping

from django.conf import settings

from ..choices import Role

# Highest first: a person in both the admins' and the agents' group is an admin.
ROLE_ORDER = (Role.ADMIN, Role.AGENT, Role.REQUESTER)


def claim_values(claims: Mapping, name: str) -> list[str]:
    """The claim's values as strings: a string is one value, a list gives its strings, anything else none."""
    value = claims
    for part in name.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def role_from_claims(claims: Mapping) -> str | None:
    """The role the claims give, or None when roles do not come from the provider (OIDC_ROLE_CLAIM empty)."""
    if not settings.OIDC_ROLE_CLAIM:
        return None
    mapped = {settings.OIDC_ROLE_MAP.get(value) for value in claim_values(claims, settings.OIDC_ROLE_CLAIM)}
    return next((role for role in ROLE_ORDER if role in mapped), Role.REQUESTER)


SignInListener = Callable[..., None]  # listener(*, user, claims)

_listeners: dict[str, SignInListener] = {}


def on_sso_sign_in(name: str, listener: SignInListener) -> None:
    """Call `listener(user=..., claims=...)` on every single sign-on (from an AppConfig.ready()); a name registered
    again replaces its listener."""
    _listeners[name] = listener


def sso_signed_in(*, user, claims: Mapping) -> None:
    """Tell every listener, inside the caller's transaction."""
    for listener in list(_listeners.values()):
        listener(user=user, claims=claims)
