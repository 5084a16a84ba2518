"""check_data: every kind of broken data is reported (exit 1), --fix repairs what is safe, then all is clean."""

import io
import os
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.departments.models import Department
from apps.tickets.choices import EventKind, Status
from apps.tickets.models import (
    Attachment,
    Ticket,
    TicketEvent,
    TicketGroupObjectPermission,
    TicketUserObjectPermission,
)
from apps.tickets.references import reference_counter_reset, reference_counter_value
from apps.tickets.search import tickets_search
from apps.tickets.selectors import tickets_visible_to
from apps.tickets.services import attachment_add, ticket_transition
from tests.support import assert_constant_queries
from tests.tickets.factories import TicketFactory

CLEAN = "No problems found (15 checks).\n"


def check_data(*args: str) -> tuple[int, str]:
    """(exit status, output) of `manage.py check_data *args`."""
    out = io.StringIO()
    try:
        call_command("check_data", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, f"{out.getvalue()}{exc}\n"
    return 0, out.getvalue()


def group_grants(ticket) -> set[tuple[str, str]]:
    rows = TicketGroupObjectPermission.objects.filter(content_object=ticket)
    return set(rows.values_list("group__name", "permission__codename"))


def user_grants(ticket) -> set[tuple[str, str]]:
    rows = TicketUserObjectPermission.objects.filter(content_object=ticket)
    return set(rows.values_list("user__username", "permission__codename"))


@pytest.fixture
def assigned(it_dept, requester, agent):
    """An IT Support ticket of carol, assigned to alice."""
    return TicketFactory(department=it_dept, requester=requester, assignee=agent, title="VPN drops")


@pytest.fixture
def unassigned(billing_dept, other_requester, other_agent):
    """A Billing ticket of dave, not assigned (bob exists as Billing's agent)."""
    return TicketFactory(department=billing_dept, requester=other_requester, title="Invoice 42 is wrong")


@pytest.fixture
def tickets(assigned, unassigned):
    return assigned, unassigned


def assert_fixed_then_clean(expected_changes: list[str]) -> None:
    code, out = check_data("--fix")
    changes = [line.strip() for line in out.splitlines() if line.startswith("  [")]
    assert (code, changes) == (0, expected_changes), out
    assert out.endswith("All problems repaired: the data is clean now.\n")
    assert check_data() == (0, CLEAN)


# --- clean data ---------------------------------------------------------------------------------------------------


def test_clean_data_reports_nothing_and_exits_0(tickets):
    assert check_data() == (0, CLEAN)
    assert check_data("--fix") == (0, CLEAN)


def test_empty_database_is_clean(db):
    assert check_data() == (0, CLEAN)


def test_verbosity_2_lists_every_check(tickets):
    code, out = check_data("-v", "2")
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()[:-1]] == [
        "ok    department-group-name",
        "ok    orphan-department-group",
        "ok    default-department",
        "ok    requester-in-department",
        "ok    invalid-assignee",
        "ok    missing-grants",
        "ok    stale-department-grants",
        "ok    reference-sequence",
        "ok    missing-created-event",
        "ok    status-timestamps",
        "ok    timestamp-before-created",
        "ok    stale-search-documents",
        "ok    attachment-file-missing",
        "ok    orphan-attachment-file",
        "ok    figures",
    ]


def test_query_count_does_not_grow_with_the_number_of_tickets(it_dept, requester, agent):
    measured = assert_constant_queries(
        check_data,
        add_rows=lambda count: TicketFactory.create_batch(
            count, department=it_dept, requester=requester, assignee=agent
        ),
        status=None,
    )
    assert measured.few[0] == measured.many[0] == 0


# --- grants ---------------------------------------------------------------------------------------------------------

TITLE_MISSING = (
    "FOUND missing-grants: Tickets whose department group, requester or assignee lacks a standard grant: "
    "1 (fixable with --fix)"
)


