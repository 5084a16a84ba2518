"""The requesters' portal: who gets in, My tickets, New ticket, Notifications, and CSRF on every form.

Requesters see their own tickets and nothing else; invalid forms save nothing. The ticket page is tested in
test_portal_ticket.py.
"""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.departments.models import Department
from apps.tickets import services
from apps.tickets.choices import Category, Source, Status
from apps.tickets.models import Ticket
from tests.support import (
    PDF,
    assert_constant_queries,
    db_state,
    detail_url,
    logged_in,
    reply_url,
    transition_url,
)
from tests.tickets.factories import TicketFactory

LIST_URL = reverse("portal:ticket_list")
CREATE_URL = reverse("portal:ticket_create")


def listed_references(response) -> list[str]:
    return re.findall(r'<span class="reference">([^<]+)</span>', response.content.decode())


def age(ticket, *, minutes: int) -> Ticket:
    """Set a ticket's last activity `minutes` ago (tests only: the services always stamp `now`)."""
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes))
    ticket.refresh_from_db()
    return ticket


# Who gets in ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [LIST_URL, CREATE_URL, reverse("portal:notifications"), reverse("accounts:profile"), "/tickets/1/"],
)
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.parametrize("who", ["agent", "admin_user"])
@pytest.mark.parametrize("url", [LIST_URL, CREATE_URL, reverse("portal:notifications"), reverse("accounts:profile")])
def test_agents_and_admins_are_sent_to_the_back_office(request, who, url):
    browser = logged_in(request.getfixturevalue(who))
    response = browser.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_staff_posting_to_a_portal_form_changes_nothing(alice_client, it_ticket):
    before = db_state()
    response = alice_client.post(reply_url(it_ticket), {"body": "from the portal"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert db_state() == before


# My tickets ----------------------------------------------------------------------------------------------------


def test_my_tickets_lists_only_my_own_tickets_newest_activity_first(carol, requester, other_requester, it_dept):
    older = age(TicketFactory(requester=requester, department=it_dept, title="Older"), minutes=30)
    newer = age(TicketFactory(requester=requester, department=it_dept, title="Newer"), minutes=5)
    oldest = age(TicketFactory(requester=requester, department=it_dept, title="Oldest"), minutes=60)
    TicketFactory(requester=other_requester, department=it_dept, title="Dave's printer")

    response = carol.get(LIST_URL)

    assert response.status_code == 200
    assert listed_references(response) == [newer.reference, older.reference, oldest.reference]
    assert "Dave&#x27;s printer" not in response.content.decode()


def test_new_activity_moves_a_ticket_to_the_top(carol, requester, agent, it_dept):
    first = age(TicketFactory(requester=requester, department=it_dept), minutes=30)
    second = age(TicketFactory(requester=requester, department=it_dept), minutes=10)
    services.comment_add(ticket=first, actor=agent, body="Any news?")

    assert listed_references(carol.get(LIST_URL)) == [first.reference, second.reference]


def test_my_tickets_shows_status_badges_in_the_requesters_words(carol, requester, agent, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    for status in (Status.OPEN, Status.IN_PROGRESS, Status.WAITING):
        ticket = services.ticket_transition(ticket=ticket, actor=agent, to_status=status)

    html = carol.get(LIST_URL).content.decode()

    assert '<span class="badge badge--waiting">Waiting for you</span>' in html


def test_open_tickets_are_shown_by_default_and_the_filter_narrows(carol, requester, agent, it_dept):
    new = TicketFactory(requester=requester, department=it_dept)
    closed = services.ticket_transition(
        ticket=TicketFactory(requester=requester, department=it_dept), actor=requester, to_status=Status.CLOSED
    )
    waiting = TicketFactory(requester=requester, department=it_dept)
    for status in (Status.OPEN, Status.IN_PROGRESS, Status.WAITING):
        waiting = services.ticket_transition(ticket=waiting, actor=agent, to_status=status)

    assert set(listed_references(carol.get(LIST_URL))) == {new.reference, waiting.reference}
    assert listed_references(carol.get(LIST_URL, {"status": "closed"})) == [closed.reference]
    assert listed_references(carol.get(LIST_URL, {"status": "waiting"})) == [waiting.reference]
    assert set(listed_references(carol.get(LIST_URL, {"status": "all"}))) == {
        new.reference,
        waiting.reference,
        closed.reference,
    }
    # An unknown filter value falls back to the default instead of failing.
    assert set(listed_references(carol.get(LIST_URL, {"status": "bogus"}))) == {new.reference, waiting.reference}


def test_tabs_count_my_tickets_per_status_group(carol, requester, other_requester, it_dept):
    TicketFactory(requester=requester, department=it_dept)
    services.ticket_transition(
        ticket=TicketFactory(requester=requester, department=it_dept), actor=requester, to_status=Status.CLOSED
    )
    TicketFactory(requester=other_requester, department=it_dept)

    tabs = {tab["key"]: tab["count"] for tab in carol.get(LIST_URL).context["tabs"]}

    assert tabs == {"open": 1, "waiting": 0, "resolved": 0, "closed": 1, "all": 2}


def test_search_by_reference_or_title(carol, requester, other_requester, it_dept):
    vpn = TicketFactory(requester=requester, department=it_dept, title="VPN drops every hour")
    printer = TicketFactory(requester=requester, department=it_dept, title="Printer is jammed")
    TicketFactory(requester=other_requester, department=it_dept, title="VPN is slow")

    assert listed_references(carol.get(LIST_URL, {"q": "vpn"})) == [vpn.reference]
    assert listed_references(carol.get(LIST_URL, {"q": printer.reference.lower()})) == [printer.reference]
    assert listed_references(carol.get(LIST_URL, {"q": "nothing like this"})) == []


def test_my_tickets_paginates(carol, requester, it_dept):
    tickets = [TicketFactory(requester=requester, department=it_dept) for _ in range(23)]
    newest_first = [t.reference for t in reversed(tickets)]

    first = carol.get(LIST_URL)
    second = carol.get(LIST_URL, {"page": 2})

    assert listed_references(first) == newest_first[:20]
    assert listed_references(second) == newest_first[20:]
    assert "Page 2 of 2" in second.content.decode()
    assert listed_references(carol.get(LIST_URL, {"page": "999"})) == newest_first[20:]


def test_empty_list_invites_to_open_a_ticket(carol):
    html = carol.get(LIST_URL).content.decode()
    assert "No tickets yet" in html
    assert f'href="{CREATE_URL}"' in html


def test_my_tickets_query_count_does_not_grow_with_rows(carol, requester, it_dept):
    carol.get(LIST_URL)  # the header's unread count is read once, then kept

    assert_constant_queries(
        lambda: carol.get(LIST_URL),
        add_rows=lambda count: TicketFactory.create_batch(count, requester=requester, department=it_dept),
    )


# New ticket ----------------------------------------------------------------------------------------------------


def test_new_ticket_form_shows_the_upload_limits_before_upload(carol, settings):
    settings.ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
    settings.ATTACHMENT_ALLOWED_EXTENSIONS = ["pdf", "png"]

    html = carol.get(CREATE_URL).content.decode()

    assert "Up to 10 files, each at most 2.0\xa0MB. Accepted types: .pdf, .png." in html
    assert 'accept=".pdf,.png"' in html
    assert 'data-max-bytes="2097152"' in html
    assert 'enctype="multipart/form-data"' in html


def test_opening_a_ticket_with_attachments(carol, requester, it_dept, billing_dept):
    response = carol.post(
        CREATE_URL,
        {
            "title": "  Laptop will not boot  ",
            "description": "It beeps three times.\r\nThen nothing.",
            "category": Category.INCIDENT,
            "attachments": [SimpleUploadedFile("beeps.txt", b"beep beep beep"), SimpleUploadedFile("scan.pdf", PDF)],
        },
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(ticket)
    assert (ticket.title, ticket.description, ticket.category, ticket.source) == (
        "Laptop will not boot",
        "It beeps three times.\nThen nothing.",
        Category.INCIDENT,
        Source.PORTAL,
    )
    assert (ticket.requester, ticket.department, ticket.status) == (requester, it_dept, Status.NEW)
    assert sorted(ticket.attachments.values_list("original_name", "comment", "uploaded_by")) == [
        ("beeps.txt", None, requester.pk),
        ("scan.pdf", None, requester.pk),
    ]
    page = carol.get(response["Location"]).content.decode()
    assert f"Your ticket {ticket.reference} has been opened." in page
    assert f'<span class="reference" id="ticket-reference">{ticket.reference}</span>' in page
    assert "beeps.txt" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "x" * 201}, "title", "Ensure this value has at most 200 characters (it has 201)."),
        ({"description": "   "}, "description", "This field is required."),
        ({"category": "rumours"}, "category", "Select a valid choice. rumours is not one of the available choices."),
    ],
)
def test_an_invalid_new_ticket_saves_nothing(carol, it_dept, data, field, message):
    before = db_state()
    form = {"title": "Fine", "description": "Fine", "category": Category.QUESTION, **data}

    response = carol.post(CREATE_URL, form)

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert db_state() == before


