"""Watchers remember whether watching gave their account its view of the ticket (so removing them takes it back).

Watchers added before this migration gave that view exactly when the ticket's history has their "watcher
added" line, which is written only when the grant was made."""

from django.db import migrations, models


def mark_granted(apps, schema_editor):
    Watcher = apps.get_model("mail", "Watcher")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    granted = {
        (ticket_id, (data or {}).get("user"))
        for ticket_id, data in TicketEvent.objects.filter(kind="watcher_added").values_list("ticket_id", "data")
    }
    ids = [
        pk
        for pk, ticket_id, user_id in Watcher.objects.filter(user__isnull=False).values_list("pk", "ticket_id", "user_id")
        if (ticket_id, user_id) in granted
    ]
    Watcher.objects.filter(pk__in=ids).update(grants_view=True)


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0002_poll_mailboxes_schedule"),
        ("tickets", "0008_event_kind_watcher_added"),
    ]

    operations = [
        migrations.AddField(
            model_name="watcher",
            name="grants_view",
            field=models.BooleanField(default=False, editable=False, verbose_name="view granted by watching"),
        ),
        migrations.RunPython(mark_granted, migrations.RunPython.noop),
    ]