@pytest.mark.parametrize(
    ("holder", "codename", "described"),
    [
        ("group", "view_ticket", "department group “department:it-support”"),
        ("group", "change_ticket", "department group “department:it-support”"),
        ("carol", "view_ticket", "requester carol"),
        ("alice", "view_ticket", "assignee alice"),
        ("alice", "change_ticket", "assignee alice"),
    ],
)
def test_missing_grant(assigned, holder, codename, described):
    before = (group_grants(assigned), user_grants(assigned))
    if holder == "group":
        TicketGroupObjectPermission.objects.filter(content_object=assigned, permission__codename=codename).delete()
    else:
        TicketUserObjectPermission.objects.filter(
            content_object=assigned, user__username=holder, permission__codename=codename
        ).delete()

    code, out = check_data()
    assert code == 1
    assert f"{TITLE_MISSING}\n        {assigned.reference} (IT Support): {described} lacks {codename}\n" in out
    assert out.endswith("1 kind(s) of problem found (1 can be repaired with --fix).\n")
    assert (group_grants(assigned), user_grants(assigned)) != before  # reporting changed nothing

    assert_fixed_then_clean([f"[missing-grants] {assigned.reference}: granted {codename} to {described}"])
    assert (group_grants(assigned), user_grants(assigned)) == before


def test_requester_who_is_also_the_assignee_lacks_one_grant_not_two(it_dept, agent):
    own = TicketFactory(department=it_dept, requester=agent, assignee=agent)
    TicketUserObjectPermission.objects.filter(content_object=own, permission__codename="view_ticket").delete()

    code, out = check_data()
    assert code == 1
    assert f"        {own.reference} (IT Support): requester alice lacks view_ticket\n" in out
    assert_fixed_then_clean([f"[missing-grants] {own.reference}: granted view_ticket to requester alice"])
    assert user_grants(own) == {("alice", "view_ticket"), ("alice", "change_ticket")}


def test_missing_grants_limit_shows_first_examples_and_how_many_more(it_dept, requester):
    first, *_ = TicketFactory.create_batch(3, department=it_dept, requester=requester)
    TicketUserObjectPermission.objects.filter(user=requester).delete()

    code, out = check_data("--limit", "1")
    assert code == 1
    assert (
        "FOUND missing-grants: Tickets whose department group, requester or assignee lacks a standard grant: "
        f"3 (fixable with --fix)\n        {first.reference} (IT Support): requester carol lacks view_ticket\n"
        "        … and 2 more\n"
    ) in out


def test_stale_department_grant(tickets, billing_dept):
    assigned, _ = tickets
    TicketGroupObjectPermission.objects.create(
        content_object=assigned,
        group=billing_dept.group,
        permission=TicketGroupObjectPermission.objects.filter(content_object=assigned).first().permission,
    )
    stale = TicketGroupObjectPermission.objects.filter(content_object=assigned, group=billing_dept.group).get()
    codename = stale.permission.codename

    code, out = check_data()
    assert code == 1
    assert (
        "FOUND stale-department-grants: Department groups holding grants on tickets of another department: "
        f"1 (fixable with --fix)\n        {assigned.reference} (IT Support): group “department:billing” "
        f"of department Billing holds {codename}\n"
    ) in out

    assert_fixed_then_clean(
        [
            f"[stale-department-grants] {assigned.reference} (IT Support): group “department:billing” "
            f"of department Billing holds {codename}: removed"
        ]
    )
    assert group_grants(assigned) == {
        ("department:it-support", "view_ticket"),
        ("department:it-support", "change_ticket"),
    }


def test_transfer_by_queryset_update_is_repaired(tickets, billing_dept):
    """A bulk UPDATE of the department bypasses ticket_transfer: the grants stay with the old department."""
    assigned, _ = tickets
    Ticket.objects.filter(pk=assigned.pk).update(department=billing_dept)

    code, out = check_data()
    assert code == 1
    assert f"{assigned.reference} (Billing): department group “department:billing” lacks change_ticket; " in out
    assert "FOUND stale-department-grants" in out

    ref = assigned.reference
    assert_fixed_then_clean(
        [
            f"[missing-grants] {ref}: granted change_ticket to department group “department:billing”",
            f"[missing-grants] {ref}: granted view_ticket to department group “department:billing”",
            f"[stale-department-grants] {ref} (Billing): group “department:it-support” "
            "of department IT Support holds change_ticket: removed",
            f"[stale-department-grants] {ref} (Billing): group “department:it-support” "
            "of department IT Support holds view_ticket: removed",
            # The figures follow the ticket to Billing too (apps/tickets/aggregates.py).
            "[figures] figures: 4 buckets disagreed; recounted (2 day rows, 2 open counts)",
        ]
    )
    assert group_grants(assigned) == {("department:billing", "view_ticket"), ("department:billing", "change_ticket")}


