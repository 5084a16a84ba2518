"""User accounts as CSV (django-import-export): admins export them and import them through the account services.

Columns: username, email, first_name, last_name, role, language, time_zone, is_active; other systems' names for
them are understood too (login, e-mail, surname...). Only `email` is required: a row without a username uses
the e-mail address. A row finds its account by username, else by e-mail address, and updates it (an empty
cell leaves a field as it is); otherwise it creates the account, without a password (the person uses "forgot
password"). Passwords are never imported or exported. Saving goes through user_create / user_update /
user_set_role, so the rules of the back office hold (unique e-mail addresses, known roles).

The back office's users page imports and exports a subclass with one more column, the departments
(apps/departments/resources.py): it reads its cells in `read_cells`, compares them in `changed` and saves them
after `save_instance`.
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.common.csv.cells import parse_flag
from apps.common.csv.columns import normalise_header
from apps.common.csv.resources import FormulaSafeResource

from .choices import Role
from .models import User
from .services import ACCOUNT_FIELDS, PROFILE_FIELDS, user_create, user_set_role, user_update

USER_COLUMNS: dict[str, tuple[str, ...]] = {
    "username": ("username", "login", "user", "user_name", "account", "user_id"),
    "email": ("email", "e_mail", "mail", "email_address"),
    "first_name": ("first_name", "firstname", "given_name", "forename"),
    "last_name": ("last_name", "lastname", "surname", "family_name"),
    "role": ("role", "user_type", "type"),
    "language": ("language", "lang", "locale"),
    "time_zone": ("time_zone", "timezone", "tz"),
    "is_active": ("is_active", "active", "enabled"),
}
EXPORT_FIELDS = tuple(USER_COLUMNS)
TEXT_FIELDS = ("email", "first_name", "last_name")


def _keys(choices) -> dict[str, str]:
    keys = {}
    for value, label in choices:
        keys[normalise_header(value)] = value
        keys[normalise_header(str(label))] = value
    return keys


class UserResource(FormulaSafeResource):
    """Accounts; never the password hash, the superuser flag or the log-in dates."""

    csv_columns = USER_COLUMNS
    csv_required = ("email",)

    class Meta:
        model = User
        fields = EXPORT_FIELDS
        export_order = EXPORT_FIELDS
        import_id_fields = ("username",)
        clean_model_instances = False  # the services validate, with their own messages
        skip_diff = True  # the import page lists rows, not field-by-field differences

    # Export -------------------------------------------------------------------------------------------------

    def get_queryset(self):
        return User.objects.order_by("username")

    def filter_export(self, queryset, **kwargs):
        return self.get_queryset().filter(pk__in=queryset.values("pk"))

    # Import -------------------------------------------------------------------------------------------------

    @classmethod
    def prepare_dataset(cls, dataset) -> None:
        """A row without a username is known by its e-mail address."""
        headers = list(dataset.headers)
        email = headers.index("email")
        if "username" not in headers:
            dataset.append_col([row[email] for row in dataset], header="username")
            return
        username = headers.index("username")
        for index, row in enumerate(list(dataset)):
            if not row[username].strip():
                values = list(row)
                values[username] = row[email]
                dataset[index] = values

    def get_instance(self, instance_loader, row):
        username = (row.get("username") or "").strip()
        user = User.objects.filter(username=username).first() if username else None
        email = (row.get("email") or "").strip()
        if user is None and email:
            user = User.objects.filter(email__iexact=email).first()
        return user

    def import_instance(self, instance, row, **kwargs):
        """Read the row's cells into the account (an empty cell changes nothing); collect every error."""
        errors: dict[str, list[str]] = {}
        instance.import_before = {field: getattr(instance, field) for field in (*PROFILE_FIELDS, "role")}
        self.read_cells(instance, row, errors)
        if errors:
            raise ValidationError(errors)

    def read_cells(self, instance, row, errors: dict[str, list[str]]) -> None:
        if instance.pk is None:
            instance.username = row["username"].strip()
            instance.role = Role.REQUESTER
        for name in TEXT_FIELDS:
            value = (row.get(name) or "").strip()
            if value:
                setattr(instance, name, value)
        self._choice(instance, row, "role", _keys(Role.choices), errors)
        self._choice(instance, row, "language", _keys(settings.LANGUAGES), errors)
        time_zone = (row.get("time_zone") or "").strip()
        if time_zone:
            if time_zone in zoneinfo.available_timezones():
                instance.time_zone = time_zone
            else:
                errors["time_zone"] = [_("“%(value)s” is not a known time zone.") % {"value": time_zone}]
        active = (row.get("is_active") or "").strip()
        if active:
            try:
                instance.is_active = parse_flag(active)
            except ValueError as exc:
                errors["is_active"] = [str(exc)]

    @staticmethod
    def _choice(instance, row, name: str, keys: dict[str, str], errors) -> None:
        raw = (row.get(name) or "").strip()
        if not raw:
            return
        value = keys.get(normalise_header(raw))
        if value is None:
            allowed = ", ".join(dict.fromkeys(keys.values()))
            errors[name] = [_("“%(value)s” is not one of: %(allowed)s.") % {"value": raw, "allowed": allowed}]
        else:
            setattr(instance, name, value)

    def changed(self, instance) -> bool:
        """Whether the row changes the existing account."""
        return any(getattr(instance, f) != before for f, before in instance.import_before.items())

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or instance.pk is None:
            return False
        return not self.changed(instance)

    def save_instance(self, instance, is_create, row, **kwargs):
        if is_create:
            user = user_create(**{field: getattr(instance, field) for field in ACCOUNT_FIELDS})
            instance.pk = user.pk
            if not instance.is_active:
                user_update(user=user, is_active=False)
            return
        role = instance.role
        user_update(user=instance, **{field: getattr(instance, field) for field in PROFILE_FIELDS})
        user_set_role(user=instance, role=role)

    def save_m2m(self, instance, row, **kwargs):
        """Nothing to do: the services saved the account in save_instance."""
