"""Departments, and accounts with their departments, as CSV (django-import-export), through the services.

DepartmentResource: name, slug, description, manager (e-mail or username), is_default, is_active, members
(e-mails or usernames separated by commas); other systems' names are understood too (queue, team, lead,
agents...). Only `name` is required; a row finds its department by slug, else by name, and updates it (an empty
cell leaves a field as it is), or creates it with its auth group through department_create.

UserWithDepartmentsResource: the accounts of apps/accounts/resources.py plus a last column, departments (names
or slugs separated by commas), saved by user_set_departments in the import's transaction (only agents and
admins belong to departments). The users page of the back office imports and exports it.
"""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.text import slugify
from django.utils.translation import gettext as _
from import_export import fields

from apps.accounts.models import User
from apps.accounts.resources import USER_COLUMNS, UserResource
from apps.accounts.selectors import department_groups
from apps.common.csv.cells import parse_flag, split_names
from apps.common.csv.resources import FormulaSafeResource

from .models import Department
from .services import department_create, department_set_members, department_update, user_set_departments

DEPARTMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "department", "department_name", "title", "queue", "team"),
    "slug": ("slug", "code", "key", "short_name"),
    "description": ("description", "details", "about"),
    "manager": ("manager", "manager_email", "manager_username", "lead", "team_lead", "head", "owner"),
    "is_default": ("is_default", "default"),
    "is_active": ("is_active", "active", "enabled"),
    "members": ("members", "agents", "staff", "people"),
}
EXPORT_FIELDS = tuple(DEPARTMENT_COLUMNS)
EDITABLE = ("name", "slug", "description", "manager", "is_default", "is_active")


def _find_people(names: list[str]) -> tuple[list[User], list[str]]:
    """Accounts named by e-mail address (any case) or username, and the names that match none."""
    emails = [n.lower() for n in names if "@" in n]
    usernames = [n for n in names if "@" not in n]
    found = list(
        User.objects.annotate(email_lower=Lower("email")).filter(Q(email_lower__in=emails) | Q(username__in=usernames))
    )
    known = {u.username for u in found} | {u.email.lower() for u in found}
    unknown = [n for n in names if n not in known and n.lower() not in known]
    return found, unknown


