"""The ticket page's thread, rendered lean: one string per message or history line; the side panel's property
forms (`property_form`) and `<select>` options (`select_options`, `department_options`, `assignee_options`), and
the header's badges (`page_label`), one string each.

Through the template engine every message cost several includes (labels, files) and a dozen variable lookups,
and every property form and badge an include; here each one is a prepared format string filled with escaped
values, with the labels and translations looked up once per page (docs/benchmarks.md,
bench/bench_ticket_page.py). Everything a person typed (names, bodies, file names, history text) is escaped
(`html.escape`, as Django's `escape` and `format_html` do); bodies keep their line breaks as <br>, as
`linebreaksbr` would.

The agent's own messages still inside their edit window (context["editable_comments"], from
permissions.comments_editable_until) get "Edit" and "Delete" (admin/comments.py), each a native
<details> disclosure holding its form, so both work from the keyboard and without scripts.
"""

from html import escape as html_escape

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import COMMENT_MAX_LENGTH
from ..permissions import edit_minutes_left

register = template.Library()

# unfold's label (unfold/helpers/label.html, its default size) in each of its colours, without an include per
# message or badge; any other variant gets unfold's neutral colours, as there.
LABEL = (
    '<span class="inline-block font-semibold rounded-default text-[11px] uppercase whitespace-nowrap h-6 leading-6 '
    'px-2 {}">{}</span>'
)
LABEL_COLOURS = {
    "info": "bg-blue-100 text-blue-700 dark:bg-blue-500/20 dark:text-blue-400",
    "danger": "bg-red-100 text-red-700 dark:bg-red-500/20 dark:text-red-400",
    "warning": "bg-orange-100 text-orange-700 dark:bg-orange-500/20 dark:text-orange-400",
    "success": "bg-green-100 text-green-700 dark:bg-green-500/20 dark:text-green-400",
    "primary": "bg-primary-100 text-primary-700 dark:bg-primary-500/20 dark:text-primary-400",
}
LABEL_NEUTRAL = "bg-base-500/8 text-base-700 dark:bg-base-500/20 dark:text-base-200"


def _label(kind: str | None, text: str) -> SafeString:
    return format_html(LABEL, LABEL_COLOURS.get(kind, LABEL_NEUTRAL), text)


@register.simple_tag
def page_label(kind, text) -> SafeString:
    """A badge of the page's header (status, priority, SLA) as unfold's label.html draws it."""
    return _label(kind, text)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _body(text: str) -> str:
    # Escaping leaves line breaks alone, so escaping the whole text and then replacing them is the same HTML.
    return html_escape(text).replace("\n", "<br>")


def _fixed(text: str, *, escaped: bool = False) -> str:
    """`text` for a format string filled in twice: escaped (unless it is HTML already), its braces doubled."""
    return (text if escaped else html_escape(text)).replace("{", "{{").replace("}", "}}")


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


# One message of the thread; str.format on escaped values (format_html's escaping per argument, done once here).
MESSAGE = (
    '<li id="{}" class="{}"><div class="tp-message-head"><span class="font-semibold text-important">{}</span>'
    '{}<time datetime="{}" title="{}">{}</time></div><div class="tp-body">{}</div>{}{}</li>'
)
# Edit and Delete under one's own message; the page's constant words are filled in once per page (`tools`).
TOOLS = (
    '<div class="tp-comment-tools">'
    '<p class="tp-hint" id="{prefix}-window">{window} <time datetime="{deadline}">({until})</time></p>'
    '<details class="tp-comment-edit"><summary class="tp-link">{edit}</summary>'
    '<form method="post" action="{url}edit/">{csrf}'
    '<label class="tp-label" for="{prefix}-body">{text_label}</label>'
    '<textarea id="{prefix}-body" name="body" class="tp-input" rows="4" maxlength="{max}" required '
    'aria-describedby="{prefix}-window">\n{body}</textarea>'
    '<div class="tp-send"><button type="submit" class="tp-button tp-primary">{save}</button></div></form>'
    "</details>"
    '<details class="tp-comment-delete"><summary class="tp-link">{delete}</summary>'
    '<form method="post" action="{url}delete/">{csrf}<p>{confirm}</p>'
    '<div class="tp-send"><button type="submit" class="tp-button tp-danger">{delete_now}</button></div>'
    "</form></details></div>"
)


