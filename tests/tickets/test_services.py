"""Ticket services: each change writes its event; bad input is refused with nothing saved."""

import hashlib
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from apps.tickets.choices import EventKind, Source, Status
from apps.tickets.models import Attachment, Comment, Ticket, TicketEvent
from apps.tickets.references import reference_counter_value
from apps.tickets.services import (
    StaleTicketError,
    attachment_add,
    comment_add,
    reference_allocate,
    ticket_create,
    ticket_update,
)
from tests.support import run_at_once
from tests.tickets.factories import TicketFactory


def test_create_sets_reference_and_writes_created_event(agent, requester, it_dept):
    ticket = ticket_create(
        actor=requester, requester=requester, title="  VPN drops  ", description="Every hour.", department=it_dept
    )
    assert re.fullmatch(r"TCK-\d{6}", ticket.reference)
    assert ticket.title == "VPN drops"
    assert ticket.status == Status.NEW
    assert ticket.version == 1
    event = ticket.events.get()
    assert event.kind == EventKind.CREATED
    assert event.actor == requester
    assert event.data == {"status": "new", "priority": "normal", "department": it_dept.pk, "source": "portal"}


def test_references_are_sequential(requester, it_dept):
    refs = [TicketFactory(requester=requester, department=it_dept).reference for _ in range(3)]
    numbers = [int(r.split("-")[1]) for r in refs]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_reference_allocate_reserves_a_block(db):
    first = reference_allocate(count=1)
    block = reference_allocate(count=5)
    assert len(set(block)) == 5
    assert int(block[0].split("-")[1]) == int(first[0].split("-")[1]) + 1
    assert reference_counter_value() == int(block[-1].split("-")[1])


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("title", {"title": ""}),
        ("description", {"description": ""}),
        ("priority", {"priority": "critical"}),
        ("category", {"category": "rumours"}),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(field, kwargs, requester, it_dept):
    data = {"title": "Fine", "description": "Fine", **kwargs}
    with pytest.raises(ValidationError) as exc:
        ticket_create(actor=requester, requester=requester, department=it_dept, **data)
    assert field in exc.value.message_dict
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0


def test_create_refuses_an_inactive_department(requester, it_dept):
    it_dept.is_active = False
    it_dept.save()
    with pytest.raises(ValidationError):
        ticket_create(actor=requester, requester=requester, title="x", description="y", department=it_dept)
    assert Ticket.objects.count() == 0


