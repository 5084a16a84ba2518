"""The hourly task that removes attachment files no attachment refers to (left by a create that rolled back)."""

import logging
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django_q.models import Schedule

from apps.tickets.integrity import files
from apps.tickets.models import Attachment
from apps.tickets.services import attachment_add
from apps.tickets.tasks import orphan_files_task
from tests.tickets.factories import TicketFactory


def _storage():
    return Attachment._meta.get_field("file").storage


def _age(name: str, hours: float = 2) -> None:
    then = time.time() - hours * 3600
    os.utime(_storage().path(name), (then, then))


def test_old_orphans_are_removed_recent_and_referenced_files_are_kept(it_dept, requester, caplog):
    ticket = TicketFactory(department=it_dept, requester=requester)
    kept = attachment_add(ticket=ticket, actor=requester, upload=SimpleUploadedFile("a.txt", b"referenced"))
    storage = _storage()
    old = storage.save("attachments/2020/01/orphan.txt", ContentFile(b"rolled back"))
    _age(old)
    _age(kept.file.name)
    fresh = storage.save("attachments/2020/01/uploading.txt", ContentFile(b"not committed yet"))

    with caplog.at_level(logging.INFO, logger="apps.tickets.tasks"):
        assert orphan_files_task() == {"deleted": 1, "remaining": 0}
    assert (storage.exists(old), storage.exists(fresh), storage.exists(kept.file.name)) == (False, True, True)
    assert "1 orphan attachment file(s) deleted" in caplog.text

    # Twice is harmless: nothing left to do, the kept files stay.
    assert orphan_files_task() == {"deleted": 0, "remaining": 0}
    assert (storage.exists(fresh), storage.exists(kept.file.name)) == (True, True)


def test_a_run_deletes_at_most_its_limit(db):
    storage = _storage()
    names = [storage.save(f"attachments/2020/01/orphan-{i}.txt", ContentFile(b"x")) for i in range(3)]
    for name in names:
        _age(name)

    assert orphan_files_task(limit=2) == {"deleted": 2, "remaining": 1}
    assert sum(storage.exists(name) for name in names) == 1
    assert orphan_files_task(limit=2) == {"deleted": 1, "remaining": 0}
    assert not any(storage.exists(name) for name in names)


def test_a_file_referenced_between_listing_and_deleting_is_kept(it_dept, requester, monkeypatch):
    ticket = TicketFactory(department=it_dept, requester=requester)
    attachment = attachment_add(ticket=ticket, actor=requester, upload=SimpleUploadedFile("a.txt", b"late"))
    # As if the row had committed just after the files were listed.
    monkeypatch.setattr(files.OrphanAttachmentFile, "_orphans", staticmethod(lambda: [(attachment.file.name, None)]))

    assert orphan_files_task() == {"deleted": 0, "remaining": 0}
    assert _storage().exists(attachment.file.name)


def test_the_task_is_scheduled_hourly_by_a_migration(db):
    schedule = Schedule.objects.get(name="Orphan attachment files")
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "apps.tickets.tasks.orphan_files_task",
        Schedule.HOURLY,
        None,
        -1,
    )


def test_a_failed_attachment_add_leaves_no_file_behind(it_dept, requester, monkeypatch):
    ticket = TicketFactory(department=it_dept, requester=requester)

    def failing_event(**kwargs):
        raise RuntimeError("the history write failed")

    monkeypatch.setattr("apps.tickets.services.events.attachment_added_event", failing_event)
    with pytest.raises(RuntimeError):
        attachment_add(ticket=ticket, actor=requester, upload=SimpleUploadedFile("a.txt", b"half-way"))

    assert not Attachment.objects.exists()
    assert list(files.stored_files()) == []
