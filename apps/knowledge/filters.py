"""FilterSets of the knowledge API: articles (language, category, full-text search) and ratings."""

import django_filters
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.common.api.filters import IdFilter, SafeIsoDateTimeFilter

from .models import Article, Satisfaction
from .search import articles_search


class ArticleFilter(django_filters.FilterSet):
    """Filters of `GET /api/articles/`."""

    language = django_filters.ChoiceFilter(choices=settings.LANGUAGES, help_text=_("Language of the variants."))
    category = django_filters.CharFilter(field_name="category__slug", help_text=_("Category slug."))
    search = django_filters.CharFilter(
        method="search_text",
        max_length=100,
        help_text=_("Words that must all occur in the title or body (the last may be the start of a word); "
                    "results come best first."),
    )  # fmt: skip

    class Meta:
        model = Article
        fields = ["language", "category", "search"]

    def search_text(self, queryset, name, value):
        return articles_search(queryset, text=value)


class SatisfactionFilter(django_filters.FilterSet):
    """Filters of `GET /api/satisfaction/`."""

    department = IdFilter(field_name="department_id", help_text=_("Department id (the ticket's when resolved)."))
    agent = IdFilter(field_name="agent_id", help_text=_("Agent id (the ticket's assignee when resolved)."))
    rating = django_filters.NumberFilter(field_name="rating", help_text=_("Rating, 1 to 5."))
    rated = django_filters.BooleanFilter(
        field_name="rated_at", lookup_expr="isnull", exclude=True, help_text=_("true: rated; false: not yet.")
    )
    rated_after = SafeIsoDateTimeFilter(
        field_name="rated_at", lookup_expr="gte", help_text=_("Rated at or after this ISO 8601 datetime.")
    )
    rated_before = SafeIsoDateTimeFilter(
        field_name="rated_at", lookup_expr="lt", help_text=_("Rated before this ISO 8601 datetime.")
    )

    class Meta:
        model = Satisfaction
        fields = ["department", "agent", "rating", "rated", "rated_after", "rated_before"]
