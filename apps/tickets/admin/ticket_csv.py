"""CSV import and export of the ticket changelist.

Import: admins and holders of tickets.import_ticket; rows go through apps.tickets.imports.tickets_import.
Export: the changelist's own query (tickets_visible_to plus the filters and search in the address), streamed
row by row, so the file holds exactly the tickets the list shows, however many; a filter that names another
department's tickets only ever narrows that list.
"""

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.common.csv.admin import CsvImportExportMixin
from apps.common.csv.files import CsvFile
from apps.common.csv.report import ImportReport

from ..imports import TICKET_COLUMNS, tickets_import
from ..permissions import can_export_tickets, can_import_tickets
from ..resources import TicketResource, tickets_csv_stream

COLUMN_HELP = {
    "reference": gettext_lazy("TCK-000123 updates that ticket; another system's id creates a ticket and is kept"),
    "title": gettext_lazy("required for new tickets"),
    "description": gettext_lazy("required for new tickets"),
    "status": gettext_lazy("new, open, in_progress, waiting, resolved, closed (default: new)"),
    "priority": gettext_lazy("low, normal, high, urgent (default: normal)"),
    "category": gettext_lazy("question, incident, request, access, billing, other (default: question)"),
    "department": gettext_lazy("name or slug; empty: the default department"),
    "requester": gettext_lazy("e-mail or username, required; an unknown e-mail creates a requester account"),
    "requester_name": gettext_lazy("the name of a requester account the import creates"),
    "assignee": gettext_lazy("e-mail or username of an agent; “none” unassigns"),
    "language": gettext_lazy("language code, e.g. en, de, tr"),
    "created_at": gettext_lazy("2025-03-01 14:30 or 01.03.2025, in your time zone unless it has an offset"),
    "updated_at": gettext_lazy("last change in the old system"),
    "first_responded_at": gettext_lazy("first answer by an agent"),
    "resolved_at": gettext_lazy("for resolved and closed tickets"),
    "closed_at": gettext_lazy("for closed tickets"),
    "source": gettext_lazy("read by people only: imported tickets always have the source “import”"),
}


class TicketCsvMixin(CsvImportExportMixin):
    """Import and export buttons on the ticket changelist."""

    resource_classes = [TicketResource]
    export_template_name = "admin/tickets/ticket/export.html"
    preview_style = "tickets"

    @property
    def import_columns_help(self):
        return tuple(
            (field, ", ".join(aliases[1:6]), COLUMN_HELP.get(field, "")) for field, aliases in TICKET_COLUMNS.items()
        )

    def has_import_permission(self, request):
        return can_import_tickets(request.user)

    def has_export_permission(self, request):
        return can_export_tickets(request.user)

    def run_import(self, request, csv_file: CsvFile, *, dry_run: bool) -> ImportReport:
        return tickets_import(actor=request.user, csv_file=csv_file, dry_run=dry_run)

    def export_action(self, request):
        """The export form; on submit, the changelist's tickets (same scope, filters and search) as CSV."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        changelist_url = reverse("admin:tickets_ticket_changelist")
        try:
            queryset = self.get_export_queryset(request)
        except IncorrectLookupParameters:
            messages.error(request, _("The filters in the address are not valid, so nothing was exported."))
            return HttpResponseRedirect(changelist_url)
        form = self.get_export_form_class()(
            self.get_export_formats(), self.get_export_resource_classes(request), data=request.POST or None
        )
        if request.method == "POST" and form.is_valid():
            response = StreamingHttpResponse(
                (chunk.encode("utf-8") for chunk in tickets_csv_stream(queryset)),
                content_type="text/csv; charset=utf-8",
            )
            stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
            response["Content-Disposition"] = f'attachment; filename="tickets-{stamp}.csv"'
            response["X-Content-Type-Options"] = "nosniff"
            return response
        context = self.init_request_context_data(request, form)
        context["export_note"] = _(
            "The file holds the tickets of the list you came from: the tickets you can see, with its filters and "
            "search. Comments and internal notes are not exported."
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.export_template_name], context)
