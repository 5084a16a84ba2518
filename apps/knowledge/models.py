"""The knowledge base (categories, articles in several languages, their edit history), what the portal counts
about them (deflections), and satisfaction ratings of resolved tickets."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import ArticleStatus, Audience


class Category(models.Model):
    """A group of articles on the portal's Help page."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ("order", "name")
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """One language variant of an article; the variants of one article share its `slug`."""

    slug = models.SlugField(_("slug"), max_length=120, help_text=_("The same for every language of one article."))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Markdown. Raw HTML is shown as text."))
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    status = models.CharField(_("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.PUBLIC)
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.PROTECT,
        related_name="articles",
        verbose_name=_("owner department"),
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created from ticket"),
    )
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    # PostgreSQL: title (weight A) and body (B), unaccented, `simple` configuration (apps/knowledge/search.py).
    search_document = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ("title",)
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [models.UniqueConstraint(fields=("slug", "language"), name="article_slug_language_unique")]
        indexes = [models.Index(fields=("status", "audience", "language"), name="article_listing_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class ArticleRevision(models.Model):
    """One edit of an article: who, when, and each changed field's old and new value."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")

    def __str__(self) -> str:
        return f"{self.article_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class Deflection(models.Model):
    """One visit of the portal's new-ticket page that was shown suggested articles (`suggested_at`), and whether
    the requester left with "This answered my question" (`deflected_at`, `article`)."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    suggested_at = models.DateTimeField(db_index=True)
    deflected_at = models.DateTimeField(null=True, blank=True, db_index=True)
    article = models.ForeignKey(Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")

    def __str__(self) -> str:
        return f"{self.suggested_at:%Y-%m-%d %H:%M}" + (" ✓" if self.deflected_at else "")


class Satisfaction(models.Model):
    """The one satisfaction request of a resolved ticket, and its rating once given.

    `department` and `agent` are the ticket's when it was resolved (the figures credit who did the work).
    `link_nonce` is in the e-mail's signed links; the first use of a link clears `link_open`.
    """

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="satisfaction")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("departments.Department", on_delete=models.SET_NULL, null=True, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"))
    link_nonce = models.CharField(max_length=32)
    link_open = models.BooleanField(default=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ("-requested_at", "-id")
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        indexes = [
            models.Index(fields=("department", "rated_at"), name="satisfaction_department_idx"),
            models.Index(fields=("agent", "rated_at"), name="satisfaction_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.rating or '-'}"


class SatisfactionOptOut(models.Model):
    """A requester who asked never to be asked for a rating (their profile page)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.user_id)
