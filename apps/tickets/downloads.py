"""How a stored attachment leaves the server: always as a download, never rendered by the browser."""

from django.http import FileResponse, Http404

from .models import Attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as `Content-Disposition: attachment`, with nosniff and a CSP that runs and loads nothing.

    The caller has already checked access (selectors.attachment_get_for_user).
    """
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
