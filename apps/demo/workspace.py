"""The demo's working set-up besides people and tickets: routing rules, SLA policies with business hours, and
canned responses and macros, so that a newcomer sees routing, due dates ("Breaching soon") and the composer's
picker without setting anything up. Written through the services before the tickets, which get their due dates
from these policies, and after the knowledge base's articles ("Password reset steps" links to one with
`{article:reset-password}`). Whatever already exists (a policy for the same department and priority, a rule with
the same pattern, a macro with the same title) is left as it is.
"""

from dataclasses import dataclass, field

from apps.departments.choices import RuleField
from apps.departments.models import RoutingRule, SlaPolicy
from apps.departments.services import routing_rule_save, sla_policy_save
from apps.macros.choices import AssignTo, Scope
from apps.macros.models import Macro
from apps.macros.services import macro_save
from apps.tickets.choices import Priority, Status

from .people import Organisation

# (department slug, order, field, pattern)
ROUTING_RULES = (
    ("billing", 10, RuleField.KEYWORDS, "invoice, refund, payment, subscription, charged, fatura, rechnung"),
    ("hr", 20, RuleField.KEYWORDS, "payroll, payslip, salary, leave request, contract, maaş, gehalt, urlaub"),
    ("billing", 30, RuleField.CATEGORY, "billing"),
    ("it-support", 40, RuleField.REGEX, r"\b(vpn|wi-?fi|printer|laptop)\b"),
)

HOUR = 60
DAY = 24 * HOUR
# priority → (first response, resolution, in business hours): urgent work runs around the clock.
SLA_TARGETS = {
    Priority.URGENT: (1 * HOUR, 8 * HOUR, False),
    Priority.HIGH: (4 * HOUR, 2 * DAY, True),
    Priority.NORMAL: (8 * HOUR, 5 * DAY, True),
    Priority.LOW: (2 * DAY, 10 * DAY, True),
}


@dataclass(frozen=True)
class DemoMacro:
    title: str
    body: str = ""
    translations: dict = field(default_factory=dict)
    scope: str = Scope.EVERYONE
    department: str = ""  # slug
    owner: str = ""  # username, for a private one
    note: str = ""
    set_status: str = ""
    set_priority: str = ""
    assign: str = ""


MACROS = (
    DemoMacro(
        "Thanks, we are on it",
        "Hello {requester_first_name},\n\nthank you for your message. We are looking into {ticket_reference} and will "
        "get back to you soon.\n\n{agent_name}",
        translations={
            "tr": "Merhaba {requester_first_name},\n\nmesajınız için teşekkürler. {ticket_reference} üzerinde "
            "çalışıyoruz, en kısa sürede dönüş yapacağız.\n\n{agent_name}",
            "de": "Hallo {requester_first_name},\n\nvielen Dank für Ihre Nachricht. Wir kümmern uns um "
            "{ticket_reference} und melden uns bald.\n\n{agent_name}",
        },
        set_status=Status.IN_PROGRESS,
        assign=AssignTo.ME,
    ),
    DemoMacro(
        "Ask for more details",
        "Hello {requester_first_name},\n\ncould you tell us a little more: since when does it happen, and what "
        "exactly do you see? A screenshot helps a lot.\n\n{agent_name}",
        translations={
            "tr": "Merhaba {requester_first_name},\n\nbiraz daha bilgi verebilir misiniz: ne zamandan beri oluyor ve "
            "tam olarak ne görüyorsunuz? Bir ekran görüntüsü çok yardımcı olur.\n\n{agent_name}",
            "de": "Hallo {requester_first_name},\n\nkönnen Sie uns etwas mehr erzählen: seit wann passiert es, und was "
            "genau sehen Sie? Ein Screenshot hilft sehr.\n\n{agent_name}",
        },
        set_status=Status.WAITING,
    ),
    DemoMacro(
        "Solved: please confirm",
        "Hello {requester_first_name},\n\nwe believe {ticket_reference} is solved. If anything is still wrong, just "
        "reply and we will reopen it; otherwise it closes by itself in a week.\n\n{agent_name}",
        set_status=Status.RESOLVED,
    ),
    DemoMacro(
        "Escalate to the manager",
        note="Escalated by {agent_name}: please have a look at {ticket_reference}.",
        set_priority=Priority.URGENT,
    ),
    DemoMacro(
        "Password reset steps",
        "Hello {requester_first_name},\n\nyou can reset your password yourself: open the sign-in page, choose "
        '"Forgot password" and follow the link we e-mail to {requester_email}. Step by step, with pictures: '
        "{article:reset-password}\n\n{agent_name}",
        scope=Scope.DEPARTMENT,
        department="it-support",
    ),
    DemoMacro(
        "Refund on its way",
        "Hello {requester_first_name},\n\nthe refund has been issued; it reaches your account within five working "
        "days.\n\n{agent_name}, {department_name}",
        scope=Scope.DEPARTMENT,
        department="billing",
    ),
    DemoMacro(
        "Payslips are in the portal",
        'Hello {requester_first_name},\n\nyour payslips are in the HR portal under "Documents".\n\n{agent_name}',
        scope=Scope.DEPARTMENT,
        department="hr",
    ),
    DemoMacro(
        "My sign-off",
        "Have a good day,\n{agent_first_name}",
        scope=Scope.PRIVATE,
        owner="alice",
    ),
)


@dataclass
class WorkspaceResult:
    routing_rules: int = 0
    sla_policies: int = 0
    macros: int = 0


def workspace_seed(org: Organisation) -> WorkspaceResult:
    """Create the demo's routing rules, SLA policies and macros that do not exist yet; counts what was created."""
    result = WorkspaceResult()
    departments = org.departments
    for slug, order, rule_field, pattern in ROUTING_RULES:
        department = departments[slug]
        if not RoutingRule.objects.filter(department=department, field=rule_field, pattern=pattern).exists():
            routing_rule_save(rule=RoutingRule(department=department, order=order, field=rule_field, pattern=pattern))
            result.routing_rules += 1
    for department in departments.values():
        existing = set(SlaPolicy.objects.filter(department=department).values_list("priority", flat=True))
        for priority, (first, resolution, business_hours) in SLA_TARGETS.items():
            if priority in existing:
                continue
            sla_policy_save(
                policy=SlaPolicy(
                    department=department,
                    priority=priority,
                    first_response_minutes=first,
                    resolution_minutes=resolution,
                    business_hours=business_hours,
                )
            )
            result.sla_policies += 1
    existing_titles = set(Macro.objects.values_list("title", flat=True))
    for spec in MACROS:
        if spec.title in existing_titles:
            continue
        actor = org.users[spec.owner] if spec.owner else org.admin
        macro = Macro(
            title=spec.title,
            body=spec.body,
            translations=dict(spec.translations),
            scope=spec.scope,
            department=departments[spec.department] if spec.department else None,
            note=spec.note,
            set_status=spec.set_status,
            set_priority=spec.set_priority,
            assign=spec.assign,
        )
        macro_save(macro=macro, actor=actor)
        result.macros += 1
    return result
