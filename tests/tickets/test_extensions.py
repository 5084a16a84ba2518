"""The registries through which other apps add pieces to the tickets' pages and API."""

from apps.tickets import extensions
from apps.tickets.extensions import AdminPanel, Registry


def panel(name: str, template: str) -> AdminPanel:
    return AdminPanel(name=name, template=template, column="side", context=lambda *args: {})


def test_a_registry_keeps_the_order_of_registration_and_replaces_a_name_in_place():
    registry = Registry()
    registry.register(panel("a", "a.html"))
    registry.register(panel("b", "b.html"))
    registry.register(panel("a", "a2.html"))

    assert [(entry.name, entry.template) for entry in registry] == [("a", "a2.html"), ("b", "b.html")]


def test_the_installed_apps_register_their_pieces():
    assert [url.name for url in extensions.portal_urls] == [
        "notifications",
        "help",
        "help_category",
        "help_article",
        "help_article_feedback",
        "help_suggest",
        "help_suggested",
        "help_deflect",
        "satisfaction_rate",
        "satisfaction_link",
        "satisfaction_opt_out",
    ]
    assert [p.name for p in extensions.admin_ticket_panels] == [
        "ai-insight",
        "ai-translation",
        "mail-watchers",
        "macros",
        "knowledge-composer",
        "knowledge-side",
    ]
    assert [u.name for u in extensions.admin_ticket_urls] == [
        "tickets_ticket_insight_apply",
        "tickets_ticket_ai_backfill",
        "tickets_ticket_watchers",
        "tickets_ticket_macro_text",
        "tickets_ticket_macro_apply",
        "tickets_reports",
        "tickets_ticket_article_search",
        "tickets_ticket_article_create",
    ]
    assert [f.name for f in extensions.api_ticket_fields] == ["insight"]
    assert [a.name for a in extensions.api_ticket_actions] == ["translation", "macro_apply_action", "satisfaction"]
    assert [c.name for c in extensions.portal_ticket_context] == ["ai-translation", "knowledge-satisfaction"]
    assert [i.name for i in extensions.portal_includes] == [
        "knowledge-nav",
        "knowledge-suggestions",
        "knowledge-satisfaction",
        "knowledge-profile",
    ]
    assert [s.name for s in extensions.dashboard_sections] == ["knowledge"]
    assert [a.name for a in extensions.admin_ticket_actions] == ["triage_with_ai"]
    assert [h.name for h in extensions.outgoing_ticket_mail] == ["mail-threading"]
