"""Imported tickets remember the other system's id (external_source, external_id: unique together when set), and
on PostgreSQL references come from a non-locking sequence per prefix (apps/tickets/references.py): the SQL
function that names and creates it, and the sequence of the configured prefix, which continues after the
ReferenceSequence counter."""

from django.conf import settings
from django.db import migrations, models

from apps.tickets.references import SEQUENCE_FUNCTION_SQL


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(SEQUENCE_FUNCTION_SQL, params=None)
    schema_editor.execute("SELECT tickets_reference_sequence(%s)", [settings.TICKET_REFERENCE_PREFIX])


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The sequences' last values go back into the counter the previous version reads.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.name, coalesce(q.last_value, q.start_value - 1) FROM tickets_referencesequence AS r "
            "JOIN pg_sequences AS q ON q.sequencename = 'tickets_reference_' || md5(r.name)"
        )
        for name, value in cursor.fetchall():
            cursor.execute("UPDATE tickets_referencesequence SET value = %s WHERE name = %s", [value, name])
        cursor.execute("SELECT sequencename FROM pg_sequences WHERE sequencename LIKE 'tickets_reference_%'")
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP SEQUENCE IF EXISTS "{name}"')
    schema_editor.execute("DROP FUNCTION IF EXISTS tickets_reference_sequence(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0010_day_and_open_figures"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="external_id",
            field=models.CharField(blank=True, default="", max_length=100, verbose_name="external id"),
        ),
        migrations.AddField(
            model_name="ticket",
            name="external_source",
            field=models.CharField(blank=True, default="", max_length=50, verbose_name="external source"),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.UniqueConstraint(
                condition=models.Q(("external_id", ""), _negated=True),
                fields=("external_source", "external_id"),
                name="ticket_external_id_unique",
            ),
        ),
        migrations.RunPython(create_sequence, drop_sequence),
    ]
