"""The ticket changelist's result table, rendered lean: one string per row, short shared CSS classes.

unfold's own table (`unfold_result_list`) rebuilds every column header for every row and writes some thirty
utility classes on each cell: about 7 KB of HTML and 1.5 ms per row. This one builds the headers once (unfold's
`result_headers`, so sorting links are the admin's own) and each row with one `format_html` per cell, styled by
static/tickets/admin/changelist.css: under 1 KB per row (docs/benchmarks.md, bench/bench_changelist.py).

It keeps what the admin needs: the action checkboxes (`action-select`, read by the admin's actions script), a
header per column (`scope="col"`), the reference as the row's header (`scope="row"`), labels for the
checkboxes, the change links with the list's filters preserved. The title is cut to one line with its full text
on hover (`title`).
"""

from django import template
from django.contrib.admin.templatetags.admin_list import result_hidden_fields
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import PAGE_VAR
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from unfold.templatetags.unfold_list import result_headers

register = template.Library()

PK_PLACEHOLDER = "0000000000"


def _badge(variant: str, text) -> str:
    return format_html('<span class="tl-b tl-{}">{}</span>', variant, text) if text else ""


def _person(user) -> str:
    if user is None:
        return '<span class="tl-m">—</span>'
    return escape(user.get_full_name() or user.get_username())


class RowRenderer:
    """Renders the cells of one ticket row per list_display column; built once per page."""

    def __init__(self, cl):
        self.cl = cl
        self.admin = cl.model_admin
        link = reverse(f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change", args=[PK_PLACEHOLDER])
        self.link = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, link)
        self.select_label = escape(_("Select %(ticket)s"))
        self.cells = {
            "action_checkbox": self.checkbox,
            "reference_link": self.reference,
            "title": self.title,
            "status_badge": self.status,
            "priority_badge": self.priority,
            "sla_badge": self.sla,
            "department_name": self.department,
            "assignee_name": self.assignee,
            "requester": self.requester,
            "updated": self.updated,
            "age": self.age,
        }

    def url(self, ticket) -> str:
        return self.link.replace(PK_PLACEHOLDER, str(ticket.pk), 1)

    def checkbox(self, ticket) -> str:
        label = self.select_label % {"ticket": escape(ticket.reference)}
        return (
            f'<td class="tl-c"><input type="checkbox" name="_selected_action" value="{ticket.pk}" '
            f'class="action-select tl-x" aria-label="{label}"></td>'
        )

    def reference(self, ticket) -> str:
        return format_html('<th scope="row" class="tl-r"><a href="{}">{}</a></th>', self.url(ticket), ticket.reference)

    def title(self, ticket) -> str:
        return format_html(
            '<td class="tl-t"><a href="{}" title="{}">{}</a></td>', self.url(ticket), ticket.title, ticket.title
        )

    def status(self, ticket) -> str:
        value, text = self.admin.status_badge(ticket)
        return f"<td>{_badge(self.admin.status_variants.get(value, 'default'), text)}</td>"

    def priority(self, ticket) -> str:
        value, text = self.admin.priority_badge(ticket)
        return f"<td>{_badge(self.admin.priority_variants.get(value, 'default'), text)}</td>"

    def sla(self, ticket) -> str:
        value, text = self.admin.sla_badge(ticket)
        return f"<td>{_badge(self.admin.sla_variants.get(value, 'default'), text)}</td>"

    def department(self, ticket) -> str:
        return format_html('<td class="tl-e">{}</td>', ticket.department.name if ticket.department_id else "—")

    def assignee(self, ticket) -> str:
        return f'<td class="tl-e">{_person(ticket.assignee)}</td>'

    def requester(self, ticket) -> str:
        return f'<td class="tl-e">{_person(ticket.requester)}</td>'

    def updated(self, ticket) -> str:
        return format_html(
            '<td class="tl-n"><time datetime="{}" title="{}">{}</time></td>',
            ticket.updated_at.isoformat(),
            localtime(ticket.updated_at).strftime("%Y-%m-%d %H:%M"),
            timesince(ticket.updated_at, depth=1),
        )

    def age(self, ticket) -> str:
        return format_html(
            '<td class="tl-n"><time datetime="{}">{}</time></td>',
            ticket.created_at.isoformat(),
            timesince(ticket.created_at, depth=1),
        )

    def row(self, ticket) -> str:
        cells = "".join(self.cells[name](ticket) for name in self.cl.list_display)
        return f"<tr>{cells}</tr>"


@register.inclusion_tag("admin/tickets/ticket/change_list_results.html")
def ticket_result_list(cl):
    """The headers (once) and the rows of the ticket changelist's current page."""
    headers = list(result_headers(cl))
    for header, name in zip(headers, cl.list_display, strict=True):
        header["column"] = name
    renderer = RowRenderer(cl)
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        # Every cell is format_html or escape()d text (RowRenderer).
        "rows": mark_safe("".join(renderer.row(ticket) for ticket in cl.result_list)),  # noqa: S308
        "has_rows": bool(cl.result_list),
    }


@register.simple_tag
def page_link(cl, number) -> str:
    """The changelist's address at page `number`, its filters, search and ordering kept."""
    return cl.get_query_string({PAGE_VAR: number})
