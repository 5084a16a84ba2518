"""Resources integrators expected: a comment's own URL (edit/delete window), deleting a file, bulk changes, and
single users and departments."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.tickets.choices import EventKind, Status
from apps.tickets.models import Attachment, Comment, Ticket, TicketEvent
from apps.tickets.services import attachment_add, comment_add
from tests.support import db_state, field_errors, jwt_client
from tests.tickets.factories import TicketFactory


def comment_url(comment) -> str:
    return f"/api/tickets/{comment.ticket_id}/comments/{comment.pk}/"


@pytest.fixture
def reply(it_ticket, requester):
    return comment_add(ticket=it_ticket, actor=requester, body="It drops at 10:00.")


@pytest.fixture
def note(it_ticket, agent):
    return comment_add(ticket=it_ticket, actor=agent, body="Probably the 5.2 bug.", is_internal=True)


def test_a_comment_has_its_own_url(reply, note, requester, agent):
    response = jwt_client(requester).get(comment_url(reply))
    assert (response.status_code, response.json()["body"]) == (200, "It drops at 10:00.")
    assert response.json()["url"] == f"http://testserver{comment_url(reply)}"
    assert jwt_client(requester).get(comment_url(note)).status_code == 404
    assert jwt_client(agent).get(comment_url(note)).json()["is_internal"] is True


def test_the_author_edits_within_the_window_and_the_history_keeps_the_old_text(reply, requester):
    response = jwt_client(requester).patch(comment_url(reply), {"body": "It drops at 11:00."}, format="json")
    assert response.status_code == 200
    assert (response.json()["body"], response.json()["edited_at"] is not None) == ("It drops at 11:00.", True)
    event = TicketEvent.objects.get(kind=EventKind.COMMENT_EDITED)
    assert (event.actor, event.data, event.is_internal) == (
        requester,
        {"comment": reply.pk, "from": "It drops at 10:00.", "to": "It drops at 11:00."},
        False,
    )


def test_nobody_else_edits_or_deletes_a_comment_and_nothing_changes(reply, agent, admin_user):
    before = db_state()
    for user in (agent, admin_user):
        client = jwt_client(user)
        assert client.patch(comment_url(reply), {"body": "Mine now"}, format="json").status_code == 403
        assert client.delete(comment_url(reply)).status_code == 403
    assert db_state() == before


def test_after_the_window_the_author_can_no_longer_edit(reply, requester, settings):
    Comment.objects.filter(pk=reply.pk).update(created_at=timezone.now() - dt.timedelta(seconds=901))
    settings.COMMENT_EDIT_WINDOW = 900
    before = db_state()
    assert jwt_client(requester).patch(comment_url(reply), {"body": "Late"}, format="json").status_code == 403
    assert jwt_client(requester).delete(comment_url(reply)).status_code == 403
    assert db_state() == before


def test_an_edit_body_is_strict(reply, requester):
    response = jwt_client(requester).patch(comment_url(reply), {"body": "x", "is_internal": True}, format="json")
    assert (response.status_code, list(field_errors(response))) == (400, ["is_internal"])
    response = jwt_client(requester).patch(comment_url(reply), {"body": "   "}, format="json")
    assert (response.status_code, list(field_errors(response))) == (400, ["body"])


def test_the_author_deletes_a_comment_and_the_history_keeps_it(it_ticket, note, agent):
    note_pk = note.pk
    assert jwt_client(agent).delete(comment_url(note)).status_code == 204
    assert not Comment.objects.filter(pk=note_pk).exists()
    event = TicketEvent.objects.get(kind=EventKind.COMMENT_DELETED)
    assert (event.data, event.is_internal) == ({"comment": note_pk, "from": "Probably the 5.2 bug."}, True)


def test_staff_delete_a_file_and_the_history_records_it(it_ticket, requester, agent, other_agent, after_commit):
    upload = SimpleUploadedFile("notes.txt", b"The VPN drops at 10:00.\n")
    attachment = attachment_add(ticket=it_ticket, actor=requester, upload=upload)
    url = f"/api/tickets/{it_ticket.pk}/attachments/{attachment.pk}/"
    before = db_state()
    assert jwt_client(requester).delete(url).status_code == 403
    assert jwt_client(other_agent).delete(url).status_code == 404
    assert db_state() == before
    assert jwt_client(requester).get(url).json()["name"] == "notes.txt"
    storage, name = attachment.file.storage, attachment.file.name
    with after_commit():
        assert jwt_client(agent).delete(url).status_code == 204
    assert not Attachment.objects.exists()
    assert not storage.exists(name)
    event = TicketEvent.objects.get(kind=EventKind.ATTACHMENT_DELETED)
    assert (event.actor, event.data) == (agent, {"attachment": attachment.pk, "name": "notes.txt"})


def test_bulk_changes_each_ticket_and_reports_each(it_ticket, it_ticket_2, billing_ticket, agent):
    body = {"tickets": [it_ticket.pk, billing_ticket.pk, it_ticket_2.pk, 999_999], "status": Status.OPEN}
    body["assignee"] = agent.pk
    Ticket.objects.filter(pk=it_ticket_2.pk).update(status=Status.RESOLVED)
    response = jwt_client(agent).post("/api/tickets/bulk/", body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["changed"], data["failed"]) == (2, 2)
    results = {row["id"]: (row["ok"], row["status_code"]) for row in data["results"]}
    assert results == {
        it_ticket.pk: (True, 200),
        billing_ticket.pk: (False, 404),
        it_ticket_2.pk: (True, 200),
        999_999: (False, 404),
    }
    assert Ticket.objects.get(pk=it_ticket.pk).assignee == agent
    assert Ticket.objects.get(pk=billing_ticket.pk).status == Status.NEW


def test_bulk_reports_a_refused_move_and_keeps_that_ticket_unchanged(it_ticket, it_ticket_2, agent):
    Ticket.objects.filter(pk=it_ticket_2.pk).update(status=Status.CLOSED)
    body = {"tickets": [it_ticket.pk, it_ticket_2.pk], "status": Status.IN_PROGRESS}
    data = jwt_client(agent).post("/api/tickets/bulk/", body, format="json").json()
    ok = {row["id"]: (row["ok"], row["status_code"]) for row in data["results"]}
    # New → In progress is a move the lifecycle allows; a closed ticket cannot go to In progress.
    assert ok == {it_ticket.pk: (True, 200), it_ticket_2.pk: (False, 400)}
    assert Ticket.objects.get(pk=it_ticket.pk).status == Status.IN_PROGRESS
    assert Ticket.objects.get(pk=it_ticket_2.pk).status == Status.CLOSED


def test_bulk_is_for_staff_and_its_body_is_strict(it_ticket, requester, agent):
    before = db_state()
    body = {"tickets": [it_ticket.pk], "status": Status.CLOSED}
    assert jwt_client(requester).post("/api/tickets/bulk/", body, format="json").status_code == 403
    for bad in ({"tickets": [it_ticket.pk]}, {"tickets": [], "status": "open"}, {**body, "title": "x"}):
        assert jwt_client(agent).post("/api/tickets/bulk/", bad, format="json").status_code == 400
    assert jwt_client(agent).post("/api/tickets/bulk/", {**body, "tickets": [1, 1]}, format="json").status_code == 400
    assert db_state() == before


def test_a_user_by_id(agent, requester, other_requester, it_dept, admin_user):
    TicketFactory(department=it_dept, requester=requester)
    assert jwt_client(agent).get(f"/api/users/{requester.pk}/").json()["username"] == "carol"
    assert jwt_client(agent).get(f"/api/users/{other_requester.pk}/").status_code == 404
    assert jwt_client(requester).get(f"/api/users/{requester.pk}/").status_code == 200
    assert jwt_client(requester).get(f"/api/users/{agent.pk}/").status_code == 404
    assert jwt_client(None).get(f"/api/users/{agent.pk}/").status_code == 401


def test_a_department_by_id(it_dept, billing_dept, requester):
    billing_dept.is_active = False
    billing_dept.save(update_fields=["is_active"])
    assert jwt_client(requester).get(f"/api/departments/{it_dept.pk}/").json()["name"] == "IT Support"
    assert jwt_client(requester).get(f"/api/departments/{billing_dept.pk}/").status_code == 404
