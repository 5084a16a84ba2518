"""The demo organisation: three departments and one account per role, created through the services."""

from dataclasses import dataclass, field

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.services import user_create
from apps.departments.models import Department
from apps.departments.services import department_create, department_update, user_set_departments

DEMO_PASSWORD = "demo"  # noqa: S105 -- printed on purpose: demo accounts, refused unless DEBUG or --force


class SeedError(Exception):
    """The database holds something the demo data would clash with; nothing was written."""


@dataclass(frozen=True)
class DemoDepartment:
    name: str
    slug: str
    description: str
    manager: str  # username
    is_default: bool = False
    keywords: str = ""  # the AI triage's cold-start department keywords (en, tr, de, fr, es, pt)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    department: str = ""  # slug

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


# Same names, slugs and descriptions as apps/departments/fixtures/initial_data.json, so that seeding after
# `loaddata initial_data` reuses those departments.
DEPARTMENTS = (
    DemoDepartment(
        "IT Support",
        "it-support",
        "Laptops, printers, accounts, VPN and everything else with a plug. "
        "Tickets that match no routing rule land here.",
        manager="alice",
        is_default=True,
        keywords=(
            "laptop, printer, vpn, password, wifi, monitor, software, e-mail, network\n"
            "yazıcı, şifre, bilgisayar, ağ\n"
            "drucker, passwort, netzwerk, bildschirm\n"
            "imprimante, mot de passe, ordinateur, réseau\n"
            "impresora, contraseña, ordenador, conexión\n"
            "impressora, senha, computador, rede"
        ),
    ),
    DemoDepartment(
        "Billing",
        "billing",
        "Invoices, payments, refunds and subscriptions.",
        manager="bob",
        keywords=(
            "invoice, payment, refund, subscription, charged, credit card\n"
            "fatura, ödeme, iade, abonelik\n"
            "rechnung, zahlung, erstattung, abonnement\n"
            "facture, paiement, remboursement, abonnement\n"
            "factura, pago, reembolso, suscripción\n"
            "fatura, pagamento, reembolso, assinatura"
        ),
    ),
    DemoDepartment(
        "HR",
        "hr",
        "Payroll, leave, contracts, onboarding and certificates.",
        manager="erin",
        keywords=(
            "payroll, salary, leave, vacation, contract, onboarding, certificate, payslip\n"
            "maaş, izin, sözleşme, bordro\n"
            "gehalt, urlaub, vertrag, lohnabrechnung\n"
            "salaire, congé, contrat, fiche de paie\n"
            "salario, nómina, vacaciones, contrato\n"
            "salário, férias, contrato, holerite"
        ),
    ),
)

USERS = (
    DemoUser("admin", Role.ADMIN, "Adrian", "Kowalski"),
    DemoUser("alice", Role.AGENT, "Alice", "Johnson", department="it-support"),
    DemoUser("bob", Role.AGENT, "Bob", "Schneider", department="billing"),
    DemoUser("erin", Role.AGENT, "Erin", "Yılmaz", department="hr"),
    DemoUser("carol", Role.REQUESTER, "Carol", "Smith"),
    DemoUser("dave", Role.REQUESTER, "Dave", "Becker"),
)
DEMO_USERNAMES = tuple(u.username for u in USERS)
REQUESTERS = tuple(u.username for u in USERS if u.role == Role.REQUESTER)


def is_seeded() -> bool:
    """The idempotency marker: every demo account exists (one query).

    The seed writes all missing accounts and all tickets in one transaction, so after a seed every account
    exists, and before one at least one is missing. Deleting a demo account makes the next run seed again.
    """
    return User.objects.filter(username__in=DEMO_USERNAMES).count() == len(DEMO_USERNAMES)


@dataclass
class Organisation:
    departments: dict[str, Department]  # by slug
    users: dict[str, User]  # by username
    created_users: list[str] = field(default_factory=list)
    reused_users: list[str] = field(default_factory=list)
    created_departments: list[str] = field(default_factory=list)
    reused_departments: list[str] = field(default_factory=list)

    def agent_of(self, slug: str) -> User:
        return self.users[next(u.username for u in USERS if u.department == slug)]

    @property
    def admin(self) -> User:
        return self.users["admin"]

    @property
    def requesters(self) -> list[User]:
        return [self.users[username] for username in REQUESTERS]


def organisation_get_or_create() -> Organisation:
    """Create the missing demo accounts and departments; reuse those that exist (by username / slug)."""
    existing = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
    org = Organisation(departments={}, users={})
    for spec in USERS:
        user = existing.get(spec.username)
        if user is None:
            user = user_create(
                username=spec.username,
                email=spec.email,
                password=DEMO_PASSWORD,
                role=spec.role,
                first_name=spec.first_name,
                last_name=spec.last_name,
            )
            org.created_users.append(spec.username)
        elif user.role != spec.role or not user.is_active:
            raise SeedError(
                f"User “{spec.username}” already exists as an {'active' if user.is_active else 'inactive'} "
                f"{user.get_role_display()}; the demo data needs an active {Role(spec.role).label}."
            )
        else:
            org.reused_users.append(spec.username)
        org.users[spec.username] = user

    existing_departments = {d.slug: d for d in Department.objects.filter(slug__in=[d.slug for d in DEPARTMENTS])}
    has_default = Department.objects.filter(is_default=True).exists()
    for spec in DEPARTMENTS:
        manager = org.users[spec.manager]
        department = existing_departments.get(spec.slug)
        if department is None:
            department = department_create(
                name=spec.name,
                slug=spec.slug,
                description=spec.description,
                manager=manager,
                # Never take the default flag away from a department someone else made the default.
                is_default=spec.is_default and not has_default,
                keywords=spec.keywords,
            )
            org.created_departments.append(spec.slug)
        else:
            if not department.is_active:
                raise SeedError(f"Department “{department}” exists but is not active; the demo data needs it.")
            if department.manager_id is None:
                department = department_update(department=department, manager=manager)
            if not department.keywords:
                department = department_update(department=department, keywords=spec.keywords)
            org.reused_departments.append(spec.slug)
        org.departments[spec.slug] = department

    # Each demo agent must be a member of its department to work its tickets; existing accounts keep the
    # memberships they have and only gain the missing one.
    for spec in USERS:
        if not spec.department:
            continue
        user = org.users[spec.username]
        current = list(Department.objects.filter(group__user=user))
        if spec.department not in {d.slug for d in current}:
            user_set_departments(user=user, departments=[*current, org.departments[spec.department]])
    return org
