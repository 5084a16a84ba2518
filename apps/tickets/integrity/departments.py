"""Checks of departments and their auth groups (one group per department, named department:<slug>)."""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Count, F, Value
from django.db.models.functions import Concat

from apps.departments.models import Department
from apps.departments.services import department_group_name, department_update
from apps.tickets.models import Ticket

from .base import Check, Finding, examples, label, plural

PREFIX = department_group_name("")


class DepartmentGroupName(Check):
    code = "department-group-name"
    title = f"{plural(Department).capitalize()} whose group is not named {department_group_name('<slug>')}"
    fixable = True

    @staticmethod
    def _queryset():
        expected = Concat(Value(PREFIX), F("slug"), output_field=CharField())
        return Department.objects.exclude(group__name=expected).order_by("slug")

    @staticmethod
    def _describe(department) -> str:
        return (
            f"{department.name}: {label(Department, 'group')} is “{department.group.name}”, "
            f"expected “{department_group_name(department.slug)}”"
        )

    def find(self, *, limit: int) -> Finding:
        qs = self._queryset().select_related("group")
        return Finding(qs.count(), examples(qs, limit, self._describe))

    def fix(self) -> list[str]:
        changes = []
        for department in self._queryset().select_related("group"):
            before = self._describe(department)
            if Group.objects.filter(name=department_group_name(department.slug)).exists():
                continue  # another group has the name: an operator must decide (see orphan-department-group)
            try:
                with transaction.atomic():
                    # department_update renames the group whenever "slug" is among the changes.
                    department_update(department=department, slug=department.slug)
            except ValidationError:
                continue
            changes.append(f"{before}: renamed")
        return changes


class OrphanDepartmentGroup(Check):
    code = "orphan-department-group"
    title = f"Groups named {PREFIX}* that belong to no department"
    advice = (
        "Recreate the department for the group, or delete the group in the admin "
        "(its members lose the ticket grants it holds)."
    )

    @staticmethod
    def _queryset():
        return (
            Group.objects.filter(name__startswith=PREFIX, department__isnull=True)
            .annotate(
                members=Count("user", distinct=True),
                grants=Count("ticketgroupobjectpermission", distinct=True),
            )
            .order_by("name")
        )

    def find(self, *, limit: int) -> Finding:
        qs = self._queryset()
        return Finding(
            Group.objects.filter(name__startswith=PREFIX, department__isnull=True).count(),
            examples(
                qs,
                limit,
                lambda g: f"“{g.name}”: {g.members} member(s), {g.grants} grant(s) on {plural(Ticket)}",
            ),
        )


class DefaultDepartment(Check):
    code = "default-department"
    title = f"Not exactly one active default {label(Department)}"
    advice = "Choose the default department in the admin: tickets that match no routing rule go there."

    def find(self, *, limit: int) -> Finding:
        defaults = list(Department.objects.filter(is_default=True).order_by("name").values_list("name", "is_active"))
        active = [name for name, is_active in defaults if is_active]
        if len(active) == 1:
            return Finding(0)
        if not defaults:
            if not Department.objects.exists():
                return Finding(0)  # an empty database is not broken: there is nothing to route to yet
            problem = "no department is the default"
        elif not active:
            problem = f"the default department {defaults[0][0]} is not active"
        else:
            problem = f"{len(active)} departments are the default: {', '.join(active)}"
        return Finding(1, [problem][:limit])
