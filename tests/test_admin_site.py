"""The back office's admin site (config/admin_site.py): the page context unfold builds from its setting is kept per
language, and is the same as unfold's own; what depends on the request is still made per request."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils.translation import override
from unfold.sites import UnfoldAdminSite

from config.admin_site import PER_REQUEST

# Lazy or per-object values, compared apart below.
OBJECTS = {"available_apps", "log_entries", "sidebar_navigation"}


@pytest.fixture(autouse=True)
def _nothing_kept():
    """Each test starts as a fresh process does."""
    admin.site._kept_context.clear()
    yield
    admin.site._kept_context.clear()


def page_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_the_kept_context_is_unfolds_own(agent, admin_user):
    site = admin.site
    site.each_context(page_request(admin_user))  # the first request of the language keeps the setting's part
    assert set(site._kept_context) == {"en"}
    kept = site.each_context(page_request(agent))
    unfolds = UnfoldAdminSite.each_context(site, page_request(agent))
    assert set(kept) == set(unfolds)
    assert {k: v for k, v in kept.items() if k not in OBJECTS} == {k: v for k, v in unfolds.items() if k not in OBJECTS}
    assert str(kept["sidebar_navigation"]) == str(unfolds["sidebar_navigation"])
    assert [link["title"] for link in kept["account_links"]] == ["Change password", "Two-factor authentication"]
    assert not PER_REQUEST & set(site._kept_context["en"])


def test_the_context_is_kept_per_language(agent):
    site = admin.site
    site.each_context(page_request(agent))
    with override("de"):
        german = site.each_context(page_request(agent))
        assert german == {**german, **site._kept_context["de"]}
    assert set(site._kept_context) == {"en", "de"}


def test_a_user_without_the_back_office_gets_no_sidebar(requester, agent):
    site = admin.site
    site.each_context(page_request(agent))
    context = site.each_context(page_request(requester))
    assert context["has_permission"] is False
    assert context["sidebar_navigation"] == []
