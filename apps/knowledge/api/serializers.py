"""Read serializers of the knowledge API (articles and ratings are written in the back office and the portal)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Article, Category, Satisfaction
from ..rendering import markdown_to_html


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class ArticleSerializer(serializers.ModelSerializer):
    """An article in one language: `body` is Markdown, `body_html` the sanitized HTML the portal shows."""

    category = CategorySerializer(read_only=True)
    body_html = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "language",
            "title",
            "body",
            "body_html",
            "category",
            "audience",
            "department",
            "helpful_count",
            "not_helpful_count",
            "published_at",
            "updated_at",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_body_html(self, article) -> str:
        return str(markdown_to_html(article.body))

    @extend_schema_field(serializers.CharField())
    def get_url(self, article) -> str:
        """The article's page in the portal."""
        path = reverse("portal:help_article", args=[article.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class SatisfactionSerializer(serializers.ModelSerializer):
    """A resolved ticket's satisfaction request and its rating (null until the requester rates)."""

    reference = serializers.CharField(source="ticket.reference", read_only=True)

    class Meta:
        model = Satisfaction
        fields = ["ticket", "reference", "department", "agent", "requested_at", "rating", "comment", "rated_at"]
        read_only_fields = fields
