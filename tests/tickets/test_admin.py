"""The ticket back office, as agent alice (IT Support) and as the admin."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.choices import Role
from apps.notifications.models import Notification
from apps.tickets import services
from apps.tickets.choices import EventKind, Source, Status
from apps.tickets.models import Attachment, Comment, Ticket, TicketEvent, TicketUserObjectPermission
from apps.tickets.selectors import tickets_visible_to
from config.unfold import NAVIGATION
from tests.accounts.factories import UserFactory
from tests.notifications.factories import NotificationFactory
from tests.support import assert_constant_queries
from tests.tickets.factories import TicketFactory

CHANGELIST = "admin:tickets_ticket_changelist"
REFERENCE = re.compile(r"TCK-\d{6}")


def changelist(browser, **params):
    return browser.get(reverse(CHANGELIST), params)


def shown_references(response) -> set[str]:
    """References in the changelist's result table (not, say, in the search box echoing the query)."""
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('<form id="changelist-form"') :]
    table = table[: table.index("</form>")]
    references = set(REFERENCE.findall(table))
    assert references == {t.reference for t in response.context["cl"].result_list}
    return references


def change_url(ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def snapshot(ticket) -> tuple:
    """Everything a refused request must leave alone."""
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.title,
        fresh.description,
        fresh.status,
        fresh.priority,
        fresh.category,
        fresh.department_id,
        fresh.assignee_id,
        fresh.version,
        fresh.events.count(),
        fresh.comments.count(),
        TicketUserObjectPermission.objects.filter(content_object=fresh).count(),
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def run_action(browser, action, tickets, **extra):
    data = {"action": action, "_selected_action": [str(t.pk) for t in tickets], **extra}
    return browser.post(reverse(CHANGELIST), data, follow=True)


# The changelist ---------------------------------------------------------------------------------------------


def test_changelist_shows_exactly_the_tickets_alice_can_see(
    alice_client, agent, it_ticket, it_ticket_2, billing_ticket
):
    response = changelist(alice_client)

    assert shown_references(response) == {it_ticket.reference, it_ticket_2.reference}
    assert list(response.context["cl"].result_list) == [it_ticket_2, it_ticket]
    assert billing_ticket.title not in response.content.decode()


def test_changelist_shows_everything_to_the_admin(admin_browser, it_ticket, billing_ticket):
    assert shown_references(changelist(admin_browser)) == {it_ticket.reference, billing_ticket.reference}


def test_assignee_filter_me_and_none(alice_client, agent, it_ticket, it_ticket_2, billing_ticket):
    services.ticket_assign(ticket=it_ticket, actor=agent, assignee=agent)

    assert shown_references(changelist(alice_client, assignee="me")) == {it_ticket.reference}
    assert shown_references(changelist(alice_client, assignee="none")) == {it_ticket_2.reference}
    assert shown_references(changelist(alice_client, assignee=str(agent.pk))) == {it_ticket.reference}


def test_sidebar_links_keep_working(alice_client, agent, it_ticket, it_ticket_2):
    services.ticket_assign(ticket=it_ticket, actor=agent, assignee=agent)
    services.ticket_assign(ticket=it_ticket_2, actor=agent, assignee=agent)
    services.ticket_transition(ticket=it_ticket_2, actor=agent, to_status=Status.CLOSED)
    links = {str(item["title"]): str(item["link"]) for group in NAVIGATION for item in group["items"]}

    assert shown_references(alice_client.get(links["My open tickets"])) == {it_ticket.reference}
    assert shown_references(alice_client.get(links["Unassigned"])) == set()
    assert shown_references(alice_client.get(links["Tickets"])) == {it_ticket.reference, it_ticket_2.reference}


def test_status_and_priority_filters(alice_client, agent, it_ticket, it_ticket_2):
    services.ticket_transition(ticket=it_ticket, actor=agent, to_status=Status.OPEN)
    services.ticket_update(ticket=it_ticket_2, actor=agent, priority="urgent")

    assert shown_references(changelist(alice_client, status__in="open")) == {it_ticket.reference}
    assert shown_references(changelist(alice_client, status__in=["open", "new"])) == {
        it_ticket.reference,
        it_ticket_2.reference,
    }
    assert shown_references(changelist(alice_client, priority__exact="urgent")) == {it_ticket_2.reference}


def test_created_date_range_filter(alice_client, it_ticket):
    today = it_ticket.created_at.date().isoformat()

    assert shown_references(changelist(alice_client, created_at_from=today, created_at_to=today)) == {
        it_ticket.reference
    }
    assert shown_references(changelist(alice_client, created_at_from="2001-01-01", created_at_to="2001-12-31")) == set()


def test_search_by_reference_and_requester_email(alice_client, it_ticket, it_ticket_2, billing_ticket, other_requester):
    assert shown_references(changelist(alice_client, q=it_ticket.reference)) == {it_ticket.reference}
    assert shown_references(changelist(alice_client, q=other_requester.email)) == {it_ticket_2.reference}
    # The Billing ticket's reference finds nothing: search never widens the scope.
    assert shown_references(changelist(alice_client, q=billing_ticket.reference)) == set()


def test_changelist_query_count_does_not_grow_with_rows(alice_client, agent, it_dept, requester):
    TicketFactory.create_batch(2, department=it_dept, requester=requester, assignee=agent)
    changelist(alice_client)  # warm up per-process caches (content types, ...)

    measured = assert_constant_queries(
        lambda: changelist(alice_client),
        add_rows=lambda count: TicketFactory.create_batch(
            count, department=it_dept, requester=requester, assignee=agent
        ),
        existing=2,
    )
    assert len(measured.few.context["cl"].result_list) == 2
    assert len(measured.many.context["cl"].result_list) == 30


@pytest.mark.parametrize("who", ["alice_client", "admin_browser"])
def test_changelist_counts_the_ticket_table_only_up_to_the_cap(request, who, it_ticket, billing_ticket):
    browser = request.getfixturevalue(who)
    changelist(browser)

    with CaptureQueriesContext(connection) as queries:
        changelist(browser)
        changelist(browser, q="VPN")

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "tickets_ticket" in q["sql"]]
    assert len(counts) == 2
    assert all("LIMIT 10001" in sql for sql in counts)


