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
    ("fr", "Mon ordinateur portable ne démarre plus depuis ce matin."),
    ("fr", "Bonjour, je n'arrive pas à me connecter au VPN. Pouvez-vous réinitialiser mon mot de passe ?"),
    ("fr", "La facture de mars est fausse"),
    ("es", "Mi portátil no arranca desde esta mañana."),
    ("es", "Hola, no puedo conectarme a la VPN. ¿Podrían restablecer mi contraseña, por favor? Gracias."),
    ("es", "La factura de marzo está mal"),
    ("pt", "O meu portátil não liga desde hoje de manhã."),
    ("pt", "Olá, não consigo entrar na VPN. Podem redefinir a minha palavra-passe, por favor? Obrigado."),
    ("pt", "A fatura de março está errada"),
    ("en", "Since the update yesterday, Outlook crashes whenever I open an attachment from a shared mailbox."),
    ("de", "Seit dem Update gestern stürzt Outlook ab, sobald ich einen Anhang aus einem Gruppenpostfach öffne."),
    ("tr", "Dünkü güncellemeden beri paylaşılan posta kutusundan bir eki açtığımda Outlook çöküyor."),
    ("fr", "Depuis la mise à jour d'hier, Outlook plante dès que j'ouvre une pièce jointe d'une boîte partagée."),
    ("es", "Desde la actualización de ayer, Outlook se cierra cuando abro un adjunto de un buzón compartido."),
    ("pt", "Desde a atualização de ontem, o Outlook fecha sempre que abro um anexo de uma caixa partilhada."),
]


def test_detection_is_right_on_at_least_95_percent_of_a_multilingual_sample():
    provider = LocalProvider()
    results = [provider.detect_language(text) for _expected, text in SAMPLE]
    right = sum(result == expected for result, (expected, _text) in zip(results, SAMPLE, strict=True))
    assert right / len(SAMPLE) >= 0.95, list(zip(results, SAMPLE, strict=True))
    assert [provider.detect_language(text) for _expected, text in SAMPLE] == results  # deterministic


@pytest.mark.parametrize(("expected", "text"), [row for row in SAMPLE if row[0] in ("en", "de", "tr")])
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
