"""AI_PROVIDER=local (the default): offline, nothing to configure.

Language: lingua, restricted to settings.AI_DETECT_LANGUAGES (all 75 would take ~1 GB), built once per process.
Sentiment: vaderSentiment, English only. Categories: keyword lists per ticket category in en, de, tr, fr, es and pt
(the cold start of the learning triage, apps/ai/learning). No translation.
"""

import re
import threading

from django.conf import settings

from .base import Analysis, Provider, TranslationUnavailable

# Keywords per apps.tickets.choices.Category value, in the languages of AI_DETECT_LANGUAGES (en, de, tr, fr, es,
# pt; one line each); a word matches at a word start, so a stem ("imprim") covers its forms.
CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "incident": (
        "error", "broken", "crash", "down", "fails", "failed", "not working", "outage", "bug", "jam",
        "fehler", "kaputt", "funktioniert nicht", "absturz", "stürzt", "ausfall", "störung",
        "hata", "çalışmıyor", "bozuk", "çöktü", "çöküyor", "arıza",
        "erreur", "en panne", "panne", "plante", "ne fonctionne pas", "ne marche pas", "bloqué",
        "no funciona", "se bloquea", "avería", "caído", "fallo",
        "erro", "quebrad", "não funciona", "trava", "falha", "pane",
    ),
    "access": (
        "password", "login", "log in", "account", "locked out", "permission", "access", "vpn",
        "passwort", "anmeld", "konto", "zugang", "gesperrt",
        "şifre", "parola", "giriş", "hesap", "erişim",
        "mot de passe", "connexion", "connecter", "compte", "accès",
        "contraseña", "iniciar sesión", "cuenta", "acceso",
        "senha", "conta", "acesso",
    ),
    "billing": (
        "invoice", "bill", "payment", "refund", "charge", "price",
        "rechnung", "zahlung", "erstattung", "gebühr",
        "fatura", "ödeme", "iade", "ücret",
        "facture", "paiement", "rembours", "débité", "tarif",
        "factura", "pago", "reembolso", "cobr", "precio",
        "pagamento", "cobrad", "preço",
    ),
    "request": (
        "please install", "need a", "request", "new laptop", "order", "set up",
        "bitte installieren", "benötige", "anfrage", "bestellen",
        "talep", "istiyorum", "kurulum", "lazım",
        "demande", "commander", "installer", "besoin d",
        "solicitud", "necesito", "instalar", "pedir",
        "solicitação", "preciso de", "encomendar",
    ),
    "question": (
        "how do i", "how can i", "question",
        "wie kann ich", "frage",
        "nasıl", "soru",
        "comment puis-je", "comment faire",
        "cómo puedo", "pregunta",
        "como posso", "pergunta", "dúvida",
    ),
}  # fmt: skip

_lock = threading.Lock()
_detector = None
_analyzer = None


def _get_detector():
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [getattr(IsoCode639_1, code.upper()) for code in settings.AI_DETECT_LANGUAGES]
                _detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()
    return _detector


def _get_analyzer():
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                _analyzer = SentimentIntensityAnalyzer()
    return _analyzer


def keyword_categories(text: str) -> list[str]:
    """The categories whose keywords occur in `text`, in CATEGORY_KEYWORDS order."""
    lowered = text.lower()
    return [
        category
        for category, words in CATEGORY_KEYWORDS.items()
        if any(re.search(r"(?<!\w)" + re.escape(word), lowered) for word in words)
    ]


class LocalProvider(Provider):
    name = "local"

    def __init__(self):
        self._last: tuple[str, str | None] | None = None  # analyze() asks again for the text just detected

    def detect_language(self, text: str) -> str | None:
        if not text.strip():
            return None
        last = self._last
        if last is not None and last[0] == text:
            return last[1]
        language = _get_detector().detect_language_of(text)
        code = language.iso_code_639_1.name.lower() if language is not None else None
        self._last = (text, code)
        return code

    def analyze(self, text: str) -> Analysis:
        sentiment = None
        if self.detect_language(text) == "en":
            sentiment = round(_get_analyzer().polarity_scores(text)["compound"], 3)
        return Analysis(sentiment=sentiment, categories=keyword_categories(text))

    def translate(self, text: str, target: str, source: str | None = None) -> str:
        raise TranslationUnavailable("The local AI provider cannot translate (set AI_PROVIDER=google to translate).")