def test_refused_files_are_explained_next_to_the_field_and_nothing_is_saved(carol, it_dept, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    before = db_state()

    response = carol.post(
        CREATE_URL,
        {
            "title": "Files",
            "description": "See the files.",
            "category": Category.QUESTION,
            "attachments": [
                SimpleUploadedFile("fine.txt", b"fine"),
                SimpleUploadedFile("tool.exe", b"MZ\x90\x00"),
                SimpleUploadedFile("big.txt", b"x" * 2048),
                SimpleUploadedFile("fake.pdf", b"MZ not a pdf"),
            ],
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["attachments"] == [
        "Files of type “.exe” are not accepted. Allowed: pdf, png, jpg, jpeg, gif, webp, txt, log, csv, docx, xlsx, "
        "odt, zip.",
        "The file “big.txt” is larger than 0.0 MB.",
        "The file “fake.pdf” does not contain what its name says (.pdf).",
    ]
    html = response.content.decode()
    field = re.search(r'<div class="field field--invalid">(?:(?!</div>\s*<div class="field).)*', html, re.S).group(0)
    assert 'id="id_attachments_error"' in field
    assert "fake.pdf" in field
    assert db_state() == before
    assert not (settings.MEDIA_ROOT / "attachments").exists()


def test_more_than_ten_files_are_refused_next_to_the_field(carol, it_dept):
    files = [SimpleUploadedFile(f"f{n}.txt", b"x") for n in range(11)]
    before = db_state()

    response = carol.post(
        CREATE_URL, {"title": "Many", "description": "Files", "category": Category.QUESTION, "attachments": files}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"attachments": ["Attach at most 10 files."]}
    assert db_state() == before


def test_more_files_than_django_reads_is_a_friendly_400_and_saves_nothing(carol, it_dept, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = [SimpleUploadedFile(f"f{n}.txt", b"x") for n in range(4)]
    before = db_state()
    assert "Up to 3 files" in carol.get(CREATE_URL).content.decode()

    response = carol.post(
        CREATE_URL, {"title": "Many", "description": "Files", "category": Category.QUESTION, "attachments": files}
    )

    assert response.status_code == 400
    assert "We could not read that request" in response.content.decode()
    assert db_state() == before


def test_without_a_default_department_nothing_is_saved(carol, billing_dept):
    assert not Department.objects.filter(is_default=True).exists()

    response = carol.post(CREATE_URL, {"title": "Help", "description": "Please", "category": Category.QUESTION})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The help desk cannot take new tickets right now. Please try again later."
    ]
    assert Ticket.objects.count() == 0


# Notifications -------------------------------------------------------------------------------------------------


def test_notifications_page_without_notifications_says_so_and_hides_the_counter(carol):
    html = carol.get(reverse("portal:notifications")).content.decode()
    assert "No notifications yet" in html
    counter = re.search(r'<span class="counter" id="unread-counter" data-unread-count="(\d+)"( hidden)?>', html)
    assert counter.groups() == ("0", " hidden")


# CSRF ----------------------------------------------------------------------------------------------------------


def test_every_portal_form_needs_the_csrf_token(requester, it_ticket):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(requester)
    before = db_state()

    posts = [
        (CREATE_URL, {"title": "x", "description": "y", "category": "question"}),
        (reply_url(it_ticket), {"body": "hello"}),
        (transition_url(it_ticket), {"to_status": "closed", "version": it_ticket.version}),
    ]
    for url, data in posts:
        assert browser.post(url, data).status_code == 403, url
    assert db_state() == before

    page = browser.get(CREATE_URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = {"title": "x", "description": "y", "category": "question", "csrfmiddlewaretoken": token}
    assert browser.post(CREATE_URL, data).status_code == 302
