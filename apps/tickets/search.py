"""Full-text search of tickets: one function for the back office, the portal and the API, and the stored
documents it reads.

What a search finds: tickets whose reference, title, description or comments contain every word typed (the
last word may be the start of a word, as agents type partial words), within a queryset the caller has
already scoped with `tickets_visible_to`, so a search never widens what anyone sees. Internal notes count
for staff only (the rule of `comments_visible_to`): a requester never finds a ticket by a word of an internal
note, and the ranking of their results never reads one either. Staff also find a ticket by its requester's
whole e-mail address, and everyone by its whole reference (`TCK-000042`).

PostgreSQL: each ticket stores two documents (tsvector columns with a GIN index each on (department_id,
document), through the `btree_gin` extension: migrations 0009 and 0017): `search_public` (reference and title
weighted A, description B, public replies C) and `search_internal` (internal notes). Both are built in SQL with
the `simple` configuration over `unaccent`ed text (no stemming, so a word of any of the site's languages matches
itself; accents do not matter:
"café" finds "cafe" and "Müller" finds "muller"). The ticket services refresh them in their own
transaction whenever a title, description or comment is written (`search_documents_refresh`); a CSV import
refreshes each batch in one statement. The words are unaccented in a small query of their own, so that the
search's tsquery is a constant PostgreSQL parses once (not once per ticket tested). Results come in order of
relevance (`ts_rank`), then newest first, unless the caller asks for another order; a search with more than
RANKED_MATCHES visible matches comes newest first, so that ranking never reads more than that many documents
(with at most LISTED_MATCHES, from the ids the first query read). Staff's searches that PostgreSQL's statistics
expect to match several times that many tickets within their reach come newest first at once, without reading
the first matches' ids (MANY_MATCHES). An agent's search (not an admin's) of a word rare enough tests each match,
in its row, for the agent's reach (`selectors.AgentReach`: one of their departments, or one of the few tickets
their own grants and their groups' shares name outside them) before looking up its grants; the caller's scope
still checks each of those rows' grants (what a search costs, and where the time goes: docs/benchmarks.md). The
agent's departments are typed as the column (`AgentReach.in_departments`), so that PostgreSQL can read the GIN
indexes for those departments only. The back office's capped total of a staff member's search that the statistics
expect to pass the cap with its last word whole counts that first (`tickets_search_whole_words`, a subset): a whole
word is one GIN entry intersected with the department's, where a prefix collects the documents of every word it
starts, in every department; the search itself is counted only when that subset does not pass the cap.
`tickets_with_stale_documents` finds documents behind their text (`check_data`).

Other databases (SQLite, the zero-set-up default): the documented fallback. Every word must occur,
case-insensitively, in the reference, title, description or a comment body (an EXISTS subquery; internal
notes for staff only), as a substring. SQLite folds the case of ASCII letters only and never accents, and
there is no ranking: results keep the caller's order (newest first). The columns exist there too and stay
empty.
"""

import re
import time
import unicodedata
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connections
from django.db.models import Case, Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from apps.accounts.permissions import is_admin

from .models import Comment, Ticket
from .selectors import AgentReach, agent_reach

# A bounded query stays cheap: the first words and characters only.
SEARCH_MAX_WORDS = 6
SEARCH_MAX_CHARS = 100
# Ranking reads every match's document: up to this many matches are ranked; a search that matches more (a
# word in most tickets) comes newest first, which the database reads from an index, stopping at the page.
RANKED_MATCHES = 300
# An agent's search reads only the matches in their reach (selectors.agent_reach) when the words are in at most
# this share of the tickets; a search of more common words walks the creation index as before, which stops early
# because visible matches are dense there (the reach would read every one of the department's many matches).
# The shares come from PostgreSQL's statistics of the documents (pg_stats.most_common_elems, kept by ANALYZE),
# read at most every COMMON_WORDS_SECONDS per process; a word not in them is rare.
REACH_SHARE = 0.10
COMMON_WORDS_SECONDS = 300
# A search with more matches than are ranked, up to this many, comes newest first from the ids the first query read
# (for few matches PostgreSQL reads them from the GIN indexes and sorts them): its pages fetch those tickets by id,
# where walking the creation index tests about PAGE_ROWS / (share of the tickets that match) tickets per page
# (46,000 for a word in 1,100 of 1,000,000 tickets).
LISTED_MATCHES = 2_000
# A staff member's search that the statistics expect to match more than this many tickets within their reach (an
# agent's departments, an admin's every ticket) comes newest first without reading the first ids: three times
# RANKED_MATCHES, so that an estimate off by a factor of three still gives the order the count would have.
MANY_MATCHES = 3 * RANKED_MATCHES
# Such a search walks the creation index unless the reach is cheaper: a page is about PAGE_ROWS rows, and a match
# read by the reach (its row, both grant look-ups, the sort) costs about REACH_ROW_COST tickets tested by the walk.
PAGE_ROWS = 50
REACH_ROW_COST = 5
_word_shares: dict[str, tuple[float, "_Statistics"]] = {}
# The name of the relevance annotation (PostgreSQL): callers order by it (the back office's changelist).
SEARCH_RANK = "search_rank"
# The relevance order, with the newest first among equals.
RELEVANCE_ORDER = (f"-{SEARCH_RANK}", "-created_at", "-id")
WORD = re.compile(r"\w+")

