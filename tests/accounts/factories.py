import factory

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.departments.services import user_create_with_departments


class UserFactory(factory.django.DjangoModelFactory):
    """Accounts created through the user service; every factory user's password is `demo`."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = "demo"
    role = Role.REQUESTER
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @classmethod
    def _create(cls, model_class, *args, departments=(), **kwargs):
        return user_create_with_departments(departments=departments, **kwargs)


class AgentFactory(UserFactory):
    role = Role.AGENT


class AdminFactory(UserFactory):
    role = Role.ADMIN
