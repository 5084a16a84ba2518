"""Every kind of administrative change writes one audit entry with who, when, from where, the object and the fields
before → after; secrets never appear; refused requests and ordinary work write nothing."""

import dataclasses
import datetime
import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_q.models import Schedule

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.services import group_save, user_update
from apps.audit.context import acting
from apps.audit.models import AuditEntry
from apps.audit.registry import TRACKED, track
from apps.audit.services import SECRET_MASK
from apps.departments.choices import RuleField
from apps.departments.models import RoutingRule, SlaPolicy
from apps.departments.services import routing_rule_save, user_set_departments
from apps.tickets.models import Ticket
from apps.tickets.services import attachment_add
from tests.departments.test_admin import department_data, sla_data
from tests.support import jwt_client, logged_in
from tests.tickets.factories import TicketFactory
from tests.tickets.test_import import csv_bytes, run

ADDRESS = "203.0.113.7"


def log(**filters) -> list[tuple]:
    """The entries, oldest first: (actor, address, action, "app.model", object label, changes)."""
    rows = AuditEntry.objects.filter(**filters).select_related("content_type").order_by("pk")
    return [
        (
            e.actor_label,
            e.address,
            e.action,
            f"{e.content_type.app_label}.{e.content_type.model}",
            e.object_label,
            e.changes,
        )
        for e in rows
    ]


def admin_browser(user):
    browser = logged_in(user)
    browser.defaults["REMOTE_ADDR"] = ADDRESS
    return browser


# Users --------------------------------------------------------------------------------------------------------------


def test_a_user_created_in_the_back_office_is_recorded_with_actor_address_and_masked_password(admin_user, fresh_log):
    fresh_log()
    data = {
        "username": "erin",
        "email": "erin@example.com",
        "first_name": "Erin",
        "last_name": "Example",
        "usable_password": "true",
        "password1": "a-long-enough-Passw0rd",
        "password2": "a-long-enough-Passw0rd",
        "role": Role.AGENT,
        "language": "en",
        "time_zone": "UTC",
        "_save": "Save",
    }

    response = admin_browser(admin_user).post(reverse("admin:accounts_user_add"), data)

    assert response.status_code == 302
    erin = User.objects.get(username="erin")
    assert log() == [
        (
            "admin",
            ADDRESS,
            "created",
            "accounts.user",
            "Erin Example (erin)",
            {
                "password": [None, SECRET_MASK],
                "username": [None, "erin"],
                "first_name": [None, "Erin"],
                "last_name": [None, "Example"],
                "is_active": [None, True],
                "email": [None, "erin@example.com"],
                "role": [None, "agent"],
                "language": [None, "en"],
                "time_zone": [None, "UTC"],
                "is_available": [None, True],
            },
        )
    ]
    assert AuditEntry.objects.get().actor == admin_user
    assert erin.password not in json.dumps(log())


def test_a_role_change_records_before_after_and_the_end_of_staff_access(
    admin_user, agent, it_dept, requester, fresh_log
):
    ticket = TicketFactory(department=it_dept, requester=requester, assignee=agent, actor=admin_user)
    fresh_log()
    data = {
        "username": agent.username,
        "first_name": agent.first_name,
        "last_name": agent.last_name,
        "email": agent.email,
        "role": Role.REQUESTER,
        "is_active": "on",
        "language": agent.language,
        "time_zone": agent.time_zone,
        "_save": "Save",
    }

    response = admin_browser(admin_user).post(reverse("admin:accounts_user_change", args=[agent.pk]), data)

    assert response.status_code == 302
    label = str(agent)
    assert log() == [
        ("admin", ADDRESS, "updated", "accounts.user", label, {"role": ["agent", "requester"]}),
        ("admin", ADDRESS, "updated", "accounts.user", label, {"departments": [["IT Support"], []]}),
        (
            "admin",
            ADDRESS,
            "access_ended",
            "accounts.user",
            label,
            {
                "reason": [None, "role"],
                "assigned_tickets": [[ticket.reference], []],
                "ticket_shares_revoked": [None, 0],
            },
        ),
    ]


