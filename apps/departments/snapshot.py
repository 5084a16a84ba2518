"""The part of the departments' setup that every new ticket reads: the routing rules, the default department
and the SLA policies, kept per process and read again only when they have changed.

On PostgreSQL a trigger on the departments, routing rules and SLA policies (migration 0005) moves the number
in `departments_setup_version` to a new value from a sequence after any write to those tables, by any path
(services, the back office, queryset updates, SQL). `setup_current()` reads that number (one small statement,
no ORM) and reuses what it read for the same number; a sequence never hands out a number twice, so a change
that is rolled back cannot leave its state behind under a number that another state later takes. On other
databases (SQLite: development and tests, one process) the setup is read every time.

What is returned is shared by the requests of the process: read it, never change it (Router hands out a copy
of the department it chooses).
"""

from functools import cached_property

from django.db import connections
from django.db.models import F, FilteredRelation, Q

from .models import Department, RoutingRule, SlaPolicy

VERSION_SQL = "SELECT value FROM departments_setup_version"


class Setup:
    """Active routing rules in order (each with its department), the default department, every SLA policy; each
    part read when first asked for (one query each)."""

    def __init__(self, using: str):
        self.using = using

    @cached_property
    def routing(self) -> tuple[tuple[RoutingRule, ...], Department | None]:
        """The active rules of active departments in order, and the default department (None: there is none)."""
        # One query: every active department that is the default or has an active rule, with those rules.
        rows = (
            Department.objects.using(self.using)
            .annotate(rule=FilteredRelation("routing_rules", condition=Q(routing_rules__is_active=True)))
            .filter(is_active=True)
            .filter(Q(is_default=True) | Q(rule__isnull=False))
            .annotate(
                rule_id=F("rule__id"),
                rule_order=F("rule__order"),
                rule_field=F("rule__field"),
                rule_pattern=F("rule__pattern"),
            )
            .order_by(F("rule_order").asc(nulls_last=True), F("rule_id").asc(nulls_last=True))
        )
        rules = []
        default = None
        for department in rows:
            if department.is_default and default is None:
                default = department
            if department.rule_id is not None:
                rules.append(
                    RoutingRule(
                        pk=department.rule_id,
                        department=department,
                        order=department.rule_order,
                        field=department.rule_field,
                        pattern=department.rule_pattern,
                        is_active=True,
                    )
                )
        return tuple(rules), default

    @cached_property
    def policies(self) -> dict[tuple[int, str], SlaPolicy]:
        """Every SLA policy (with its department) by (department id, priority)."""
        found = SlaPolicy.objects.using(self.using).select_related("department")
        return {(policy.department_id, policy.priority): policy for policy in found}


# Database alias → (version, setup).
_kept: dict[str, tuple[int, Setup]] = {}


def _version(using: str) -> int | None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    return row[0] if row is not None else None  # no row (emptied by hand): read every time


def setup_current(using: str = "default") -> Setup:
    """The setup as it is now: kept from an earlier call while the version is unchanged (PostgreSQL)."""
    version = _version(using)
    if version is None:
        return Setup(using)
    kept = _kept.get(using)
    if kept is not None and kept[0] == version:
        return kept[1]
    # Its parts are read after the version: if a change commits in between, what is kept is newer than its
    # number, and only a request that started before that change can still ask for that number.
    setup = Setup(using)
    _kept[using] = (version, setup)
    return setup
