"""seed_demo adds a knowledge base in three languages (one article for agents only), rated tickets and deflections."""

from django.core import mail

from apps.knowledge.choices import Audience
from apps.knowledge.models import Article, Deflection, Satisfaction
from tests.demo.test_seed_demo import debug, seed_demo  # noqa: F401 (the fixture)


def test_seed_demo_adds_articles_ratings_and_deflections(debug):  # noqa: F811
    seed_demo("--tickets", "80")
    assert set(Article.objects.values_list("language", flat=True)) == {"en", "tr", "de"}
    assert Article.objects.filter(audience=Audience.AGENTS).count() == 1
    assert Article.objects.filter(slug="reset-password").count() == 3
    rated = Satisfaction.objects.filter(rating__isnull=False)
    assert 1 <= rated.count() <= 6
    assert Satisfaction.objects.count() == rated.count()  # no other resolved demo ticket was asked
    assert Deflection.objects.filter(deflected_at__isnull=False).count() == 2
    assert mail.outbox == []
    counts = (Article.objects.count(), Satisfaction.objects.count(), Deflection.objects.count())
    seed_demo("--tickets", "80")
    assert (Article.objects.count(), Satisfaction.objects.count(), Deflection.objects.count()) == counts
