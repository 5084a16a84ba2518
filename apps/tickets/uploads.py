"""Upload checks: size, extension, and a content type read from the file's own bytes.

The client's Content-Type header and the file name's extension are both claims; the bytes decide. A file
whose bytes do not match its extension (an .exe renamed .pdf, an .xlsx renamed .csv) is refused.
"""

from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# extension → (content type, accepted leading byte signatures); None means "plain text".
SIGNATURES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", (b"RIFF",)),
    "zip": ("application/zip", ZIP_MAGIC),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP_MAGIC),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP_MAGIC),
    "odt": ("application/vnd.oasis.opendocument.text", ZIP_MAGIC),
    "txt": ("text/plain", None),
    "log": ("text/plain", None),
    "csv": ("text/csv", None),
}
SNIFF_BYTES = 8192


# Bytes that never occur in text files, whatever their encoding (UTF-8, Latin-1, ...).
BINARY_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B}


def _looks_like_text(head: bytes) -> bool:
    return not BINARY_BYTES.intersection(head)


def _sniff(ext: str, head: bytes) -> str | None:
    content_type, magic = SIGNATURES[ext]
    if magic is None:
        return content_type if _looks_like_text(head) else None
    if ext == "webp" and head[8:12] != b"WEBP":
        return None
    return content_type if head.startswith(magic) else None


def validate_upload(upload: UploadedFile) -> str:
    """Refuse empty, oversized, unaccepted or mislabelled files; return the content type read from the bytes."""
    name = PurePosixPath((upload.name or "").replace("\\", "/")).name
    ext = PurePosixPath(name).suffix.lower().lstrip(".")
    if not name or not upload.size:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": name or "?"}, code="empty")
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("The file “%(name)s” is larger than %(limit)s MB.")
            % {"name": name, "limit": round(settings.ATTACHMENT_MAX_BYTES / (1024 * 1024), 1)},
            code="too_large",
        )
    if ext not in settings.ATTACHMENT_ALLOWED_EXTENSIONS or ext not in SIGNATURES:
        raise ValidationError(
            _("Files of type “.%(ext)s” are not accepted. Allowed: %(allowed)s.")
            % {"ext": ext, "allowed": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS)},
            code="type",
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    content_type = _sniff(ext, head)
    if content_type is None:
        raise ValidationError(
            _("The file “%(name)s” does not contain what its name says (.%(ext)s).") % {"name": name, "ext": ext},
            code="content",
        )
    return content_type


def clean_file_name(upload: UploadedFile) -> str:
    """The file's own name without any directory part, for display only (never a storage path)."""
    return PurePosixPath((upload.name or "").replace("\\", "/")).name[:255]
