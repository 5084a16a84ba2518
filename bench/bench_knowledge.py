"""Benchmark: the new-ticket page's article suggestions (GET /help/suggest/) at 10,000 articles, beside "hello".

Creates a throw-away test database (`test_<name>` on PostgreSQL when DATABASE_URL points there; SQLite in
memory otherwise) with N articles (default 10,000) in bulk: titles of 6 and bodies of 80 words drawn from the
ticket search benchmark's vocabulary of 20,000 words (real help-desk words of six languages and made-up
ones, Zipf-like: a few words are in most articles), 60 % English, 20 % Turkish, 20 % German, 70 % public,
20 % for signed-in requesters and 10 % for agents only, all published; then builds the search documents and
the GIN index as the migration does. It times the suggestion query alone and the whole request in Django's
test client for a requester typing a title and description, beside `/bench/hello/` in the same run, and
prints PostgreSQL's plan of one suggestion with --explain.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ticket_system_bench \\
        .venv/bin/python bench/bench_knowledge.py [--articles 10000] [--explain]
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

from bench.bench_search import vocabulary  # noqa: E402
from bench.data import throwaway_database, timed  # noqa: E402

INDEX = "knowledge_article_search_gin"
# A title and the start of a description: words from common (rank 4) to rare (rank 8,000).
TWELVE_RANKS = (3, 17, 120, 400, 900, 1500, 2500, 4000, 6000, 8000, 11, 77)


def fill(count: int):
    from django.db import connection

    from apps.accounts.services import user_create
    from apps.departments.services import department_create
    from apps.knowledge.models import Article, Category
    from apps.knowledge.search import article_documents_rebuild

    rng = random.Random(3)  # noqa: S311 - deterministic benchmark data
    words = vocabulary()
    size = len(words)

    def text(n: int) -> str:
        return " ".join(words[int(size ** rng.random()) - 1] for _ in range(n))

    department = department_create(name="Support", is_default=True)
    requester = user_create(username="r0", email="r0@example.com")
    categories = [Category.objects.create(name=f"Topic {i}", slug=f"topic-{i}") for i in range(10)]
    start = time.perf_counter()
    articles = []
    for n in range(count):
        language = rng.choices(["en", "tr", "de"], weights=[6, 2, 2])[0]
        audience = rng.choices(["public", "requesters", "agents"], weights=[7, 2, 1])[0]
        articles.append(
            Article(
                slug=f"a-{n}",
                language=language,
                title=text(6)[:200],
                body=text(80),
                category=categories[n % 10],
                status="published",
                audience=audience,
                department=department,
            )
        )
    Article.objects.bulk_create(articles, batch_size=2000)
    steps = {"articles": time.perf_counter() - start}
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    start = time.perf_counter()
    article_documents_rebuild(connection)
    steps["search documents"] = time.perf_counter() - start
    if postgresql:
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX {INDEX} ON knowledge_article USING gin (search_document)")
        steps["GIN index"] = time.perf_counter() - start
    for step, seconds in steps.items():
        print(f"  fill: {step}: {seconds:.1f} s")
    return requester, words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of one suggestion")
    parser.add_argument("--repeat", type=int, default=30, help="runs per measurement (median and maximum)")
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run, and reuse it")
    args = parser.parse_args()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from apps.knowledge.search import articles_suggest
    from apps.knowledge.selectors import articles_in_language, articles_visible_to

    def reuse():
        from apps.accounts.models import User

        requester = User.objects.filter(username="r0").first()
        return (requester, vocabulary()) if requester else None

    with throwaway_database(fill, args.articles, keep=args.keep, reuse_fn=reuse) as (requester, words):
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
        inputs = {
            "title of 3 words (ranks 1, 50, 3,000)": f"{words[0]} {words[49]} {words[2999]}",
            "title + description (12 words)": " ".join(words[i] for i in TWELVE_RANKS),
            "one rare word (rank 5,000)": words[4999],
            "one very common word (rank 1)": words[0],
        }
        scope = articles_in_language(articles_visible_to(requester), "en")
        print("matches (of the requester's English articles):")
        for label, text in inputs.items():
            print(f"  {label:42} {articles_suggest(scope, text=text).count():>7,}")
        print("suggestion query only, 5 best (median / max, ms):")
        for label, text in inputs.items():
            median, worst = timed(lambda text=text: list(articles_suggest(scope, text=text)[:5]), args.repeat)
            print(f"  {label:42} {median:6.1f} / {worst:6.1f}")
        hello, portal = Client(), Client()
        portal.force_login(requester)
        url = reverse("portal:help_suggest")
        print("whole request in Django's test client (median / max, ms):")
        median, worst = timed(lambda: hello.get("/bench/hello/"), args.repeat)
        print(f"  {'hello (ceiling)':42} {median:6.1f} / {worst:6.1f}")
        for label, text in inputs.items():
            assert portal.get(url, {"q": text}).status_code == 200
            median, worst = timed(lambda text=text: portal.get(url, {"q": text}), args.repeat)
            print(f"  {'suggest: ' + label:42} {median:6.1f} / {worst:6.1f}")
        if args.explain and connection.vendor == "postgresql":
            with CaptureQueriesContext(connection) as captured:
                list(articles_suggest(scope, text=inputs["title + description (12 words)"])[:5])
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {captured.captured_queries[-1]['sql']}")
                print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
