"""Benchmark: ticket search (apps/tickets/search.py) at scale, beside the trivial "hello" view.

Creates a throw-away test database (`test_<name>` on PostgreSQL when DATABASE_URL points there; SQLite in
memory otherwise), fills it with N tickets over 10 departments and 500 requesters with their real grants
(bench/data.py's people; on PostgreSQL the tickets and their standard grants are written by SQL, one INSERT
each, as `grants_for_new_tickets` would write them), with text: titles of 5 and descriptions of 30 words drawn
from a vocabulary of 20,000 words (a few hundred real help-desk words of the six languages, the rest made-up
ones) with a Zipf-like spread, one public reply per ticket and an internal note on every other, and builds the
search documents with the migration's batched rebuild. `--keep` keeps the database for the next run (also of
bench_changelist.py and bench_ticket_page.py with the same DATABASE_URL and `--keep`). Then, for an agent of one
department in ten, an admin and a requester, it times the first page of a search (50 rows by relevance, with the
list's joins) for words from very common to rare, and the same through the whole request (API list, back-office
changelist, portal) in Django's test client, beside `/bench/hello/` in the same run; and prints PostgreSQL's plan
of one search. Last, the back-office list searched by each word as the agent and as an admin, with its total: the
whole request, the total it shows, and the database time of its count and of its other queries on the tickets
(EXPLAIN ANALYZE of each, as the request ran them; `--explain` prints the count's plan). `--only-total` runs that
part alone.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ticket_system_bench \\
        .venv/bin/python bench/bench_search.py [--tickets 100000] [--explain] [--keep] [--only-total]
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

from bench.data import throwaway_database, timed  # noqa: E402

REAL_WORDS = " ".join(
    (
        "printer scanner laptop password login account email mailbox network wifi vpn server invoice payment",
        "refund order delivery screen keyboard mouse battery charger update install error crash slow broken",
        "drucker passwort anmeldung rechnung zahlung bildschirm tastatur fehler langsam zugang lieferung",
        "yazıcı şifre giriş fatura ödeme ekran klavye hata yavaş erişim sipariş teslimat güncelleme bağlantı",
        "imprimante facture paiement écran clavier erreur lent accès commande livraison réseau connexion",
        "impresora contraseña factura pago pantalla teclado lento acceso pedido entrega actualización",
        "impressora senha pagamento tela erro acesso atualização rede conexão",
    )
).split()
SYLLABLES = "ka lo mi ne ru sa ti vo ze ba de fi gu ha jo ku li mo nu pa re si to"
VOCABULARY_SIZE = 20_000


def vocabulary() -> list[str]:
    rng = random.Random(11)  # noqa: S311 - deterministic benchmark data
    syllables = SYLLABLES.split()
    words = list(dict.fromkeys(REAL_WORDS))
    seen = set(words)
    while len(words) < VOCABULARY_SIZE:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


# A word of rank r (1 = most common) is drawn with probability about 1/r: floor(size ^ random()).
# PostgreSQL: `count` such words joined by spaces, from the table bench_words (rank, word) that the fill writes
# first (indexing a text array by position would walk the array to that position for every word).
_WORDS = """array_to_string(ARRAY(
    SELECT (SELECT b.word FROM bench_words AS b WHERE b.rank = x.r)
    FROM (SELECT floor(power({size}, random()))::int AS r FROM generate_series(1, {count})) AS x), ' ')"""
# The GIN indexes of the documents, on (department_id, document) (migration 0017).
INDEXES = {
    "ticket_dept_search_public_gin": "department_id, search_public",
    "ticket_dept_search_internal_gin": "department_id, search_internal",
}


# PostgreSQL: the tickets with their text in one INSERT (created a second apart, oldest first), as bench.data.fill
# makes them otherwise: random department and requester (of bench.data.fill's 500), status and priority, a
# reference from the references' sequence. Then their standard grants (permissions.grants_for_new_tickets): view
# for the requester, view and change for the department's group as department grants.
_TICKETS_SQL = """
INSERT INTO tickets_ticket (reference, title, description, status, priority, category, language, source,
    requester_id, department_id, sla_paused, created_at, updated_at, version, external_source, external_id)
SELECT %(prefix)s || '-' || CASE WHEN number < 1000000 THEN lpad(number::text, 6, '0') ELSE number::text END,
       {title},
       {description},
       (ARRAY['new','open','in_progress','waiting','resolved','closed'])[1 + floor(random() * 6)::int],
       (ARRAY['low','normal','high','urgent'])[1 + floor(random() * 4)::int], 'question', '', 'portal',
       (%(requesters)s::bigint[])[1 + floor(random() * %(requester_count)s)::int],
       (%(departments)s::bigint[])[1 + floor(random() * 10)::int],
       interval '0', now() - (%(n)s - g) * interval '1 second', now() - (%(n)s - g) * interval '1 second', 1, '', ''