def test_deactivation_outside_a_request_records_the_system_or_the_given_actor(admin_user, agent, fresh_log):
    first_name = agent.first_name
    new_name = "Alicia" if first_name != "Alicia" else "Alice"  # the factory's name is random: it may be "Alicia"
    fresh_log()

    user_update(user=agent, is_active=False)
    with acting(actor=admin_user):
        user_update(user=agent, first_name=new_name)

    ended = {"reason": [None, "deactivated"], "assigned_tickets": [[], []], "ticket_shares_revoked": [None, 0]}
    assert [(actor, address, action, changes) for actor, address, action, _type, _label, changes in log()] == [
        ("", "", "updated", {"is_active": [True, False]}),
        ("", "", "updated", {"departments": [["IT Support"], []]}),
        ("", "", "access_ended", ended),
        ("admin", "", "updated", {"first_name": [first_name, new_name]}),
    ]
    assert AuditEntry.objects.filter(actor__isnull=True).count() == 3


def test_a_password_change_shows_only_that_it_changed(admin_user, agent, fresh_log):
    fresh_log()
    data = {"password1": "another-long-Passw0rd", "password2": "another-long-Passw0rd", "usable_password": "true"}

    response = admin_browser(admin_user).post(reverse("admin:auth_user_password_change", args=[agent.pk]), data)

    assert response.status_code == 302
    assert log() == [
        ("admin", ADDRESS, "updated", "accounts.user", str(agent), {"password": [SECRET_MASK, SECRET_MASK]})
    ]
    agent.refresh_from_db()
    stored = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert agent.password not in stored
    assert "another-long-Passw0rd" not in stored


def test_logging_in_is_not_an_administrative_change(agent, client, fresh_log):
    fresh_log()

    assert client.login(username="alice", password="demo")

    assert log() == []


def test_groups_and_their_permissions_are_recorded(admin_user, fresh_log):
    fresh_log()
    view_ticket = Permission.objects.get(codename="view_ticket")

    group = group_save(group=Group(name="Auditors"), permissions=[view_ticket])
    group.name = "Reviewers"
    group_save(group=group, permissions=[])

    assert [(action, label, changes) for _a, _ad, action, _t, label, changes in log()] == [
        ("created", "Auditors", {"name": [None, "Auditors"]}),
        ("updated", "Auditors", {"permissions": [[], ["tickets.view_ticket"]]}),
        ("updated", "Reviewers", {"name": ["Auditors", "Reviewers"]}),
        ("updated", "Reviewers", {"permissions": [["tickets.view_ticket"], []]}),
    ]


# Departments, membership, routing rules, SLA policies ------------------------------------------------------------


def test_membership_added_and_removed_from_the_department_page(admin_user, it_dept, agent, other_agent, fresh_log):
    browser = admin_browser(admin_user)
    url = reverse("admin:departments_department_change", args=[it_dept.pk])
    fresh_log()

    added = browser.post(url, department_data(it_dept, members=[str(agent.pk), str(other_agent.pk)]))
    removed = browser.post(url, department_data(it_dept, members=[str(other_agent.pk)]))

    assert (added.status_code, removed.status_code) == (302, 302)
    assert log() == [
        (
            "admin",
            ADDRESS,
            "updated",
            "departments.department",
            "IT Support",
            {"members": [["alice"], ["alice", "bob"]]},
        ),
        ("admin", ADDRESS, "updated", "departments.department", "IT Support", {"members": [["alice", "bob"], ["bob"]]}),
    ]


def test_membership_from_the_users_side(admin_user, agent, it_dept, billing_dept, fresh_log):
    fresh_log()

    user_set_departments(user=agent, departments=[it_dept, billing_dept], actor=admin_user)
    user_set_departments(user=agent, departments=[billing_dept], actor=admin_user)

    assert [(actor, action, label, changes) for actor, _ad, action, _t, label, changes in log()] == [
        ("admin", "updated", str(agent), {"departments": [["IT Support"], ["Billing", "IT Support"]]}),
        ("admin", "updated", str(agent), {"departments": [["Billing", "IT Support"], ["Billing"]]}),
    ]