def test_user_shares_are_not_reported(tickets, other_agent, other_requester):
    """Grants to other users are shares an admin made on the object-permission page."""
    assigned, _ = tickets
    permissions = {p.permission.codename: p.permission for p in TicketGroupObjectPermission.objects.all()}
    TicketUserObjectPermission.objects.create(
        content_object=assigned, user=other_agent, permission=permissions["change_ticket"]
    )
    TicketUserObjectPermission.objects.create(
        content_object=assigned, user=other_requester, permission=permissions["view_ticket"]
    )
    assert check_data() == (0, CLEAN)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"is_active": False}, "inactive"),
        ({"role": Role.REQUESTER, "is_staff": False}, "a requester, not an agent or admin"),
    ],
)
def test_assignee_that_cannot_work_tickets_is_unassigned(tickets, agent, change, why):
    assigned, _ = tickets
    User.objects.filter(pk=agent.pk).update(**change)

    code, out = check_data()
    assert code == 1
    assert (
        "FOUND invalid-assignee: Tickets assigned to an account that is not an active agent or admin: "
        f"1 (fixable with --fix)\n        {assigned.reference}: assignee alice is {why}\n"
    ) in out

    expected = [
        f"[invalid-assignee] {assigned.reference}: assignee alice is {why}: unassigned, assignee grants removed"
    ]
    if "role" in change:  # a requester who is still in IT Support's group is reported (and removed) too
        expected.insert(
            0,
            "[requester-in-department] alice (requester) is a member of department IT Support: "
            "removed from the department",
        )
    assert_fixed_then_clean(expected)

    assigned.refresh_from_db()
    assert (assigned.assignee_id, assigned.version) == (None, 2)
    assert user_grants(assigned) == {("carol", "view_ticket")}
    event = assigned.events.order_by("-id").first()
    assert (event.kind, event.actor_id, event.data) == (EventKind.ASSIGNED, None, {"from": agent.pk, "to": None})


def test_requester_in_department_group_is_removed(tickets, it_dept, requester):
    it_dept.group.user_set.add(requester)

    code, out = check_data()
    assert code == 1
    assert (
        "FOUND requester-in-department: Departments whose group has members who are not agents or admins: "
        "1 (fixable with --fix)\n        carol (requester) is a member of department IT Support\n"
    ) in out

    assert_fixed_then_clean(
        [
            "[requester-in-department] carol (requester) is a member of department IT Support: "
            "removed from the department"
        ]
    )
    assert list(requester.groups.all()) == []


# --- departments ----------------------------------------------------------------------------------------------------


def test_misnamed_department_group_is_renamed(tickets, billing_dept):
    Group.objects.filter(pk=billing_dept.group_id).update(name="Billing team")

    code, out = check_data()
    assert code == 1
    assert (
        "FOUND department-group-name: Departments whose group is not named department:<slug>: 1 (fixable with --fix)\n"
        "        Billing: group is “Billing team”, expected “department:billing”\n"
    ) in out

    assert_fixed_then_clean(
        ["[department-group-name] Billing: group is “Billing team”, expected “department:billing”: renamed"]
    )
    assert Group.objects.get(pk=billing_dept.group_id).name == "department:billing"


def test_orphan_department_group_is_reported_and_not_fixable(tickets):
    ghost = Group.objects.create(name="department:ghost")

    code, out = check_data()
    assert code == 1
    assert (
        "FOUND orphan-department-group: Groups named department:* that belong to no department: "
        "1 (not fixable automatically)\n        “department:ghost”: 0 member(s), 0 grant(s) on tickets\n"
    ) in out

    code, out = check_data("--fix")
    assert code == 1
    assert out.endswith("1 kind(s) of problem found; none can be repaired with --fix.\n")
    assert Group.objects.filter(pk=ghost.pk).exists()


