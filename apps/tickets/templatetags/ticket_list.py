"""The ticket changelist's result table, rendered lean: one string per row, short shared CSS classes.

unfold's own table (`unfold_result_list`) rebuilds every column header for every row and writes some thirty
utility classes on each cell: about 7 KB of HTML and 1.5 ms per row. This one builds the header row once, as one
string (from unfold's `result_headers`, so sorting links are the admin's own), and each row as one string of
escaped cells, styled by static/tickets/admin/changelist.css: under 1 KB per row (docs/benchmarks.md,
bench/bench_changelist.py).

It keeps what the admin needs: the action checkboxes (`action-select`, read by the admin's actions script), a
header per column (`scope="col"`), the reference as the row's header (`scope="row"`), labels for the
checkboxes, the change links with the list's filters preserved. The title is cut to one line with its full text
on hover (`title`).

The header row depends only on the language and the list's parameters (its labels, the sorting state and every
sorting link are made from them and the class's own columns): it is rendered once per language and parameters and
kept in the process (`_kept_headers`, bounded). The rows' labels and badge cells are made once per language
(`_kept_labels`). The cells are escaped with the standard library's `html.escape`, which is what Django's `escape`
does after converting to a string and before marking the result safe.

The search box (`kept_search_form`: the admin's `search_form`, its template unfold's) is kept per language, search
and list parameters, which are all it shows. The "Save this view" form above the list (`save_view_form_html`) is
kept likewise, per language and query, when it offers no department to share with (an agent's: the query and a
name); each request's CSRF token is filled in.
"""

from html import escape as html_escape

from django import template
from django.contrib.admin.templatetags.admin_list import result_hidden_fields, search_form
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import PAGE_VAR
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from unfold.templatetags.unfold_list import result_headers

from apps.common.kept import CSRF_PLACEHOLDER, KeptTable, csrf_token_filled, csrf_token_usable

from ..choices import Priority, Status
from ..sla import sla_state

register = template.Library()

PK_PLACEHOLDER = "0000000000"


def _person(user) -> str:
    if user is None:
        return '<span class="tl-m">—</span>'
    return html_escape(user.get_full_name() or user.get_username())


def _ago_units() -> tuple[tuple[int, str], ...]:
    """Compact "time since" units, translated once per page: 5 min, 3 h, 2 d, 6 wk, 14 mo."""
    return (
        (60 * 60 * 24 * 30, _("%(n)d mo")),
        (60 * 60 * 24 * 7, _("%(n)d wk")),
        (60 * 60 * 24, _("%(n)d d")),
        (60 * 60, _("%(n)d h")),
        (60, _("%(n)d min")),
    )


# RowRenderer's labels and badge cells per (language, admin class): a few entries per process.
_kept_labels: dict[tuple, tuple] = {}


