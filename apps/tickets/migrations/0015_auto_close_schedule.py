# The hourly django-q2 schedule that closes tickets resolved more than TICKET_AUTO_CLOSE_DAYS ago. Idempotent like
# 0004: found by name and brought back to these settings if it exists.

from django.db import migrations

NAME = "Close resolved tickets"
FUNC = "apps.tickets.tasks.auto_close_task"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).update_or_create(
        name=NAME,
        defaults={"func": FUNC, "schedule_type": "H", "minutes": None, "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).filter(name=NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0014_comment_edits_and_ticket_tombstones"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
