"""Reads of the knowledge base and of ratings, always scoped to the reader (permissions.py)."""

from django.db.models import Q, QuerySet
from django.http import Http404

from apps.tickets.selectors import tickets_visible_to

from .choices import ArticleStatus
from .models import Article, Category, Satisfaction
from .permissions import audiences_for, managed_departments, may_read_ratings

FALLBACK_LANGUAGE = "en"


def articles_visible_to(user) -> QuerySet[Article]:
    """Published articles of the audiences `user` reads, every language."""
    return Article.objects.filter(status=ArticleStatus.PUBLISHED, audience__in=audiences_for(user))


def articles_in_language(queryset: QuerySet[Article], language: str) -> QuerySet[Article]:
    """One variant per article: the one in `language`, else the English one."""
    if language == FALLBACK_LANGUAGE:
        return queryset.filter(language=FALLBACK_LANGUAGE)
    translated = queryset.filter(language=language).values("slug")
    return queryset.filter(Q(language=language) | (Q(language=FALLBACK_LANGUAGE) & ~Q(slug__in=translated)))


def article_get_for_reader(*, user, slug: str, language: str) -> Article:
    """The article `slug` in the reader's language (else English), or 404 when they may not read it."""
    candidates = articles_visible_to(user).filter(slug=slug, language__in={language, FALLBACK_LANGUAGE})
    found = {article.language: article for article in candidates.select_related("category")}
    article = found.get(language) or found.get(FALLBACK_LANGUAGE)
    if article is None:
        raise Http404
    return article


def article_variants(article: Article, *, user) -> QuerySet[Article]:
    """The other languages of an article that `user` may read."""
    return articles_visible_to(user).filter(slug=article.slug).exclude(pk=article.pk).order_by("language")


def categories_with_articles(user, language: str) -> list[Category]:
    """The categories that hold at least one article `user` reads, each with `.shown` (its articles)."""
    articles = articles_in_language(articles_visible_to(user), language).order_by("title")
    by_category: dict[int, list[Article]] = {}
    for article in articles.only("pk", "slug", "title", "language", "category_id"):
        by_category.setdefault(article.category_id, []).append(article)
    categories = list(Category.objects.filter(pk__in=by_category))
    for category in categories:
        category.shown = by_category[category.pk]
    return categories


def articles_manageable_by(user) -> QuerySet[Article]:
    """The articles the back office shows `user`: those of the departments they manage."""
    return Article.objects.filter(department__in=managed_departments(user).values("pk"))


def ratings_visible_to(user) -> QuerySet[Satisfaction]:
    """The satisfaction requests of the tickets `user` sees (staff only; nothing for requesters)."""
    if not may_read_ratings(user):
        return Satisfaction.objects.none()
    return Satisfaction.objects.filter(ticket__in=tickets_visible_to(user).values("pk"))


def satisfaction_of(ticket) -> Satisfaction | None:
    return Satisfaction.objects.filter(ticket=ticket).first()
