"""The provider interface every AI backend implements, and the errors it raises."""

from dataclasses import dataclass, field


class ProviderError(Exception):
    """The provider failed (down, slow, over quota, misconfigured); the message says why.

    `trips_breaker`: whether the failure counts towards opening the circuit breaker (apps/ai/breaker.py); a
    failure that says nothing about the provider's health (a rejected request) is raised with False.
    """

    trips_breaker = True

    def __init__(self, *args, trips_breaker: bool | None = None):
        super().__init__(*args)
        if trips_breaker is not None:
            self.trips_breaker = trips_breaker


class TranslationUnavailable(ProviderError):
    """This provider cannot translate (the local and disabled providers)."""

    trips_breaker = False


class CircuitOpen(ProviderError):
    """The circuit breaker is open: the provider was not called. `retry_after`: seconds until it may be."""

    trips_breaker = False

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Analysis:
    """What a provider says about a text: sentiment in [-1, 1] (None: unknown) and category codes."""

    sentiment: float | None = None
    categories: list[str] = field(default_factory=list)


class Provider:
    """Detect a language, analyse a text, translate it. Subclasses override what they support."""

    name = "base"

    def detect_language(self, text: str) -> str | None:
        return None

    def analyze(self, text: str) -> Analysis:
        return Analysis()

    def translate(self, text: str, target: str, source: str | None = None) -> str:
        raise TranslationUnavailable("Translation is not available with this AI provider.")