class ThreadRenderer:
    """Renders the items of one ticket's thread (admin/page.py `ThreadItem`); built once per page."""

    def __init__(self, context):
        self.ticket = context["ticket"]
        self.image_types = context["image_types"]
        self.loose_attachments = context["loose_attachments"]
        self.requester_name = context["requester_name"]
        self.download = reverse("admin:tickets_ticket_attachment_download", args=[self.ticket.pk, 0])[
            : -len("0/download/")
        ]
        self.labels = {
            "note": _label("warning", _("Internal note")),
            "requester": _label("info", _("Requester")),
            "description": _label("info", _("Description")),
        }
        self.previous = {
            "comment_edited": _("Previous text"),
            "comment_deleted": _("Deleted text"),
        }
        self.previous_description = _("Previous description")
        self.editable = context.get("editable_comments") or {}
        if self.editable:
            self.csrf = format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', str(context.get("csrf_token", ""))
            )
            base = reverse("admin:tickets_ticket_comment_edit", args=[self.ticket.pk, 0])
            self.comment_urls = base[: -len("0/edit/")]
            self.now = timezone.now()
            # The words every message's tools share, escaped once; `{{...}}` keep the per-message fields.
            self.tools_html = TOOLS.format(
                prefix="{prefix}",
                window="{window}",
                deadline="{deadline}",
                until="{until}",
                url="{url}",
                body="{body}",
                edit=_fixed(_("Edit")),
                csrf=_fixed(self.csrf, escaped=True),
                text_label=_fixed(_("New text")),
                max=COMMENT_MAX_LENGTH,
                save=_fixed(_("Save the change")),
                delete=_fixed(_("Delete")),
                confirm=_fixed(_("Delete this message and its files? The history keeps its text.")),
                delete_now=_fixed(_("Yes, delete it")),
            )

    def files(self, attachments) -> SafeString:
        rows = []
        for attachment in attachments:
            url = f"{self.download}{attachment.pk}/download/"
            thumb = ""
            if attachment.content_type in self.image_types:
                thumb = format_html(
                    '<a href="{}" class="tp-thumb"><img src="{}" alt="{}" loading="lazy"></a>',
                    url,
                    url,
                    attachment.original_name,
                )
            rows.append(
                format_html(
                    '<li>{}<a class="tp-link" href="{}">{}</a> <span class="text-subtle">{}</span></li>',
                    thumb,
                    url,
                    attachment.original_name,
                    _size(attachment.size),
                )
            )
        return format_html('<ul class="tp-files">{}</ul>', mark_safe("".join(rows)))  # noqa: S308 - built above

    def message(self, *, element_id, classes, author, label, created_at, body, attachments, tools="") -> str:
        """One message's `<li>`: `label` and `tools` are HTML already, everything else is escaped here."""
        return MESSAGE.format(
            element_id,
            classes,
            html_escape(author),
            label,
            created_at.isoformat(),
            _when(created_at),
            html_escape(_ago(created_at)),
            _body(body),
            self.files(attachments) if attachments else "",
            tools,
        )

    def tools(self, comment) -> str:
        """Edit and Delete for the agent's own message inside its window, and when the window closes."""
        deadline = self.editable.get(comment.pk)
        if deadline is None:
            return ""
        minutes = edit_minutes_left(deadline, self.now)
        window = ngettext(
            "You can edit or delete this for another %(n)d minute.",
            "You can edit or delete this for another %(n)d minutes.",
            minutes,
        ) % {"n": minutes}
        return self.tools_html.format(
            prefix=f"comment-{comment.pk}",
            window=html_escape(window),
            deadline=deadline.isoformat(),
            until=html_escape(_("until %(time)s") % {"time": timezone.localtime(deadline).strftime("%H:%M")}),
            url=f"{self.comment_urls}{comment.pk}/",
            body=html_escape(comment.body),
        )

    def item(self, item) -> SafeString:
        if item.event is not None:
            line = item.event
            detail = ""
            if line.detail:
                detail = format_html(
                    '<details><summary>{}</summary><div class="tp-body">{}</div></details>',
                    self.previous.get(line.kind, self.previous_description),
                    mark_safe(_body(line.detail)),  # noqa: S308 - escaped by _body
                )
            return format_html(
                '<li class="tp-event" data-kind="{}"><span>{}</span>{}<time datetime="{}">{}</time></li>',
                line.kind,
                line.text,
                detail,
                line.created_at.isoformat(),
                _when(line.created_at),
            )
        comment = item.comment
        if comment is None:
            return self.message(
                element_id="ticket-description",
                classes="tp-message",
                author=self.requester_name,
                label=self.labels["description"],
                created_at=self.ticket.created_at,
                body=self.ticket.description,
                attachments=self.loose_attachments,
            )
        if comment.is_internal:
            label = self.labels["note"]
        elif comment.author_id == self.ticket.requester_id:
            label = self.labels["requester"]
        else:
            label = ""
        return self.message(
            element_id=f"comment-{comment.pk}",
            classes="tp-message ticket-note" if comment.is_internal else "tp-message",
            author=_name(comment.author) if comment.author_id else _("a deleted user"),
            label=label,
            created_at=comment.created_at,
            body=comment.body,
            attachments=comment.page_files,
            tools=self.tools(comment) if self.editable else "",
        )


