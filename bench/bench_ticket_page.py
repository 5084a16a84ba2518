"""Benchmark: the back office's ticket page (apps/tickets/admin/page.py) beside a trivial view, in one run.

Creates a throw-away test database (SQLite in memory, or `test_<name>` on PostgreSQL when DATABASE_URL points
there), fills it with N tickets (bench/data.py: 10 departments, their real grants; the agent works in one of
them), gives one ticket of the agent's department 50 messages (replies and internal notes, some with a file, and
their history) and another 2, and requests, in this process through Django's test client with `bench.settings`:

- /bench/hello/, the ceiling: a trivial view through the same middleware;
- the API's detail of the ticket as the agent (JWT);
- the agent's (empty) page of saved views: what any unfold admin page costs (session, sidebar, header);
- the ticket page with 2 and with 50 messages, as the agent and as an admin.

For each: median and maximum wall time and CPU time of this process per request, the response size and the
number of queries. Then a profile of the page with 50 messages (cProfile over `--repeat` requests).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ts_bench .venv/bin/python bench/bench_ticket_page.py \\
        [--tickets 100000] [--repeat 30]
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django

django.setup()

from django.template.base import Template  # noqa: E402

from bench.bench_changelist import kept_users, measure, profile  # noqa: E402
from bench.data import throwaway_database  # noqa: E402


def conversation(ticket, agent, requester, messages: int) -> None:
    """`messages` replies and notes on `ticket`, through the services (with their events and search documents)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.tickets import services

    for n in range(messages):
        author = requester if n % 3 == 1 else agent
        internal = author == agent and n % 5 == 0
        uploads = [SimpleUploadedFile(f"log-{n}.txt", b"12:00 dropped\n")] if n % 10 == 3 else []
        services.comment_add(
            ticket=ticket,
            actor=author,
            body=f"Message {n}: the VPN dropped again at 12:{n:02d}.\nRestarting did not help.",
            is_internal=internal,
            uploads=uploads,
        )


# Where a ticket page request's time goes (bench_changelist.profile).
PAGE_PARTS = {
    "template rendering": ("django/template/response.py", "render"),
    "  of which the sidebar (navigation)": ("config/unfold.py", "sidebar"),
    "the page's context (ticket_page_context)": ("admin/page.py", "ticket_page_context"),
    "  of which the history lines": ("tickets/history.py", "history_lines"),
    "SQL (cursor execute)": ("django/db/backends/utils.py", "_execute"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the database for the next run, and reuse it (also one that bench_search.py --keep filled)",
    )
    args = parser.parse_args()

    from django.test import Client
    from django.urls import reverse
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.accounts.models import User
    from apps.tickets import events
    from apps.tickets.choices import Status
    from apps.tickets.models import Ticket
    from bench.data import fill

    plain_render = Template._render
    with throwaway_database(fill, args.tickets, keep=args.keep, reuse_fn=kept_users) as (agent, requester):
        # The test environment records every rendered template for the test client: not what a server does.
        Template._render = plain_render
        listeners = list(events._listeners)
        department = agent.groups.get().department
        long_ticket, short_ticket = Ticket.objects.filter(department=department).order_by("pk")[:2]
        # Open, so that the requester may reply (a random status may be closed).
        Ticket.objects.filter(pk__in=[long_ticket.pk, short_ticket.pk]).update(requester=requester, status=Status.OPEN)
        long_ticket.refresh_from_db()
        short_ticket.refresh_from_db()
        # A kept database has its conversations from the first run (bench_search.py's fill adds a reply and, on
        # every other ticket, a note to each ticket: the pages then show 51 or 52 and 3 or 4 messages).
        with events.silenced(*listeners):  # the page reads the messages; nobody needs telling
            for ticket, messages in ((long_ticket, 50), (short_ticket, 2)):
                if not ticket.comments.filter(body__startswith=f"Message {messages - 1}:").exists():
                    conversation(ticket, agent, requester, messages)
        boss, _ = User.objects.get_or_create(
            username="boss", defaults={"email": "boss@example.com", "role": "admin", "is_staff": True}
        )
        print(f"tickets: {Ticket.objects.count():,}; load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        agent_client, admin_client, anonymous = Client(), Client(), Client()
        agent_client.force_login(agent)
        admin_client.force_login(boss)
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {AccessToken.for_user(agent)}"}
        long_page = reverse("admin:tickets_ticket_change", args=[long_ticket.pk])
        short_page = reverse("admin:tickets_ticket_change", args=[short_ticket.pk])
        runs = {
            "hello (ceiling)": (anonymous, "/bench/hello/", {}),
            "API ticket detail (agent)": (Client(), f"/api/tickets/{long_ticket.pk}/", bearer),
            "empty admin list (unfold's floor)": (agent_client, reverse("admin:tickets_savedview_changelist"), {}),
            "ticket page, 2 messages (agent)": (agent_client, short_page, {}),
            "ticket page, 50 messages (agent)": (agent_client, long_page, {}),
            "ticket page, 50 messages (admin)": (admin_client, long_page, {}),
        }
        results = {name: measure(client, url, args.repeat, **headers) for name, (client, url, headers) in runs.items()}
        print(f"{'':42} {'wall ms':>8} {'(max)':>7} {'CPU ms':>7} {'KB':>7} {'queries':>7}")
        for name, r in results.items():
            print(f"{name:42} {r['wall']:8.1f} {r['wall_max']:7.1f} {r['cpu']:7.1f} {r['kb']:7.1f} {r['queries']:7d}")
        api = results["API ticket detail (agent)"]
        page = results["ticket page, 50 messages (agent)"]
        print(
            f"ticket page (50 messages) / API detail: {page['wall'] / api['wall']:.1f}× wall, "
            f"{page['cpu'] / api['cpu']:.1f}× CPU"
        )
        if not args.no_profile:
            profile(agent_client, long_page, args.repeat, PAGE_PARTS)


if __name__ == "__main__":
    main()
