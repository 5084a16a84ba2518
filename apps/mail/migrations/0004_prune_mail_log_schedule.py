# The django-q2 schedule that drops the stored bytes of old handled messages once a day (MAIL_RAW_RETENTION_DAYS).
# Idempotent like 0002: found by name and brought back to these settings if it exists.

from django.db import migrations

NAME = "Prune the mail log's stored messages"
FUNC = "apps.mail.tasks.prune_mail_log_task"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).update_or_create(
        name=NAME,
        defaults={"func": FUNC, "schedule_type": "D", "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0003_watcher_grants_view"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
