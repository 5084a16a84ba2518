"""AI_PROVIDER=google: Cloud Natural Language (v2) and Cloud Translation (v3) over REST.

Every call passes an explicit `timeout` and a bounded `retry` (the libraries' defaults retry for up to 600 s).
GOOGLE_API_ENDPOINT points both clients at another endpoint (tests use a local fake server); with it and no
GOOGLE_APPLICATION_CREDENTIALS the clients use anonymous credentials.
"""

import threading

from django.conf import settings

from .base import Analysis, Provider, ProviderError

# Google's content categories (first path segment, lower case) → our ticket categories.
GOOGLE_CATEGORIES = {
    "computers & electronics": "incident",
    "internet & telecom": "incident",
    "finance": "billing",
    "business & industrial": "request",
    "jobs & education": "question",
    "reference": "question",
}


def _client_kwargs() -> dict:
    from google.api_core.client_options import ClientOptions

    options = {}
    if settings.GOOGLE_API_ENDPOINT:
        options["api_endpoint"] = settings.GOOGLE_API_ENDPOINT
    if settings.GOOGLE_API_KEY:
        options["api_key"] = settings.GOOGLE_API_KEY
    kwargs = {"transport": "rest", "client_options": ClientOptions(**options)}
    if settings.GOOGLE_API_ENDPOINT and not settings.GOOGLE_APPLICATION_CREDENTIALS and not settings.GOOGLE_API_KEY:
        from google.auth.credentials import AnonymousCredentials

        kwargs["credentials"] = AnonymousCredentials()
    return kwargs


def _retry():
    """Retry only what is worth retrying (503, 429), briefly, and never past AI_RETRY_DEADLINE seconds."""
    from google.api_core import exceptions, retry

    return retry.Retry(
        predicate=retry.if_exception_type(exceptions.ServiceUnavailable, exceptions.TooManyRequests),
        initial=0.1,
        maximum=1.0,
        multiplier=2.0,
        timeout=settings.AI_RETRY_DEADLINE,
    )


class GoogleProvider(Provider):
    name = "google"

    def __init__(self):
        self._lock = threading.Lock()
        self._clients: dict[tuple, object] = {}

    def _client(self, kind: str):
        key = (kind, settings.GOOGLE_API_ENDPOINT, settings.GOOGLE_API_KEY, settings.GOOGLE_APPLICATION_CREDENTIALS)
        with self._lock:
            if key not in self._clients:
                if kind == "language":
                    from google.cloud import language_v2

                    self._clients[key] = language_v2.LanguageServiceClient(**_client_kwargs())
                else:
                    from google.cloud import translate_v3

                    self._clients[key] = translate_v3.TranslationServiceClient(**_client_kwargs())
            return self._clients[key]

    def _call(self, method, request: dict):
        try:
            return method(request=request, timeout=settings.AI_TIMEOUT, retry=_retry())
        except Exception as exc:  # any client, transport or HTTP failure becomes one error with its reason
            from google.api_core import exceptions

            # A rejected request (400) is about this text, not the provider's health: it does not trip the breaker.
            rejected = isinstance(exc, exceptions.BadRequest)
            raise ProviderError(f"{type(exc).__name__}: {exc}"[:500], trips_breaker=not rejected) from exc

    @property
    def _parent(self) -> str:
        if not settings.GOOGLE_CLOUD_PROJECT:
            raise ProviderError("GOOGLE_CLOUD_PROJECT is not set.")
        return f"projects/{settings.GOOGLE_CLOUD_PROJECT}/locations/{settings.GOOGLE_CLOUD_LOCATION}"

    def detect_language(self, text: str) -> str | None:
        if not text.strip():
            return None
        client = self._client("translate")
        response = self._call(
            client.detect_language, {"parent": self._parent, "content": text, "mime_type": "text/plain"}
        )
        if not response.languages:
            return None
        return response.languages[0].language_code.split("-")[0].lower() or None

    def analyze(self, text: str) -> Analysis:
        client = self._client("language")
        document = {"content": text, "type_": "PLAIN_TEXT"}
        sentiment = self._call(client.analyze_sentiment, {"document": document})
        classified = self._call(client.classify_text, {"document": document})
        categories = []
        for category in classified.categories:
            top = category.name.strip("/").split("/")[0].lower()
            mapped = GOOGLE_CATEGORIES.get(top)
            if mapped and mapped not in categories:
                categories.append(mapped)
        return Analysis(sentiment=round(sentiment.document_sentiment.score, 3), categories=categories)

    def translate(self, text: str, target: str, source: str | None = None) -> str:
        client = self._client("translate")
        request = {
            "parent": self._parent,
            "contents": [text],
            "target_language_code": target,
            "mime_type": "text/plain",
        }
        if source:
            request["source_language_code"] = source
        response = self._call(client.translate_text, request)
        if not response.translations:
            raise ProviderError("The translation response was empty.")
        return response.translations[0].translated_text
