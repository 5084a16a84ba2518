"""Drop the indexes that another index of the same table leads with: each answered no lookup the other does
not, and each was one more entry to write for every new row (an import writes a ticket, two events and four
or five grants a row: docs/benchmarks.md, CSV import).

- the single-column indexes Django makes for these foreign keys: the ticket's requester, department and
  assignee (led by (requester, created_at), (department, status, created_at), (assignee, status)); the
  ticket of events and comments ((ticket, created_at)); the department of the day figures ((department, day))
  and of the open counts (their unique key); the user and group of grants (their unique key);
- the grants' (user, permission) and (group, permission) indexes (led by the same unique keys, which also
  hold the ticket ids).

The foreign keys themselves stay: in the database only their index is dropped (AlterField would drop and
re-add each constraint, checking every row of these tables again). Backwards, the indexes are made again.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, field) whose own single-column index goes.
FOREIGN_KEYS = (
    ("comment", "ticket"),
    ("ticket", "assignee"),
    ("ticket", "department"),
    ("ticket", "requester"),
    ("ticketdaystat", "department"),
    ("ticketevent", "ticket"),
    ("ticketgroupobjectpermission", "group"),
    ("ticketopencount", "department"),
    ("ticketuserobjectpermission", "user"),
)


def _key_index(schema_editor, model, field_name: str):
    """The field, the name Django gave its own index (the same function names it), and whether it is there."""
    field = model._meta.get_field(field_name)
    name = schema_editor._create_index_name(model._meta.db_table, [field.column])
    return field, name, name in schema_editor._constraint_names(model, [field.column], index=True)


def drop_key_indexes(apps, schema_editor):
    for model_name, field_name in FOREIGN_KEYS:
        model = apps.get_model("tickets", model_name)
        _field, name, present = _key_index(schema_editor, model, field_name)
        if present:  # by its name only: another index on the same column (ticket_gperm_shares) stays
            schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_key_indexes(apps, schema_editor):
    for model_name, field_name in FOREIGN_KEYS:
        model = apps.get_model("tickets", model_name)
        field, _name, present = _key_index(schema_editor, model, field_name)
        if not present:
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("departments", "0004_department_holidays"),
        ("tickets", "0017_search_by_department"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="ticketgroupobjectpermission",
            name="ticket_gperm_group_perm",
        ),
        migrations.RemoveIndex(
            model_name="ticketuserobjectpermission",
            name="ticket_uperm_user_perm",
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_key_indexes, create_key_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name="comment",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="comments",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assigned_tickets",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="assignee",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="department",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="departments.department",
                        verbose_name="department",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="requester",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="requested_tickets",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requester",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketdaystat",
                    name="department",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="departments.department",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketevent",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketgroupobjectpermission",
                    name="group",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, to="auth.group"
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketopencount",
                    name="department",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="departments.department",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketuserobjectpermission",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
        ),
    ]
