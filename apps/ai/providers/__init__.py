"""AI providers, chosen by settings.AI_PROVIDER: `local` (offline default), `google`, `disabled`.

Provider libraries are imported lazily inside the provider modules' functions, so importing this package (or
apps.tickets) loads none of them. `get_provider()` hands out the provider behind the circuit breaker
(apps/ai/breaker.py): every call goes through it.
"""

from functools import cache

from django.conf import settings

from .. import breaker
from .base import Analysis, CircuitOpen, Provider, ProviderError, TranslationUnavailable

__all__ = ["Analysis", "CircuitOpen", "Provider", "ProviderError", "TranslationUnavailable", "get_provider"]


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


class GuardedProvider(Provider):
    """A provider whose every call goes through the circuit breaker kept for its name."""

    def __init__(self, provider: Provider):
        self.provider = provider
        self.name = provider.name

    def detect_language(self, text: str) -> str | None:
        return breaker.call(self.name, self.provider.detect_language, text)

    def analyze(self, text: str) -> Analysis:
        return breaker.call(self.name, self.provider.analyze, text)

    def translate(self, text: str, target: str, source: str | None = None) -> str:
        return breaker.call(self.name, self.provider.translate, text, target=target, source=source)


def get_provider() -> Provider:
    """The configured provider (one instance per name and process), behind the circuit breaker."""
    return GuardedProvider(_build(settings.AI_PROVIDER))
