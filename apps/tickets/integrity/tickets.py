"""Checks of ticket rows themselves: the reference sequence, the history, the status time stamps."""

import re
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import BigIntegerField, BooleanField, Exists, ExpressionWrapper, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Substr

from apps.tickets.choices import OPEN_STATUSES, EventKind, Status
from apps.tickets.models import ReferenceSequence, Ticket, TicketEvent
from apps.tickets.references import reference_counter_advance, reference_counter_value

from .base import Check, Finding, examples, in_batches, label, plural


class ReferenceSequenceBehind(Check):
    code = "reference-sequence"
    title = f"The {label(ReferenceSequence)} is behind the highest {label(Ticket, 'reference')}"
    fixable = True

    @staticmethod
    def _state() -> tuple[str, int | None, int | None]:
        prefix = settings.TICKET_REFERENCE_PREFIX
        numbered = Ticket.objects.filter(reference__regex=rf"^{re.escape(prefix)}-[0-9]+$")
        number = Cast(Substr("reference", len(prefix) + 2), output_field=BigIntegerField())
        highest = numbered.aggregate(n=Max(number))["n"]
        return prefix, highest, reference_counter_value()

    def find(self, *, limit: int) -> Finding:
        prefix, highest, value = self._state()
        if highest is None or (value is not None and value >= highest):
            return Finding(0)
        at = "missing" if value is None else f"at {value}"
        problem = (
            f"sequence “{prefix}” is {at} but {prefix}-{highest:06d} exists: "
            f"new tickets would be given references that are taken"
        )
        return Finding(1, [problem][:limit])

    def fix(self) -> list[str]:
        prefix, highest, value = self._state()
        if highest is None or (value is not None and value >= highest):
            return []
        # Only ever raised: a concurrent ticket_create may have moved it on in the meantime.
        reference_counter_advance(to=highest)
        return [f"sequence “{prefix}”: advanced from {value if value is not None else '(missing)'} to {highest}"]


class MissingCreatedEvent(Check):
    code = "missing-created-event"
    title = f"{plural(Ticket)} without a “{EventKind.CREATED.label}” {label(TicketEvent)}"
    advice = "History cannot be recreated after the fact; find out which import or script wrote these tickets."

    @staticmethod
    def _queryset():
        created = TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.CREATED)
        return Ticket.objects.filter(~Exists(created)).order_by("pk")

    def find(self, *, limit: int) -> Finding:
        qs = self._queryset()
        return Finding(qs.count(), examples(qs.values_list("reference", flat=True), limit, str))


def _last_move_to(status: str) -> Subquery:
    """When the history last moved the ticket to `status`."""
    moves = TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.STATUS_CHANGED, data__to=status)
    return Subquery(moves.order_by("-created_at", "-id").values("created_at")[:1])


class StatusTimestamps(Check):
    """The lifecycle's stamps: resolved/closed set exactly when the status says so (see ticket_transition)."""

    code = "status-timestamps"
    title = (
        f"{plural(Ticket)} whose status disagrees with their "
        f"“{label(Ticket, 'resolved_at')}” / “{label(Ticket, 'closed_at')}” times"
    )
    fixable = True
    advice = "Tickets without the matching status change in their history need their time set by hand."

    STRAY = Q(status__in=OPEN_STATUSES) & (Q(resolved_at__isnull=False) | Q(closed_at__isnull=False))
    RESOLVED_AND_CLOSED = Q(status=Status.RESOLVED, closed_at__isnull=False)
    RULES = {
        "resolved_without_time": (Q(status=Status.RESOLVED, resolved_at__isnull=True), "no “{resolved}” time"),
        "closed_without_time": (Q(status=Status.CLOSED, closed_at__isnull=True), "no “{closed}” time"),
        "open_with_end_time": (STRAY, "a “{resolved}” or “{closed}” time"),
        "resolved_with_closed_time": (RESOLVED_AND_CLOSED, "a “{closed}” time"),
    }

    @classmethod
    def _queryset(cls):
        any_rule = reduce(or_, (condition for condition, _ in cls.RULES.values()))
        flags = {
            name: ExpressionWrapper(condition, output_field=BooleanField())
            for name, (condition, _) in cls.RULES.items()
        }
        return Ticket.objects.filter(any_rule).annotate(**flags).order_by("pk")

    def _describe(self, row) -> str:
        names = {"resolved": label(Ticket, "resolved_at"), "closed": label(Ticket, "closed_at")}
        problems = [text.format(**names) for name, (_, text) in self.RULES.items() if row[name]]
        return f"{row['reference']}: {Status(row['status']).label.lower()} but with {' and '.join(problems)}"

    def find(self, *, limit: int) -> Finding:
        qs = self._queryset()
        rows = qs.values("reference", "status", *self.RULES)
        return Finding(qs.count(), examples(rows, limit, self._describe))

    def fix(self) -> list[str]:
        changes = []
        bump = {"version": F("version") + 1}
        # Stray end times: ticket_transition clears both on reopen, and a resolved ticket is not closed.
        for condition, fields in (
            (self.STRAY, ("resolved_at", "closed_at")),
            (self.RESOLVED_AND_CLOSED, ("closed_at",)),
        ):
            ids = list(Ticket.objects.filter(condition).order_by("pk").values_list("pk", flat=True))
            for batch in in_batches(ids):
                for row in Ticket.objects.filter(pk__in=batch).order_by("pk").values("reference", *fields):
                    cleared = "”, “".join(label(Ticket, f) for f in fields if row[f] is not None)
                    changes.append(f"{row['reference']}: cleared “{cleared}”")
                Ticket.objects.filter(pk__in=batch).update(**dict.fromkeys(fields), **bump)
        # Missing end times: taken from the history when it has the status change.
        for status, field in ((Status.RESOLVED, "resolved_at"), (Status.CLOSED, "closed_at")):
            qs = Ticket.objects.filter(status=status, **{f"{field}__isnull": True})
            qs = qs.annotate(moved_at=_last_move_to(status)).filter(moved_at__isnull=False)
            ids = list(qs.order_by("pk").values_list("pk", flat=True))
            for batch in in_batches(ids):
                for ref, moved_at in qs.filter(pk__in=batch).order_by("pk").values_list("reference", "moved_at"):
                    changes.append(
                        f"{ref}: set “{label(Ticket, field)}” to {moved_at:%Y-%m-%d %H:%M:%S} from its history"
                    )
                Ticket.objects.filter(pk__in=batch).update(**{field: _last_move_to(status)}, **bump)
        return changes


class TimestampBeforeCreated(Check):
    code = "timestamp-before-created"
    title = f"{plural(Ticket)} with a time stamp earlier than their “{label(Ticket, 'created_at')}” time"
    advice = "Correct the times by hand; they usually come from an import with the wrong time zone."
    FIELDS = ("updated_at", "first_responded_at", "resolved_at", "closed_at")

    @classmethod
    def _condition(cls) -> Q:
        q = Q()
        for field in cls.FIELDS:
            q |= Q(**{f"{field}__lt": F("created_at")})
        return q

    def _describe(self, ticket: Ticket) -> str:
        early = [
            label(Ticket, f) for f in self.FIELDS if (v := getattr(ticket, f)) is not None and v < ticket.created_at
        ]
        return f"{ticket.reference}: “{'”, “'.join(early)}” before “{label(Ticket, 'created_at')}”"

    def find(self, *, limit: int) -> Finding:
        qs = Ticket.objects.filter(self._condition()).order_by("pk")
        return Finding(
            qs.count(), examples(qs.only("pk", "reference", "created_at", *self.FIELDS), limit, self._describe)
        )