# Both documents of a ticket `t`, as the rebuild computes them from its current text. Comments are joined by a
# space, in the order they were written; a ticket without internal notes has an empty internal document (never
# NULL, so that the two documents can be ranked together).
_PUBLIC_DOCUMENT = """
    setweight(to_tsvector('simple', unaccent(t.reference || ' ' || t.title)), 'A')
    || setweight(to_tsvector('simple', unaccent(t.description)), 'B')
    || setweight(to_tsvector('simple', unaccent(coalesce(
        (SELECT string_agg(c.body, ' ' ORDER BY c.id) FROM tickets_comment AS c
         WHERE c.ticket_id = t.id AND NOT c.is_internal), ''))), 'C')"""
_INTERNAL_DOCUMENT = """
    setweight(to_tsvector('simple', unaccent(coalesce(
        (SELECT string_agg(c.body, ' ' ORDER BY c.id) FROM tickets_comment AS c
         WHERE c.ticket_id = t.id AND c.is_internal), ''))), 'C')"""
# Both documents of the tickets that `where` selects, in one UPDATE.
_DOCUMENTS_SQL = f"""
UPDATE tickets_ticket AS t SET search_public = {_PUBLIC_DOCUMENT}, search_internal = {_INTERNAL_DOCUMENT}
WHERE {{where}}
"""  # noqa: S608 - constant SQL; the values are parameters
# The tickets whose stored documents differ from what the rebuild would compute (or are missing).
_STALE_SQL = f"""
SELECT t.id FROM tickets_ticket AS t
WHERE t.search_public IS DISTINCT FROM ({_PUBLIC_DOCUMENT})
   OR t.search_internal IS DISTINCT FROM ({_INTERNAL_DOCUMENT})
"""  # noqa: S608 - constant SQL


def uses_full_text(using: str = "default") -> bool:
    """True where the stored documents are kept and searched (PostgreSQL)."""
    return connections[using].vendor == "postgresql"


def search_documents_refresh(*, ticket_ids, using: str = "default") -> None:
    """Rebuild the stored search documents of these tickets from their current text (PostgreSQL; elsewhere
    nothing to do). The services call it inside their transaction, after writing the text."""
    ids = list(ticket_ids)
    if not ids or not uses_full_text(using):
        return
    with connections[using].cursor() as cursor:
        cursor.execute(_DOCUMENTS_SQL.format(where="t.id = ANY(%s)"), [ids])


def search_documents_rebuild(connection, *, batch: int = 5000, stale_only: bool = False) -> int:
    """Rebuild every ticket's documents on `connection`, `batch` ids at a time (the migration that adds them,
    and after a bulk write that bypassed the services). Returns how many tickets were rebuilt."""
    if connection.vendor != "postgresql":
        return 0
    where = "t.id >= %s AND t.id < %s" + (" AND t.search_public IS NULL" if stale_only else "")
    done = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM tickets_ticket")
        low, high = cursor.fetchone()
        if low is None:
            return 0
        for start in range(low, high + 1, batch):
            cursor.execute(_DOCUMENTS_SQL.format(where=where), [start, start + batch])
            done += cursor.rowcount
    return done


