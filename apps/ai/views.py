"""The AI app's piece of the portal's ticket page, registered in apps.py (apps/tickets/extensions.py).

`?translate=1` shows the agents' replies in the requester's language (machine translation, originals kept);
the toggle and the translated replies are in templates/portal/ticket_detail.html.
"""

from django.http import HttpRequest

from apps.tickets.extensions import PortalTicketContext

from .services import replies_translate


def replies_translation_context(request: HttpRequest, ticket, comments: list) -> dict:
    """`translating`, and with it `comment.translated` on the agents' replies; `translation_error` when the
    provider could not translate."""
    translating = request.GET.get("translate") == "1"
    translation_error = ""
    if translating:
        translation_error = replies_translate(ticket=ticket, comments=comments, language=request.user.language)
    return {"translating": translating, "translation_error": translation_error}


REPLIES_TRANSLATION = PortalTicketContext(name="ai-translation", context=replies_translation_context)
