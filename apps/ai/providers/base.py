"""The provider interface every AI backend implements, and the errors it raises."""

from dataclasses import dataclass, field


class ProviderError(Exception):
    """The provider failed (down, slow, over quota, misconfigured); the message says why."""


class TranslationUnavailable(ProviderError):
    """This provider cannot translate (the local and disabled providers)."""


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
