"""The portal's notifications: list, read marks, preferences, and the unread counter the header polls."""

import re

from django.test import Client
from django.urls import reverse

from apps.notifications.choices import NotificationKind
from apps.notifications.models import Notification, NotificationPreference
from tests.notifications.factories import NotificationFactory
from tests.support import assert_constant_queries

COUNT_URL = reverse("notifications:unread_count")
LIST_URL = reverse("portal:notifications")
READ_ALL_URL = reverse("notifications:read_all")


def notify(user, ticket, count=1, **fields):
    return [NotificationFactory(recipient=user, ticket=ticket, **fields) for _ in range(count)]


def unread_states() -> dict[int, bool]:
    return {pk: read_at is None for pk, read_at in Notification.objects.values_list("pk", "read_at")}


# The counter ---------------------------------------------------------------------------------------------------


def test_the_counter_answers_json_with_an_etag_and_304_while_nothing_changed(carol, requester, it_ticket):
    notify(requester, it_ticket, 2)
    first = carol.get(COUNT_URL)
    assert (first.status_code, first.json(), first["Cache-Control"]) == (200, {"unread": 2}, "private, no-cache")

    same = carol.get(COUNT_URL, headers={"If-None-Match": first["ETag"]})
    assert (same.status_code, same.content, same["ETag"]) == (304, b"", first["ETag"])

    notify(requester, it_ticket)
    changed = carol.get(COUNT_URL, headers={"If-None-Match": first["ETag"]})
    assert (changed.status_code, changed.json()) == (200, {"unread": 3})
    assert changed["ETag"] != first["ETag"]


def test_the_counter_costs_the_same_few_queries_however_many_notifications(carol, requester, it_ticket):
    measured = assert_constant_queries(
        lambda: carol.get(COUNT_URL), add_rows=lambda count: notify(requester, it_ticket, count)
    )
    assert measured.queries == 3  # session, user, the count


def test_the_counter_counts_only_your_unread_in_app_notifications(carol, requester, other_requester, it_ticket):
    notify(requester, it_ticket)
    notify(requester, it_ticket, in_app=False)  # e-mail only
    notify(other_requester, it_ticket)
    read = notify(requester, it_ticket)[0]
    Notification.objects.filter(pk=read.pk).update(read_at="2025-03-07T12:00:00Z")

    assert carol.get(COUNT_URL).json() == {"unread": 1}


def test_anonymous_pollers_get_401_json_not_a_login_page(client):
    response = client.get(COUNT_URL)
    assert (response.status_code, response.json()) == (401, {"detail": "Log in to see your notifications."})


def test_the_header_carries_the_count_and_the_polling_hooks(carol, requester, it_ticket):
    notify(requester, it_ticket, 3)
    html = carol.get(reverse("portal:ticket_list")).content.decode()

    assert re.search(r'<span class="counter" id="unread-counter" data-unread-count="3">3<span', html)
    assert f'data-unread-url="{COUNT_URL}" data-unread-interval="10"' in html
    assert '<script src="/static/notifications/unread-counter.js" defer></script>' in html


# The list and read marks ---------------------------------------------------------------------------------------


def test_the_list_shows_your_notifications_newest_first(carol, requester, other_requester, it_ticket):
    older, newer = notify(requester, it_ticket, 2)
    notify(other_requester, it_ticket, text="Not for carol")
    Notification.objects.filter(pk=older.pk).update(read_at="2025-03-07T12:00:00Z")

    response = carol.get(LIST_URL)

    assert list(response.context["notifications"]) == [newer, Notification.objects.get(pk=older.pk)]
    html = response.content.decode()
    assert "Not for carol" not in html
    assert html.count('class="notification notification--unread"') == 1
    assert f'action="{reverse("notifications:read", args=[newer.pk])}"' in html
    assert 'id="mark-all-read"' in html


def test_the_list_costs_the_same_queries_for_two_or_twenty(carol, requester, it_ticket):
    assert_constant_queries(
        lambda: carol.get(LIST_URL),
        add_rows=lambda count: notify(requester, it_ticket, count),
        rows=(2, 20),  # 20: one full page
    )


def test_opening_a_notification_marks_it_read_and_goes_to_the_ticket(carol, requester, it_ticket):
    mine = notify(requester, it_ticket)[0]

    response = carol.get(reverse("notifications:open", args=[mine.pk]))

    assert response["Location"] == f"/tickets/{it_ticket.pk}/"
    assert unread_states() == {mine.pk: False}


def test_marking_read_one_or_all(carol, requester, other_requester, it_ticket):
    first, second = notify(requester, it_ticket, 2)
    theirs = notify(other_requester, it_ticket)[0]

    response = carol.post(reverse("notifications:read", args=[first.pk]), {"next": LIST_URL})
    assert (response.status_code, response["Location"]) == (302, LIST_URL)
    assert unread_states() == {first.pk: False, second.pk: True, theirs.pk: True}

    response = carol.post(READ_ALL_URL, {"next": "https://evil.example.com/"})
    assert response["Location"] == LIST_URL  # never to another site
    assert unread_states() == {first.pk: False, second.pk: False, theirs.pk: True}


def test_someone_elses_notification_does_not_exist_for_you(carol, other_requester, it_ticket):
    theirs = notify(other_requester, it_ticket)[0]

    assert carol.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert carol.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert unread_states() == {theirs.pk: True}


def test_read_marks_need_post_and_the_csrf_token(requester, it_ticket):
    mine = notify(requester, it_ticket)[0]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(requester)

    assert browser.get(READ_ALL_URL).status_code == 405
    assert browser.post(READ_ALL_URL).status_code == 403
    assert browser.post(reverse("notifications:read", args=[mine.pk])).status_code == 403
    assert unread_states() == {mine.pk: True}


# Preferences ---------------------------------------------------------------------------------------------------


def test_the_profile_page_holds_the_preferences_of_a_requester(carol):
    html = carol.get(reverse("accounts:profile")).content.decode()

    assert f'action="{reverse("notifications:preferences")}"' in html
    assert 'name="reply__in_app"' in html and 'name="status_changed__email"' in html
    assert "mention__in_app" not in html  # nothing a requester can receive
    assert '<label class="visually-hidden" for="id_reply__email">Reply on a ticket: by e-mail</label>' in html


def test_saving_preferences(carol, requester):
    response = carol.post(
        reverse("notifications:preferences"),
        {"reply__in_app": "on", "status_changed__email": "on", "next": "/profile/#notification-preferences"},
    )

    assert response["Location"] == "/profile/#notification-preferences"
    assert sorted(NotificationPreference.objects.values_list("user__username", "kind", "in_app", "email")) == [
        ("carol", NotificationKind.REPLY, True, False),
        ("carol", NotificationKind.STATUS_CHANGED, False, True),
    ]


def test_the_list_pages_by_twenty_with_newer_and_older_links(carol, requester, it_ticket):
    notify(requester, it_ticket, 21)

    first = carol.get(LIST_URL).content.decode()
    second = carol.get(LIST_URL, {"page": 2})

    assert 'href="?page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    assert len(second.context["notifications"]) == 1
    assert 'href="?page=1" rel="prev"' in second.content.decode()
