"""An agent's search reads only their departments' matches (apps/tickets/search.py, selectors.agent_reach).

- `is_department_grant` on group grants, set on the existing rows that a department group holds on a ticket of
  its own department, and a partial index on the other rows (shares), which an agent's search reads whole.
- On PostgreSQL: the `btree_gin` extension (creating it needs a superuser, or an administrator who created it
  beforehand, as for `unaccent`: docs/DEPLOYMENT.md), then the two GIN indexes of migration 0009 replaced by
  GIN indexes on (department_id, document). A GIN index on two columns answers a condition on either column
  alone as well as the single-column ones did. On other databases nothing else happens.
"""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import DatabaseError, migrations, models
from django.db.models import F

OLD_INDEXES = {"ticket_search_public_gin": "search_public", "ticket_search_internal_gin": "search_internal"}
NEW_INDEXES = {
    "ticket_dept_search_public_gin": "department_id, search_public",
    "ticket_dept_search_internal_gin": "department_id, search_internal",
}


class BtreeGin(BtreeGinExtension):
    """CREATE EXTENSION btree_gin, with a message that says what to do when the database user may not."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        try:
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        except DatabaseError as exc:
            raise RuntimeError(
                "Could not create the PostgreSQL extension 'btree_gin' that ticket search needs: the database user "
                "may not create extensions. Have a superuser run `CREATE EXTENSION IF NOT EXISTS btree_gin;` in "
                "this database once, then migrate again (see docs/DEPLOYMENT.md)."
            ) from exc

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # Django's CreateExtension checks the vendor going forwards only; on SQLite there is nothing to drop.
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def mark_department_grants(apps, schema_editor):
    grants = apps.get_model("tickets", "TicketGroupObjectPermission")
    grants.objects.using(schema_editor.connection.alias).filter(group=F("content_object__department__group")).update(
        is_department_grant=True
    )


def _replace(schema_editor, drop: dict[str, str], create: dict[str, str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in create.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON tickets_ticket USING gin ({columns})")
    for name in drop:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def department_indexes(apps, schema_editor):
    _replace(schema_editor, drop=OLD_INDEXES, create=NEW_INDEXES)


def document_indexes(apps, schema_editor):
    _replace(schema_editor, drop=NEW_INDEXES, create=OLD_INDEXES)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0016_event_kinds_watchers_access_comments"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketgroupobjectpermission",
            name="is_department_grant",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(mark_department_grants, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="ticketgroupobjectpermission",
            index=models.Index(
                condition=models.Q(is_department_grant=False), fields=["group"], name="ticket_gperm_shares"
            ),
        ),
        BtreeGin(),
        migrations.RunPython(department_indexes, document_indexes),
    ]