def test_a_department_edit_records_its_fields_and_the_previous_default(admin_user, it_dept, billing_dept, fresh_log):
    fresh_log()
    data = department_data(billing_dept, slug="money", is_default="on", work_start="08:30")

    response = admin_browser(admin_user).post(
        reverse("admin:departments_department_change", args=[billing_dept.pk]), data
    )

    assert response.status_code == 302
    assert log() == [
        ("admin", ADDRESS, "updated", "departments.department", "IT Support", {"is_default": [True, False]}),
        (
            "admin",
            ADDRESS,
            "updated",
            "departments.department",
            "Billing",
            {"slug": ["billing", "money"], "is_default": [False, True], "work_start": ["09:00:00", "08:30:00"]},
        ),
    ]


def test_routing_rules_created_changed_and_deleted(admin_user, it_dept, billing_dept, fresh_log):
    browser = admin_browser(admin_user)
    fresh_log()
    data = {"order": "10", "field": RuleField.KEYWORDS, "pattern": "invoice", "department": str(it_dept.pk)}

    created = browser.post(reverse("admin:departments_routingrule_add"), {**data, "is_active": "on"})
    rule = RoutingRule.objects.get()
    changed = browser.post(
        reverse("admin:departments_routingrule_change", args=[rule.pk]),
        {**data, "department": str(billing_dept.pk), "is_active": "on"},
    )
    deleted = browser.post(reverse("admin:departments_routingrule_delete", args=[rule.pk]), {"post": "yes"})

    assert (created.status_code, changed.status_code, deleted.status_code) == (302, 302, 302)
    assert [(actor, address, action, changes) for actor, address, action, _t, _l, changes in log()] == [
        (
            "admin",
            ADDRESS,
            "created",
            {
                "department": [None, "IT Support"],
                "order": [None, 10],
                "field": [None, "keywords"],
                "pattern": [None, "invoice"],
                "is_active": [None, True],
            },
        ),
        ("admin", ADDRESS, "updated", {"department": ["IT Support", "Billing"]}),
        (
            "admin",
            ADDRESS,
            "deleted",
            {
                "department": ["Billing", None],
                "order": [10, None],
                "field": ["keywords", None],
                "pattern": ["invoice", None],
                "is_active": [True, None],
            },
        ),
    ]
    assert [entry[4] for entry in log()] == [
        "#10 Title or description contains a keyword “invoice” → IT Support",
        "#10 Title or description contains a keyword “invoice” → Billing",
        "#10 Title or description contains a keyword “invoice” → Billing",
    ]


def test_sla_policies_created_and_changed(admin_user, it_dept, fresh_log):
    browser = admin_browser(admin_user)
    fresh_log()

    created = browser.post(reverse("admin:departments_slapolicy_add"), sla_data(it_dept))
    policy = SlaPolicy.objects.get()
    changed = browser.post(
        reverse("admin:departments_slapolicy_change", args=[policy.pk]), sla_data(it_dept, resolution_time="4h")
    )

    assert (created.status_code, changed.status_code) == (302, 302)
    entries = log()
    assert [(e[2], e[3]) for e in entries] == [
        ("created", "departments.slapolicy"),
        ("updated", "departments.slapolicy"),
    ]
    assert entries[0][5]["first_response_minutes"] == [None, 60]
    assert entries[0][5]["resolution_minutes"] == [None, 480]
    assert entries[1][5] == {"resolution_minutes": [480, 240]}


def test_a_refused_back_office_write_records_nothing(admin_user, agent, it_dept, fresh_log):
    fresh_log()
    data = {"order": "10", "field": RuleField.REGEX, "pattern": "(", "department": str(it_dept.pk)}

    by_agent = admin_browser(agent).post(reverse("admin:departments_routingrule_add"), {**data, "pattern": "x"})
    invalid = admin_browser(admin_user).post(reverse("admin:departments_routingrule_add"), data)

    assert (by_agent.status_code, invalid.status_code) == (403, 200)
    assert RoutingRule.objects.count() == 0
    assert log() == []


