"""AI providers, chosen by settings.AI_PROVIDER: `local` (offline default), `google`, `disabled`.

Provider libraries are imported lazily inside the provider modules' functions, so importing this package (or
apps.tickets) loads none of them.
"""

from functools import cache

from django.conf import settings

from .base import Analysis, Provider, ProviderError, TranslationUnavailable

__all__ = ["Analysis", "Provider", "ProviderError", "TranslationUnavailable", "get_provider"]


@cache
def _build(name: str) -> Provider:
    if name == "local":
        from .local import LocalProvider

        return LocalProvider()
    if name == "google":
        from .google import GoogleProvider

        return GoogleProvider()
    if name == "disabled":
        from .disabled import DisabledProvider

        return DisabledProvider()
    raise ProviderError(f"Unknown AI_PROVIDER {name!r} (expected local, google or disabled).")


def get_provider() -> Provider:
    """The configured provider (one instance per name and process)."""
    return _build(settings.AI_PROVIDER)