def _size(size: int) -> str:
    return filesizeformat(size)


def _ago(moment) -> str:
    return _("%(since)s ago") % {"since": timesince(moment, depth=1)}


@register.simple_tag(takes_context=True)
def ticket_thread(context) -> SafeString:
    """The `<li>` of every item of context["thread"], oldest first."""
    renderer = ThreadRenderer(context)
    return mark_safe("".join(renderer.item(item) for item in context["thread"]))  # noqa: S308 - escaped above


# The side panel's choices: one string per `<select>` instead of a template loop per option.


@register.simple_tag
def select_options(choices, current) -> SafeString:
    """The `<option>`s of (value, text) pairs, `current` selected (page/property.html)."""
    return mark_safe(  # noqa: S308 - format_html per option
        "".join(
            format_html('<option value="{}"{}>{}</option>', value, " selected" if value == current else "", text)
            for value, text in choices
        )
    )


@register.simple_tag
def department_options(departments, ticket, assignee_name) -> SafeString:
    """The transfer `<select>`'s departments (page.py `_department_choices`); those the assignee is not a member of
    say that they unassign them."""
    unassigns = _("unassigns %(name)s") % {"name": assignee_name}
    return mark_safe(  # noqa: S308 - format_html per option
        "".join(
            format_html(
                '<option value="{}"{}{}>{}{}</option>',
                department["pk"],
                " selected" if department["pk"] == ticket.department_id else "",
                "" if department["keeps_assignee"] else " data-unassigns",
                department["name"],
                "" if department["keeps_assignee"] else f" — {unassigns}",
            )
            for department in departments
        )
    )


@register.simple_tag
def assignee_options(people, ticket, *, members: bool) -> SafeString:
    """The assignee `<select>`'s people (page.py `_assignee_choices`) of one `<optgroup>`: the department's members,
    or everyone else."""
    return mark_safe(  # noqa: S308 - format_html per option
        "".join(
            format_html(
                '<option value="{}"{}>{}</option>',
                person["pk"],
                " selected" if person["pk"] == ticket.assignee_id else "",
                person["name"],
            )
            for person in people
            if bool(person["member"]) == members
        )
    )


# One property of the side panel (status, priority, category, language): the form page/property.html was, as one
# string instead of an include per property.
PROPERTY_FORM = (
    '<form method="post" action="{action}" class="tp-property">{csrf}'
    '<input type="hidden" name="field" value="{field}">'
    '<input type="hidden" name="version" value="{version}">'
    '<label for="property-{field}" class="tp-label">{label}</label>'
    '<div class="tp-property-row"><select id="property-{field}" name="value" class="tp-input">{options}</select>'
    '<button type="submit" class="tp-button">{save}<span class="tp-sr-only"> {label}</span></button></div></form>'
)


@register.simple_tag(takes_context=True)
def property_form(context, field, label, choices, current) -> SafeString:
    """The form that changes one property of context["ticket"], with the version the page shows."""
    ticket = context["ticket"]
    return format_html(
        PROPERTY_FORM,
        action=context["property_url"],
        csrf=format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', str(context.get("csrf_token", ""))
        ),
        field=field,
        version=ticket.version,
        label=label,
        options=select_options(choices, current),
        save=_("Save"),
    )
