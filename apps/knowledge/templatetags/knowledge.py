"""Template helpers of the knowledge app's portal includes."""

import secrets

from django import template

from ..models import SatisfactionOptOut

register = template.Library()


@register.simple_tag
def deflection_token() -> str:
    """A new token for one visit of the new-ticket page (its suggestions and deflection are counted once)."""
    return secrets.token_urlsafe(24)


@register.simple_tag(takes_context=True)
def satisfaction_opted_out(context) -> bool:
    user = context["request"].user
    return user.is_authenticated and SatisfactionOptOut.objects.filter(user=user).exists()