def tickets_with_stale_documents(using: str = "default") -> QuerySet[Ticket]:
    """Tickets whose stored search documents are not what `search_documents_refresh` would write now (a write that
    bypassed the services, or a document missing): `manage.py check_data` reports them and `--fix` refreshes
    them. One statement, but it recomputes every ticket's documents (minutes at a million tickets). Elsewhere
    than on PostgreSQL the documents are not kept: none."""
    if not uses_full_text(using):
        return Ticket.objects.none()
    return Ticket.objects.using(using).filter(pk__in=RawSQL(_STALE_SQL, []))  # noqa: S611 - constant SQL


def search_words(text: str) -> list[str]:
    """The words of a query, as the search reads them: letters and digits, the first few, within a bound."""
    return WORD.findall((text or "")[:SEARCH_MAX_CHARS])[:SEARCH_MAX_WORDS]


def tickets_search(queryset: QuerySet[Ticket], *, user, text: str) -> QuerySet[Ticket]:
    """The tickets of `queryset` (already scoped to `user`) that match `text`; unchanged for an empty text.

    On PostgreSQL the result is annotated with its relevance (`search_rank`) and ordered by it, then newest
    first, when it holds at most RANKED_MATCHES tickets (one query reads the matches' ids, newest first, up to
    LISTED_MATCHES + 1); a larger one comes newest first (up to LISTED_MATCHES, from those ids), and so does,
    without that query, a staff member's search that the statistics expect to match more than MANY_MATCHES
    tickets within their reach. A caller with an explicit order applies it afterwards. Internal notes count only
    for staff.
    """
    text = (text or "").strip()[:SEARCH_MAX_CHARS]
    words = search_words(text)
    if not words:
        return queryset
    staff = user.is_staff
    # References are stored upper-case: an equality the unique index answers (iexact could not use it, and
    # every branch of the OR below must be indexed for PostgreSQL to combine the indexes).
    exact = Q(reference=text.upper())
    if staff and "@" in text and " " not in text:
        # The requester's id first (one query), so that the tickets' requester index answers it.
        people = get_user_model().objects.filter(email__iexact=text).values_list("pk", flat=True)
        exact |= Q(requester_id__in=list(people))
    if not uses_full_text(queryset.db):
        return queryset.filter(_substring_match(words, staff=staff) | exact)
    terms = _unaccented([*words[:-1], f"{words[-1]}:*"], using=queryset.db)
    query = _tsquery(terms)
    if staff:
        # Each word in either document (a word of the description and one of a note find the ticket together),
        # one index condition per word and document; ranked over both documents.
        matches = Q()
        for term in terms:
            one = _tsquery([term])
            matches &= Q(search_public=one) | Q(search_internal=one)
        document = Func(
            F("search_public"),
            F("search_internal"),
            arg_joiner=" || ",
            template="(%(expressions)s)",
            output_field=SearchVectorField(),
        )
    else:
        matches = Q(search_public=query)
        document = F("search_public")
    found = matches | exact
    newest = queryset.filter(found)
    share = _share(terms, using=queryset.db)
    # An agent's departments and groups (kept in the cache, else one query; None for admins): for the estimate and
    # for the reach.
    reach = agent_reach(user) if staff else None
    expected, reach_share = _expected_matches(user, share, reach, using=queryset.db) if staff and share else (0, 0)
    if expected > MANY_MATCHES:
        # Surely more matches than are ranked (the statistics expect several times as many): newest first at once,
        # without reading the first ids. The creation index finds a page after testing about PAGE_ROWS / (share of
        # the tickets that are visible matches) tickets, whatever the size of the table; the reach reads every
        # expected match, so it is only for words too rare in reach for the walk.
        walk = PAGE_ROWS / (share * reach_share) <= REACH_ROW_COST * expected
        reach = None if walk else reach
        return (newest if reach is None else newest.filter(reach.condition())).order_by("-created_at", "-id")
    if reach is not None and share <= REACH_SHARE:
        # An agent's matches within reach only: each match (from the GIN indexes) is tested in its row for the
        # agent's departments, or for the few tickets their grants name outside them, before its grants are looked
        # up. The caller's scope still checks each of those rows' grants; this spares looking up the grants of
        # every other department's matches, and reads no bitmap of the department's every ticket.
        newest = newest.filter(reach.condition())
    newest = newest.order_by("-created_at", "-id")
    # The ids of the first matches, up to one more than LISTED_MATCHES (never a COUNT of the table): read in the
    # newest-first order, so that for a common word the database walks the creation index and stops there.
    ids = list(newest.values_list("pk", flat=True)[: LISTED_MATCHES + 1])
    if len(ids) > LISTED_MATCHES:
        # Too many matches to rank them all for every page: newest first, as the lists without a search.
        return newest
    if len(ids) > RANKED_MATCHES:
        # More than are ranked, but all of them read already: newest first, each page from those ids (by the primary
        # key), rather than testing the words again on every ticket of the creation index down to the page.
        return queryset.filter(pk__in=ids).order_by("-created_at", "-id")
    # Few enough: those tickets (still through the caller's queryset) by relevance. An exact reference or
    # e-mail match comes first whatever its text says.
    exact_first = Case(When(exact, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
    rank = exact_first + Coalesce(SearchRank(document, query), 0.0)
    return queryset.filter(pk__in=ids).alias(**{SEARCH_RANK: rank}).order_by(*RELEVANCE_ORDER)


def tickets_search_whole_words(
    queryset: QuerySet[Ticket], *, user, text: str, reach: AgentReach | None, more_than: int
) -> QuerySet[Ticket] | None:
    """For a staff member's capped total: the tickets of `queryset` that hold every word of `text`, the last one
    whole, or, for a last word being typed, the most common word of the statistics that it starts (either way a
    subset of what `tickets_search` finds, where the last word may start a longer one), when PostgreSQL's
    statistics expect more than `more_than` of them within the staff member's reach (`reach`: an agent's, None for
    an admin); None otherwise, for requesters, and elsewhere than on PostgreSQL.

    A list counts this first: if it already passes the cap, so does the search (its superset), and the total is
    "cap+" without reading the last word's every prefix match. A prefix is matched in the GIN indexes by
    collecting every document of every word it starts, in every department (the whole bitmap of a common word),
    where a whole word is one entry that the index intersects with the department's and stops at the LIMIT's rows
    in the heap. The statistics choose only which count runs first, never the total: a count at or under the
    cap here is thrown away and the search itself is counted.
    """
    words = search_words((text or "").strip()[:SEARCH_MAX_CHARS])
    if not words or not user.is_staff or not uses_full_text(queryset.db):
        return None
    # The estimate from the words as the statistics store them, before any query.
    plain = [plain_word(word) for word in words]
    shares = word_shares(queryset.db)
    started = [word for word in shares if word.startswith(plain[-1]) and WORD.fullmatch(word)]
    if not started:
        return None
    whole = max(started, key=lambda word: (shares[word], word == plain[-1]))
    share = _share([*plain[:-1], whole], using=queryset.db)
    if not share or _expected_matches(user, share, reach, using=queryset.db)[0] <= more_than:
        return None
    terms = _unaccented(words, using=queryset.db)
    if not whole.startswith(terms[-1].lower()):
        # The statistics' word must start with the prefix as the search reads it (unaccent's, not plain_word's),
        # or it would not be a subset of what the search finds.
        return None
    matches = Q()
    for term in [*terms[:-1], whole]:
        one = _tsquery([term])
        matches &= Q(search_public=one) | Q(search_internal=one)
    return queryset.filter(matches)


def word_shares(using: str = "default") -> dict[str, float]:
    """The share of the tickets each common word is in (either document; the larger share), from PostgreSQL's
    statistics of the documents (empty before ANALYZE)."""
    return _statistics(using).words


class _Statistics(NamedTuple):
    """What PostgreSQL's statistics (kept by ANALYZE) say of the tickets: see `_statistics`."""

    words: dict[str, float]
    departments: dict[int, float]
    tickets: float


def _statistics(using: str) -> _Statistics:
    """The share of the tickets each common word is in, the share each common department holds, and about how
    many tickets there are (pg_stats and pg_class; empty and 0 before ANALYZE), read at most every
    COMMON_WORDS_SECONDS per process."""
    now = time.monotonic()
    cached = _word_shares.get(using)
    if cached and cached[0] > now:
        return cached[1]
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs FROM pg_stats AS s
            WHERE s.tablename = 'tickets_ticket' AND s.attname IN ('search_public', 'search_internal')
              AND s.schemaname = current_schema()
            """
        )
        rows = cursor.fetchall()
        cursor.execute(
            """
            SELECT s.most_common_vals::text::bigint[], s.most_common_freqs, greatest(c.reltuples, 0)
            FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace AND n.nspname = current_schema()
            LEFT JOIN pg_stats AS s ON s.schemaname = n.nspname AND s.tablename = c.relname
              AND s.attname = 'department_id'
            WHERE c.relname = 'tickets_ticket'
            """
        )
        departments, frequencies, tickets = cursor.fetchone() or (None, None, 0)
    shares: dict[str, float] = {}
    for elements, word_frequencies in rows:
        for word, share in zip(elements or (), word_frequencies or (), strict=False):
            shares[word] = max(share, shares.get(word, 0.0))
    statistics = _Statistics(shares, dict(zip(departments or (), frequencies or (), strict=False)), tickets or 0)
    _word_shares[using] = (now + COMMON_WORDS_SECONDS, statistics)
    return statistics


def _expected_matches(user, share: float, reach: AgentReach | None, *, using: str) -> tuple[float, float]:
    """About how many tickets within a staff member's reach hold the words (`share` of all the tickets), and what
    share of all the tickets that reach is: an admin's is every ticket, an agent's their departments' (from the
    statistics; a department they do not name counts as none, so that a doubt leads to the exact count)."""
    statistics = _statistics(using)
    if is_admin(user):
        reached = 1.0
    else:
        departments = reach.departments if reach is not None else ()
        reached = sum(statistics.departments.get(pk, 0.0) for pk in departments)
    return share * reached * statistics.tickets, reached


def _share(terms: list[str], *, using: str) -> float:
    """About what share of the tickets hold every term (as if the words were independent); a prefix (`:*`) counts
    every common word it starts."""
    shares = word_shares(using)
    estimate = 1.0
    for term in terms:
        word = plain_word(term.removesuffix(":*"))
        if term.endswith(":*"):
            estimate *= min(1.0, sum(share for common, share in shares.items() if common.startswith(word)))
        else:
            estimate *= shares.get(word, 0.0)
    return estimate


def plain_word(word: str) -> str:
    """A word as the documents store it: lower case, without accents (close to PostgreSQL's unaccent)."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("ı", "i"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _unaccented(terms: list[str], *, using: str) -> list[str]:
    """The terms as PostgreSQL's `unaccent` writes them, read in one small query before the search.

    Not inside the search's own SQL: `unaccent` is a stable function, not an immutable one, so PostgreSQL would
    call it, and parse the tsquery again, for every ticket a plan tests (most of the time of a search that walks
    the creation index: docs/benchmarks.md), where a constant tsquery is parsed once when the query is planned.
    """
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT ARRAY(SELECT unaccent(t) FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n)", [terms]
        )
        return cursor.fetchone()[0]


def _tsquery(terms: list[str]) -> SearchQuery:
    """All the terms (already unaccented, like the documents). The terms are letters and digits (search_words),
    with `:*` on the last word, so nothing the user typed is tsquery syntax."""
    return SearchQuery(Value(" & ".join(terms)), search_type="raw", config="simple")


def _substring_match(words: list[str], *, staff: bool) -> Q:
    """The fallback: every word somewhere in the reference, title, description or a visible comment."""
    match = Q()
    for word in words:
        comments = Comment.objects.filter(ticket=OuterRef("pk"), body__icontains=word)
        if not staff:
            comments = comments.filter(is_internal=False)
        match &= (
            Q(reference__icontains=word) | Q(title__icontains=word) | Q(description__icontains=word) | Exists(comments)
        )
    return match


# The documents of a new ticket (no comments yet), as SQL of its INSERT's values (PostgreSQL; elsewhere none): the
# same documents `search_documents_refresh` builds, without a second statement. Column → (SQL, how many values).
NEW_DOCUMENTS_SQL = {
    "search_public": (
        "setweight(to_tsvector('simple', unaccent(%s)), 'A') || setweight(to_tsvector('simple', unaccent(%s)), 'B')",
        2,
    ),
    "search_internal": ("''::tsvector", 0),
}


def search_documents_new_values(*, reference: str, title: str, description: str) -> dict[str, tuple]:
    """The values of NEW_DOCUMENTS_SQL for one ticket (column → its values), for a plain-rows INSERT."""
    return {"search_public": (f"{reference} {title}", description), "search_internal": ()}
