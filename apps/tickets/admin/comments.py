"""Editing and deleting one's own reply or internal note from the ticket page's conversation.

Under each of the agent's own messages still inside the edit window (COMMENT_EDIT_WINDOW, the rule of
`permissions.comments_editable_until`) the thread shows "Edit" (the text in an inline form) and "Delete" (a
confirmation first), and how long the window stays open. Both post, with the CSRF token, to URLs of the ticket
admin and call the API's services (`comment_edit`, `comment_delete`), which record the old text in the history:

| URL name | service |
|---|---|
| `admin:tickets_ticket_comment_edit` | `comment_edit` |
| `admin:tickets_ticket_comment_delete` | `comment_delete` |

A ticket or comment the agent cannot see is a 404; someone else's comment, or one past the window, is a 403 (as
in the API); nothing is written either way.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.urls import path
from django.utils.translation import gettext as _

from .. import services
from ..models import Comment, Ticket
from ..selectors import comment_get_for_user


class CommentEditForm(forms.Form):
    """The new text of a comment (the service normalises and checks it)."""

    body = forms.CharField(required=False, strip=False)


class CommentEditMixin:
    """The URLs the conversation's Edit and Delete forms post to (for TicketAdmin, beside TicketPageMixin)."""

    def get_comment_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/comments/<int:comment_id>/edit/",
                wrap(self.comment_edit_view),
                name="tickets_ticket_comment_edit",
            ),
            path(
                "<path:object_id>/comments/<int:comment_id>/delete/",
                wrap(self.comment_delete_view),
                name="tickets_ticket_comment_delete",
            ),
        ]

    def _own_comment(self, request, object_id, comment_id) -> tuple[Ticket, Comment]:
        """The ticket (404 outside the agent's scope) and one of its comments the agent can see (else 404)."""
        ticket = self.get_object(request, unquote(object_id))
        if not self.has_view_or_change_permission(request, ticket):
            raise PermissionDenied
        return ticket, comment_get_for_user(user=request.user, ticket=ticket, pk=comment_id)

    def comment_edit_view(self, request, object_id, comment_id):
        """Rewrite one's own comment within the edit window; the history keeps the old text."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket, comment = self._own_comment(request, object_id, comment_id)
        form = CommentEditForm(request.POST)
        form.is_valid()  # one optional text field: always valid; the service judges the text
        try:
            services.comment_edit(comment=comment, actor=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            self._refused(request, exc)
            return self._back(request, ticket, anchor=f"#comment-{comment.pk}")
        messages.success(request, _("Your message was changed; the history keeps the old text."))
        return self._back(request, ticket, anchor=f"#comment-{comment.pk}")

    def comment_delete_view(self, request, object_id, comment_id):
        """Delete one's own comment (and its files) within the edit window; the history keeps its text."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket, comment = self._own_comment(request, object_id, comment_id)
        services.comment_delete(comment=comment, actor=request.user)
        messages.success(request, _("Your message was deleted; the history keeps its text."))
        return self._back(request, ticket, anchor="#thread")
