import pytest

from apps.ai import breaker
from apps.ai.providers import _build

from .fake_google import FakeGoogle


@pytest.fixture
def triage_on(settings):
    settings.AI_TRIAGE_ENABLED = True
    settings.AI_PROVIDER = "local"


@pytest.fixture
def fake_google(settings):
    """AI_PROVIDER=google against a local fake server, with a short timeout and retry deadline."""
    with FakeGoogle() as fake:
        settings.AI_PROVIDER = "google"
        settings.GOOGLE_API_ENDPOINT = fake.url
        settings.GOOGLE_APPLICATION_CREDENTIALS = ""
        settings.GOOGLE_API_KEY = ""
        settings.GOOGLE_CLOUD_PROJECT = "demo-project"
        settings.GOOGLE_CLOUD_LOCATION = "global"
        settings.AI_TIMEOUT = 0.5
        settings.AI_RETRY_DEADLINE = 2.0
        _build.cache_clear()
        yield fake
    _build.cache_clear()


@pytest.fixture
def down(fake_google, settings):
    """The fake Google answers 503 to everything; a short retry deadline keeps each failing call brief."""
    settings.AI_RETRY_DEADLINE = 0.3
    settings.AI_BREAKER_FAILURES = 3
    settings.AI_BREAKER_WINDOW = 60
    settings.AI_BREAKER_COOLDOWN = 60
    for suffix in (":detectLanguage", ":analyzeSentiment", ":classifyText", ":translateText"):
        fake_google.responses[suffix] = [503] * 10_000
    return fake_google


@pytest.fixture
def clock(monkeypatch):
    """The breaker's clock, moved by hand."""
    now = {"t": 1_000_000.0}
    monkeypatch.setattr(breaker, "_now", lambda: now["t"])
    return now


@pytest.fixture(autouse=True)
def _no_loaded_models():
    """Loaded triage models are kept per process by primary key; a rolled-back test's key comes back in the next."""
    from apps.ai.learning import predict

    predict.forget()
    yield
    predict.forget()
