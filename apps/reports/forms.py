"""The parameters of a report, from a page's or the API's query string: every one checked against an allow-list."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.departments.models import Department
from apps.tickets.aggregates import site_time_zone
from apps.tickets.stats import figure_departments

from .selectors import GROUP_LABELS, KIND_LABELS, MAX_DAYS, ReportQuery

DEFAULT_DAYS = 30
PARAMETERS = frozenset({"kind", "from", "to", "group", "department", "format"})
FORMATS = ("html", "csv")


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=list(KIND_LABELS.items()), required=False)
    # "from" is a Python keyword: the field is declared below under its name in the address.
    to = forms.DateField(label=_("To"), required=False, input_formats=["%Y-%m-%d"])
    group = forms.ChoiceField(label=_("Group by"), choices=list(GROUP_LABELS.items()), required=False)
    department = forms.TypedMultipleChoiceField(label=_("Departments"), coerce=int, required=False)
    format = forms.ChoiceField(choices=[(f, f) for f in FORMATS], required=False)

    def __init__(self, data, *, user, kind: str | None = None):
        unknown = sorted(set(data) - PARAMETERS)
        super().__init__(data)
        self.fields["from"] = forms.DateField(label=_("From"), required=False, input_formats=["%Y-%m-%d"])
        self.order_fields(["kind", "from", "to", "group", "department"])
        self.unknown = unknown
        self.fixed_kind = kind
        scope = figure_departments(user)
        departments = Department.objects.order_by("name")
        if scope is not None:
            departments = departments.filter(pk__in=scope)
        self.fields["department"].choices = list(departments.values_list("pk", "name"))

    def clean(self):
        data = super().clean()
        for name in self.unknown:
            self.add_error(None, ValidationError(_("Unknown parameter: %(name)s.") % {"name": name[:40]}))
        today = timezone.localdate(timezone=site_time_zone())
        last = data.get("to") or today
        first = data.get("from") or last - timedelta(days=DEFAULT_DAYS - 1)
        group = data.get("group") or "day"
        if first > last:
            self.add_error("from", _("The first day comes after the last day."))
        elif (last - first).days + 1 > MAX_DAYS[group]:
            self.add_error(
                "from",
                _("At most %(days)d days grouped by %(group)s; group by week or month for longer ranges.")
                % {"days": MAX_DAYS[group], "group": GROUP_LABELS[group]},
            )
        data.update(first_day=first, last_day=last, group=group)
        return data

    def report_query(self) -> ReportQuery:
        """The checked query (call after is_valid())."""
        data = self.cleaned_data
        return ReportQuery(
            kind=self.fixed_kind or data.get("kind") or "volume",
            first_day=data["first_day"],
            last_day=data["last_day"],
            group=data["group"],
            departments=tuple(sorted(set(data.get("department") or ()))),
        )