def test_update_records_edits_and_priority_separately(agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    ticket_description = ticket.description
    ticket = ticket_update(ticket=ticket, actor=agent, title="New title", description="More", priority="high")
    updated = ticket.events.get(kind=EventKind.UPDATED).data["changes"]
    assert set(updated) == {"title", "description"}
    assert updated["title"][1] == "New title"
    assert updated["description"] == [ticket_description, None]  # the old text is kept, not the new one
    assert ticket.events.get(kind=EventKind.PRIORITY_CHANGED).data == {"from": "normal", "to": "high"}
    assert ticket.version == 2


def test_update_without_changes_writes_nothing(agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    result = ticket_update(ticket=ticket, actor=agent, title=ticket.title)
    assert result.version == 1
    assert ticket.events.count() == 1


def test_stale_version_is_refused(agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    ticket_update(ticket=ticket, actor=agent, priority="high", expected_version=1)
    with pytest.raises(StaleTicketError) as exc:
        ticket_update(ticket=ticket, actor=agent, priority="low", expected_version=1)
    assert (exc.value.expected, exc.value.current) == (1, 2)
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_public_reply_by_agent_sets_first_response(agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    comment = comment_add(ticket=ticket, actor=agent, body="Restart it, please.")
    ticket.refresh_from_db()
    assert ticket.first_responded_at == comment.created_at
    assert ticket.events.filter(kind=EventKind.COMMENTED, is_internal=False).count() == 1


def test_internal_note_does_not_count_as_first_response(agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    comment_add(ticket=ticket, actor=agent, body="Known issue", is_internal=True)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    assert ticket.events.get(kind=EventKind.NOTE_ADDED).is_internal is True


def test_requester_cannot_write_internal_notes(requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    with pytest.raises(PermissionDenied):
        comment_add(ticket=ticket, actor=requester, body="sneaky", is_internal=True)
    assert Comment.objects.count() == 0


def test_empty_comment_is_refused(agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    with pytest.raises(ValidationError):
        comment_add(ticket=ticket, actor=agent, body="   ")
    assert Comment.objects.count() == 0


def test_attachment_is_stored_under_a_generated_name(agent, requester, it_dept, settings):
    ticket = TicketFactory(requester=requester, department=it_dept)
    content = b"%PDF-1.4 test"
    upload = SimpleUploadedFile("../../etc/passwd invoice.pdf", content)

    attachment = attachment_add(ticket=ticket, actor=requester, upload=upload)

    assert attachment.original_name == "passwd invoice.pdf"
    assert re.fullmatch(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", attachment.file.name)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.size == len(content)
    assert attachment.content_type == "application/pdf"
    assert (settings.MEDIA_ROOT / attachment.file.name).read_bytes() == content
    assert ticket.events.filter(kind=EventKind.ATTACHMENT_ADDED).count() == 1


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("virus.exe", b"MZ", "type"),
        ("no-extension", b"hello", "type"),
        ("empty.txt", b"", "empty"),
        ("big.txt", b"x" * 2048, "too_large"),
        ("invoice.pdf", b"MZ\x90\x00 an executable renamed", "content"),
        ("report.csv", b"PK\x03\x04 an xlsx renamed .csv", "content"),
        ("photo.png", b"\xff\xd8\xff a jpeg named png", "content"),
        ("notes.txt", b"binary\x00data", "content"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_saved(name, content, code, agent, requester, it_dept, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    ticket = TicketFactory(requester=requester, department=it_dept)
    with pytest.raises(ValidationError) as exc:
        comment_add(ticket=ticket, actor=agent, body="see file", uploads=[SimpleUploadedFile(name, content)])
    assert exc.value.error_list[0].code == code
    assert Comment.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert not (settings.MEDIA_ROOT / "attachments").exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("shot.png", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("shot.jpeg", b"\xff\xd8\xff\xe0....", "image/jpeg"),
        ("sheet.xlsx", b"PK\x03\x04....", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("notes.txt", "Grüße, çalışma".encode(), "text/plain"),
    ],
)
def test_content_type_comes_from_the_bytes(name, content, content_type, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    upload = SimpleUploadedFile(name, content, content_type="application/x-anything")
    assert attachment_add(ticket=ticket, actor=requester, upload=upload).content_type == content_type


def test_internal_note_attachment_event_is_internal(agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    comment_add(ticket=ticket, actor=agent, body="log", is_internal=True, uploads=[SimpleUploadedFile("a.log", b"x")])
    event = ticket.events.get(kind=EventKind.ATTACHMENT_ADDED)
    assert event.is_internal is True


def test_source_is_recorded(agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept, source=Source.ADMIN, actor=agent)
    assert ticket.source == "admin"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_creates_get_fifty_distinct_references(requester, it_dept):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")
    run_at_once(
        50,
        lambda n: ticket_create(
            actor=requester, requester=requester, title=f"Concurrent {n}", description="x", department=it_dept
        ),
    )

    references = list(Ticket.objects.values_list("reference", flat=True))
    assert len(references) == 50
    assert len(set(references)) == 50


def test_the_system_acts_without_an_actor(agent, requester, it_dept):
    from apps.tickets.services import ticket_assign

    ticket = TicketFactory(requester=requester, department=it_dept)
    ticket = ticket_assign(ticket=ticket, actor=None, assignee=agent)
    event = ticket.events.get(kind=EventKind.ASSIGNED)
    assert event.actor is None
    assert event.data == {"from": None, "to": agent.pk}


def test_requester_cannot_write_on_a_closed_ticket(agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    ticket.refresh_from_db()
    with pytest.raises(PermissionDenied):
        comment_add(ticket=ticket, actor=requester, body="one more thing")
    assert comment_add(ticket=ticket, actor=agent, body="Noted for the record.").pk
    assert list(Comment.objects.values_list("author__username", flat=True)) == [agent.username]


def test_change_is_all_or_nothing(agent, other_agent, requester, it_dept):
    from apps.tickets.services import ticket_change

    ticket = TicketFactory(requester=requester, department=it_dept)
    before = Ticket.objects.filter(pk=ticket.pk).values().get()
    with pytest.raises(ValidationError) as exc:
        ticket_change(ticket=ticket, actor=agent, title="Edited", assignee=agent, status=Status.RESOLVED)
    assert "status" in exc.value.message_dict
    assert Ticket.objects.filter(pk=ticket.pk).values().get() == before
    assert ticket.events.count() == 1


def test_change_checks_the_version_once_before_any_step(agent, requester, it_dept, billing_dept):
    from apps.tickets.services import ticket_change

    ticket = TicketFactory(requester=requester, department=it_dept)
    changed = ticket_change(
        ticket=ticket, actor=agent, expected_version=1, priority="high", status=Status.OPEN, department=billing_dept
    )
    assert (changed.priority, changed.status, changed.department, changed.version) == ("high", "open", billing_dept, 4)
    with pytest.raises(StaleTicketError):
        ticket_change(ticket=ticket, actor=agent, expected_version=1, priority="low")
