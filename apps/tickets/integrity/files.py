"""Checks of attachment files against the storage (any Django storage backend, via its public API)."""

from collections.abc import Iterator
from datetime import timedelta

from django.utils import timezone

from apps.tickets.models import Attachment

from .base import Check, Finding, in_batches, label, plural

ROOT = "attachments"  # where attachment_upload_to puts every file
# A file younger than this may belong to an upload whose transaction has not committed yet.
ORPHAN_MIN_AGE = timedelta(hours=1)
ORPHAN_MIN_AGE_TEXT = "one hour"


def storage():
    return Attachment._meta.get_field("file").storage


def stored_files(root: str = ROOT) -> Iterator[str]:
    """Every file name under `root` in the attachment storage."""
    try:
        directories, files = storage().listdir(root)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{root}/{name}"
    for directory in directories:
        yield from stored_files(f"{root}/{directory}")


class AttachmentFileMissing(Check):
    code = "attachment-file-missing"
    title = f"{plural(Attachment).capitalize()} whose file is missing from the storage"
    advice = "Restore the files from a backup, or delete those attachments in the admin."

    def find(self, *, limit: int) -> Finding:
        on_disk = set(stored_files())
        count, found = 0, []
        rows = Attachment.objects.order_by("pk").values_list("file", "original_name", "ticket__reference")
        for name, original_name, reference in rows.iterator(chunk_size=2000):
            exists = name in on_disk if name.startswith(f"{ROOT}/") else storage().exists(name)
            if not exists:
                count += 1
                if len(found) < limit:
                    found.append(f"{reference}: “{original_name}” ({label(Attachment, 'file')} {name})")
        return Finding(count, found)


class OrphanAttachmentFile(Check):
    code = "orphan-attachment-file"
    title = f"Files under {ROOT}/ that no {label(Attachment)} refers to (older than {ORPHAN_MIN_AGE_TEXT})"
    fixable = True

    def __init__(self) -> None:
        self._to_delete: list[str] = []

    @staticmethod
    def _orphans() -> list[tuple[str, object]]:
        referenced = set(Attachment.objects.filter(file__startswith=f"{ROOT}/").values_list("file", flat=True))
        candidates = sorted(set(stored_files()) - referenced)
        cutoff = timezone.now() - ORPHAN_MIN_AGE
        found = []
        for name in candidates:
            modified = storage().get_modified_time(name)
            if modified < cutoff:
                found.append((name, modified))
        return found

    @staticmethod
    def _describe(name: str, modified) -> str:
        return f"{name} (modified {modified:%Y-%m-%d %H:%M})"

    def find(self, *, limit: int) -> Finding:
        orphans = self._orphans()
        return Finding(len(orphans), [self._describe(*o) for o in orphans[:limit]])

    def fix(self) -> list[str]:
        # Files are not transactional: only remember them here, delete once the fix has committed.
        self._to_delete = [name for name, _ in self._orphans()]
        return []

    def after_commit(self) -> list[str]:
        names, self._to_delete = self._to_delete, []
        return [f"{name}: deleted" for name in self.delete_unreferenced(names)]

    @staticmethod
    def delete_unreferenced(names: list[str]) -> list[str]:
        """Delete those of `names` that no attachment refers to (outside any transaction); return the deleted."""
        deleted = []
        for batch in in_batches(names):
            # Re-checked right before deleting: never remove a file that a row has come to refer to.
            referenced = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
            for name in batch:
                if name not in referenced:
                    storage().delete(name)  # a name already gone is no error: running twice is harmless
                    deleted.append(name)
        return deleted


def remove_orphan_files(*, limit: int) -> tuple[int, int]:
    """The scheduled form of `check_data --fix` for orphan files: delete at most `limit` of them (in name order,
    which is month order under attachments/YYYY/MM/), return (deleted, left for the next run)."""
    names = [name for name, _ in OrphanAttachmentFile._orphans()]
    deleted = OrphanAttachmentFile.delete_unreferenced(names[:limit])
    return len(deleted), max(len(names) - limit, 0)
