"""Full-text search documents of tickets (apps/tickets/search.py).

On PostgreSQL: the `unaccent` extension (creating it needs a superuser, or an administrator who created it
beforehand: docs/DEPLOYMENT.md), both documents filled for the existing tickets in batches, then a GIN index
on each. On other databases the two columns are added and stay empty (the search falls back to substrings).
"""

import django.contrib.postgres.search
from django.contrib.postgres.operations import UnaccentExtension
from django.db import DatabaseError, migrations

from apps.tickets.search import search_documents_rebuild

INDEXES = {"ticket_search_public_gin": "search_public", "ticket_search_internal_gin": "search_internal"}


class Unaccent(UnaccentExtension):
    """CREATE EXTENSION unaccent, with a message that says what to do when the database user may not."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        try:
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        except DatabaseError as exc:
            raise RuntimeError(
                "Could not create the PostgreSQL extension 'unaccent' that ticket search needs: the database user "
                "may not create extensions. Have a superuser run `CREATE EXTENSION IF NOT EXISTS unaccent;` in "
                "this database once, then migrate again (see docs/DEPLOYMENT.md)."
            ) from exc


def fill_documents(apps, schema_editor):
    search_documents_rebuild(schema_editor.connection)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON tickets_ticket USING gin ({column})")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_event_kind_watcher_added"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="search_internal",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="search_public",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        Unaccent(),
        migrations.RunPython(fill_documents, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
