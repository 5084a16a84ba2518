import factory

from apps.departments.models import Department
from apps.departments.services import department_create


class DepartmentFactory(factory.django.DjangoModelFactory):
    """Departments created through the service, so each has its group."""

    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Department {n}")
    slug = factory.Sequence(lambda n: f"department-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return department_create(**kwargs)
