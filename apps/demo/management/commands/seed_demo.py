"""`manage.py seed_demo`: demo departments, accounts and tickets for trying the product locally."""

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.demo import seeding as demo
from apps.departments.models import Department
from apps.tickets.choices import Status
from apps.tickets.models import Attachment, Comment, Ticket, TicketEvent


class Command(BaseCommand):
    help = (
        "Create demo data: departments IT Support (default), Billing and HR, the accounts admin, alice, bob, erin, "
        f"carol and dave (password “{demo.DEMO_PASSWORD}”), routing rules, SLA policies with business hours, canned "
        f"responses and macros, and ~{demo.DEFAULT_TICKETS} tickets with replies, "
        "internal notes and two months of history, all written through the services in one transaction. "
        "Idempotent: when every demo account exists the data counts as seeded and nothing is written (delete a "
        "demo account, or use a fresh database, to seed again). Existing departments (e.g. from "
        "`loaddata initial_data`) and accounts with the demo names are reused. "
        "Refuses to run unless DEBUG is on or --force is given."
    )

    # `make run` calls this on every start right after `migrate`, which has just run the system checks.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Seed even though DEBUG is off (never on a production database)."
        )
        parser.add_argument(
            "--quiet-if-seeded",
            action="store_true",
            help="When the data is already there, print one short line (for `make run`, which calls this each start).",
        )
        parser.add_argument(
            "--tickets",
            type=int,
            default=demo.DEFAULT_TICKETS,
            help="How many tickets to create (default: %(default)s).",
        )

    def handle(self, *args, force: bool, quiet_if_seeded: bool, tickets: int, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                f"seed_demo creates accounts whose password is “{demo.DEMO_PASSWORD}”, so it only runs with DEBUG on. "
                "Use --force to seed anyway (never on a production database)."
            )
        if tickets < 0:
            raise CommandError("--tickets cannot be negative.")
        if demo.is_seeded():
            self.already_seeded(quiet=quiet_if_seeded)
            return
        started = time.monotonic()
        try:
            result = demo.seed(tickets=tickets)
        except (demo.SeedError, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(f"Nothing was seeded: {' '.join(messages)}") from exc
        if result is None:  # another process seeded while this one waited for it
            self.already_seeded(quiet=quiet_if_seeded)
            return
        self.summary(result, seconds=time.monotonic() - started)
        self.logins(reused=result.reused_users)

    def already_seeded(self, *, quiet: bool) -> None:
        self.stdout.write("Demo data already seeded: nothing to do.")
        if not quiet:
            self.stdout.write("(Every demo account exists; no rows were created.)")
            self.logins(reused=[])

    def summary(self, result: demo.SeedResult, *, seconds: float) -> None:
        tickets = Ticket.objects.filter(pk__in=result.ticket_ids)
        by_status = dict(tickets.values_list("status").annotate(n=Count("pk")).order_by())
        comments = Comment.objects.filter(ticket__in=tickets).aggregate(
            replies=Count("pk", filter=Q(is_internal=False)), notes=Count("pk", filter=Q(is_internal=True))
        )
        by_language = dict(tickets.values_list("language").annotate(n=Count("pk")).order_by())
        departments = ", ".join(
            f"{d.name}{' (default)' if d.is_default else ''}"
            for d in Department.objects.filter(slug__in=[d.slug for d in demo.DEPARTMENTS])
        )
        statuses = ", ".join(f"{Status(s).label.lower()} {by_status[s]}" for s in Status.values if s in by_status)
        languages = ", ".join(f"{code} {n}" for code, n in sorted(by_language.items()))
        replies, notes = comments["replies"], comments["notes"]
        rows = [
            (
                Department._meta.verbose_name_plural,
                f"{len(result.created_departments)} created, {len(result.reused_departments)} reused: {departments}",
            ),
            (User._meta.verbose_name_plural, f"{len(result.created_users)} created, {len(result.reused_users)} reused"),
            ("routing rules", f"{result.workspace.routing_rules} created"),
            ("SLA policies", f"{result.workspace.sla_policies} created (business hours but for urgent tickets)"),
            ("macros", f"{result.workspace.macros} canned responses and macros created"),
            (Ticket._meta.verbose_name_plural, f"{len(result.ticket_ids)} ({statuses}; languages: {languages})"),
            (Comment._meta.verbose_name_plural, f"{replies + notes} ({replies} replies, {notes} internal notes)"),
            (TicketEvent._meta.verbose_name_plural, str(TicketEvent.objects.filter(ticket__in=tickets).count())),
            (Attachment._meta.verbose_name_plural, str(Attachment.objects.filter(ticket__in=tickets).count())),
        ]
        self.stdout.write(self.style.SUCCESS(f"Seeded demo data in {seconds:.1f} s:"))
        width = max(len(str(label)) for label, _ in rows)
        for label, text in rows:
            self.stdout.write(f"  {label!s:<{width}}  {text}")

    def logins(self, *, reused: list[str]) -> None:
        self.stdout.write(f"Demo logins (password “{demo.DEMO_PASSWORD}”):")
        names = {d.slug: d.name for d in demo.DEPARTMENTS}
        for user in demo.USERS:
            role = Role(user.role).label.lower()
            where = f", {names[user.department]}" if user.department else ""
            note = " (existing account: password unchanged)" if user.username in reused else ""
            self.stdout.write(f"  {user.username:<6} {role}{where}{note}")
