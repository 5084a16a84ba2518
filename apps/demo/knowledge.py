"""Demo data of the knowledge base: a few categories and articles in English, Turkish and German (one for agents
only, one for signed-in requesters), ratings of some resolved demo tickets, and a few deflections, so that the
Help section, the suggestions and the dashboard's CSAT figures show something on first run. Written through
the knowledge services; articles that exist already (same slug and language) are left alone."""

import secrets

from django.utils import timezone

from apps.knowledge.choices import ArticleStatus, Audience
from apps.knowledge.models import Article, Category
from apps.knowledge.services import (
    article_create,
    deflection_record,
    deflection_suggested,
    satisfaction_rate,
    satisfaction_request,
)
from apps.tickets.choices import Status
from apps.tickets.models import Ticket

from .people import Organisation

CATEGORIES = (
    ("accounts", "Accounts and passwords", "Logging in, passwords and access."),
    ("devices", "Printers and devices", "Printers, laptops and the network."),
    ("billing", "Invoices and payments", "Copies of invoices and payment questions."),
)

# (slug, category, department slug, audience, {language: (title, body)})
ARTICLES = (
    (
        "reset-password",
        "accounts",
        "it-support",
        Audience.PUBLIC,
        {
            "en": (
                "Reset your password",
                "1. Open the log-in page and choose **Forgot password**.\n2. Enter your e-mail address.\n"
                "3. Follow the link in the e-mail within an hour.\n\nStill locked out? Open a ticket.",
            ),
            "tr": (
                "Şifrenizi sıfırlayın",
                "1. Giriş sayfasında **Şifremi unuttum** seçeneğini seçin.\n2. E-posta adresinizi girin.\n"
                "3. E-postadaki bağlantıyı bir saat içinde açın.",
            ),
            "de": (
                "Passwort zurücksetzen",
                "1. Öffnen Sie die Anmeldeseite und wählen Sie **Passwort vergessen**.\n"
                "2. Geben Sie Ihre E-Mail-Adresse ein.\n3. Öffnen Sie den Link in der E-Mail innerhalb einer Stunde.",
            ),
        },
    ),
    (
        "printer-jam",
        "devices",
        "it-support",
        Audience.PUBLIC,
        {
            "en": (
                "The printer jams or makes a grinding noise",
                "Turn the printer **off**, open the front tray and remove any stuck paper. Use paper of 80 g/m² "
                "at most. If the printer still jams, note the number on its display and open a ticket.",
            ),
            "tr": (
                "Yazıcı kağıt sıkıştırıyor",
                "Yazıcıyı **kapatın**, ön tepsiyi açın ve sıkışan kağıdı çıkarın. En fazla 80 g/m² kağıt kullanın.",
            ),
            "de": (
                "Der Drucker hat einen Papierstau",
                "Schalten Sie den Drucker **aus**, öffnen Sie das vordere Fach und entfernen Sie das Papier.",
            ),
        },
    ),
    (
        "vpn-setup",
        "devices",
        "it-support",
        Audience.REQUESTERS,
        {
            "en": (
                "Connect to the VPN from home",
                "Install the VPN client from the software centre, sign in with your company account and choose "
                "the *Office* profile. The VPN needs the second factor on your phone.",
            ),
            "de": (
                "VPN von zu Hause verbinden",
                "Installieren Sie den VPN-Client aus dem Softwarecenter und wählen Sie das Profil *Office*.",
            ),
        },
    ),
    (
        "invoice-copy",
        "billing",
        "billing",
        Audience.PUBLIC,
        {
            "en": (
                "Get a copy of an invoice",
                "Invoices of the last 24 months are in the customer area under **Invoices**. Older ones: open a "
                "ticket with the invoice number.",
            ),
            "tr": (
                "Fatura kopyası alın",
                "Son 24 ayın faturaları müşteri alanında **Faturalar** bölümündedir.",
            ),
        },
    ),
    (
        "printer-vendor-escalation",
        "devices",
        "it-support",
        Audience.AGENTS,
        {
            "en": (
                "Escalate a printer fault to the vendor",
                "For faults the requester cannot clear: note the error code and the serial number, then call the "
                "vendor's service line and add their case number as an internal note.",
            ),
        },
    ),
)

RATINGS = ((5, "Fast and friendly, thank you!"), (4, ""), (5, ""), (2, "It took a week."), (4, "Works now."), (3, ""))


def articles_seed(org: Organisation) -> list[Article]:
    """Categories and articles (inside seed()'s transaction, before the canned responses: one links to an
    article). Returns the articles created."""
    categories = {}
    for order, (slug, name, description) in enumerate(CATEGORIES):
        categories[slug], _created = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order}
        )
    existing = set(Article.objects.values_list("slug", "language"))
    articles = []
    for slug, category, department, audience, variants in ARTICLES:
        for language, (title, body) in variants.items():
            if (slug, language) in existing:
                continue
            articles.append(
                article_create(
                    actor=org.admin,
                    title=title,
                    body=body,
                    slug=slug,
                    language=language,
                    category=categories[category],
                    department=org.departments[department],
                    status=ArticleStatus.PUBLISHED,
                    audience=audience,
                )
            )
    return articles


def knowledge_seed(org: Organisation, *, ticket_ids, articles: list[Article]) -> None:
    """A few ratings of resolved demo tickets, and deflections of the new `articles` (inside seed()'s transaction)."""
    resolved = Ticket.objects.filter(pk__in=list(ticket_ids), status=Status.RESOLVED).order_by("pk")
    for ticket, (rating, comment) in zip(resolved[: len(RATINGS)], RATINGS, strict=False):
        satisfaction = satisfaction_request(ticket_id=ticket.pk)
        if satisfaction is None:
            continue
        satisfaction.emailed_at = timezone.now()  # the demo sends no e-mail
        satisfaction.save(update_fields=["emailed_at"])
        satisfaction_rate(satisfaction=satisfaction, actor=ticket.requester, rating=rating, comment=comment)
    public = [article for article in articles if article.audience == Audience.PUBLIC and article.language == "en"]
    for requester, article in zip(org.requesters, public, strict=False):
        deflection_record(token=secrets.token_urlsafe(24), user=requester, article=article)
        deflection_suggested(token=secrets.token_urlsafe(24), user=requester)