# Out of scope is 404, and nothing changes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "own_ticket_status"),
    [
        ("admin:tickets_ticket_change", 200),
        ("admin:tickets_ticket_history", 200),
        ("admin:tickets_ticket_delete", 403),  # agents never delete
        ("admin:tickets_ticket_permissions", 404),  # admins only
    ],
)
def test_billing_ticket_pages_are_404_for_alice(alice_client, it_ticket, billing_ticket, url_name, own_ticket_status):
    assert alice_client.get(reverse(url_name, args=[billing_ticket.pk])).status_code == 404
    assert alice_client.get(reverse(url_name, args=[it_ticket.pk])).status_code == own_ticket_status


def test_unknown_and_malformed_ids_are_404(alice_client):
    assert alice_client.get(reverse("admin:tickets_ticket_change", args=[999999])).status_code == 404
    assert alice_client.get("/admin/tickets/ticket/not-a-number/change/").status_code == 404


def test_posting_to_a_billing_ticket_is_404_and_changes_nothing(
    alice_client, agent, billing_ticket, billing_dept, it_dept, ticket_form_data
):
    before = snapshot(billing_ticket)
    data = ticket_form_data(
        billing_ticket,
        title="Hijacked",
        status=Status.OPEN,
        department=str(it_dept.pk),
        assignee=str(agent.pk),
        reply_body="I was here",
    )

    assert alice_client.post(change_url(billing_ticket), data).status_code == 404
    assert (
        alice_client.post(reverse("admin:tickets_ticket_delete", args=[billing_ticket.pk]), {"post": "yes"}).status_code
        == 404
    )
    manage_user = reverse("admin:tickets_ticket_permissions_manage_user", args=[billing_ticket.pk, agent.pk])
    assert alice_client.post(manage_user, {"permissions": ["view_ticket", "change_ticket"]}).status_code == 404

    assert snapshot(billing_ticket) == before
    assert billing_ticket not in tickets_visible_to(agent)


def test_actions_cannot_reach_tickets_outside_the_scope(alice_client, agent, billing_ticket):
    before = snapshot(billing_ticket)

    run_action(alice_client, "assign_to_me", [billing_ticket], index="0")

    assert snapshot(billing_ticket) == before


# The change page --------------------------------------------------------------------------------------------


