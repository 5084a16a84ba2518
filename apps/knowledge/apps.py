from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "apps.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self):
        """Listen to ticket events (satisfaction requests) and add the Help section, the suggestions, the rating
        banner, the composer's article search, the ticket API's satisfaction action, the dashboard figures and the
        `{article:...}` placeholder of canned responses."""
        from apps.audit.registry import track
        from apps.tickets import events, extensions

        from . import admin, dashboard, placeholders, views
        from .api import views as api_views
        from .models import Article, Category
        from .queue import queue_events
        from .urls import portal_urlpatterns

        events.listen(events.SATISFACTION, queue_events)
        for pattern in portal_urlpatterns:
            extensions.portal_urls.register(pattern)
        for include in views.PORTAL_INCLUDES:
            extensions.portal_includes.register(include)
        extensions.portal_ticket_context.register(views.SATISFACTION_BANNER)
        extensions.admin_ticket_panels.register(admin.COMPOSER_PANEL)
        extensions.admin_ticket_panels.register(admin.TICKET_SIDE_PANEL)
        for url in admin.TICKET_URLS:
            extensions.admin_ticket_urls.register(url)
        extensions.api_ticket_actions.register(api_views.SATISFACTION_ACTION)
        extensions.dashboard_sections.register(dashboard.DASHBOARD_SECTION)
        extensions.reply_placeholders.register(placeholders.ARTICLE_PLACEHOLDER)
        track(Article, exclude=("search_document", "helpful_count", "not_helpful_count"))
        track(Category)