# Ticket grants, ticket and file deletions ------------------------------------------------------------------------


def test_grants_made_and_removed_on_the_ticket_permission_page(admin_user, other_agent, it_dept, requester, fresh_log):
    ticket = TicketFactory(department=it_dept, requester=requester)
    url = reverse("admin:tickets_ticket_permissions_manage_user", args=[ticket.pk, other_agent.pk])
    browser = admin_browser(admin_user)
    fresh_log()

    granted = browser.post(url, {"permissions": ["view_ticket", "change_ticket"]})
    revoked = browser.post(url, {"permissions": ["view_ticket"]})

    assert (granted.status_code, revoked.status_code) == (302, 302)
    key = f"user {other_agent}"
    assert log() == [
        ("admin", ADDRESS, "granted", "tickets.ticket", str(ticket), {key: [[], ["change_ticket", "view_ticket"]]}),
        (
            "admin",
            ADDRESS,
            "revoked",
            "tickets.ticket",
            str(ticket),
            {key: [["change_ticket", "view_ticket"], ["view_ticket"]]},
        ),
    ]


def test_grants_of_a_group_on_the_ticket_permission_page(admin_user, billing_dept, it_dept, requester, fresh_log):
    ticket = TicketFactory(department=it_dept, requester=requester)
    url = reverse("admin:tickets_ticket_permissions_manage_group", args=[ticket.pk, billing_dept.group_id])
    fresh_log()

    response = admin_browser(admin_user).post(url, {"permissions": ["view_ticket"]})

    assert response.status_code == 302
    assert log() == [
        (
            "admin",
            ADDRESS,
            "granted",
            "tickets.ticket",
            str(ticket),
            {"group department:billing": [[], ["view_ticket"]]},
        )
    ]


def test_the_services_own_grants_are_not_audited(admin_user, agent, it_dept, requester, fresh_log):
    fresh_log()

    TicketFactory(department=it_dept, requester=requester, assignee=agent, actor=admin_user)

    assert log() == []


