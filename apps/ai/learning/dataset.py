"""Which tickets teach the learning triage, and what each one teaches (reads only; no scikit-learn here).

A ticket is labelled once agents have finished it: it is resolved or closed after having been resolved
(`resolved_at` is set; a ticket cancelled from new or open teaches nothing). Its labels:

- department: the department it is in now, i.e. the last one after every transfer (active departments only);
- priority: the last priority a staff member (agent or admin) set, from the ticket's "priority changed" events,
  or the priority it was created with when a staff member created it; a priority nobody on the staff ever
  chose (the default of a portal ticket) is no label;
- category: the last category a staff member set in a "details edited" event, or the category it was created
  with when a staff member created it; a category only the requester chose is no label.

Held-out tickets are chosen by a hash of the ticket's id (one in HELDOUT_BUCKETS): the same tickets stay
held out across trainings, so no model version has ever been trained on them and versions compare fairly.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q

from apps.departments.models import Department
from apps.tickets.choices import EventKind, Status
from apps.tickets.models import Ticket, TicketEvent

from ..choices import LearnTarget

HELDOUT_BUCKETS = 5  # one ticket in five is held out
MODEL_TEXT_CHARS = 1500  # a model reads the first characters of title + description (bounds time and memory)
CHUNK = 2000


@dataclass
class Example:
    ticket_id: int
    text: str
    language: str
    labels: dict[str, str] = field(default_factory=dict)  # target → label (department id as a string)
    heldout: bool = False


def is_heldout(ticket_id: int) -> bool:
    """Whether the ticket is one of the held-out tickets (stable: a hash of its id)."""
    digest = hashlib.sha256(str(ticket_id).encode()).digest()
    return digest[0] % HELDOUT_BUCKETS == 0


def ticket_text(title: str, description: str) -> str:
    """The text a model reads: the same prefix of title and description that the provider reads."""
    return f"{title}\n\n{description}"[: settings.AI_MAX_ANALYSED_CHARS]


def model_text(text: str) -> str:
    return text[:MODEL_TEXT_CHARS]


def _staff_settings(ticket_ids: list[int]) -> dict[int, dict[str, str]]:
    """Per ticket, the last priority and category a staff member set (or created the ticket with)."""
    found: dict[int, dict[str, str]] = {}
    first_category: dict[int, str] = {}
    events = (
        TicketEvent.objects.filter(ticket_id__in=ticket_ids)
        .filter(
            Q(kind__in=[EventKind.CREATED, EventKind.PRIORITY_CHANGED])
            | Q(kind=EventKind.UPDATED, data__changes__has_key="category")
        )
        .order_by("pk")
        .values_list("ticket_id", "kind", "data", "actor__is_staff")
    )
    for ticket_id, kind, data, by_staff in events:
        data = data or {}
        labels = found.setdefault(ticket_id, {})
        if kind == EventKind.UPDATED:
            old, new = data["changes"]["category"]
            first_category.setdefault(ticket_id, old)
            if by_staff:
                labels[LearnTarget.CATEGORY] = new
            else:
                labels.pop(LearnTarget.CATEGORY, None)  # a later change by someone else overrides the agent's
        elif kind == EventKind.PRIORITY_CHANGED:
            if by_staff:
                labels[LearnTarget.PRIORITY] = data.get("to", "")
            else:
                labels.pop(LearnTarget.PRIORITY, None)
        elif by_staff:  # created by a staff member: what it was created with was their choice
            labels[LearnTarget.PRIORITY] = data.get("priority", "")
            labels["created_by_staff"] = "1"
    for ticket_id, labels in found.items():
        # Created by staff and no category edit by staff since: the creation value is the label, unless someone
        # else changed it since. "" is filled from the ticket by the caller (the category was never edited).
        created_by_staff = labels.pop("created_by_staff", None)
        if created_by_staff and LearnTarget.CATEGORY not in labels and ticket_id not in first_category:
            labels[LearnTarget.CATEGORY] = ""
    return found


def labelled_tickets(*, limit: int | None = None) -> Iterator[Example]:
    """The labelled tickets (oldest first; the newest `limit`, settings.AI_LEARN_MAX_TICKETS by default) with
    their text, language and the labels they have (see the module)."""
    limit = settings.AI_LEARN_MAX_TICKETS if limit is None else limit
    departments = set(Department.objects.filter(is_active=True).values_list("pk", flat=True))
    finished = Ticket.objects.filter(status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__isnull=False)
    # The newest tickets teach what the desk does now, and the bound keeps training time and memory bounded.
    oldest = finished.order_by("-pk").values_list("pk", flat=True)[limit - 1 : limit].first() if limit else None
    if oldest is not None:
        finished = finished.filter(pk__gte=oldest)
    tickets = finished.order_by("pk").values_list(
        "pk", "title", "description", "language", "insight__language", "department_id", "category"
    )
    last_pk = 0
    while True:
        rows = list(tickets.filter(pk__gt=last_pk)[:CHUNK])
        if not rows:
            return
        last_pk = rows[-1][0]
        staff = _staff_settings([row[0] for row in rows])
        for pk, title, description, language, detected, department_id, category in rows:
            labels = dict(staff.get(pk, {}))
            if labels.get(LearnTarget.CATEGORY) == "":
                labels[LearnTarget.CATEGORY] = category
            labels = {target: value for target, value in labels.items() if value}
            if department_id in departments:
                labels[LearnTarget.DEPARTMENT] = str(department_id)
            yield Example(
                ticket_id=pk,
                text=ticket_text(title, description),
                language=language or detected or "",
                labels=labels,
                heldout=is_heldout(pk),
            )