class DepartmentResource(FormulaSafeResource):
    """Departments with their manager and members."""

    csv_columns = DEPARTMENT_COLUMNS
    csv_required = ("name",)

    manager = fields.Field(column_name="manager")
    members = fields.Field(column_name="members")

    class Meta:
        model = Department
        fields = EXPORT_FIELDS
        export_order = EXPORT_FIELDS
        import_id_fields = ("slug",)
        clean_model_instances = False  # the services validate, with their own messages
        skip_diff = True

    # Export -------------------------------------------------------------------------------------------------

    def get_queryset(self):
        return (
            Department.objects.select_related("manager", "group").prefetch_related("group__user_set").order_by("name")
        )

    def filter_export(self, queryset, **kwargs):
        return self.get_queryset().filter(pk__in=queryset.values("pk"))

    def dehydrate_manager(self, department: Department) -> str:
        return department.manager.email if department.manager_id else ""

    def dehydrate_members(self, department: Department) -> str:
        return ", ".join(sorted(user.email for user in department.group.user_set.all()))

    # Import -------------------------------------------------------------------------------------------------

    @classmethod
    def prepare_dataset(cls, dataset) -> None:
        """A row without a slug is known by the slug of its name."""
        headers = list(dataset.headers)
        name = headers.index("name")
        if "slug" not in headers:
            dataset.append_col([slugify(row[name]) for row in dataset], header="slug")
            return
        slug = headers.index("slug")
        for index, row in enumerate(list(dataset)):
            if not row[slug].strip():
                values = list(row)
                values[slug] = slugify(row[name])
                dataset[index] = values

    def get_instance(self, instance_loader, row):
        slug = (row.get("slug") or "").strip()
        department = Department.objects.filter(slug=slug).first() if slug else None
        name = (row.get("name") or "").strip()
        if department is None and name:
            department = Department.objects.filter(name__iexact=name).first()
        return department

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, list[str]] = {}
        instance.import_changes = {}
        instance.import_members = None
        for name in ("name", "slug", "description"):
            value = (row.get(name) or "").strip()
            if value and value != getattr(instance, name):
                instance.import_changes[name] = value
        for name in ("is_default", "is_active"):
            raw = (row.get(name) or "").strip()
            if raw:
                try:
                    value = parse_flag(raw)
                except ValueError as exc:
                    errors[name] = [str(exc)]
                else:
                    if instance.pk is None or value != getattr(instance, name):
                        instance.import_changes[name] = value
        manager = (row.get("manager") or "").strip()
        if manager:
            found, unknown = _find_people([manager])
            if unknown:
                errors["manager"] = [_("No account is “%(name)s”.") % {"name": manager}]
            elif instance.pk is None or found[0].pk != instance.manager_id:
                instance.import_changes["manager"] = found[0]
        members = (row.get("members") or "").strip()
        if members:
            found, unknown = _find_people(split_names(members))
            if unknown:
                errors["members"] = [_("No account is %(names)s.") % {"names": ", ".join(f"“{n}”" for n in unknown)}]
            instance.import_members = found
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or instance.pk is None or instance.import_changes:
            return False
        if instance.import_members is None:
            return True
        current = set(instance.group.user_set.values_list("pk", flat=True))
        return current == {user.pk for user in instance.import_members}

    def save_instance(self, instance, is_create, row, **kwargs):
        changes = instance.import_changes
        if is_create:
            created = department_create(
                name=changes.get("name", ""),
                slug=changes.get("slug", ""),
                description=changes.get("description", ""),
                manager=changes.get("manager"),
                is_default=changes.get("is_default", False),
                is_active=changes.get("is_active", True),
                members=instance.import_members or (),
            )
            instance.pk, instance.name = created.pk, created.name
            return
        if changes:
            department_update(department=instance, **{k: v for k, v in changes.items() if k in EDITABLE})
        if instance.import_members is not None:
            department_set_members(department=instance, users=instance.import_members)

    def save_m2m(self, instance, row, **kwargs):
        """Members are saved by the services in save_instance."""


USER_WITH_DEPARTMENTS_COLUMNS = {
    **USER_COLUMNS,
    "departments": ("departments", "department", "teams", "team", "groups", "queues"),
}


class UserWithDepartmentsResource(UserResource):
    """Accounts and the departments they belong to."""

    csv_columns = USER_WITH_DEPARTMENTS_COLUMNS

    departments = fields.Field(column_name="departments")

    class Meta(UserResource.Meta):
        fields = tuple(USER_WITH_DEPARTMENTS_COLUMNS)
        export_order = tuple(USER_WITH_DEPARTMENTS_COLUMNS)

    def get_queryset(self):
        return super().get_queryset().prefetch_related(department_groups())

    def dehydrate_departments(self, user: User) -> str:
        groups = getattr(user, "department_groups", None)
        if groups is None:
            names = Department.objects.filter(group__user=user).values_list("name", flat=True)
        else:
            names = [group.department.name for group in groups]
        return ", ".join(sorted(names))

    def read_cells(self, instance, row, errors: dict[str, list[str]]) -> None:
        super().read_cells(instance, row, errors)
        instance.import_departments = None
        if "departments" in row and (row.get("departments") or "").strip():
            instance.import_departments = self._departments(row["departments"], errors)
        elif "departments" in row and instance.pk is None:
            instance.import_departments = []

    @staticmethod
    def _departments(raw: str, errors) -> list[Department]:
        by_key = {}
        for department in Department.objects.all():
            by_key[department.slug.lower()] = department
            by_key[department.name.lower()] = department
        found, unknown = [], []
        for name in split_names(raw):
            department = by_key.get(name.lower())
            (found if department else unknown).append(department or name)
        if unknown:
            errors["departments"] = [
                _("No department is named %(names)s.") % {"names": ", ".join(f"“{n}”" for n in unknown)}
            ]
        return found

    def changed(self, instance) -> bool:
        if super().changed(instance):
            return True
        if instance.import_departments is None:
            return False
        current = set(Department.objects.filter(group__user=instance).values_list("pk", flat=True))
        return current != {department.pk for department in instance.import_departments}

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        if instance.import_departments is not None:
            user_set_departments(user=instance, departments=instance.import_departments)