def test_misnamed_group_whose_name_is_taken_is_left_for_an_operator(tickets, billing_dept):
    Group.objects.filter(pk=billing_dept.group_id).update(name="Billing team")
    Group.objects.create(name="department:billing")

    code, out = check_data("--fix")
    assert code == 1
    assert "Changes made (0):\n" in out
    assert "Still wrong after repairing:\nFOUND department-group-name" in out
    assert Group.objects.get(pk=billing_dept.group_id).name == "Billing team"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"is_default": False}, "no department is the default"),
        ({"is_active": False}, "the default department IT Support is not active"),
    ],
)
def test_default_department(tickets, it_dept, change, problem):
    Department.objects.filter(pk=it_dept.pk).update(**change)

    code, out = check_data()
    assert code == 1
    assert (
        "FOUND default-department: Not exactly one active default department: 1 (not fixable automatically)\n"
        f"        {problem}\n"
    ) in out


# --- ticket rows ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["behind", "missing"])
def test_reference_sequence_behind_is_advanced(tickets, state):
    highest = max(int(t.reference.split("-")[1]) for t in tickets)
    reference_counter_reset(to=1 if state == "behind" else None)

    code, out = check_data()
    assert code == 1
    at = "at 1" if state == "behind" else "missing"
    assert (
        f"        sequence “TCK” is {at} but TCK-{highest:06d} exists: "
        "new tickets would be given references that are taken\n"
    ) in out

    before = "1" if state == "behind" else "(missing)"
    assert_fixed_then_clean([f"[reference-sequence] sequence “TCK”: advanced from {before} to {highest}"])
    assert reference_counter_value() == highest
    assert TicketFactory(department=tickets[0].department).reference == f"TCK-{highest + 1:06d}"


def test_missing_created_event_is_reported_and_not_fixable(tickets):
    assigned, _ = tickets
    TicketEvent.objects.filter(ticket=assigned, kind=EventKind.CREATED).delete()

    code, out = check_data()
    assert code == 1
    assert (
        "FOUND missing-created-event: Tickets without a “Created” ticket event: 1 (not fixable automatically)\n"
        f"        {assigned.reference}\n"
    ) in out
    assert check_data("--fix")[0] == 1
    assert not assigned.events.filter(kind=EventKind.CREATED).exists()


# --- search documents ---------------------------------------------------------------------------------------------


def test_stale_search_documents_are_rebuilt(tickets, agent):
    """A write that bypassed the services leaves documents behind the text (PostgreSQL keeps them; elsewhere
    there are none to check)."""
    assigned, unassigned = tickets
    Ticket.objects.filter(pk=assigned.pk).update(title="Kookaburra on the line")
    Ticket.objects.filter(pk=unassigned.pk).update(search_internal=None)

    def found(word):
        return [t.reference for t in tickets_search(tickets_visible_to(agent), user=agent, text=word)]

    if connection.vendor != "postgresql":
        assert check_data() == (0, CLEAN)
        assert found("kookaburra") == [assigned.reference]
        return
    assert found("kookaburra") == []
    code, out = check_data()
    assert code == 1
    assert (
        "FOUND stale-search-documents: Tickets whose stored search documents differ from their text (PostgreSQL): "
        f"2 (fixable with --fix)\n        {assigned.reference}\n        {unassigned.reference}\n"
    ) in out
    assert_fixed_then_clean(
        [
            f"[stale-search-documents] {assigned.reference}: search documents rebuilt",
            f"[stale-search-documents] {unassigned.reference}: search documents rebuilt",
        ]
    )
    assert found("kookaburra") == [assigned.reference]
    assert Ticket.objects.get(pk=unassigned.pk).search_internal == ""


def _resolve(ticket, actor):
    for status in (Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED):
        ticket = ticket_transition(ticket=ticket, actor=actor, to_status=status)
    return ticket


def test_missing_resolved_time_is_taken_from_the_history(tickets, agent):
    assigned, _ = tickets
    resolved = _resolve(assigned, agent)
    moved_at = resolved.events.get(kind=EventKind.STATUS_CHANGED, data__to=Status.RESOLVED).created_at
    Ticket.objects.filter(pk=resolved.pk).update(resolved_at=None)

    code, out = check_data()
    assert code == 1
    assert f"        {resolved.reference}: resolved but with no “resolved” time\n" in out

    assert_fixed_then_clean(
        [f"[status-timestamps] {resolved.reference}: set “resolved” to {moved_at:%Y-%m-%d %H:%M:%S} from its history"]
    )
    resolved_again = Ticket.objects.get(pk=resolved.pk)
    assert (resolved_again.resolved_at, resolved_again.version) == (moved_at, resolved.version + 1)