FROM (SELECT g, nextval(%(sequence)s) AS number FROM generate_series(1, %(n)s) AS g) AS s
ORDER BY g
"""
_GRANTS_SQL = (
    """
    INSERT INTO tickets_ticketuserobjectpermission (content_object_id, permission_id, user_id)
    SELECT t.id, %(view)s, t.requester_id FROM tickets_ticket AS t
    """,
    """
    INSERT INTO tickets_ticketgroupobjectpermission (content_object_id, group_id, permission_id, is_department_grant)
    SELECT t.id, d.group_id, p, true
    FROM tickets_ticket AS t JOIN departments_department AS d ON d.id = t.department_id, unnest(%(perms)s::int[]) AS p
    """,
)


def _fill_sql(tickets: int, size: int):
    """bench.data.fill's users and departments, then the tickets with their text and their grants, in SQL."""
    from django.conf import settings
    from django.db import connection

    from apps.accounts.models import User
    from apps.departments.models import Department
    from apps.tickets.permissions import DEPARTMENT_PERMS, VIEW, ticket_permission_id
    from bench.data import fill

    start = time.perf_counter()
    agent, requester = fill(0)
    print(f"  fill: departments and people: {time.perf_counter() - start:.1f} s")
    requesters = list(User.objects.filter(username__regex=r"^r[0-9]+$").order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT tickets_reference_sequence(%s)", [settings.TICKET_REFERENCE_PREFIX])
        sequence = cursor.fetchone()[0]
        cursor.execute(
            _TICKETS_SQL.format(
                title=_WORDS.format(size=size, count="5 + g * 0"),
                description=_WORDS.format(size=size, count="30 + g * 0"),
            ),
            {
                "n": tickets,
                "prefix": settings.TICKET_REFERENCE_PREFIX,
                "sequence": sequence,
                "requesters": requesters,
                "requester_count": len(requesters),
                "departments": list(Department.objects.order_by("pk").values_list("pk", flat=True)),
            },
        )
        department_perms = [ticket_permission_id(c) for c in sorted(DEPARTMENT_PERMS)]
        perms = {"view": ticket_permission_id(VIEW), "perms": department_perms}
        for sql in _GRANTS_SQL:
            cursor.execute(sql, perms)
    return agent, requester


def fill_text(tickets: int):
    """The tickets with their grants, text, replies and notes (bulk SQL on PostgreSQL), then the search
    documents (timed apart)."""
    from django.db import connection

    from apps.tickets.search import search_documents_rebuild
    from bench.data import fill

    words = vocabulary()
    steps = {}
    postgresql = connection.vendor == "postgresql"
    if postgresql:  # as the migration on existing tickets: documents first, then the indexes
        with connection.cursor() as cursor:
            for name in INDEXES:
                cursor.execute(f"DROP INDEX {name}")
            cursor.execute("CREATE TEMPORARY TABLE bench_words (rank int PRIMARY KEY, word text NOT NULL)")
            cursor.execute(
                "INSERT INTO bench_words SELECT r, w FROM unnest(%s::text[]) WITH ORDINALITY AS u(w, r)", [words]
            )
    start = time.perf_counter()
    if postgresql:
        agent, requester = _fill_sql(tickets, len(words))
    else:
        agent, requester = fill(tickets)
    steps["tickets and grants" + (", with their text" if postgresql else "")] = time.perf_counter() - start
    with connection.cursor() as cursor:
        start = time.perf_counter()
        if postgresql:
            cursor.execute(
                f"""
                INSERT INTO tickets_comment (ticket_id, author_id, body, is_internal, created_at, updated_at)
                SELECT t.id, CASE WHEN k = 0 THEN %s ELSE t.requester_id END,
                       {_WORDS.format(size=len(words), count="15 + t.id * 0 + k * 0")},
                       k = 0, t.created_at, t.created_at
                FROM tickets_ticket AS t, generate_series(0, 1) AS k
                WHERE k = 1 OR t.id %% 2 = 0
                """,  # noqa: S608 - constant SQL of this script
                [agent.pk],
            )
        else:
            _fill_text_python(words, agent_id=agent.pk)
        steps["replies and notes" if postgresql else "text, replies and notes"] = time.perf_counter() - start
    start = time.perf_counter()
    search_documents_rebuild(connection)
    steps["search documents (batched rebuild)"] = time.perf_counter() - start
    if postgresql:
        start = time.perf_counter()
        with connection.cursor() as cursor:
            for name, column in INDEXES.items():
                cursor.execute(f"CREATE INDEX {name} ON tickets_ticket USING gin ({column})")
        steps["GIN indexes"] = time.perf_counter() - start
    for step, seconds in steps.items():
        print(f"  fill: {step}: {seconds:.1f} s")
    return agent, requester, words


def _fill_text_python(words: list[str], *, agent_id: int) -> None:
    """The same text on SQLite (no arrays there), written in batches with bulk_update."""
    from apps.tickets.models import Comment, Ticket

    rng = random.Random(5)  # noqa: S311 - deterministic benchmark data
    size = len(words)

    def text(n: int) -> str:
        return " ".join(words[int(size ** rng.random()) - 1] for _ in range(n))

    tickets = list(Ticket.objects.only("pk", "requester_id"))
    for ticket in tickets:
        ticket.title, ticket.description = text(5), text(30)
    Ticket.objects.bulk_update(tickets, ["title", "description"], batch_size=2000)
    comments = [Comment(ticket_id=t.pk, author_id=t.requester_id, body=text(15)) for t in tickets]
    comments += [
        Comment(ticket_id=t.pk, author_id=agent_id, body=text(15), is_internal=True) for t in tickets if t.pk % 2 == 0
    ]
    Comment.objects.bulk_create(comments, batch_size=2000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the searches")
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run, and reuse it")
    parser.add_argument("--repeat", type=int, default=20, help="runs per measurement (median and maximum)")
    parser.add_argument(
        "--only-total", action="store_true", help="only the back-office list searched, with its total (agent and admin)"
    )
    args = parser.parse_args()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.tickets.models import Ticket
    from apps.tickets.search import SEARCH_RANK, tickets_search
    from apps.tickets.selectors import tickets_visible_to

    def reuse():
        agent = User.objects.filter(username="agent").first()
        return (agent, User.objects.get(username="r0"), vocabulary()) if agent else None

    with throwaway_database(fill_text, args.tickets, keep=args.keep, reuse_fn=reuse) as (agent, requester, words):
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
        # Words by how common they are: rank 1 is in most tickets, rank 5,000 in a handful.
        queries = {
            "very common word (rank 1)": words[0],
            "common word (rank 10)": words[9],
            "word of rank 100": words[99],
            "rare word (rank 5,000)": words[4999],
            "two words (ranks 2 and 20)": f"{words[1]} {words[19]}",
            "prefix of 3 letters": words[2][:3],
            "whole reference": "TCK-000777",
        }
        if args.only_total:
            changelist_with_total(agent, typing(queries, words), repeat=args.repeat, explain=args.explain)
            return
        admin_scope = Ticket.objects.all()
        # The same search as an admin's (an unsaved account: the admin's search reads every match).
        admin = User(username="bench-admin", role=Role.ADMIN, is_staff=True)
        print("matches among all tickets, and among the agent's (about 1 in 10): ranked or newest first")
        for label, text in queries.items():
            count = tickets_search(admin_scope, user=admin, text=text).count()
            mine = tickets_search(tickets_visible_to(agent), user=agent, text=text)
            order = "ranked" if SEARCH_RANK in mine.query.annotations else "newest first"
            print(f"  {label:30} {text!r:24} {count:>9,} {mine.count():>9,}  {order}")

        print("first page of 50 by relevance, query only (median / max, ms):")
        for who, user in (("agent", agent), ("admin", admin), ("requester", requester)):
            for label, text in queries.items():
                cells = []
                for first_rows in (True, False) if who == "agent" else (False,):

                    def page(user=user, text=text, first_rows=first_rows):
                        # The first matches' ids that choose the order, then the page of 50 (and one to know of more).
                        scope = tickets_visible_to(user, first_rows=first_rows)
                        found = tickets_search(scope, user=user, text=text)
                        return list(found.select_related("department", "requester", "assignee")[:51])

                    median, worst = timed(page, args.repeat)
                    cells.append(f"{median:6.1f} / {worst:6.1f}")
                name = "row by row | as a set" if who == "agent" else "every ticket" if who == "admin" else "as a set"
                print(f"  {who:9} {label:30} {' | '.join(cells)}   ({name})")

        client = Client()
        token = str(RefreshToken.for_user(agent).access_token)
        requester_token = str(RefreshToken.for_user(requester).access_token)
        browser, portal = Client(), Client()
        browser.force_login(agent)
        portal.force_login(requester)
        changelist = reverse("admin:tickets_ticket_changelist")
        portal_list = reverse("portal:ticket_list")
        requests = {
            "hello (ceiling)": lambda text: client.get("/bench/hello/"),
            "API list, agent, no search": lambda text: client.get(
                "/api/tickets/", HTTP_AUTHORIZATION=f"Bearer {token}"
            ),
            "API list, agent": lambda text: client.get(
                "/api/tickets/", {"search": text}, HTTP_AUTHORIZATION=f"Bearer {token}"
            ),
            "API list, requester": lambda text: client.get(
                "/api/tickets/", {"search": text}, HTTP_AUTHORIZATION=f"Bearer {requester_token}"
            ),
            "changelist, agent (50 rows)": lambda text: browser.get(changelist, {"q": text}),
            "portal, requester (20 rows)": lambda text: portal.get(portal_list, {"q": text, "status": "all"}),
        }
        print("whole request in Django's test client (median / max, ms):")
        for label, text in (("common word (rank 10)", words[9]), ("rare word (rank 5,000)", words[4999])):
            for name, request in requests.items():
                assert request(text).status_code == 200
                median, worst = timed(lambda request=request, text=text: request(text), args.repeat)
                print(f"  {label:24} {name:30} {median:7.1f} / {worst:7.1f}")

        if args.explain and connection.vendor == "postgresql":
            for label, text in (
                ("common word (rank 10)", words[9]),
                ("word of rank 100", words[99]),
                ("rare word (rank 5,000)", words[4999]),
                ("two words (ranks 2 and 20)", f"{words[1]} {words[19]}"),
            ):
                for who, user in (("agent", agent), ("admin", admin), ("requester", requester)):
                    # Every query of one search, as run: the first matches' ids, then the page.
                    with CaptureQueriesContext(connection) as captured:
                        scope = tickets_visible_to(user, first_rows=True)
                        list(tickets_search(scope, user=user, text=text)[:51])
                    for number, query in enumerate(captured.captured_queries, 1):
                        print(f"EXPLAIN ANALYZE, {who}, {label}, query {number}:")
                        with connection.cursor() as cursor:
                            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                            print("\n".join(row[0] for row in cursor.fetchall()))
        changelist_with_total(agent, typing(queries, words), repeat=args.repeat, explain=args.explain)


def typing(queries: dict[str, str], words: list[str]) -> dict[str, str]:
    """The queries, and a common word being typed (its first 3 letters): a prefix that is no word of its own."""
    return {**queries, "rank 10 being typed (3 letters)": words[9][:3]}


def changelist_with_total(agent, queries: dict[str, str], *, repeat: int, explain: bool) -> None:
    """The back-office list searched by each word, as the agent and as an admin, with its total: the whole request
    in the test client (median / max, ms, beside hello; the process's CPU per request, mean), the total it shows,
    and on PostgreSQL the database time of the count and of the list's other queries on the tickets (EXPLAIN
    ANALYZE of each, as the request ran them: the median of three runs)."""
    import re

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from apps.accounts.models import User

    admin = User.objects.filter(role="admin", is_active=True).order_by("pk").first()
    changelist = reverse("admin:tickets_ticket_changelist")
    hello = Client()
    median, worst = timed(lambda: hello.get("/bench/hello/"), repeat)
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
    print(f"the back-office list searched, with its total (median / max, ms); hello {median:.1f} / {worst:.1f}")
    print(
        "  who    search                         request ms        CPU ms            total  count db ms  other db ms"
        "  queries"
    )
    for who, user in (("agent", agent), ("admin", admin)):
        if user is None:
            continue
        browser = Client()
        browser.force_login(user)
        for label, text in queries.items():
            response = browser.get(changelist, {"q": text})
            assert response.status_code == 200
            total = re.search(r'<span class="total">([^<]*)</span>', response.content.decode())
            cpu = time.process_time()
            median, worst = timed(lambda browser=browser, text=text: browser.get(changelist, {"q": text}), repeat)
            cpu_ms = (time.process_time() - cpu) * 1000 / repeat
            count_ms = other_ms = 0.0
            with CaptureQueriesContext(connection) as captured:
                browser.get(changelist, {"q": text})
            plans = []
            if connection.vendor == "postgresql":
                for query in captured.captured_queries:
                    if "tickets_ticket" not in query["sql"]:
                        continue
                    # The median of three runs of each query's plan (its time varies from run to run here).
                    runs = []
                    for _ in range(3):
                        with connection.cursor() as cursor:
                            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                            plan = [row[0] for row in cursor.fetchall()]
                        runs.append(float(re.search(r"Execution Time: ([\d.]+)", plan[-1]).group(1)))
                    spent = sorted(runs)[1]
                    if query["sql"].startswith("SELECT COUNT(*)"):
                        count_ms += spent
                        plans.append(plan)
                    else:
                        other_ms += spent
            shown = total.group(1) if total else "?"
            print(
                f"  {who:6} {label:30} {median:7.1f} / {worst:7.1f} {cpu_ms:7.1f} {shown:>16} {count_ms:12.1f}"
                f" {other_ms:12.1f}"
                f"  {len(captured.captured_queries)}"
            )
            if explain:
                for plan in plans:
                    print("    EXPLAIN ANALYZE of the count:")
                    print("\n".join(f"      {line}" for line in plan))


if __name__ == "__main__":
    main()
