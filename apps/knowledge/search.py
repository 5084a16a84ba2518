"""Full-text search of articles: the portal's Help search, the new-ticket suggestions, the composer and the API.

The same approach as ticket search (apps/tickets/search.py). PostgreSQL: each article stores a document
(`search_document`, a tsvector with a GIN index, migration 0001): title weighted A, body B, built in SQL with the
`simple` configuration over `unaccent`ed text, so a word of any language matches itself and accents do not
matter. Every word typed must occur (the last may be the start of a word); results come by relevance
(`ts_rank`), then title. The services refresh the document whenever an article's text is written.

Other databases (SQLite): every word must occur in the title or body as a substring, case-insensitively for
ASCII letters; results come by title. The column exists and stays empty.

The caller scopes the queryset first (selectors.articles_visible_to), so a search never widens what anyone reads.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connections
from django.db.models import F, Func, Q, QuerySet, TextField, Value

from apps.tickets.search import WORD, search_words, uses_full_text

from .models import Article

_DOCUMENT_SQL = """
UPDATE knowledge_article SET search_document =
    setweight(to_tsvector('simple', unaccent(title)), 'A')
    || setweight(to_tsvector('simple', unaccent(body)), 'B')
WHERE {where}
"""


def article_documents_refresh(*, article_ids, using: str = "default") -> None:
    """Rebuild the stored documents of these articles from their current text (PostgreSQL only)."""
    ids = list(article_ids)
    if not ids or not uses_full_text(using):
        return
    with connections[using].cursor() as cursor:
        cursor.execute(_DOCUMENT_SQL.format(where="id = ANY(%s)"), [ids])


def article_documents_rebuild(connection) -> int:
    """Every article's document (the migration, and after bulk writes that bypassed the services)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_DOCUMENT_SQL.format(where="TRUE"))
        return cursor.rowcount


def articles_search(queryset: QuerySet[Article], *, text: str) -> QuerySet[Article]:
    """The articles of `queryset` that match every word of `text`, best first; none for an empty text."""
    words = search_words(text)
    if not words:
        return queryset.none()
    if not uses_full_text(queryset.db):
        match = Q()
        for word in words:
            match &= Q(title__icontains=word) | Q(body__icontains=word)
        return queryset.filter(match).order_by("title", "pk")
    terms = [*words[:-1], f"{words[-1]}:*"]
    query = SearchQuery(
        Func(Value(" & ".join(terms)), function="unaccent", output_field=TextField()),
        search_type="raw",
        config="simple",
    )
    return (
        queryset.filter(search_document=query)
        .annotate(search_rank=SearchRank(F("search_document"), query))
        .order_by("-search_rank", "title", "pk")
    )


# Suggestions read a whole sentence ("my laptop does not start"): any of its words may match, the articles that
# match more of them (and in the title) first. Short words (under 3 letters) are left out, and a bounded number.
SUGGEST_MIN_LENGTH = 3
SUGGEST_MAX_WORDS = 12
SUGGEST_MAX_CHARS = 300


def suggestion_words(text: str) -> list[str]:
    words = []
    for word in WORD.findall((text or "")[:SUGGEST_MAX_CHARS].lower()):
        if len(word) >= SUGGEST_MIN_LENGTH and word not in words:
            words.append(word)
    return words[:SUGGEST_MAX_WORDS]


def articles_suggest(queryset: QuerySet[Article], *, text: str) -> QuerySet[Article]:
    """The articles of `queryset` that match any word of `text` (a ticket's title and description), best first."""
    words = suggestion_words(text)
    if not words:
        return queryset.none()
    if not uses_full_text(queryset.db):
        match = Q()
        for word in words:
            match |= Q(title__icontains=word) | Q(body__icontains=word)
        return queryset.filter(match).order_by("title", "pk")
    query = SearchQuery(
        Func(Value(" | ".join(f"{word}:*" for word in words)), function="unaccent", output_field=TextField()),
        search_type="raw",
        config="simple",
    )
    return (
        queryset.filter(search_document=query)
        .annotate(search_rank=SearchRank(F("search_document"), query))
        .order_by("-search_rank", "pk")
    )
