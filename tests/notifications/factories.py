import factory

from apps.notifications.choices import EmailStatus, NotificationKind
from apps.notifications.models import Notification, NotificationPreference
from tests.accounts.factories import UserFactory
from tests.tickets.factories import TicketFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    """A notification row as the fan-out would leave it (for list, counter and API tests)."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    ticket = factory.SubFactory(TicketFactory)
    kind = NotificationKind.REPLY
    text = factory.Sequence(lambda n: f"Someone replied on ticket {n}")
    key = factory.Sequence(lambda n: f"test:{n}")
    email_status = EmailStatus.SKIPPED


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference

    user = factory.SubFactory(UserFactory)
    kind = NotificationKind.REPLY
    in_app = True
    email = True
