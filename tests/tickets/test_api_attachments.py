"""Files through the API: uploads checked by their bytes, downloads permission-checked and never rendered."""

import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.choices import Role
from apps.tickets.models import Attachment
from apps.tickets.services import attachment_add, comment_add
from tests.accounts.factories import UserFactory
from tests.support import assert_constant_queries, db_state, field_errors, jwt_client, reset_throttles
from tests.tickets.factories import TicketFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64)


def attachments(ticket) -> str:
    return f"/api/tickets/{ticket.pk}/attachments/"


def download(attachment) -> str:
    return f"/api/attachments/{attachment.pk}/download/"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


@pytest.fixture
def ticket(it_dept, requester):
    return TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")


@pytest.fixture
def files(ticket, agent, requester):
    """A public file from carol and a file on an internal note from alice."""
    public = attachment_add(ticket=ticket, actor=requester, upload=upload("screen.png", PNG))
    note = comment_add(ticket=ticket, actor=agent, body="Log attached.", is_internal=True)
    internal = attachment_add(ticket=ticket, actor=agent, upload=upload("vpn.log", b"error 42\n"), comment=note)
    return {"public": public, "internal": internal, "note": note}


def test_requester_uploads_a_file_typed_by_its_bytes(ticket, requester, settings):
    file = upload("../../etc/screen.png", PNG, content_type="text/html")
    response = jwt_client(requester).post(attachments(ticket), {"file": file}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    attachment = Attachment.objects.get(pk=body["id"])
    assert body == {
        "id": attachment.pk,
        "ticket": ticket.pk,
        "comment": None,
        "name": "screen.png",
        "size": len(PNG),
        "content_type": "image/png",  # from the bytes, not the client's "text/html"
        "sha256": hashlib.sha256(PNG).hexdigest(),
        "uploaded_by": requester.pk,
        "created_at": body["created_at"],
        "download": f"http://testserver/api/attachments/{attachment.pk}/download/",
    }
    [path] = stored_files(settings)
    assert "screen" not in path.name and path.is_relative_to(Path(settings.MEDIA_ROOT) / "attachments")


@pytest.mark.parametrize(
    ("name", "content", "start"),
    [
        ("report.pdf", EXE, "The file “report.pdf” does not contain what its name says"),
        ("tool.exe", EXE, "Files of type “.exe” are not accepted."),
    ],
)
def test_refused_files_are_400_and_nothing_is_stored(ticket, requester, settings, name, content, start):
    before = db_state()
    response = jwt_client(requester).post(attachments(ticket), {"file": upload(name, content)}, format="multipart")
    assert response.status_code == 400
    [message] = field_errors(response)["file"]
    assert message.startswith(start)
    assert db_state() == before
    assert stored_files(settings) == []


def test_an_empty_file_is_400(ticket, requester):
    response = jwt_client(requester).post(attachments(ticket), {"file": upload("a.txt", b"")}, format="multipart")
    assert response.status_code == 400
    assert list(field_errors(response)) == ["file"]


def test_a_file_over_the_attachment_limit_is_400(ticket, requester, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    before = db_state()
    big = upload("big.txt", b"a" * 2048)
    response = jwt_client(requester).post(attachments(ticket), {"file": big}, format="multipart")
    assert response.status_code == 400
    assert field_errors(response) == {"file": ["The file “big.txt” is larger than 0.0 MB."]}
    assert db_state() == before


def test_a_body_over_the_upload_limit_is_413(ticket, requester, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    before = db_state()
    huge = upload("huge.txt", b"a" * 4096)
    response = jwt_client(requester).post(attachments(ticket), {"file": huge}, format="multipart")
    assert response.status_code == 413
    assert db_state() == before
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [({}, "file"), ({"file": "not a file"}, "file"), ({"file": "x", "sha256": "0"}, "sha256"), ({"x": "1"}, "x")],
)
def test_upload_validation(ticket, requester, data, field):
    response = jwt_client(requester).post(attachments(ticket), data, format="multipart")
    assert response.status_code == 400
    assert field in field_errors(response)


def test_uploads_must_be_multipart(ticket, requester):
    response = jwt_client(requester).post(attachments(ticket), {"file": "x"}, format="json")
    assert response.status_code == 415


def test_a_requester_cannot_attach_to_an_internal_note(ticket, requester, files):
    before = db_state()
    data = {"file": upload("more.png", PNG), "comment": files["note"].pk}
    response = jwt_client(requester).post(attachments(ticket), data, format="multipart")
    assert response.status_code == 400
    assert list(field_errors(response)) == ["comment"]
    assert db_state() == before


def test_a_requester_cannot_hang_a_file_on_the_agents_reply(ticket, agent, requester, files, settings):
    reply = comment_add(ticket=ticket, actor=agent, body="Please restart the router.")
    before = db_state()
    before_files = stored_files(settings)

    data = {"file": upload("invoice.png", PNG), "comment": reply.pk}
    response = jwt_client(requester).post(attachments(ticket), data, format="multipart")

    assert response.status_code == 400
    assert field_errors(response) == {"comment": ["A file can only be added to your own comment, or to the ticket."]}
    assert db_state() == before
    assert stored_files(settings) == before_files
    assert list(reply.attachments.all()) == []


def test_an_agent_cannot_hang_a_file_on_a_colleagues_note(ticket, agent, files, settings):
    colleague = UserFactory(username="erin", role=Role.AGENT, departments=[ticket.department])
    before = db_state()
    before_files = stored_files(settings)

    data = {"file": upload("more.log", b"more\n"), "comment": files["note"].pk}
    response = jwt_client(colleague).post(attachments(ticket), data, format="multipart")

    assert response.status_code == 400
    assert list(field_errors(response)) == ["comment"]
    assert db_state() == before
    assert stored_files(settings) == before_files


def test_the_service_refuses_a_comment_of_another_author_or_ticket(ticket, agent, requester, it_dept, settings):
    reply = comment_add(ticket=ticket, actor=agent, body="Please restart the router.")
    other = TicketFactory(department=it_dept, requester=requester)
    own_elsewhere = comment_add(ticket=other, actor=requester, body="Mine, on another ticket.")
    before = db_state()
    before_files = stored_files(settings)

    for comment in (reply, own_elsewhere):
        with pytest.raises(ValidationError) as refused:
            attachment_add(ticket=ticket, actor=requester, upload=upload("a.png", PNG), comment=comment)
        assert list(refused.value.message_dict) == ["comment"]

    assert db_state() == before
    assert stored_files(settings) == before_files


def test_agent_attaches_to_a_comment(ticket, agent, files):
    data = {"file": upload("more.log", b"more\n"), "comment": files["note"].pk}
    response = jwt_client(agent).post(attachments(ticket), data, format="multipart")
    assert response.status_code == 201
    assert response.json()["comment"] == files["note"].pk


def test_lists_hide_the_files_of_internal_notes_from_requesters(ticket, agent, requester, files):
    staff = jwt_client(agent).get(attachments(ticket)).json()["results"]
    assert [a["name"] for a in staff] == ["screen.png", "vpn.log"]
    own = jwt_client(requester).get(attachments(ticket)).json()["results"]
    assert [a["name"] for a in own] == ["screen.png"]
    notes = jwt_client(requester).get(f"/api/tickets/{ticket.pk}/comments/").json()["results"]
    assert notes == []


@pytest.mark.parametrize("who", ["other_agent", "other_requester"])
def test_files_of_an_invisible_ticket_are_404(request, ticket, files, who, settings):
    client = jwt_client(request.getfixturevalue(who))
    before = db_state()
    before_files = stored_files(settings)
    assert client.get(attachments(ticket)).status_code == 404
    assert client.post(attachments(ticket), {"file": upload("x.png", PNG)}, format="multipart").status_code == 404
    for attachment in files.values():
        if isinstance(attachment, Attachment):
            assert client.get(download(attachment)).status_code == 404
    assert db_state() == before
    assert stored_files(settings) == before_files


def test_download_is_an_attachment_that_is_never_sniffed(agent, files):
    response = jwt_client(agent).get(download(files["public"]), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="screen.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_requester_downloads_public_files_only(requester, files):
    client = jwt_client(requester)
    assert client.get(download(files["public"])).status_code == 200
    hidden = client.get(download(files["internal"]))
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == "No attachment matches the given query."


def test_download_of_a_missing_id_or_file_is_404(agent, files):
    client = jwt_client(agent)
    assert client.get("/api/attachments/999999/download/").status_code == 404
    files["public"].file.storage.delete(files["public"].file.name)
    response = client.get(download(files["public"]))
    assert response.status_code == 404
    assert response.json()["detail"] == "The file is missing from storage."


def test_attachment_list_query_count_does_not_grow_with_rows(ticket, agent, requester):
    client = jwt_client(agent)

    def add_more(count):
        for i in range(count):
            attachment_add(ticket=ticket, actor=requester, upload=upload(f"more-{i}.png", PNG))

    for i in range(2):
        attachment_add(ticket=ticket, actor=requester, upload=upload(f"{i}.png", PNG))
    measured = assert_constant_queries(
        lambda: client.get(attachments(ticket)), add_rows=add_more, rows=(2, 22), existing=2
    )
    assert measured.queries == 3  # JWT user, ticket, page
