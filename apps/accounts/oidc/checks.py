"""System checks of the single sign-on settings (`manage.py check`), so that a typo fails at start-up instead of
signing people on as requesters: only while OIDC_ENABLED is on."""

from django.conf import settings
from django.core import checks

from ..choices import Role
from .provider import DISCOVERY_KEYS


@checks.register(checks.Tags.security)
def check_single_sign_on(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not settings.OIDC_ENABLED:
        return []
    errors = []
    if not settings.OIDC_RP_CLIENT_ID or not settings.OIDC_RP_CLIENT_SECRET:
        errors.append(checks.Error("OIDC_ENABLED needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.", id="accounts.E101"))
    if not settings.OIDC_ISSUER and not all(getattr(settings, name) for name in DISCOVERY_KEYS):
        errors.append(
            checks.Error(
                "OIDC_ENABLED needs OIDC_ISSUER (or all of " + ", ".join(DISCOVERY_KEYS) + ").", id="accounts.E102"
            )
        )
    if not settings.OIDC_RP_SIGN_ALGO.startswith(("RS", "ES", "PS")):
        errors.append(
            checks.Error(
                "OIDC_SIGN_ALGO must be an asymmetric algorithm (RS256): ID tokens are checked with the provider's "
                "published keys.",
                id="accounts.E103",
            )
        )
    wrong = sorted(value for value in settings.OIDC_ROLE_MAP.values() if value not in Role.values)
    if wrong:
        errors.append(
            checks.Error(
                f"OIDC_ROLE_MAP maps to {', '.join(wrong)}, which is no role (admin, agent, requester).",
                id="accounts.E104",
            )
        )
    return errors