def test_change_page_shows_conversation_and_history(alice_client, agent, requester, it_ticket):
    services.comment_add(ticket=it_ticket, actor=requester, body="Still broken.\nSince <b>Monday</b>.")
    services.comment_add(ticket=it_ticket, actor=agent, body="Probably the VPN gateway.", is_internal=True)
    services.ticket_transition(ticket=it_ticket, actor=agent, to_status=Status.OPEN)

    response = alice_client.get(change_url(it_ticket), {"history": "1"})
    html = response.content.decode()

    assert response.status_code == 200
    assert "Still broken.<br>Since &lt;b&gt;Monday&lt;/b&gt;." in html
    note = re.search(r'<li id="comment-\d+" class="([^"]*)">(?:(?!</li>).)*Probably the VPN gateway', html, re.S)
    assert note is not None
    assert "ticket-note" in note.group(1)
    assert "Internal note" in note.group(0)
    # People by their names, not their user names.
    assert f"{agent.get_full_name()} changed the status from New to Open" in html
    assert f"{requester.get_full_name()} opened the ticket in IT Support (via Portal)" in html
    assert f"{agent.get_full_name()} added an internal note" in html
    # Only admins get the link to guardian's object-permission page.
    assert reverse("admin:tickets_ticket_permissions", args=[it_ticket.pk]) not in html


