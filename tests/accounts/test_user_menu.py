"""The back office's user menu (apps/accounts/templatetags/user_menu.py): kept per user and language, with the
request's own CSRF token in the log-out form, and a change of name or language seen on the next page."""

import re

import pytest
from django.urls import reverse

from apps.accounts.templatetags import user_menu
from tests.support import logged_in

PAGE = "admin:tickets_savedview_changelist"


@pytest.fixture(autouse=True)
def _empty_table():
    user_menu.RENDERED.clear()
    yield
    user_menu.RENDERED.clear()


def menu(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('x-data="{ openUserLinks: false }"')
    return html[start : html.index('id="user-menu-button"', start) + 2000]


def logout_token(response) -> str:
    form = menu(response)[menu(response).index('id="logout-form"') :]
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)


def test_the_log_out_form_carries_this_requests_token(agent):
    browser = logged_in(agent)
    first = browser.get(reverse(PAGE))
    browser.cookies.pop("csrftoken", None)  # a new browser session: a new CSRF secret
    second = browser.get(reverse(PAGE))

    for response in (first, second):
        token = logout_token(response)
        assert "\x00" not in menu(response)
        assert token == response.context["csrf_token"]
    assert logout_token(first) != logout_token(second)
    assert len(user_menu.RENDERED) == 1


def test_each_user_sees_their_own_menu(agent, other_agent):
    alice, bob = logged_in(agent), logged_in(other_agent)

    alices, bobs = menu(alice.get(reverse(PAGE))), menu(bob.get(reverse(PAGE)))

    assert agent.email in alices
    assert other_agent.email not in alices
    assert other_agent.email in bobs
    assert agent.email not in bobs


def test_a_new_name_and_a_new_language_are_seen_on_the_next_page(agent):
    browser = logged_in(agent)
    assert "Log out" in menu(browser.get(reverse(PAGE)))

    type(agent).objects.filter(pk=agent.pk).update(first_name="Alicia", last_name="Renamed", language="de")
    html = menu(browser.get(reverse(PAGE)))

    assert "Alicia Renamed" in html
    assert "Log out" not in html
    assert "Abmelden" in html
