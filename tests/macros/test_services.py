"""Saving macros (who may keep which) and applying them: reply, note, actions in one transaction."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.macros.choices import AssignTo, Scope
from apps.macros.models import Macro
from apps.macros.selectors import macros_for_ticket, macros_visible_to
from apps.macros.services import macro_apply, macro_delete, macro_save
from apps.tickets.choices import EventKind, Priority, Status
from apps.tickets.models import Ticket
from apps.tickets.services import ticket_transition
from tests.macros.factories import make_macro
from tests.support import db_state

# Scopes -----------------------------------------------------------------------------------------------------------


def titles(queryset) -> list[str]:
    return list(queryset.values_list("title", flat=True))


def test_each_user_sees_the_macros_of_their_scope(macros, admin_user, agent, other_agent, requester, ticket):
    assert titles(macros_visible_to(agent)) == ["Alice's", "Everyone", "IT"]
    assert titles(macros_visible_to(other_agent)) == ["Billing", "Bob's", "Everyone"]
    assert titles(macros_visible_to(admin_user)) == ["Billing", "Everyone", "IT"]
    assert titles(macros_visible_to(requester)) == []
    # On an IT ticket, Billing's macros are not offered, not even to an admin.
    assert titles(macros_for_ticket(admin_user, ticket)) == ["Everyone", "IT"]
    assert titles(macros_for_ticket(other_agent, ticket)) == ["Bob's", "Everyone"]


def test_an_inactive_macro_is_offered_to_nobody(macros, agent, admin_user):
    macro = macros["it"]
    macro.is_active = False
    macro_save(macro=macro, actor=admin_user)
    assert titles(macros_visible_to(agent)) == ["Alice's", "Everyone"]


# Saving -----------------------------------------------------------------------------------------------------------


def test_an_agent_keeps_private_macros_only(agent, it_dept):
    for fields in ({"scope": Scope.EVERYONE}, {"scope": Scope.DEPARTMENT, "department": it_dept}):
        with pytest.raises(PermissionDenied):
            make_macro(agent, **fields)
    assert Macro.objects.count() == 0

    mine = make_macro(agent, scope=Scope.PRIVATE)
    assert (mine.scope, mine.owner, mine.department) == (Scope.PRIVATE, agent, None)


def test_an_agent_cannot_change_or_delete_someone_elses_macro(macros, agent):
    for key in ("everyone", "it", "bob"):
        macro = Macro.objects.get(pk=macros[key].pk)
        macro.title = "Mine now"
        with pytest.raises(PermissionDenied):
            macro_save(macro=macro, actor=agent)
        with pytest.raises(PermissionDenied):
            macro_delete(macro=macro, actor=agent)
    assert sorted(titles(Macro.objects.all())) == ["Alice's", "Billing", "Bob's", "Everyone", "IT"]


def test_an_agent_cannot_share_their_private_macro(macros, agent):
    macro = Macro.objects.get(pk=macros["alice"].pk)
    macro.scope = Scope.EVERYONE
    with pytest.raises(PermissionDenied):
        macro_save(macro=macro, actor=agent)
    assert Macro.objects.get(pk=macro.pk).scope == Scope.PRIVATE


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"scope": Scope.DEPARTMENT}, "department"),
        ({"assign": AssignTo.USER}, "assignee"),
        ({"body": "", "title": "Nothing"}, "body"),
        ({"translations": {"xx": "?"}}, "translations"),
        ({"set_status": "archived"}, "set_status"),
    ],
)
def test_an_invalid_macro_is_refused_naming_the_field(admin_user, fields, field):
    with pytest.raises(ValidationError) as exc:
        make_macro(admin_user, **fields)
    assert field in exc.value.message_dict
    assert Macro.objects.count() == 0


def test_an_admin_may_share_with_everyone_then_the_owner_goes(admin_user):
    macro = make_macro(admin_user, scope=Scope.PRIVATE)
    assert macro.owner == admin_user
    macro.scope = Scope.EVERYONE
    assert macro_save(macro=macro, actor=admin_user).owner is None


# Applying ---------------------------------------------------------------------------------------------------------


def kinds(ticket) -> list[tuple[str, dict]]:
    return [(e.kind, e.data) for e in ticket.events.exclude(kind=EventKind.CREATED).order_by("pk")]


def test_a_macro_replies_notes_and_acts_in_that_order(ticket, agent, admin_user):
    macro = make_macro(
        admin_user,
        body="Hi {requester_first_name}, could you send a screenshot?",
        note="Asked {requester_name} for a screenshot.",
        set_priority=Priority.HIGH,
        assign=AssignTo.ME,
        set_status=Status.WAITING,
    )

    result = macro_apply(macro=macro, ticket=ticket, actor=agent)

    ticket.refresh_from_db()
    assert (result.status, result.priority, result.assignee) == (Status.WAITING, Priority.HIGH, agent)
    assert (ticket.status, ticket.priority, ticket.assignee) == (Status.WAITING, Priority.HIGH, agent)
    comments = list(ticket.comments.order_by("pk").values_list("body", "is_internal", "author"))
    assert comments == [
        ("Hi Carol, could you send a screenshot?", False, agent.pk),
        ("Asked Carol Smith for a screenshot.", True, agent.pk),
    ]
    assert ticket.first_responded_at is not None
    assert [kind for kind, _data in kinds(ticket)] == [
        EventKind.COMMENTED,
        EventKind.NOTE_ADDED,
        EventKind.PRIORITY_CHANGED,
        EventKind.ASSIGNED,
        EventKind.STATUS_CHANGED,
    ]


def test_waiting_from_open_goes_through_in_progress(ticket, agent, admin_user):
    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.OPEN)
    macro = make_macro(admin_user, body="", set_status=Status.WAITING)

    assert macro_apply(macro=macro, ticket=ticket, actor=agent).status == Status.WAITING
    statuses = [data for kind, data in kinds(ticket) if kind == EventKind.STATUS_CHANGED]
    assert statuses == [
        {"from": "new", "to": "open"},
        {"from": "open", "to": "in_progress"},
        {"from": "in_progress", "to": "waiting"},
    ]


def test_a_refused_action_leaves_no_reply_and_changes_nothing(ticket, agent, admin_user):
    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.CLOSED)
    macro = make_macro(admin_user, note="Note", set_priority=Priority.URGENT, set_status=Status.WAITING)
    before = db_state()

    with pytest.raises(ValidationError) as exc:
        macro_apply(macro=macro, ticket=ticket, actor=agent)

    assert "status" in exc.value.message_dict
    assert db_state() == before


def test_an_agent_without_rights_on_the_ticket_changes_nothing(ticket, other_agent, admin_user):
    macro = make_macro(admin_user, set_priority=Priority.URGENT)
    before = db_state()
    with pytest.raises(PermissionDenied):
        macro_apply(macro=macro, ticket=ticket, actor=other_agent)
    assert db_state() == before
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.NORMAL
