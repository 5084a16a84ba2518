"""Checks of who holds which grant on which ticket (the rules are in apps/tickets/permissions.py).

The standard grants follow the ticket: its department's group holds DEPARTMENT_PERMS, the requester
REQUESTER_PERMS, the assignee ASSIGNEE_PERMS. Any other *user* grant is a share an admin made on the
object-permission page and is never judged here. A *department group* holding grants on a ticket of another
department is judged stale: transfers move those grants, so such a row is a leftover. (To let another team
see one ticket, share it with its people, or transfer it.)
"""

from functools import reduce
from operator import or_

from django.contrib.auth.models import Group
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import User
from apps.accounts.services import user_set_groups
from apps.departments.models import Department
from apps.tickets import permissions as perms
from apps.tickets.models import Ticket, TicketGroupObjectPermission, TicketUserObjectPermission
from apps.tickets.services import ticket_assign

from .base import Check, Finding, examples, in_batches, label, plural

# (holder, ticket field naming the holder or None for the department group, codenames it must hold)
STANDARD_GRANTS = (
    ("department", None, perms.DEPARTMENT_PERMS),
    ("requester", "requester", perms.REQUESTER_PERMS),
    ("assignee", "assignee", perms.ASSIGNEE_PERMS),
)


def _missing_conditions() -> dict[str, tuple[str, str, Q]]:
    """flag name → (holder, codename, condition true when that standard grant is missing)."""
    permissions = perms.ticket_permissions(perms.DEPARTMENT_PERMS | perms.REQUESTER_PERMS | perms.ASSIGNEE_PERMS)
    conditions = {}
    for holder, field, codenames in STANDARD_GRANTS:
        for codename in sorted(codenames):
            if field is None:
                held = TicketGroupObjectPermission.objects.filter(
                    content_object=OuterRef("pk"), group=OuterRef("department__group"), permission=permissions[codename]
                )
                condition = ~Q(Exists(held))
            else:
                held = TicketUserObjectPermission.objects.filter(
                    content_object=OuterRef("pk"), user=OuterRef(field), permission=permissions[codename]
                )
                condition = Q(**{f"{field}__isnull": False}) & ~Q(Exists(held))
            conditions[f"missing_{holder}_{codename}"] = (holder, codename, condition)
    return conditions


class MissingGrants(Check):
    code = "missing-grants"
    title = f"{plural(Ticket)} whose department group, requester or assignee lacks a standard grant"
    fixable = True

    def _queryset(self):
        conditions = _missing_conditions()
        any_missing = reduce(or_, (condition for _, _, condition in conditions.values()))
        flags = {
            name: ExpressionWrapper(condition, output_field=BooleanField())
            for name, (*_, condition) in conditions.items()
        }
        rows = (
            Ticket.objects.filter(any_missing)
            .annotate(**flags)
            .order_by("pk")
            .values(
                "pk",
                "reference",
                "department_id",
                "requester_id",
                "assignee_id",
                "department__name",
                "department__group__name",
                "requester__username",
                "assignee__username",
                *flags,
            )
        )
        return Ticket.objects.filter(any_missing), rows, conditions

    @staticmethod
    def _gaps(row, conditions) -> list[tuple[str, str]]:
        """(holder, codename) of each standard grant the row's ticket lacks."""
        holders = {
            "department": f"department group “{row['department__group__name']}”",
            "requester": f"{label(Ticket, 'requester')} {row['requester__username']}",
            "assignee": f"{label(Ticket, 'assignee')} {row['assignee__username']}",
        }
        holder_ids = {"department": "group", "requester": row["requester_id"], "assignee": row["assignee_id"]}
        gaps, seen = [], set()
        for name, (holder, codename, _) in conditions.items():
            # A requester who is also the assignee lacks one row, not two.
            if row[name] and (holder_ids[holder], codename) not in seen:
                seen.add((holder_ids[holder], codename))
                gaps.append((holders[holder], codename))
        return gaps

    def find(self, *, limit: int) -> Finding:
        tickets, rows, conditions = self._queryset()
        return Finding(
            tickets.count(),
            examples(
                rows,
                limit,
                lambda r: (
                    f"{r['reference']} ({r['department__name']}): "
                    + "; ".join(f"{holder} lacks {codename}" for holder, codename in self._gaps(r, conditions))
                ),
            ),
        )

    def fix(self) -> list[str]:
        tickets, rows, conditions = self._queryset()
        changes = []
        for batch in in_batches(tickets.order_by("pk").values_list("pk", flat=True)):
            batch_rows = list(rows.filter(pk__in=batch))
            # grants_for_new_tickets(missing_only=True) writes every standard grant, skipping those held: exactly
            # the missing ones get inserted, which are the ones listed (this check covers all standard grants).
            perms.grants_for_new_tickets(
                (
                    Ticket(
                        pk=r["pk"],
                        department_id=r["department_id"],
                        requester_id=r["requester_id"],
                        assignee_id=r["assignee_id"],
                    )
                    for r in batch_rows
                ),
                missing_only=True,
            )
            for r in batch_rows:
                changes += [
                    f"{r['reference']}: granted {codename} to {holder}"
                    for holder, codename in self._gaps(r, conditions)
                ]
        return changes


