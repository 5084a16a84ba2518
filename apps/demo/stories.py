"""Demo tickets: each one is a short story played through the ticket services, then moved back in time.

A story is planned first (a list of steps: create, assign, transitions, replies, notes, ...), every step gets a
point in time over the last ~60 days, and then the steps run through the services, so references, grants and
history are exactly what the product would have written. The services stamp everything with "now"; at the
end `backdate` moves those stamps to the planned times (see its docstring).
"""

import bisect
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from apps.tickets import services
from apps.tickets.choices import Priority, Source, Status
from apps.tickets.models import Attachment, Comment, Ticket, TicketEvent

from .people import REQUESTERS, Organisation
from .phrases import DUPLICATE_NOTE, GENERIC_NOTES, PHRASES, TRANSFER_NOTE, attachment_file, placeholders
from .topics import IT, TOPICS, Topic

HISTORY_DAYS = 60
LANGUAGE_WEIGHTS = {"en": 70, "de": 15, "tr": 15}
SOURCE_WEIGHTS = {Source.PORTAL: 55, Source.EMAIL: 20, Source.API: 10, Source.ADMIN: 15}
PRIORITY_WEIGHTS = {Priority.LOW: 20, Priority.NORMAL: 50, Priority.HIGH: 22, Priority.URGENT: 8}
# Young tickets are mostly untouched, old ones mostly done: (maximum age in days, status weights).
STATUS_WEIGHTS_BY_AGE = (
    (2, {Status.NEW: 35, Status.OPEN: 25, Status.IN_PROGRESS: 25, Status.WAITING: 10, Status.RESOLVED: 5}),
    (
        10,
        {
            Status.NEW: 8,
            Status.OPEN: 12,
            Status.IN_PROGRESS: 25,
            Status.WAITING: 15,
            Status.RESOLVED: 25,
            Status.CLOSED: 15,
        },
    ),
    (
        HISTORY_DAYS,
        {
            Status.NEW: 3,
            Status.OPEN: 4,
            Status.IN_PROGRESS: 8,
            Status.WAITING: 8,
            Status.RESOLVED: 22,
            Status.CLOSED: 55,
        },
    ),
)
# Hours between the previous step and this one: (low, high), by step kind.
GAPS = {
    "note": (0.1, 3),
    "reply:agent": (0.1, 6),
    "reply:requester": (1, 30),
    "transfer": (0.2, 6),
    "assign": (0.1, 4),
    "priority": (0.1, 2),
    f"status:{Status.OPEN}": (0.1, 5),
    f"status:{Status.IN_PROGRESS}": (0.1, 8),
    f"status:{Status.WAITING}": (0, 0.05),
    f"status:{Status.RESOLVED}": (0.1, 4),
    f"status:{Status.CLOSED}": (4, 96),
}


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Step:
    """One service call of a story. `actor` is a part, resolved when the step runs."""

    kind: str  # create, note, reply, transfer, assign, priority, status
    actor: str  # requester, agent (the assignee, else the department's agent), admin, system
    params: dict = field(default_factory=dict)

    @property
    def gap_key(self) -> str:
        if self.kind == "status":
            return f"status:{self.params['to']}"
        if self.kind == "reply":
            return f"reply:{'requester' if self.actor == 'requester' else 'agent'}"
        return self.kind


@dataclass
class Story:
    topic: Topic
    requester_index: int
    values: dict[str, str]
    steps: list[Step]
    whens: list[datetime] = field(default_factory=list)


