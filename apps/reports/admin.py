"""The back office's reports page (/admin/tickets/ticket/reports/, `admin:tickets_reports`): a chart, the same
numbers as a table with a link on each, and a CSV download (`format=csv`) of the table."""

import csv
import json

from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from apps.common.csv.files import neutralise_formula
from apps.tickets.extensions import AdminUrl

from .forms import ReportForm
from .selectors import GROUP_LABELS, KIND_LABELS, report_build
from .table import report_table

CHART_COLORS = ("var(--color-primary-600)", "var(--color-green-600)", "var(--color-orange-500)", "#64748b")


def reports_view(model_admin, request):
    """One report for the user's departments (admins: all); a bad parameter is a form error and a 400."""
    form = ReportForm(request.GET, user=request.user)
    report = None
    if form.is_valid():
        report = report_build(user=request.user, query=form.report_query())
        if form.cleaned_data.get("format") == "csv":
            return report_csv(report)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Reports"),
        "opts": model_admin.model._meta,
        "form": form,
        "report": report,
        "kinds": [{"value": k, "label": label} for k, label in KIND_LABELS.items()],
        "groups": GROUP_LABELS,
    }
    if report is not None:
        context["table"] = report_table(report)
        context["chart"] = json.dumps(_chart(report))
        query = request.GET.copy()
        query["format"] = "csv"
        context["csv_link"] = f"?{query.urlencode()}"
    return TemplateResponse(request, "reports/admin/report.html", context, status=200 if report else 400)


def _chart(report: dict) -> dict:
    """The counts of the report as bars (times in hours for the response report), one series per column."""
    timed = report["kind"] == "response"
    series = [c for c in report["columns"] if c["unit"] == ("seconds" if timed else "count")]
    if timed:
        series = [c for c in series if not c["key"].endswith("_mean")]
    datasets = []
    for index, column in enumerate(series):
        values = [row["values"][column["key"]] for row in report["rows"]]
        if timed:
            values = [round(v / 3600, 2) if v is not None else None for v in values]
        datasets.append(
            {
                "label": column["label"] + (" (h)" if timed else ""),
                "data": values,
                "backgroundColor": CHART_COLORS[index % len(CHART_COLORS)],
                "borderColor": CHART_COLORS[index % len(CHART_COLORS)],
                "grouped": True,
                "maxBarThickness": 12,
            }
        )
    if datasets:
        datasets[0].update(displayYAxis=True, maxTicksXLimit=12)
    return {"labels": [row["label"] for row in report["rows"]], "datasets": datasets}


def report_csv(report: dict) -> HttpResponse:
    """The table as CSV: raw numbers (seconds, percent), one row per period, agent or department, then the total."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"report-{report['kind']}-{report['first_day']}-{report['last_day']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response, lineterminator="\r\n")
    first = _("Period") if report["kind"] in ("volume", "response", "sla") else KIND_LABELS[report["kind"]]
    writer.writerow([str(first), *(c["label"] for c in report["columns"])])
    for row in [*report["rows"], report["total"]]:
        values = ["" if row["values"][c["key"]] is None else row["values"][c["key"]] for c in report["columns"]]
        writer.writerow([neutralise_formula(str(row["label"])), *values])
    return response


REPORTS_URL = AdminUrl("tickets_reports", "reports/", reports_view)