def test_posting_a_reply_and_an_internal_note(alice_client, agent, it_ticket, ticket_form_data):
    reply = ticket_form_data(it_ticket, reply_body="We are on it.", reply_files=SimpleUploadedFile("log.txt", b"boom"))
    assert alice_client.post(change_url(it_ticket), reply).status_code == 302

    it_ticket.refresh_from_db()
    note = ticket_form_data(it_ticket, reply_body="Escalate if it happens again.", reply_internal="on")
    assert alice_client.post(change_url(it_ticket), note).status_code == 302

    comments = list(it_ticket.comments.order_by("pk").values_list("author", "body", "is_internal"))
    assert comments == [
        (agent.pk, "We are on it.", False),
        (agent.pk, "Escalate if it happens again.", True),
    ]
    assert list(it_ticket.attachments.values_list("original_name", "size", "comment__body")) == [
        ("log.txt", 4, "We are on it.")
    ]
    kinds = list(it_ticket.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.COMMENTED, EventKind.ATTACHMENT_ADDED, EventKind.NOTE_ADDED]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reply_body": "", "reply_internal": "on"}, "reply_body", "Write a message."),
        (
            {"reply_body": "See attached", "reply_files": SimpleUploadedFile("tool.exe", b"MZ")},
            "reply_files",
            "Files of type “.exe” are not accepted.",
        ),
    ],
)
def test_an_invalid_reply_saves_nothing(alice_client, it_ticket, ticket_form_data, changes, field, message):
    before = snapshot(it_ticket)
    data = ticket_form_data(it_ticket, status=Status.OPEN, priority="high", **changes)

    response = alice_client.post(change_url(it_ticket), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert snapshot(it_ticket) == before
    assert Attachment.objects.count() == 0


def test_saving_a_legal_status_goes_through_the_lifecycle(alice_client, agent, it_ticket, ticket_form_data):
    response = alice_client.post(change_url(it_ticket), ticket_form_data(it_ticket, status=Status.OPEN))

    assert response.status_code == 302
    it_ticket.refresh_from_db()
    assert (it_ticket.status, it_ticket.version) == (Status.OPEN, 2)
    event = it_ticket.events.get(kind=EventKind.STATUS_CHANGED)
    assert (event.actor, event.data) == (agent, {"from": "new", "to": "open"})


def test_saving_an_illegal_status_is_a_form_error_and_saves_nothing(alice_client, it_ticket, ticket_form_data):
    before = snapshot(it_ticket)
    data = ticket_form_data(it_ticket, status=Status.RESOLVED, title="A better title", reply_body="Done")

    response = alice_client.post(change_url(it_ticket), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["status"] == ["A ticket cannot move from “New” to “Resolved”."]
    assert snapshot(it_ticket) == before


def test_a_stale_version_is_refused(alice_client, agent, it_ticket, ticket_form_data):
    data = ticket_form_data(it_ticket, title="Mine")
    services.ticket_update(ticket=it_ticket, actor=agent, title="Theirs")
    before = snapshot(it_ticket)

    response = alice_client.post(change_url(it_ticket), data)

    assert response.status_code == 200
    assert "Someone else changed this ticket" in response.context["adminform"].form.non_field_errors()[0]
    assert snapshot(it_ticket) == before


def test_changing_the_assignee_moves_the_grants(alice_client, agent, other_agent, it_ticket, ticket_form_data):
    assert it_ticket not in tickets_visible_to(other_agent)

    response = alice_client.post(change_url(it_ticket), ticket_form_data(it_ticket, assignee=str(other_agent.pk)))

    assert response.status_code == 302
    it_ticket.refresh_from_db()
    assert it_ticket.assignee == other_agent
    assert it_ticket in tickets_visible_to(other_agent)
    assert it_ticket.events.filter(kind=EventKind.ASSIGNED, data={"from": None, "to": other_agent.pk}).exists()


def test_editing_details_records_one_event(alice_client, agent, it_ticket, ticket_form_data):
    old_description = it_ticket.description
    data = ticket_form_data(it_ticket, title="VPN drops every 30 minutes", description="Worse now.\r\nHelp.")

    assert alice_client.post(change_url(it_ticket), data).status_code == 302

    it_ticket.refresh_from_db()
    assert (it_ticket.title, it_ticket.description, it_ticket.version) == (
        "VPN drops every 30 minutes",
        "Worse now.\nHelp.",
        2,
    )
    assert list(it_ticket.events.filter(kind=EventKind.UPDATED).values_list("data", flat=True)) == [
        {
            "changes": {
                "title": ["VPN drops every hour", "VPN drops every 30 minutes"],
                "description": [old_description, None],
            }
        }
    ]


def test_adding_a_ticket_uses_ticket_create(alice_client, agent, it_dept, requester):
    data = {
        "title": "New monitor",
        "description": "Mine flickers.",
        "category": "request",
        "priority": "low",
        "department": str(it_dept.pk),
        "assignee": str(agent.pk),
        # carol has no ticket alice can see yet: an agent names a new requester by exact e-mail address.
        "requester": requester.email,
        "_save": "Save",
    }

    response = alice_client.post(reverse("admin:tickets_ticket_add"), data)

    assert response.status_code == 302
    ticket = Ticket.objects.get(title="New monitor")
    assert (ticket.source, ticket.requester, ticket.assignee, ticket.status) == (
        Source.ADMIN,
        requester,
        agent,
        Status.NEW,
    )
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED, EventKind.ASSIGNED]
    assert ticket in tickets_visible_to(requester)


def new_ticket_data(it_dept, requester: str) -> dict:
    return {
        "title": "New monitor",
        "description": "Mine flickers.",
        "category": "request",
        "priority": "low",
        "department": str(it_dept.pk),
        "requester": requester,
        "_save": "Save",
    }


def test_agents_name_a_requester_they_cannot_see_only_by_exact_email(
    alice_client, it_dept, other_agent, other_requester, admin_user
):
    """The requester picker holds the users alice can see, plus a requester whose whole e-mail address she
    types: no pk, partial address, username or staff account of another department finds anyone."""
    before = Ticket.objects.count()
    for value in (
        str(other_requester.pk),
        "dave",
        "dave@example",
        other_agent.email,
        admin_user.email,
        str(admin_user.pk),
    ):
        response = alice_client.post(reverse("admin:tickets_ticket_add"), new_ticket_data(it_dept, value))
        assert response.status_code == 200, value
        assert list(response.context["adminform"].form.errors) == ["requester"], value
        html = response.content.decode()
        for outsider in (other_agent, other_requester, admin_user):
            assert outsider.email not in html or outsider.email == value
    assert Ticket.objects.count() == before

    response = alice_client.post(reverse("admin:tickets_ticket_add"), new_ticket_data(it_dept, "DAVE@Example.com"))
    assert response.status_code == 302
    assert Ticket.objects.get(title="New monitor").requester == other_requester


def test_requester_autocomplete_holds_the_users_an_agent_sees(
    alice_client, admin_browser, agent, it_ticket, other_agent, other_requester, admin_user, requester
):
    params = {"app_label": "tickets", "model_name": "ticket", "field_name": "requester", "term": "example.com"}

    agents = alice_client.get(reverse("admin:autocomplete"), params)
    admins = admin_browser.get(reverse("admin:autocomplete"), params)

    assert agents.status_code == 200
    assert {r["id"] for r in agents.json()["results"]} == {str(agent.pk), str(requester.pk)}
    assert {r["id"] for r in admins.json()["results"]} == {
        str(u.pk) for u in (agent, requester, other_agent, other_requester, admin_user)
    }


def test_admin_deletes_tickets_that_have_notifications(admin_browser, agent, requester, it_ticket, it_ticket_2):
    for ticket in (it_ticket, it_ticket_2):
        NotificationFactory(ticket=ticket, recipient=agent)
        NotificationFactory(ticket=ticket, recipient=requester)

    page = admin_browser.get(reverse("admin:tickets_ticket_delete", args=[it_ticket.pk]))
    assert page.status_code == 200
    response = admin_browser.post(reverse("admin:tickets_ticket_delete", args=[it_ticket.pk]), {"post": "yes"})
    assert response.status_code == 302
    run_action(admin_browser, "delete_selected", [it_ticket_2], post="yes")

    assert Ticket.objects.count() == 0
    assert Notification.objects.count() == 0


def test_attachment_download(alice_client, agent, it_ticket, billing_ticket, other_agent):
    upload = SimpleUploadedFile("notes.txt", b"hello")
    comment = services.comment_add(ticket=it_ticket, actor=agent, body="See file", uploads=[upload])
    attachment = comment.attachments.get()
    foreign = services.comment_add(
        ticket=billing_ticket, actor=other_agent, body="Private", uploads=[SimpleUploadedFile("a.txt", b"x")]
    ).attachments.get()

    response = alice_client.get(reverse("admin:tickets_ticket_attachment_download", args=[it_ticket.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    # Consuming the stream closes the file (the test client wraps it); closing again would close the DB connection.
    assert b"".join(response.streaming_content) == b"hello"

    for ticket_id, attachment_id in ((billing_ticket.pk, foreign.pk), (it_ticket.pk, foreign.pk)):
        url = reverse("admin:tickets_ticket_attachment_download", args=[ticket_id, attachment_id])
        assert alice_client.get(url).status_code == 404


# Actions ----------------------------------------------------------------------------------------------------


def test_assign_to_me_skips_tickets_alice_may_only_view(alice_client, agent, it_ticket, billing_dept):
    # alice asked Billing something herself: she can view that ticket but not change it.
    own_request = TicketFactory(department=billing_dept, requester=agent)
    before = snapshot(own_request)

    response = run_action(alice_client, "assign_to_me", [it_ticket, own_request], index="0")

    it_ticket.refresh_from_db()
    assert it_ticket.assignee == agent
    assert snapshot(own_request) == before
    assert messages_of(response) == [
        "1 ticket assigned to you.",
        "1 selected ticket was skipped because you may not change it.",
    ]


def test_change_status_action_has_an_intermediate_page(alice_client, agent, it_ticket, it_ticket_2):
    services.ticket_transition(ticket=it_ticket_2, actor=agent, to_status=Status.IN_PROGRESS)

    page = run_action(alice_client, "change_status", [it_ticket, it_ticket_2], index="0")
    assert page.status_code == 200
    assert page.context["tickets"] == [it_ticket, it_ticket_2]
    html = page.content.decode()
    assert 'name="status"' in html
    assert it_ticket.reference in html
    assert it_ticket_2.reference in html
    assert Ticket.objects.get(pk=it_ticket.pk).status == Status.NEW

    done = run_action(alice_client, "change_status", [it_ticket, it_ticket_2], status=Status.RESOLVED, apply="1")

    assert Ticket.objects.get(pk=it_ticket.pk).status == Status.NEW  # new → resolved is not a legal move
    assert Ticket.objects.get(pk=it_ticket_2.pk).status == Status.RESOLVED
    assert messages_of(done) == [
        f"{it_ticket.reference}: A ticket cannot move from “New” to “Resolved”.",
        "1 ticket moved to “Resolved”.",
    ]


def test_transfer_action_moves_the_ticket_out_of_alices_list(
    alice_client, bob_client, it_ticket, it_ticket_2, billing_dept
):
    page = run_action(alice_client, "transfer_department", [it_ticket], index="0")
    assert page.status_code == 200
    assert 'name="department"' in page.content.decode()

    done = run_action(alice_client, "transfer_department", [it_ticket], department=str(billing_dept.pk), apply="1")

    assert messages_of(done) == ["1 ticket transferred to Billing."]
    assert shown_references(changelist(alice_client)) == {it_ticket_2.reference}
    assert shown_references(changelist(bob_client)) == {it_ticket.reference}


def test_agents_have_no_delete_action(alice_client, it_ticket):
    response = changelist(alice_client)

    assert "delete_selected" not in response.context["action_form"].fields["action"].choices.__str__()


def test_admin_deletes_through_the_service(admin_browser, it_ticket, it_ticket_2):
    response = admin_browser.post(reverse("admin:tickets_ticket_delete", args=[it_ticket.pk]), {"post": "yes"})
    assert response.status_code == 302

    run_action(admin_browser, "delete_selected", [it_ticket_2], post="yes")

    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0
    assert Comment.objects.count() == 0


# guardian's object-permission pages -------------------------------------------------------------------------


def test_object_permission_pages_are_for_admins_only(admin_browser, alice_client, agent, it_ticket):
    url = reverse("admin:tickets_ticket_permissions", args=[it_ticket.pk])
    manage_alice = reverse("admin:tickets_ticket_permissions_manage_user", args=[it_ticket.pk, agent.pk])
    manage_group = reverse(
        "admin:tickets_ticket_permissions_manage_group", args=[it_ticket.pk, it_ticket.department.group_id]
    )
    grants_before = TicketUserObjectPermission.objects.filter(content_object=it_ticket).count()

    assert admin_browser.get(url).status_code == 200
    assert admin_browser.get(manage_alice).status_code == 200
    assert url in admin_browser.get(change_url(it_ticket)).content.decode()  # the change page links to it
    # alice can change this ticket, yet cannot open its permission pages nor grant herself anything.
    assert alice_client.get(url).status_code == 404
    assert alice_client.get(manage_group).status_code == 404
    assert alice_client.post(manage_alice, {"permissions": ["view_ticket", "change_ticket"]}).status_code == 404
    assert TicketUserObjectPermission.objects.filter(content_object=it_ticket).count() == grants_before


def test_requesters_cannot_open_the_back_office(requester_client, it_ticket):
    portal = reverse("portal:ticket_list")  # they are sent to the portal (apps/accounts/middleware.py)

    assert changelist(requester_client)["Location"] == portal
    assert requester_client.get(change_url(it_ticket))["Location"] == portal


def test_view_only_ticket_has_no_reply_form(alice_client, agent, billing_dept):
    own_request = TicketFactory(department=billing_dept, requester=agent)

    response = alice_client.get(change_url(own_request))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert 'name="reply_body"' not in response.content.decode()
    assert 'name="title"' not in response.content.decode()


def test_inactive_staff_is_not_assignable(alice_client, it_ticket, ticket_form_data):
    gone = UserFactory(username="gone", role=Role.AGENT)
    gone.is_active = False
    gone.save()
    before = snapshot(it_ticket)

    response = alice_client.post(change_url(it_ticket), ticket_form_data(it_ticket, assignee=str(gone.pk)))

    assert response.status_code == 200
    assert "assignee" in response.context["adminform"].form.errors
    assert snapshot(it_ticket) == before


def test_reply_and_transfer_in_one_save(alice_client, agent, bob_client, it_ticket, billing_dept, ticket_form_data):
    data = ticket_form_data(it_ticket, department=str(billing_dept.pk), reply_body="Billing will take this.")

    response = alice_client.post(change_url(it_ticket), data, follow=True)

    it_ticket.refresh_from_db()
    assert it_ticket.department == billing_dept
    assert list(it_ticket.comments.values_list("body", flat=True)) == ["Billing will take this."]
    # alice no longer sees it: she lands on her list, not on a 404.
    assert response.redirect_chain == [(reverse(CHANGELIST), 302)]
    assert messages_of(response) == [f"{it_ticket.reference} was saved and is now outside your departments."]
    assert shown_references(changelist(bob_client)) == {it_ticket.reference}


def test_a_ticket_of_a_deactivated_department_can_still_be_saved(alice_client, it_ticket, it_dept, ticket_form_data):
    it_dept.is_active = False
    it_dept.save()

    response = alice_client.post(change_url(it_ticket), ticket_form_data(it_ticket, status=Status.OPEN))

    assert response.status_code == 302
    it_ticket.refresh_from_db()
    assert (it_ticket.status, it_ticket.department) == (Status.OPEN, it_dept)


def test_line_endings_a_browser_sends_are_no_edit(alice_client, agent, it_ticket, ticket_form_data):
    services.ticket_update(ticket=it_ticket, actor=agent, description="Line one.\nLine two.")
    it_ticket.refresh_from_db()
    # The page was read before someone else's change; only a reply is added, the description comes back as CRLF.
    data = ticket_form_data(it_ticket, description="Line one.\r\nLine two.", reply_body="Still on it.")
    services.ticket_update(ticket=it_ticket, actor=agent, language="de")  # not on the form

    response = alice_client.post(change_url(it_ticket), data)

    assert response.status_code == 302
    it_ticket.refresh_from_db()
    assert (it_ticket.description, it_ticket.version) == ("Line one.\nLine two.", 3)
    assert list(it_ticket.comments.values_list("body", flat=True)) == ["Still on it."]
