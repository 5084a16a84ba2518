# The every-minute django-q2 schedule of the SLA check. Idempotent: found by name and brought back to these
# settings if it exists (so re-running the migration, e.g. after a restore, never adds a second schedule).

from django.db import migrations

NAME = "SLA check"
FUNC = "apps.tickets.tasks.sla_check_task"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).update_or_create(
        name=NAME,
        defaults={"func": FUNC, "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).filter(name=NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0003_sla_pause_fields_alerts_routing_events"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
