"""Notifications in the back office: each person's own list, read marks, preferences and the sidebar counter."""

import pytest
from django.urls import reverse

from apps.notifications.choices import NotificationKind
from apps.notifications.models import Notification, NotificationPreference
from tests.notifications.factories import NotificationFactory
from tests.support import assert_constant_queries, logged_in

CHANGELIST = reverse("admin:notifications_notification_changelist")
PREFERENCES = reverse("admin:notifications_notification_preferences")


def notify(user, ticket, count=1, **fields):
    return [NotificationFactory(recipient=user, ticket=ticket, **fields) for _ in range(count)]


def test_an_agent_lists_their_own_notifications(agent, other_agent, it_ticket):
    mine = notify(agent, it_ticket, text="For alice")[0]
    notify(other_agent, it_ticket, text="For bob")

    response = logged_in(agent).get(CHANGELIST)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    html = response.content.decode()
    assert "For bob" not in html
    assert f'href="{reverse("notifications:open", args=[mine.pk])}"' in html
    assert f'action="{reverse("notifications:read_all")}"' in html  # "Mark all as read"


def test_requesters_do_not_get_in(requester):
    response = logged_in(requester).get(CHANGELIST)
    assert response.status_code == 302 and response["Location"] == reverse("portal:ticket_list")


def test_the_mark_read_action_marks_only_your_own(agent, other_agent, it_ticket):
    mine = notify(agent, it_ticket)[0]
    theirs = notify(other_agent, it_ticket)[0]

    logged_in(agent).post(CHANGELIST, {"action": "mark_read", "_selected_action": [mine.pk, theirs.pk]})

    unread = {pk: read_at is None for pk, read_at in Notification.objects.values_list("pk", "read_at")}
    assert unread == {mine.pk: False, theirs.pk: True}


def test_nobody_edits_or_deletes_notifications_here(agent, admin_user, it_ticket):
    mine = notify(admin_user, it_ticket)[0]
    browser = logged_in(admin_user)

    assert browser.get(reverse("admin:notifications_notification_add")).status_code == 403
    assert browser.post(reverse("admin:notifications_notification_delete", args=[mine.pk])).status_code == 403
    assert Notification.objects.count() == 1


def test_the_changelist_costs_the_same_queries_for_two_or_thirty(agent, it_ticket):
    browser = logged_in(agent)
    browser.get(CHANGELIST)  # the sidebar's saved views are read once, then kept

    assert_constant_queries(lambda: browser.get(CHANGELIST), add_rows=lambda count: notify(agent, it_ticket, count))


@pytest.mark.parametrize("count", [0, 4])
def test_the_sidebar_badge_carries_the_count_and_the_polling_hooks(agent, it_ticket, count):
    notify(agent, it_ticket, count)

    html = logged_in(agent).get(reverse("admin:index")).content.decode()

    assert (
        f'<span data-unread-url="{reverse("notifications:unread_count")}" data-unread-count="{count}" '
        f'data-unread-interval="10">{count}</span>'
    ) in html
    assert '<script src="/static/notifications/unread-counter.js"></script>' in html
    assert '<link href="/static/notifications/admin.css" rel="stylesheet">' in html


def test_an_agent_chooses_their_preferences_in_the_back_office(agent):
    browser = logged_in(agent)
    page = browser.get(PREFERENCES)
    assert page.status_code == 200
    assert 'name="mention__email"' in page.content.decode()

    data = {f"{kind}__in_app": "on" for kind in NotificationKind.values}
    response = browser.post(reverse("notifications:preferences"), {**data, "next": PREFERENCES})

    assert response["Location"] == PREFERENCES
    assert set(NotificationPreference.objects.filter(email=True).values_list("kind", flat=True)) == set()
    assert NotificationPreference.objects.filter(user=agent, in_app=True).count() == len(NotificationKind.values)