def test_a_ticket_deleted_in_the_back_office(admin_user, it_dept, requester, fresh_log):
    ticket = TicketFactory(department=it_dept, requester=requester, title="Broken <b>printer</b>")
    fresh_log()

    response = admin_browser(admin_user).post(reverse("admin:tickets_ticket_delete", args=[ticket.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert Ticket.objects.count() == 0
    assert log() == [
        (
            "admin",
            ADDRESS,
            "deleted",
            "tickets.ticket",
            str(ticket),
            {
                "reference": [ticket.reference, None],
                "title": ["Broken <b>printer</b>", None],
                "status": ["new", None],
                "department": ["IT Support", None],
                "requester": [str(requester), None],
            },
        )
    ]


def test_an_api_delete_records_the_ticket_and_its_files_with_the_jwt_user(admin_user, it_dept, requester, fresh_log):
    ticket = TicketFactory(department=it_dept, requester=requester)
    upload = SimpleUploadedFile("screen.txt", b"hello", content_type="text/plain")
    attachment = attachment_add(ticket=ticket, actor=requester, upload=upload)
    fresh_log()
    api = jwt_client(admin_user)

    response = api.delete(f"/api/tickets/{ticket.pk}/", REMOTE_ADDR=ADDRESS)

    assert response.status_code == 204
    entries = log()
    assert [(e[0], e[1], e[2], e[3], e[4]) for e in entries] == [
        ("admin", ADDRESS, "deleted", "tickets.attachment", "screen.txt"),
        ("admin", ADDRESS, "deleted", "tickets.ticket", str(ticket)),
    ]
    assert entries[0][5] == {
        "ticket": [str(ticket), None],
        "original_name": ["screen.txt", None],
        "content_type": ["text/plain", None],
        "size": [5, None],
        "sha256": [attachment.sha256, None],
    }
    assert AuditEntry.objects.filter(actor=admin_user).count() == 2


def test_a_refused_api_delete_records_nothing(agent, it_dept, requester, fresh_log):
    ticket = TicketFactory(department=it_dept, requester=requester)
    fresh_log()

    response = jwt_client(agent).delete(f"/api/tickets/{ticket.pk}/")

    assert response.status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert log() == []


# Registration of other apps' models -------------------------------------------------------------------------------


def test_a_registered_secret_field_is_masked(admin_user, it_dept, monkeypatch, fresh_log):
    rule = routing_rule_save(rule=RoutingRule(department=it_dept, order=1, field=RuleField.KEYWORDS, pattern="s3cret"))
    monkeypatch.setitem(TRACKED, RoutingRule, dataclasses.replace(TRACKED[RoutingRule], secrets=frozenset({"pattern"})))
    fresh_log()

    rule.pattern = "t0psecret"
    routing_rule_save(rule=rule)
    rule.delete()

    assert [(e[2], e[5]) for e in log()] == [
        ("updated", {"pattern": [SECRET_MASK, SECRET_MASK]}),
        (
            "deleted",
            {
                "department": ["IT Support", None],
                "order": [1, None],
                "field": ["keywords", None],
                "pattern": [SECRET_MASK, None],
                "is_active": [True, None],
            },
        ),
    ]
    stored = json.dumps(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert "s3cret" not in stored
    assert "t0psecret" not in stored


def test_registering_an_unknown_field_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured):
        track(RoutingRule, secrets=("token",))
    with pytest.raises(ImproperlyConfigured):
        track(RoutingRule, exclude=("pattern",), secrets=("pattern",))
    assert TRACKED[RoutingRule].secrets == frozenset()


def test_entries_are_never_edited_or_deleted_through_the_model(admin_user, fresh_log):
    fresh_log()
    user_update(user=admin_user, first_name="Ada")
    entry = AuditEntry.objects.get()

    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_requester_accounts_created_by_a_ticket_import_are_recorded(admin_user, it_dept, fresh_log):
    fresh_log()
    data = csv_bytes([["title", "description", "requester"], ["A", "x", "grace@example.com"]])

    report = run(data, actor=admin_user)

    assert (report.applied, report.new_requesters) == (True, 1)
    grace = User.objects.get(email="grace@example.com")
    assert log() == [
        (
            "admin",
            "",
            "created",
            "accounts.user",
            "grace@example.com",
            {
                "password": [None, SECRET_MASK],
                "username": [None, "grace@example.com"],
                "is_active": [None, True],
                "email": [None, "grace@example.com"],
                "role": [None, "requester"],
                "language": [None, "en"],
                "time_zone": [None, "UTC"],
                "is_available": [None, True],
            },
        )
    ]
    assert grace.password not in json.dumps(log())


def test_a_workers_schedule_edited_is_recorded_but_not_its_runs(admin_user, fresh_log):
    schedule = Schedule.objects.get(func="apps.tickets.tasks.sla_check_task")
    fresh_log()

    with acting(actor=admin_user):
        schedule.minutes = 5
        schedule.save()
    schedule.next_run = schedule.next_run + datetime.timedelta(minutes=5)  # what the scheduler does on each run
    schedule.save()

    assert [(actor, action, changes) for actor, _ad, action, _t, _l, changes in log()] == [
        ("admin", "updated", {"minutes": [1, 5]})
    ]


def test_leaving_a_department_records_membership_and_the_tickets_unassigned(
    admin_user, agent, it_dept, requester, fresh_log
):
    ticket = TicketFactory(department=it_dept, requester=requester, assignee=agent, actor=admin_user)
    fresh_log()

    response = admin_browser(admin_user).post(
        reverse("admin:departments_department_change", args=[it_dept.pk]), department_data(it_dept, members=[])
    )

    assert response.status_code == 302
    assert log() == [
        ("admin", ADDRESS, "updated", "departments.department", "IT Support", {"members": [["alice"], []]}),
        (
            "admin",
            ADDRESS,
            "access_ended",
            "accounts.user",
            str(agent),
            {
                "reason": [None, "departments"],
                "assigned_tickets": [[ticket.reference], []],
                "ticket_shares_revoked": [None, 0],
            },
        ),
    ]