def plan_story(rng: random.Random, *, topic: Topic, status: str, department_names: dict[str, str]) -> list[Step]:
    """The steps that take a new ticket about `topic` to `status`, along the lifecycle."""
    phrases = PHRASES[topic.language]
    source = pick(rng, SOURCE_WEIGHTS)
    misrouted = topic.department != IT and rng.random() < 0.2  # lands in the default department first
    creator = {Source.EMAIL: "system", Source.ADMIN: "agent"}.get(source, "requester")
    assigned = source == Source.ADMIN and not misrouted  # logged by an agent who takes it right away
    steps = [
        Step(
            "create",
            creator,
            {
                "source": source,
                "department": IT if misrouted else topic.department,
                "priority": pick(rng, PRIORITY_WEIGHTS),
                "assign_self": assigned,
            },
        )
    ]
    if misrouted:
        note = TRANSFER_NOTE.format(department=department_names[topic.department])
        steps += [Step("note", "agent", {"body": note}), Step("transfer", "agent", {"to": topic.department})]

    def reply(actor: str, body: str, **params) -> Step:
        return Step("reply", actor, {"body": body, **params})

    if status == Status.NEW:
        if rng.random() < 0.3:
            steps.append(reply("requester", rng.choice(phrases["follow_up"])))
        return steps
    if status == Status.CLOSED and rng.random() < 0.15:  # withdrawn by the requester, or a duplicate
        if rng.random() < 0.5:
            steps += [reply("requester", rng.choice(phrases["withdraw"])), Step("status", "requester", {"to": status})]
        else:
            steps += [Step("note", "agent", {"body": DUPLICATE_NOTE}), Step("status", "agent", {"to": status})]
        return steps

    if not assigned:
        steps.append(Step("assign", rng.choice(("agent", "admin")), {"to_admin": rng.random() < 0.08}))
    steps.append(Step("status", "agent", {"to": Status.OPEN}))
    if rng.random() < 0.6:
        steps.append(reply("agent", rng.choice(phrases["ack"])))
    if status == Status.OPEN:
        return steps
    if rng.random() < 0.15:
        steps.append(Step("priority", "agent", {"to": rng.choice((Priority.HIGH, Priority.URGENT))}))
    steps.append(Step("status", "agent", {"to": Status.IN_PROGRESS}))
    if rng.random() < 0.5:
        steps.append(Step("note", "agent", {"body": topic.note if rng.random() < 0.7 else rng.choice(GENERIC_NOTES)}))
    if status == Status.IN_PROGRESS:
        if rng.random() < 0.25:
            steps.append(reply("requester", rng.choice(phrases["follow_up"])))
        return steps
    if status == Status.WAITING or rng.random() < 0.6:
        steps += [reply("agent", topic.question), Step("status", "agent", {"to": Status.WAITING})]
        if status == Status.WAITING:
            return steps
        attach = topic.attachment if rng.random() < 0.5 else ""
        steps += [reply("requester", topic.answer, attach=attach), Step("status", "agent", {"to": Status.IN_PROGRESS})]
    steps += [reply("agent", topic.fix), Step("status", "agent", {"to": Status.RESOLVED})]
    if rng.random() < 0.12:  # reopened by the requester, fixed for good the second time
        steps += [
            reply("requester", rng.choice(phrases["reopen"])),
            Step("status", "requester", {"to": Status.OPEN}),
            Step("status", "agent", {"to": Status.IN_PROGRESS}),
            Step("note", "agent", {"body": rng.choice(GENERIC_NOTES)}),
            reply("agent", topic.fix),
            Step("status", "agent", {"to": Status.RESOLVED}),
        ]
    if status == Status.CLOSED:
        if rng.random() < 0.6:
            steps += [reply("requester", rng.choice(phrases["thanks"])), Step("status", "requester", {"to": status})]
        else:
            steps.append(Step("status", "agent", {"to": status}))
    return steps


def schedule(rng: random.Random, steps: list[Step], *, created: datetime, latest: datetime) -> list[datetime]:
    """A point in time per step, from `created`, squeezed to end before `latest` when the story is long."""
    gaps = [timedelta(hours=rng.uniform(*GAPS[s.gap_key])) for s in steps[1:]]
    total = sum(gaps, timedelta())
    room = latest - created
    if total > room:
        gaps = [g * (room / total) for g in gaps]
    whens = [created]
    for gap in gaps:
        whens.append(whens[-1] + gap)
    return whens