class RowRenderer:
    """Renders the cells of one ticket row per list_display column; built once per page.

    Everything a user typed (reference, title, names) goes through `html_escape` (each is a string: a CharField's
    value); the rest are our own labels and numbers. Labels, translations and the change link are looked up once
    per page, not per row.
    """

    def __init__(self, cl):
        self.cl = cl
        admin = cl.model_admin
        link = reverse(f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change", args=[PK_PLACEHOLDER])
        self.link = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, link)
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()
        key = (get_language(), type(admin))
        labels = _kept_labels.get(key)
        if labels is None:
            labels = _kept_labels[key] = self._labels(admin)
        self.select_label, self.units, self.just_now, self.badges, self.sla_badges = labels
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

    @classmethod
    def _labels(cls, admin) -> tuple:
        """The page's translated labels and badge cells: the same for every page of a language (the variants and
        labels are the admin class's own), so made once per language and admin class (`_kept_labels`)."""
        badges = {
            "status_badge": cls._badges(admin.status_variants, dict(Status.choices)),
            "priority_badge": cls._badges(admin.priority_variants, dict(Priority.choices)),
        }
        sla_badges = cls._badges(admin.sla_variants, admin.sla_labels)
        return escape(_("Select %(ticket)s")), _ago_units(), escape(_("now")), badges, sla_badges

    @staticmethod
    def _badges(variants: dict, labels: dict) -> dict[str, str]:
        return {
            value: f'<td><span class="tl-b tl-{variants.get(value, "default")}">{escape(label)}</span></td>'
            for value, label in labels.items()
        }

    def ago(self, moment) -> str:
        seconds = (self.now - moment).total_seconds()
        for size, text in self.units:
            if seconds >= size:
                return html_escape(text % {"n": seconds // size})
        return self.just_now

    def checkbox(self, ticket, url) -> str:
        label = self.select_label % {"ticket": html_escape(ticket.reference)}
        return (
            f'<td><input type="checkbox" name="_selected_action" value="{ticket.pk}" '
            f'class="action-select tl-x" aria-label="{label}"></td>'
        )

    def reference(self, ticket, url) -> str:
        return f'<th scope="row" class="tl-r"><a href="{url}">{html_escape(ticket.reference)}</a></th>'

    def title(self, ticket, url) -> str:
        title = html_escape(ticket.title)
        return f'<td><a href="{url}" title="{title}">{title}</a></td>'

    def status(self, ticket, url) -> str:
        return self.badges["status_badge"].get(ticket.status, "<td></td>")

    def priority(self, ticket, url) -> str:
        return self.badges["priority_badge"].get(ticket.priority, "<td></td>")

    def sla(self, ticket, url) -> str:
        return self.sla_badges.get(sla_state(ticket, now=self.now), "<td></td>")

    def department(self, ticket, url) -> str:
        return f"<td>{html_escape(ticket.department.name) if ticket.department_id else '—'}</td>"

    def assignee(self, ticket, url) -> str:
        return f"<td>{_person(ticket.assignee)}</td>"

    def requester(self, ticket, url) -> str:
        return f"<td>{_person(ticket.requester)}</td>"

    def when(self, moment) -> str:
        stamp = localtime(moment, self.zone).isoformat(" ", "minutes")
        return f'<td><time datetime="{stamp}" title="{stamp[:16]}">{self.ago(moment)}</time></td>'

    def updated(self, ticket, url) -> str:
        return self.when(ticket.updated_at)

    def age(self, ticket, url) -> str:
        return self.when(ticket.created_at)

    def rows(self, tickets) -> str:
        cells = [self.cells[name] for name in self.cl.list_display]
        link, placeholder = self.link, PK_PLACEHOLDER
        out = []
        for ticket in tickets:
            url = link.replace(placeholder, str(ticket.pk), 1)
            out.append("<tr>" + "".join([cell(ticket, url) for cell in cells]) + "</tr>")
        return "".join(out)


def _capfirst(text) -> str:
    """The `capfirst` filter's text, escaped unless it is safe already (as `{{ text|capfirst }}` writes it)."""
    text = str(text)
    first = text and text[0].upper() + text[1:]
    return first if isinstance(text, SafeData) else escape(first)


def header_cells(headers: list[dict], names: list[str]) -> str:
    """The header row's cells: a checkbox to select every row, then each column's label with its sorting links."""
    cells = []
    for header, column in zip(headers, names, strict=True):
        text = _capfirst(header["text"])
        attrs = "" if column == "action_checkbox" else f' title="{text}"'
        classes = f"tl-h-{column}"
        if header.get("sorted"):
            order = "ascending" if header.get("ascending") else "descending"
            classes += f" sorted {order}"
            attrs += f' class="{classes}" aria-sort="{order}"'
        else:
            attrs += f' class="{classes}"'
        if column == "action_checkbox":
            label = escape(_("Select all tickets on this page"))
            inner = f'<input type="checkbox" id="action-toggle" class="action-toggle tl-x" aria-label="{label}">'
        elif header.get("sortable"):
            inner = f'<a href="{escape(header["url_primary"])}">{text}</a>'
            if header.get("sorted"):
                arrow = "▲" if header.get("ascending") else "▼"
                toggle, remove = escape(_("Toggle sorting")), escape(_("Remove from sorting"))
                inner += (
                    f' <a href="{escape(header["url_toggle"])}" class="tl-s" title="{toggle}">{arrow}</a>'
                    f' <a href="{escape(header["url_remove"])}" class="tl-s" title="{remove}">×</a>'
                )
        else:
            inner = text
        cells.append(f'<th scope="col"{attrs}>{inner}</th>')
    return "".join(cells)


def _list_params(cl) -> tuple:
    """The list's parameters as a comparable value (the admin's `filter_params`: every parameter of the address)."""
    return tuple(sorted((name, tuple(values)) for name, values in cl.filter_params.items()))


# Header rows by (language, columns, sortable columns, the list's parameters), least recently used dropped first.
HEADERS_KEPT_MAX = 256
_kept_headers = KeptTable()


def kept_header_cells(cl) -> str:
    """`header_cells` of the list's headers, rendered once per language, columns and parameters of the list."""
    key = (get_language(), tuple(cl.list_display), tuple(cl.sortable_by or ()), _list_params(cl))
    html = _kept_headers.recall(key)
    if html is None:
        html = _kept_headers.keep(key, header_cells(list(result_headers(cl)), cl.list_display), most=HEADERS_KEPT_MAX)
    return html


@register.inclusion_tag("admin/tickets/ticket/lean_results.html")
def ticket_result_list(cl):
    """The headers (once) and the rows of the ticket changelist's current page."""
    renderer = RowRenderer(cl)
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        # Our own markup around escape()d labels and links (header_cells), and every cell likewise (RowRenderer).
        "headers": mark_safe(kept_header_cells(cl)),  # noqa: S308
        "rows": mark_safe(renderer.rows(cl.result_list)),  # noqa: S308
        "has_rows": bool(cl.result_list),
    }


@register.simple_tag
def ticket_pages(cl, pagination_required: bool, page_range) -> SafeString:
    """The list's page links and total (pagination.html): "Previous", the numbered pages (up to the counting cap,
    admin/paging.py), "Next" while there are more, the total. Written as one string, as the template wrote it."""
    paginator = cl.paginator

    def link(number) -> str:
        return escape(cl.get_query_string({PAGE_VAR: number}))

    def number(value) -> str:
        return conditional_escape(localize(value))

    previous, following = escape(_("Previous")), escape(_("Next"))
    out = [f'<nav class="tl-pages" aria-label="{escape(_("Pages"))}">\n']
    if cl.page_num > 1:
        out.append(f'<a href="{link(cl.page_num - 1)}" rel="prev">{previous}</a>')
    else:
        out.append(f'<span class="off">{previous}</span>')
    out.append("\n")
    if pagination_required:
        for page in page_range:
            if page == paginator.ELLIPSIS:
                out.append('<span class="off">…</span>')
            elif page == cl.page_num:
                out.append(f'<span class="current" aria-current="page">{number(page)}</span>')
            else:
                out.append(f'<a href="{link(page)}">{number(page)}</a>')
        if cl.page_num > paginator.num_pages:
            out.append(
                f'<span class="off">…</span><span class="current" aria-current="page">{number(cl.page_num)}</span>'
            )
    out.append("\n")
    more = len(cl.result_list) == cl.list_per_page if paginator.capped else cl.page_num < paginator.num_pages
    if more:
        out.append(f'<a href="{link(cl.page_num + 1)}" rel="next">{following}</a>')
    else:
        out.append(f'<span class="off">{following}</span>')
    out.append(f'\n<span class="total">{conditional_escape(cl.total_display)}</span>\n</nav>')
    return mark_safe("".join(out))  # noqa: S308 - our markup around escaped labels, links and numbers


SAVE_VIEW_TEMPLATE = "admin/tickets/ticket/save_view_form.html"
SAVE_VIEW_KEPT_MAX = 256
_kept_save_view_forms = KeptTable()


@register.simple_tag(takes_context=True)
def save_view_form_html(context) -> SafeString:
    """The "Save this view" form of the list (admin/saved_views.py SaveViewForm), rendered once per language and
    query and kept, when it offers no department to share with (whose choices are read from the database)."""
    form = context["save_view_form"]
    token = context.get("csrf_token")
    if "shared_with" in form.fields or not csrf_token_usable(token):
        return render_to_string(SAVE_VIEW_TEMPLATE, {"save_view_form": form, "csrf_token": token})
    key = (get_language(), get_script_prefix(), tuple(form.fields), form["query"].value())
    html = _kept_save_view_forms.recall(key)
    if html is None:
        html = _kept_save_view_forms.keep(
            key,
            render_to_string(SAVE_VIEW_TEMPLATE, {"save_view_form": form, "csrf_token": CSRF_PLACEHOLDER}),
            most=SAVE_VIEW_KEPT_MAX,
        )
    return mark_safe(csrf_token_filled(html, token))  # noqa: S308 - our template's HTML, the token escaped


# The search box's templates, as the admin's {% search_form %} tag looks them up (per model, per app, then the site's).
SEARCH_TEMPLATES = ("admin/tickets/ticket/search_form.html", "admin/tickets/search_form.html", "admin/search_form.html")
SEARCH_KEPT_MAX = 256
_kept_search_forms = KeptTable()


@register.simple_tag
def kept_search_form(cl) -> SafeString:
    """The admin's `{% search_form cl %}` for the ticket list, rendered once per language, search and parameters
    (the box's text, its placeholder and one hidden input per other parameter are all it is made of) and kept."""
    context = search_form(cl)
    key = (get_language(), cl.query, context["show_result_count"], _list_params(cl))
    html = _kept_search_forms.recall(key)
    if html is None:
        html = _kept_search_forms.keep(key, render_to_string(SEARCH_TEMPLATES, context), most=SEARCH_KEPT_MAX)
    return mark_safe(html)  # noqa: S308 - the admin's template, rendered with autoescaping