def test_stray_end_times_are_cleared(tickets, agent):
    assigned, unassigned = tickets
    resolved = _resolve(assigned, agent)
    Ticket.objects.filter(pk=resolved.pk).update(closed_at=resolved.resolved_at)
    Ticket.objects.filter(pk=unassigned.pk).update(closed_at=unassigned.created_at)

    code, out = check_data()
    assert code == 1
    assert f"        {resolved.reference}: resolved but with a “closed” time\n" in out
    assert f"        {unassigned.reference}: new but with a “resolved” or “closed” time\n" in out

    assert_fixed_then_clean(
        [
            f"[status-timestamps] {unassigned.reference}: cleared “closed”",
            f"[status-timestamps] {resolved.reference}: cleared “closed”",
        ]
    )
    assert Ticket.objects.get(pk=unassigned.pk).closed_at is None
    assert Ticket.objects.get(pk=resolved.pk).closed_at is None


def test_closed_without_time_or_history_is_left_for_an_operator(tickets):
    _, unassigned = tickets
    Ticket.objects.filter(pk=unassigned.pk).update(status=Status.CLOSED)

    code, out = check_data("--fix")
    assert code == 1
    # Only the figures are recounted (the ticket no longer counts as open); its time is left for an operator.
    assert "Changes made (1):\n  [figures] figures: 1 buckets disagreed; recounted (2 day rows, 1 open counts)\n" in out
    assert f"        {unassigned.reference}: closed but with no “closed” time\n" in out
    assert out.endswith("1 kind(s) of problem remain after --fix.\n")


def test_timestamp_before_created_is_reported_and_not_fixable(tickets):
    assigned, _ = tickets
    Ticket.objects.filter(pk=assigned.pk).update(updated_at=assigned.created_at - timedelta(days=1))

    code, out = check_data()
    assert code == 1
    assert (
        "FOUND timestamp-before-created: Tickets with a time stamp earlier than their “created” time: "
        f"1 (not fixable automatically)\n        {assigned.reference}: “updated” before “created”\n"
    ) in out


# --- files ----------------------------------------------------------------------------------------------------------


def _storage():
    return Attachment._meta.get_field("file").storage


def test_attachment_whose_file_is_missing(tickets, requester):
    assigned, _ = tickets
    attachment = attachment_add(
        ticket=assigned, actor=requester, upload=SimpleUploadedFile("error.log", b"E-203 paper jam\n")
    )
    assert check_data() == (0, CLEAN)
    _storage().delete(attachment.file.name)

    code, out = check_data()
    assert code == 1
    assert (
        "FOUND attachment-file-missing: Attachments whose file is missing from the storage: "
        "1 (not fixable automatically)\n"
        f"        {assigned.reference}: “error.log” (file {attachment.file.name})\n"
    ) in out


def test_orphan_files_older_than_an_hour_are_deleted(tickets, requester):
    assigned, _ = tickets
    kept = attachment_add(ticket=assigned, actor=requester, upload=SimpleUploadedFile("a.txt", b"referenced"))
    storage = _storage()
    old = storage.save("attachments/2020/01/orphan.txt", ContentFile(b"rolled back"))
    two_hours_ago = time.time() - 2 * 3600
    os.utime(storage.path(old), (two_hours_ago, two_hours_ago))
    os.utime(storage.path(kept.file.name), (two_hours_ago, two_hours_ago))
    fresh = storage.save("attachments/2020/01/uploading.txt", ContentFile(b"not committed yet"))

    code, out = check_data()
    assert code == 1
    assert (
        "FOUND orphan-attachment-file: Files under attachments/ that no attachment refers to (older than one hour): "
        f"1 (fixable with --fix)\n        {old} (modified "
    ) in out

    assert_fixed_then_clean([f"[orphan-attachment-file] {old}: deleted"])
    assert (storage.exists(old), storage.exists(fresh), storage.exists(kept.file.name)) == (False, True, True)