def plan_stories(
    rng: random.Random,
    *,
    count: int,
    now: datetime,
    department_names: dict[str, str],
    round_the_clock: dict[str, int],
) -> list[Story]:
    """`count` stories, oldest first (so references grow with creation time), spread over the history; the newest
    is breaching soon (`round_the_clock`: department slug → first-response minutes of its urgent policy, when that
    policy runs around the clock)."""
    history = timedelta(days=HISTORY_DAYS)
    latest = now - timedelta(minutes=1)
    # u ** 1.5 puts more tickets in the recent past than in the distant one, like a growing help desk.
    ages = sorted((timedelta(minutes=5) + history * rng.random() ** 1.5 for _ in range(count)), reverse=True)
    stories = []
    for age in ages:
        language = pick(rng, LANGUAGE_WEIGHTS)
        topic = rng.choice([t for t in TOPICS if t.language == language])
        weights = next(w for days, w in STATUS_WEIGHTS_BY_AGE if age <= timedelta(days=days))
        status = pick(rng, weights)
        steps = plan_story(rng, topic=topic, status=status, department_names=department_names)
        created = (now - age).replace(microsecond=0)
        requester_index = rng.randrange(len(REQUESTERS))
        story = Story(topic=topic, requester_index=requester_index, values=placeholders(rng), steps=steps)
        story.whens = schedule(rng, steps, created=created, latest=latest)
        stories.append(story)
    if stories and round_the_clock:
        # In place of the newest story, at its place in time: references still grow with creation time.
        soon = breaching_soon(stories.pop(), now=now, round_the_clock=round_the_clock)
        stories.insert(bisect.bisect_right([story.whens[0] for story in stories], soon.whens[0]), soon)
    return stories


def breaching_soon(story: Story, *, now: datetime, round_the_clock: dict[str, int]) -> Story:
    """The newest story made into an urgent ticket nobody has answered yet, whose first response falls due half a
    warning window from now: "Breaching soon" whatever the hour, weekday or holiday of seeding, as its department's
    urgent target runs around the clock (workspace.SLA_TARGETS). Planned without the random generator: the other
    stories stay the same."""
    topic = story.topic
    department = topic.department if topic.department in round_the_clock else min(round_the_clock)
    window = timedelta(minutes=settings.SLA_WARNING_MINUTES)
    age = max(timedelta(minutes=round_the_clock[department]) - window / 2, timedelta(minutes=1))
    create = Step(
        "create",
        "requester",
        {"source": Source.PORTAL, "department": department, "priority": Priority.URGENT, "assign_self": False},
    )
    created = (now - age).replace(microsecond=0)
    return Story(
        topic=topic, requester_index=story.requester_index, values=story.values, steps=[create], whens=[created]
    )


class Timeline:
    """Maps the wall-clock stamps the services wrote during a story to the story's planned times."""

    def __init__(self) -> None:
        self.started = timezone.now()
        self.ends: list[datetime] = []  # wall clock at the end of each step
        self.whens: list[datetime] = []  # planned time of each step

    def mark(self, when: datetime) -> None:
        self.ends.append(timezone.now())
        self.whens.append(when)

    def map(self, value: datetime) -> datetime:
        if value < self.started:
            return value
        index = bisect.bisect_left(self.ends, value)
        if index < len(self.whens):
            return self.whens[index]
        # Later than the story itself, e.g. a due date computed at creation: keep its distance from creation.
        return value + (self.whens[0] - self.started)


