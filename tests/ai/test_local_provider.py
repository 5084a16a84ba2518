"""The offline default provider: language detection on the site's languages, English sentiment, keywords."""

import pytest

from apps.ai.providers import TranslationUnavailable
from apps.ai.providers.local import LocalProvider

SAMPLE = [
    ("en", "My laptop does not start since this morning."),
    ("en", "Hello, I cannot log in to the VPN. Could you please reset my password? Thanks a lot."),
    ("en", "The printer on the second floor is jammed again"),
    ("de", "Mein Laptop startet seit heute Morgen nicht mehr."),
    ("de", "Guten Tag, ich kann mich nicht im VPN anmelden. Können Sie bitte mein Passwort zurücksetzen?"),
    ("de", "Die Rechnung für März ist falsch"),
    ("tr", "Dizüstü bilgisayarım bu sabahtan beri açılmıyor."),
    ("tr", "Merhaba, VPN'e giriş yapamıyorum. Şifremi sıfırlayabilir misiniz? Teşekkürler."),
    ("tr", "Mart ayı faturası yanlış"),
]


@pytest.mark.parametrize(("expected", "text"), SAMPLE)
def test_detects_the_sites_languages(expected, text):
    assert LocalProvider().detect_language(text) == expected


def test_empty_text_has_no_language():
    assert LocalProvider().detect_language("   ") is None


def test_english_sentiment_and_keyword_categories():
    analysis = LocalProvider().analyze("This is terrible, my password does not work and I am locked out!")
    assert analysis.categories == ["access"]
    assert analysis.sentiment is not None and analysis.sentiment < -0.4


def test_no_sentiment_outside_english():
    analysis = LocalProvider().analyze("Meine Rechnung ist falsch, bitte um Erstattung.")
    assert (analysis.sentiment, analysis.categories) == (None, ["billing"])


def test_translation_is_reported_unavailable():
    with pytest.raises(TranslationUnavailable, match="local AI provider cannot translate"):
        LocalProvider().translate("Hallo", target="en")
