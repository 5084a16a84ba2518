"""Portal forms for tickets, and the attachments field the back office's reply uses too.

Every upload is checked here, before any service is called.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .choices import Category, Status
from .models import COMMENT_MAX_LENGTH, DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from .permissions import REQUESTER_STATUSES
from .uploads import validate_upload

SEARCH_MAX_LENGTH = 100
# Files per ticket or reply. Django refuses a request with more than DATA_UPLOAD_MAX_NUMBER_FILES files before
# any form sees it, so the portal never promises more than that.
MAX_FILES = 10


def max_files() -> int:
    request_limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    return min(MAX_FILES, request_limit) if request_limit else MAX_FILES


def upload_limits_text() -> str:
    """The attachment rules in words, shown next to every file field before anything is uploaded."""
    count = max_files()
    files = ngettext("Up to %(count)d file", "Up to %(count)d files", count) % {"count": count}
    return _("%(files)s, each at most %(size)s. Accepted types: %(types)s.") % {
        "files": files,
        "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        "types": ", ".join(f".{ext}" for ext in settings.ATTACHMENT_ALLOWED_EXTENSIONS),
    }


class MultipleFileInput(forms.ClearableFileInput):
    """A file input for several files that tells the browser the attachment limits (read when rendered)."""

    allow_multiple_selected = True

    def get_context(self, name, value, attrs):
        limits = {
            "accept": ",".join(f".{ext}" for ext in settings.ATTACHMENT_ALLOWED_EXTENSIONS),
            "data-max-bytes": str(settings.ATTACHMENT_MAX_BYTES),
            # Read by static/portal/portal.js to warn before uploading; {name} is the file's name.
            "data-too-large": _("“{name}” is too large and will be refused."),
            "data-wrong-type": _("“{name}” is not an accepted type and will be refused."),
        }
        return super().get_context(name, value, {**limits, **(attrs or {})})


class AttachmentsField(forms.FileField):
    """Zero or more files; each one is checked with validate_upload and every refusal is reported.

    The portal's forms and the back office's ticket form (with unfold's widget) share it: one set of rules.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        # Lazy: the limits are read from the settings each time the form is shown.
        kwargs.setdefault("help_text", lazy(upload_limits_text, str)())
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        limit = max_files()
        if len(uploads) > limit:
            raise ValidationError(
                ngettext("Attach at most %(count)d file.", "Attach at most %(count)d files.", limit) % {"count": limit},
                code="too_many",
            )
        errors = []
        cleaned = []
        for upload in uploads:
            try:
                cleaned.append(super().clean(upload, initial))
                validate_upload(upload)
            except ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)
        return cleaned


class TicketCreateForm(forms.Form):
    """A new ticket from the portal: what is wrong, in the requester's words, with any files."""

    title = forms.CharField(
        label=_("Subject"),
        max_length=TITLE_MAX_LENGTH,
        help_text=_("A short summary, for example “VPN disconnects every hour”."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happened, what you expected, and what you already tried."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.QUESTION)
    attachments = AttachmentsField()

    def clean_description(self):
        text = self.cleaned_data["description"]
        if not text.strip():
            raise ValidationError(_("Describe the problem."), code="required")
        return text


class ReplyForm(forms.Form):
    """A public reply from the requester, with any files."""

    body = forms.CharField(
        label=_("Message"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = AttachmentsField()

    def clean_body(self):
        text = self.cleaned_data["body"]
        if not text.strip():
            raise ValidationError(_("Write a message."), code="required")
        return text


class CommentEditForm(forms.Form):
    """The new text of one's own reply (portal)."""

    body = forms.CharField(
        label=_("New text"),
        max_length=COMMENT_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_body(self):
        text = self.cleaned_data["body"]
        if not text.strip():
            raise ValidationError(_("Write a message."), code="required")
        return text


class TransitionForm(forms.Form):
    """Close or reopen: the two moves a requester can make (the view checks which are allowed now)."""

    to_status = forms.ChoiceField(choices=[(status, Status(status).label) for status in REQUESTER_STATUSES])
    version = forms.IntegerField(min_value=1)


class TicketFilterForm(forms.Form):
    """The filters of My tickets. Unknown values fall back to the defaults instead of failing."""

    STATUS_GROUPS = {
        "open": (_("Open"), (Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.WAITING)),
        "waiting": (_("Waiting for you"), (Status.WAITING,)),
        "resolved": (_("Resolved"), (Status.RESOLVED,)),
        "closed": (_("Closed"), (Status.CLOSED,)),
        "all": (_("All"), None),
    }
    DEFAULT_STATUS = "open"

    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[(key, label) for key, (label, _statuses) in STATUS_GROUPS.items()],
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Words or a reference"), "maxlength": SEARCH_MAX_LENGTH}
        ),
    )

    def values(self) -> tuple[str, str]:
        """(status group, search text), with defaults for anything missing or invalid."""
        status = self.data.get("status")
        status = status if status in self.STATUS_GROUPS else self.DEFAULT_STATUS
        return status, (self.data.get("q") or "").strip()[:SEARCH_MAX_LENGTH]

    def statuses(self, group: str):
        return self.STATUS_GROUPS[group][1]