class StoryTeller:
    """Plays stories through the services."""

    def __init__(self, org: Organisation):
        self.org = org

    def actor(self, part: str, ticket: Ticket | None, story: Story):
        if part == "requester":
            return self.org.requesters[story.requester_index]
        if part == "admin":
            return self.org.admin
        if part == "system":
            return None
        department = ticket.department.slug if ticket else story.steps[0].params["department"]
        if ticket is not None and ticket.assignee_id:
            return ticket.assignee
        return self.org.agent_of(department)

    def tell(self, story: Story) -> tuple[Ticket, Timeline]:
        timeline = Timeline()
        ticket = None
        for step, when in zip(story.steps, story.whens, strict=True):
            actor = self.actor(step.actor, ticket, story)
            ticket = self.run(step, actor, ticket, story)
            timeline.mark(when)
        return ticket, timeline

    def run(self, step: Step, actor, ticket: Ticket | None, story: Story) -> Ticket:
        p = step.params
        if step.kind == "create":
            topic, values = story.topic, story.values
            department = self.org.departments[p["department"]]
            return services.ticket_create(
                actor=actor,
                requester=self.org.requesters[story.requester_index],
                title=_title(story),
                description=topic.description.format_map(values),
                department=department,
                category=topic.category,
                priority=p["priority"],
                assignee=self.org.agent_of(department.slug) if p["assign_self"] else None,
                language=topic.language,
                source=p["source"],
            )
        if step.kind == "transfer":
            return services.ticket_transfer(ticket=ticket, actor=actor, department=self.org.departments[p["to"]])
        if step.kind == "assign":
            assignee = self.org.admin if p["to_admin"] else self.org.agent_of(ticket.department.slug)
            return services.ticket_assign(ticket=ticket, actor=actor, assignee=assignee)
        if step.kind == "priority":
            return services.ticket_update(ticket=ticket, actor=actor, priority=p["to"])
        if step.kind == "status":
            return services.ticket_transition(ticket=ticket, actor=actor, to_status=p["to"])
        if step.kind in ("reply", "note"):
            values = {**story.values, "other": _other_reference(ticket)} if "{other}" in p["body"] else story.values
            body = p["body"].format_map(values)
            uploads = []
            if p.get("attach"):
                name, content = attachment_file(p["attach"], story.values)
                uploads.append(SimpleUploadedFile(name, content))
            services.comment_add(
                ticket=ticket, actor=actor, body=body, is_internal=step.kind == "note", uploads=uploads
            )
            return ticket
        raise ValueError(f"unknown step {step.kind!r}")


def _title(story: Story) -> str:
    # The title variant is chosen by the placeholders' values, so it is as deterministic as they are.
    titles = story.topic.titles
    return titles[sum(map(ord, story.values["order"])) % len(titles)].format_map(story.values)


def _other_reference(ticket: Ticket) -> str:
    """The department's previous ticket: what a duplicate is a duplicate of."""
    earlier = Ticket.objects.filter(department=ticket.department_id, pk__lt=ticket.pk).order_by("-pk")
    return earlier.values_list("reference", flat=True).first() or ticket.reference


def tell_stories(org: Organisation, stories: list[Story]) -> dict[int, Timeline]:
    """Create the tickets; return each ticket's timeline for `backdate`."""
    teller = StoryTeller(org)
    timelines = {}
    for story in stories:
        ticket, timeline = teller.tell(story)
        timelines[ticket.pk] = timeline
    return timelines


def backdate(timelines: dict[int, Timeline]) -> None:
    """Move the services' "now" stamps of the demo tickets to their planned times.

    Demo data needs history, and the services (rightly) take no `created_at` argument. This is the one
    place outside the services that writes these columns: tickets, events, comments and attachments of the
    tickets just seeded, in a few set-based UPDATEs. Any date-time field set during a step gets that step's
    time, so the history stays consistent whatever the services stamp.
    """
    _backdate(Ticket.objects.filter(pk__in=list(timelines)), timelines, key="pk")
    for model in (TicketEvent, Comment, Attachment):
        _backdate(model.objects.filter(ticket__in=list(timelines)), timelines, key="ticket_id")


def _backdate(queryset: models.QuerySet, timelines: dict[int, Timeline], *, key: str) -> None:
    model = queryset.model
    fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]
    rows = list(queryset.only(key, *fields))
    for row in rows:
        timeline = timelines[getattr(row, key)]
        for name in fields:
            value = getattr(row, name)
            if value is not None:
                setattr(row, name, timeline.map(value))
    model.objects.bulk_update(rows, fields, batch_size=250)
