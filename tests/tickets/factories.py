import factory

from apps.tickets.choices import Category, Priority, Source
from apps.tickets.models import Ticket
from apps.tickets.services import ticket_create
from tests.accounts.factories import UserFactory
from tests.departments.factories import DepartmentFactory


class TicketFactory(factory.django.DjangoModelFactory):
    """Tickets created through ticket_create, so they carry references, grants and a 'created' event."""

    class Meta:
        model = Ticket

    title = factory.Sequence(lambda n: f"Printer on floor {n} is jammed")
    description = "It makes a grinding noise and stops.\nPlease help."
    requester = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)
    category = Category.INCIDENT
    priority = Priority.NORMAL
    source = Source.PORTAL
    assignee = None
    actor = factory.SelfAttribute("requester")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return ticket_create(**kwargs)
