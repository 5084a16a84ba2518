import factory

from apps.accounts.choices import Role
from apps.knowledge.choices import ArticleStatus, Audience
from apps.knowledge.models import Article, Category
from apps.knowledge.services import article_create
from tests.accounts.factories import UserFactory
from tests.departments.factories import DepartmentFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    """Published public English articles, written through article_create by an admin."""

    class Meta:
        model = Article

    slug = factory.Sequence(lambda n: f"article-{n}")
    language = "en"
    title = factory.Sequence(lambda n: f"How to reset the printer {n}")
    body = "Turn it **off** and on again."
    category = factory.SubFactory(CategoryFactory)
    department = factory.SubFactory(DepartmentFactory)
    status = ArticleStatus.PUBLISHED
    audience = Audience.PUBLIC
    actor = factory.LazyFunction(lambda: UserFactory(role=Role.ADMIN))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return article_create(**kwargs)
