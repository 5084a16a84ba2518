"""Departments: the teams tickets are routed to. Each owns one auth Group that holds its members.

Also what decides where a ticket goes and who works it: routing rules, the department's assignment policy
(with the round-robin cursor), its business hours and its SLA policies.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User, validate_time_zone
from apps.common.models import TimeStampedModel

from .choices import AssignmentPolicy, Priority, RuleField, Weekday
from .patterns import validate_pattern

WEEKDAYS = "1234567"


def validate_work_days(value: str) -> None:
    if not value or any(day not in WEEKDAYS for day in value) or len(set(value)) != len(value):
        raise ValidationError(_("Choose at least one working day."), code="invalid_work_days")


def parse_holidays(value: str) -> frozenset[dt.date]:
    """The dates of a department's holiday list: ISO dates (2026-12-25), one per line or separated by commas."""
    days = set()
    for item in value.replace(",", "\n").splitlines():
        if item.strip():
            try:
                days.add(dt.date.fromisoformat(item.strip()))
            except ValueError:
                raise ValidationError(
                    _("“%(value)s” is not a date: write holidays as 2026-12-25, one per line."),
                    code="invalid_holiday",
                    params={"value": item.strip()[:20]},
                ) from None
    return frozenset(days)


def validate_holidays(value: str) -> None:
    parse_holidays(value)


class DepartmentManager(models.Manager):
    def get_by_natural_key(self, slug):
        # Lets fixtures refer to (and loaddata update, not duplicate) a department by its slug.
        return self.get(slug=slug)


class Department(TimeStampedModel):
    """A team of agents; membership is membership of `group`, which carries the ticket grants."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="department", verbose_name=_("group"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_departments",
        verbose_name=_("manager"),
    )
    is_default = models.BooleanField(
        _("default department"),
        default=False,
        help_text=_("Tickets that match no routing rule go here. Only one department can be the default."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Read by the AI triage (apps/ai) before it has learned from the desk's own tickets: a new ticket whose text
    # contains these words is suggested for this department.
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_(
            "Words or phrases, one per line or separated by commas, in any of the site's languages, that point a "
            "ticket to this department. The AI triage suggests the department from them until it has learned "
            "from enough of your own tickets."
        ),
    )
    assignment_policy = models.CharField(
        _("assignment policy"),
        max_length=16,
        choices=AssignmentPolicy.choices,
        default=AssignmentPolicy.MANUAL,
        help_text=_(
            "How new and transferred tickets get an assignee: nobody (manual), each available member in turn "
            "(round robin), or the available member with the fewest open tickets."
        ),
    )
    # Business hours, for SLA policies counted in working time. ISO weekday numbers: "12345" is Monday to Friday.
    work_days = models.CharField(_("working days"), max_length=7, default="12345", validators=[validate_work_days])
    work_start = models.TimeField(_("working day starts"), default=dt.time(9, 0))
    work_end = models.TimeField(_("working day ends"), default=dt.time(17, 0))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("The time zone of the business hours."),
    )
    holidays = models.TextField(
        _("holidays"),
        blank=True,
        validators=[validate_holidays],
        help_text=_(
            "Days off that SLA clocks in business hours skip, as dates like 2026-12-25, one per line or separated "
            "by commas."
        ),
    )

    objects = DepartmentManager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="departments_single_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        super().clean()
        if self.work_start is not None and self.work_end is not None and self.work_end <= self.work_start:
            raise ValidationError({"work_end": _("The working day must end after it starts.")})

    @property
    def working_weekdays(self) -> frozenset[int]:
        return frozenset(int(day) for day in self.work_days if day in WEEKDAYS)

    @property
    def holiday_dates(self) -> frozenset[dt.date]:
        try:
            return parse_holidays(self.holidays)
        except ValidationError:  # saved before validation existed: no holidays rather than no clock
            return frozenset()

    def get_work_days_display(self) -> str:
        return ", ".join(str(Weekday(int(day)).label) for day in sorted(self.work_days) if day in WEEKDAYS)


class AssignmentCursor(models.Model):
    """Where round robin stands in a department. Locked (SELECT ... FOR UPDATE) while the next assignee is
    chosen, so tickets created at the same moment take turns instead of racing to the same agent."""

    department = models.OneToOneField(
        Department, on_delete=models.CASCADE, primary_key=True, related_name="assignment_cursor"
    )
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("assignment cursor")

    def __str__(self) -> str:
        return f"{self.department_id}: {self.last_assignee_id}"


class RoutingRule(TimeStampedModel):
    """Sends matching new tickets to a department. Rules are tried in `order`; the first match wins."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="routing_rules", verbose_name=_("department")
    )
    order = models.PositiveIntegerField(
        _("order"), default=100, help_text=_("Rules are tried from the lowest number up; the first match wins.")
    )
    field = models.CharField(_("match on"), max_length=16, choices=RuleField.choices, default=RuleField.KEYWORDS)
    pattern = models.CharField(
        _("pattern"),
        max_length=500,
        help_text=_(
            "Keywords, categories or e-mail domains: separated by commas. A regular expression: Python syntax, "
            "ignoring case, searched in the title and the description."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["is_active", "order"], name="routingrule_active_order")]

    def __str__(self) -> str:
        return f"#{self.order} {self.get_field_display()} “{self.pattern}” → {self.department}"

    def clean(self):
        super().clean()
        validate_pattern(self.field, self.pattern)


class SlaPolicy(TimeStampedModel):
    """Response and resolution targets for a department's tickets of one priority."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="sla_policies", verbose_name=_("department")
    )
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(525_600)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(525_600)]
    )
    business_hours = models.BooleanField(
        _("in business hours"),
        default=False,
        help_text=_("Count only the department's working hours; off: count every minute of the day."),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["department__name", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["department", "priority"], name="slapolicy_department_priority_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.get_priority_display()}"

    def clean(self):
        super().clean()
        if (
            self.first_response_minutes
            and self.resolution_minutes
            and self.resolution_minutes < self.first_response_minutes
        ):
            raise ValidationError(
                {"resolution_minutes": _("The resolution target cannot be shorter than the first-response target.")}
            )


class Agent(User):
    """Agents and admins as the back office's availability page lists them (a proxy of the user model)."""

    class Meta:
        proxy = True
        verbose_name = _("agent availability")
        verbose_name_plural = _("agent availability")
