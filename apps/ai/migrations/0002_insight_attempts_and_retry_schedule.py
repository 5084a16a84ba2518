# Attempts of each triage, so that failed ones are retried a bounded number of times, and the django-q2 schedule
# that retries them every 10 minutes (idempotent like the tickets app's schedules: found by name).

from django.db import migrations, models

NAME = "Retry failed AI triages"
FUNC = "apps.ai.tasks.retry_failed_triages"


def count_past_attempts(apps, schema_editor):
    """An insight that is done or failed was analysed once before attempts were counted."""
    TicketInsight = apps.get_model("ai", "TicketInsight")
    TicketInsight.objects.using(schema_editor.connection.alias).filter(status__in=["done", "failed"]).update(
        attempts=1
    )


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).update_or_create(
        name=NAME,
        defaults={"func": FUNC, "schedule_type": "I", "minutes": 10, "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ai", "0001_insight_and_translation"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketinsight",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.RunPython(count_past_attempts, migrations.RunPython.noop),
        migrations.RunPython(create_schedule, delete_schedule),
    ]
