# The django-q2 schedule that polls the enabled IMAP mailboxes every minute. Idempotent like tickets 0004: found by
# name and brought back to these settings if it exists.

from django.db import migrations

NAME = "Poll IMAP mailboxes"
FUNC = "apps.mail.tasks.poll_mailboxes_task"


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
        ("mail", "0001_mailboxes_mail_log_watchers"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
