"""The ticket list's page frame kept once rendered ({% kept %}, apps/common/templatetags/kept.py): the import and
export buttons, the "Add" link, the actions bar and the header's links are keyed by what the user may do."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.common.templatetags import kept
from tests.tickets.factories import TicketFactory


@pytest.fixture(autouse=True)
def empty_table():
    kept.forget_all()
    yield
    kept.forget_all()


def _csrf_free(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_ticket_list_shows_each_user_their_own_buttons_and_actions(
    alice_client, admin_browser, agent, it_ticket, monkeypatch
):
    """The import and export buttons, the "Add" link and the actions bar are kept once rendered, keyed by what
    the user may do: whoever comes first, each sees exactly what the page would show them without keeping."""
    TicketFactory.create_batch(2, department=it_ticket.department)
    url = reverse("admin:tickets_ticket_changelist")
    import_url = reverse("admin:tickets_ticket_import")
    pages = {}
    for name, client in [("admin", admin_browser), ("alice", alice_client), ("admin", admin_browser)]:
        html = _csrf_free(client.get(url).content.decode())
        assert pages.setdefault(name, html) == html  # the second time, from the kept fragments
    assert import_url in pages["admin"] and import_url not in pages["alice"]
    assert 'value="delete_selected"' in pages["admin"] and 'value="delete_selected"' not in pages["alice"]
    names = {key[0] for key in kept._kept}
    assert {"branding", "import-export", "add-link", "actions-bar", "userlinks", "ticket-list-style"} <= names

    # The same pages with every body rendered anew.
    monkeypatch.setattr(kept.KeptNode, "render", lambda node, context: node.nodelist.render(context))
    assert _csrf_free(admin_browser.get(url).content.decode()) == pages["admin"]
    assert _csrf_free(alice_client.get(url).content.decode()) == pages["alice"]


def test_a_permission_given_shows_on_the_next_page(alice_client, agent, it_ticket):
    url = reverse("admin:tickets_ticket_changelist")
    import_url = reverse("admin:tickets_ticket_import")
    assert import_url not in alice_client.get(url).content.decode()
    agent.user_permissions.add(Permission.objects.get(codename="import_ticket"))
    assert import_url in alice_client.get(url).content.decode()
