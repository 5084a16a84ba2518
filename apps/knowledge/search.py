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

import time

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connections
from django.db.models import F, Func, Q, QuerySet, TextField, Value

from apps.tickets.search import WORD, plain_word, search_words, uses_full_text

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
# Words in more than this share of the articles (and in more than COMMON_MIN_ARTICLES of them) say nothing about
# which article fits ("the", "help", "please"), and matching any of them would rank most of the knowledge base:
# they are left out. PostgreSQL's own statistics of the documents (pg_stats.most_common_elems, kept by ANALYZE)
# tell which words they are, read at most every COMMON_WORDS_SECONDS per process.
COMMON_SHARE = 0.05
COMMON_MIN_ARTICLES = 200
COMMON_WORDS_SECONDS = 300
# At most this many matches are ranked (ranking reads each match's document): the first that the index finds.
RANKED_SUGGESTIONS = 300

_common: dict[str, tuple[float, frozenset[str]]] = {}


def suggestion_words(text: str) -> list[str]:
    words = []
    for word in WORD.findall((text or "")[:SUGGEST_MAX_CHARS].lower()):
        if len(word) >= SUGGEST_MIN_LENGTH and word not in words:
            words.append(word)
    return words[:SUGGEST_MAX_WORDS]


def common_words(using: str = "default") -> frozenset[str]:
    """The words in more than COMMON_SHARE of the articles, from PostgreSQL's statistics (empty before ANALYZE)."""
    now = time.monotonic()
    cached = _common.get(using)
    if cached and cached[0] > now:
        return cached[1]
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples
            FROM pg_stats AS s JOIN pg_class AS c ON c.relname = s.tablename
            WHERE s.tablename = 'knowledge_article' AND s.attname = 'search_document'
              AND s.schemaname = current_schema() AND c.relnamespace = to_regnamespace(current_schema())
            """
        )
        row = cursor.fetchone()
    words = frozenset()
    if row and row[0]:
        elements, frequencies, rows = row
        least = max(COMMON_SHARE, COMMON_MIN_ARTICLES / max(rows, 1))
        words = frozenset(word for word, share in zip(elements, frequencies, strict=False) if share > least)
    _common[using] = (now + COMMON_WORDS_SECONDS, words)
    return words


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
    common = common_words(queryset.db)
    # The last word may still be being typed: it counts as the start of a word.
    terms = [word for word in words[:-1] if plain_word(word) not in common]
    if plain_word(words[-1]) not in common:
        terms.append(f"{words[-1]}:*")
    if not terms:
        return queryset.none()
    query = SearchQuery(
        Func(Value(" | ".join(terms)), function="unaccent", output_field=TextField()),
        search_type="raw",
        config="simple",
    )
    ids = list(queryset.filter(search_document=query).values_list("pk", flat=True)[:RANKED_SUGGESTIONS])
    return (
        queryset.filter(pk__in=ids)
        .annotate(search_rank=SearchRank(F("search_document"), query))
        .order_by("-search_rank", "pk")
    )