class StaleDepartmentGrants(Check):
    code = "stale-department-grants"
    title = f"Department groups holding grants on {plural(Ticket)} of another department"
    fixable = True

    @staticmethod
    def _queryset():
        return perms.foreign_department_grants().order_by("content_object_id", "group_id", "permission__codename")

    @staticmethod
    def _describe(row) -> str:
        return (
            f"{row['content_object__reference']} ({row['content_object__department__name']}): group "
            f"“{row['group__name']}” of department {row['group__department__name']} holds {row['permission__codename']}"
        )

    _fields = (
        "content_object_id",
        "group_id",
        "content_object__reference",
        "content_object__department__name",
        "group__name",
        "group__department__name",
        "permission__codename",
    )

    def find(self, *, limit: int) -> Finding:
        qs = self._queryset()
        return Finding(qs.count(), examples(qs.values(*self._fields), limit, self._describe))

    def fix(self) -> list[str]:
        qs = self._queryset()
        changes = []
        ticket_ids = list(dict.fromkeys(qs.values_list("content_object_id", flat=True)))
        for batch in in_batches(ticket_ids):
            rows = list(qs.filter(content_object__in=batch).values(*self._fields))
            perms.foreign_department_grants_remove(ticket_ids=batch)
            changes += [f"{self._describe(r)}: removed" for r in rows]
        return changes


def _invalid(prefix: str) -> Q:
    """An account that cannot work tickets: inactive, or not an agent/admin."""
    return Q(**{f"{prefix}is_active": False}) | ~Q(**{f"{prefix}role__in": STAFF_ROLES})


def _why(is_active: bool, role: str) -> str:
    return "inactive" if not is_active else f"a {role}, not an agent or admin"


class InvalidAssignee(Check):
    code = "invalid-assignee"
    title = f"{plural(Ticket)} assigned to an account that is not an active agent or admin"
    fixable = True

    @staticmethod
    def _queryset():
        return Ticket.objects.filter(assignee__isnull=False).filter(_invalid("assignee__")).order_by("pk")

    @staticmethod
    def _describe(row) -> str:
        return (
            f"{row['reference']}: {label(Ticket, 'assignee')} {row['assignee__username']} is "
            f"{_why(row['assignee__is_active'], row['assignee__role'])}"
        )

    _fields = ("pk", "reference", "assignee__username", "assignee__is_active", "assignee__role")

    def find(self, *, limit: int) -> Finding:
        qs = self._queryset()
        return Finding(qs.count(), examples(qs.values(*self._fields), limit, self._describe))

    def fix(self) -> list[str]:
        """Unassign through ticket_assign as the system (actor=None): grants and history move as usual."""
        changes = []
        for batch in in_batches(self._queryset().values_list("pk", flat=True)):
            described = {
                r["pk"]: self._describe(r) for r in self._queryset().filter(pk__in=batch).values(*self._fields)
            }
            for ticket in Ticket.objects.filter(pk__in=batch).order_by("pk"):
                ticket_assign(ticket=ticket, actor=None, assignee=None)
                changes.append(f"{described[ticket.pk]}: unassigned, assignee grants removed")
        return changes


class RequesterInDepartment(Check):
    code = "requester-in-department"
    title = f"{plural(Department).capitalize()} whose group has members who are not agents or admins"
    fixable = True

    @staticmethod
    def _queryset():
        return (
            User.groups.through.objects.filter(group__department__isnull=False)
            .exclude(user__role__in=STAFF_ROLES)
            .order_by("user__username", "group__name")
        )

    @staticmethod
    def _describe(row) -> str:
        return (
            f"{row['user__username']} ({row['user__role']}) is a member of department {row['group__department__name']}"
        )

    _fields = ("user_id", "user__username", "user__role", "group__department__name")

    def find(self, *, limit: int) -> Finding:
        qs = self._queryset()
        return Finding(qs.count(), examples(qs.values(*self._fields), limit, self._describe))

    def fix(self) -> list[str]:
        rows = list(self._queryset().values(*self._fields))
        # An account that stops being staff leaves every department (user_set_role); this repairs older data.
        # Only the membership: its tickets are the invalid-assignee check's, which reports what it unassigns.
        department_groups = Group.objects.filter(department__isnull=False)
        for user in User.objects.filter(pk__in={r["user_id"] for r in rows}):
            user_set_groups(user=user, groups=[], among=department_groups)
        return [f"{self._describe(r)}: removed from the department" for r in rows]
