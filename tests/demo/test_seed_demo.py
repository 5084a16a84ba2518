"""seed_demo: the demo organisation and tickets, written through the services, once."""

import io
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.departments.models import Department
from apps.tickets.choices import EventKind, Status
from apps.tickets.models import Comment, Ticket, TicketEvent
from tests.accounts.factories import UserFactory

LOGINS = (
    "Demo logins (password “demo”):\n"
    "  admin  admin\n"
    "  alice  agent, IT Support\n"
    "  bob    agent, Billing\n"
    "  erin   agent, HR\n"
    "  carol  requester\n"
    "  dave   requester\n"
)


def seed_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows in every table, many-to-many tables included."""
    return {m._meta.db_table: m._base_manager.count() for m in apps.get_models(include_auto_created=True)}


@pytest.fixture
def debug(db, settings):
    settings.DEBUG = True


def test_refuses_when_debug_is_off(db, settings):
    settings.DEBUG = False
    before = row_counts()
    with pytest.raises(CommandError, match=r"only runs with DEBUG on\. Use --force to seed anyway"):
        seed_demo()
    assert row_counts() == before


def test_force_seeds_when_debug_is_off(db, settings):
    settings.DEBUG = False
    out = seed_demo("--force", "--tickets", "5")
    assert out.startswith("Seeded demo data in ")
    assert out.endswith(LOGINS)
    assert Ticket.objects.count() == 5


def test_demo_data(debug, client):
    out = seed_demo()

    assert out.startswith("Seeded demo data in ")
    assert "  departments    3 created, 0 reused: Billing, HR, IT Support (default)\n" in out
    assert "  users          6 created, 0 reused\n" in out
    assert out.endswith(LOGINS)

    departments = Department.objects.order_by("slug")
    assert [(d.slug, d.name, d.group.name, d.is_default, d.manager.username) for d in departments] == [
        ("billing", "Billing", "department:billing", False, "bob"),
        ("hr", "HR", "department:hr", False, "erin"),
        ("it-support", "IT Support", "department:it-support", True, "alice"),
    ]
    # The AI triage's cold start suggests departments from their keywords, in the six languages.
    assert [d.keywords.splitlines()[0] for d in departments] == [
        "invoice, payment, refund, subscription, charged, credit card",
        "payroll, salary, leave, vacation, contract, onboarding, certificate, payslip",
        "laptop, printer, vpn, password, wifi, monitor, software, e-mail, network",
    ]
    assert [len(d.keywords.splitlines()) for d in departments] == [6, 6, 6]
    users = User.objects.order_by("username")
    assert [(u.username, u.email, u.role, [g.name for g in u.groups.all()]) for u in users] == [
        ("admin", "admin@example.com", Role.ADMIN, []),
        ("alice", "alice@example.com", Role.AGENT, ["department:it-support"]),
        ("bob", "bob@example.com", Role.AGENT, ["department:billing"]),
        ("carol", "carol@example.com", Role.REQUESTER, []),
        ("dave", "dave@example.com", Role.REQUESTER, []),
        ("erin", "erin@example.com", Role.AGENT, ["department:hr"]),
    ]
    for username in ("admin", "alice", "bob", "erin", "carol", "dave"):
        assert client.login(username=username, password="demo"), username

    tickets = Ticket.objects.order_by("pk")
    assert tickets.count() == 200
    # Consecutive references (on PostgreSQL a sequence gives them, which an earlier test may have advanced).
    numbers = [int(t.reference.removeprefix("TCK-")) for t in tickets]
    assert numbers == list(range(numbers[0], numbers[0] + 200))
    assert set(tickets.values_list("status", flat=True)) == set(Status.values)
    assert set(tickets.values_list("language", flat=True)) == {"en", "de", "tr"}
    assert set(tickets.values_list("department__slug", flat=True)) == {"it-support", "billing", "hr"}
    assert {True, False} == set(Comment.objects.values_list("is_internal", flat=True))
    assert TicketEvent.objects.filter(kind=EventKind.TRANSFERRED).exists()

    # A history over the last ~60 days, in order, and never in the future.
    now = timezone.now()
    created = list(tickets.values_list("created_at", flat=True))
    assert created == sorted(created)
    assert now - timedelta(days=61) < created[0] < created[-1] < now
    for ticket in tickets.prefetch_related("events", "comments"):
        events = list(ticket.events.all())
        assert events[0].kind == EventKind.CREATED
        assert events[0].created_at == ticket.created_at
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        assert ticket.created_at <= ticket.updated_at == max(e.created_at for e in events) < now
        assert all(ticket.created_at <= c.created_at <= ticket.updated_at for c in ticket.comments.all())

    # Everything went through the services: grants, sequence, history and timestamps all check out.
    call_command("check_data", stdout=io.StringIO())


def test_second_run_creates_no_rows(debug):
    seed_demo("--tickets", "20")
    before = row_counts()

    assert seed_demo("--tickets", "20") == (
        f"Demo data already seeded: nothing to do.\n(Every demo account exists; no rows were created.)\n{LOGINS}"
    )
    assert row_counts() == before


def test_quiet_if_seeded_prints_one_line_after_one_query(debug, django_assert_num_queries):
    seed_demo("--tickets", "3")
    with django_assert_num_queries(1):
        assert seed_demo("--quiet-if-seeded") == "Demo data already seeded: nothing to do.\n"


def test_same_data_every_time(debug):
    def snapshot():
        tickets = list(
            Ticket.objects.order_by("pk")
            .select_related("department", "requester", "assignee")
            .prefetch_related("comments")
        )
        # References as positions: on PostgreSQL the sequence is not rolled back with the first seeding.
        position = {t.reference: f"#{n}" for n, t in enumerate(tickets)}

        def relative(text: str) -> str:
            return re.sub(r"TCK-\d{6}", lambda m: position.get(m.group(0), m.group(0)), text)

        return [
            (
                *(position[t.reference], t.title, t.status, t.priority, t.department.slug, t.language, t.source),
                *(t.requester.username, t.assignee.username if t.assignee else None),
                [relative(c.body) for c in t.comments.all()],
            )
            for t in tickets
        ]

    class Rollback(Exception):
        pass

    first = None
    with pytest.raises(Rollback), transaction.atomic():
        seed_demo("--tickets", "30")
        first = snapshot()
        raise Rollback
    assert Ticket.objects.count() == 0
    seed_demo("--tickets", "30")
    assert snapshot() == first


def test_seeding_after_loaddata_reuses_the_departments(debug):
    call_command("loaddata", "initial_data", verbosity=0)
    loaded = dict(Department.objects.values_list("slug", "pk"))

    out = seed_demo("--tickets", "10")

    assert "  departments    0 created, 3 reused: Billing, HR, IT Support (default)\n" in out
    assert dict(Department.objects.values_list("slug", "pk")) == loaded
    assert dict(Department.objects.values_list("slug", "manager__username")) == {
        "billing": "bob",
        "hr": "erin",
        "it-support": "alice",
    }
    call_command("check_data", stdout=io.StringIO())


def test_existing_admin_account_is_reused_with_its_password(debug, client):
    UserFactory(username="admin", email="root@example.org", role=Role.ADMIN, password="s3cret-pass")

    out = seed_demo("--tickets", "5")

    assert "  users          5 created, 1 reused\n" in out
    assert "  admin  admin (existing account: password unchanged)\n" in out
    assert client.login(username="admin", password="s3cret-pass")
    assert not client.login(username="admin", password="demo")


def test_account_with_a_demo_name_but_another_role_is_refused(debug):
    UserFactory(username="bob", role=Role.REQUESTER)
    before = row_counts()

    with pytest.raises(CommandError, match="User “bob” already exists as an active Requester"):
        seed_demo("--tickets", "5")
    assert row_counts() == before


def test_the_demo_sets_up_routing_sla_policies_and_canned_responses(debug):
    from apps.departments.models import RoutingRule, SlaPolicy
    from apps.departments.routing import route_ticket
    from apps.macros.models import Macro
    from apps.macros.selectors import macros_visible_to
    from apps.macros.services import macro_text
    from apps.tickets import sla

    out = seed_demo("--tickets", "40")

    assert "  routing rules  4 created\n" in out
    assert "  SLA policies   12 created (business hours but for urgent tickets)\n" in out
    assert "  macros         8 canned responses and macros created\n" in out
    assert RoutingRule.objects.count() == 4
    route = route_ticket(title="Refund please", description="I was charged twice.", category="question",
                         requester_email="x@example.com")  # fmt: skip
    assert route.department.slug == "billing"
    policies = SlaPolicy.objects.order_by("department__slug", "priority")
    assert [(p.department.slug, p.priority, p.business_hours) for p in policies if p.department.slug == "hr"] == [
        ("hr", "high", True),
        ("hr", "low", True),
        ("hr", "normal", True),
        ("hr", "urgent", False),
    ]
    # The tickets took their due dates from the policies: open ones show an SLA state.
    open_tickets = Ticket.objects.filter(status__in=["new", "open", "in_progress"])
    assert open_tickets.exists()
    assert all(t.resolution_due_at is not None for t in open_tickets)
    assert {sla.sla_state(t) for t in open_tickets} - {sla.SlaState.NONE}
    # Canned responses for everyone, per department, and alice's private one, with variants in tr and de.
    alice = User.objects.get(username="alice")
    assert list(macros_visible_to(alice).values_list("title", flat=True)) == [
        "Ask for more details",
        "Escalate to the manager",
        "My sign-off",
        "Password reset steps",
        "Solved: please confirm",
        "Thanks, we are on it",
    ]
    assert sorted(Macro.objects.get(title="Thanks, we are on it").translations) == ["de", "tr"]
    # "Password reset steps" links to the demo's article, in the ticket's language.
    ticket = Ticket.objects.filter(department__slug="it-support", language="de").first()
    text = macro_text(macro=Macro.objects.get(title="Password reset steps"), ticket=ticket, actor=alice)
    link = settings.SITE_URL.rstrip("/") + reverse("portal:help_article", args=["reset-password"])
    assert f"Step by step, with pictures: Passwort zurücksetzen: {link}\n\nAlice" in text
    call_command("check_data", stdout=io.StringIO())


def test_the_workspace_is_not_doubled_when_departments_are_reused(debug):
    from apps.demo.people import organisation_get_or_create
    from apps.demo.workspace import workspace_seed
    from apps.departments.models import RoutingRule, SlaPolicy
    from apps.macros.models import Macro

    seed_demo("--tickets", "3")
    counts = (RoutingRule.objects.count(), SlaPolicy.objects.count(), Macro.objects.count())

    again = workspace_seed(organisation_get_or_create())

    assert (again.routing_rules, again.sla_policies, again.macros) == (0, 0, 0)
    assert (RoutingRule.objects.count(), SlaPolicy.objects.count(), Macro.objects.count()) == counts
