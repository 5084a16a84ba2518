# The daily django-q2 schedule that folds the figures' past days into one row per bucket (stats_fold_task).
# Idempotent like 0004: found by name and brought back to these settings if it exists.

from django.db import migrations

NAME = "Fold past ticket figures"
FUNC = "apps.tickets.tasks.stats_fold_task"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).update_or_create(
        name=NAME,
        defaults={"func": FUNC, "schedule_type": "D", "minutes": None, "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).filter(name=NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0018_drop_indexes_led_by_other_indexes"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
