"""The back office: managing macros (admins: all; agents: their private ones), and the composer's picker with its
two URLs (the text of a canned response as JSON; applying a macro by POST)."""

import json

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from apps.macros.admin import picker_context
from apps.macros.choices import AssignTo, Scope
from apps.macros.models import Macro
from apps.macros.services import macro_save
from apps.tickets.choices import EventKind, Priority, Status
from apps.tickets.models import Comment, Ticket
from tests.macros.factories import make_macro
from tests.support import assert_constant_queries, db_state, logged_in

CHANGELIST = "admin:macros_macro_changelist"


def text_url(ticket, macro) -> str:
    return reverse("admin:tickets_ticket_macro_text", args=[ticket.pk, macro.pk])


def apply_url(ticket, macro) -> str:
    return reverse("admin:tickets_ticket_macro_apply", args=[ticket.pk, macro.pk])


def page(ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def listed(response) -> list[str]:
    return [m.title for m in response.context["cl"].result_list]


# Managing -----------------------------------------------------------------------------------------------------------


def test_an_admin_lists_every_macro_and_an_agent_theirs_and_the_shared_ones(macros, admin_user, agent):
    assert sorted(listed(logged_in(admin_user).get(reverse(CHANGELIST)))) == [
        "Alice's",
        "Billing",
        "Bob's",
        "Everyone",
        "IT",
    ]
    assert sorted(listed(logged_in(agent).get(reverse(CHANGELIST)))) == ["Alice's", "Everyone", "IT"]


def test_a_requester_cannot_open_the_pages(macros, requester):
    response = logged_in(requester).get(reverse(CHANGELIST))
    assert response.status_code in (302, 403)


def form_data(**fields) -> dict:
    data = {
        "title": "Need a screenshot",
        "body": "Hi {requester_first_name}",
        "note": "",
        "set_status": "",
        "set_priority": "",
        "assign": "",
        "assignee": "",
        "is_active": "on",
        "body_en": "",
        "body_tr": "Merhaba {requester_first_name}",
        "body_de": "",
    }
    return {**data, **fields}


def test_an_agent_adds_a_private_macro_with_a_variant(agent):
    response = logged_in(agent).post(reverse("admin:macros_macro_add"), form_data(scope="everyone"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    macro = Macro.objects.get()
    assert (macro.scope, macro.owner, macro.department) == (Scope.PRIVATE, agent, None)
    assert macro.translations == {"tr": "Merhaba {requester_first_name}"}


def test_an_admin_shares_a_macro_with_a_department(admin_user, it_dept):
    data = form_data(scope="department", department=it_dept.pk, set_status="waiting", assign="me")
    response = logged_in(admin_user).post(reverse("admin:macros_macro_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    macro = Macro.objects.get()
    assert (macro.scope, macro.department, macro.owner, macro.set_status, macro.assign) == (
        Scope.DEPARTMENT,
        it_dept,
        None,
        Status.WAITING,
        AssignTo.ME,
    )


def test_a_department_macro_without_department_is_a_form_error(admin_user):
    response = logged_in(admin_user).post(reverse("admin:macros_macro_add"), form_data(scope="department"))
    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors
    assert Macro.objects.count() == 0


def test_an_agent_cannot_change_or_delete_a_shared_macro(macros, agent):
    macro = macros["it"]
    client = logged_in(agent)
    before = list(Macro.objects.values())

    assert client.post(reverse("admin:macros_macro_change", args=[macro.pk]), form_data()).status_code == 403
    assert client.post(reverse("admin:macros_macro_delete", args=[macro.pk]), {"post": "yes"}).status_code == 403
    assert list(Macro.objects.values()) == before


def test_an_agent_cannot_open_someone_elses_private_macro(macros, agent):
    response = logged_in(agent).get(reverse("admin:macros_macro_change", args=[macros["bob"].pk]))
    assert response.status_code == 302  # the admin's "does not exist" redirect: not in the agent's list
    assert response["Location"] == reverse("admin:index")


# The picker ---------------------------------------------------------------------------------------------------------


def picker_request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_the_picker_lists_the_macros_for_this_ticket_and_renders_insert_and_apply(macros, admin_user, agent, ticket):
    note = make_macro(admin_user, title="Escalate", body="", note="Escalated.", set_priority=Priority.URGENT)
    request = picker_request(agent)
    context = picker_context(admin.site._registry[Ticket], request, ticket)
    assert [entry["macro"].title for entry in context["macros_picker"]] == ["Alice's", "Escalate", "Everyone", "IT"]
    assert context["macros_picker"][1]["actions"] == ["adds an internal note", "priority: Urgent"]

    html = render_to_string("macros/admin/ticket_picker.html", {**context, "original": ticket}, request=request)

    assert html.count("data-macro-insert=") == 3
    assert f'data-macro-insert="{text_url(ticket, macros["it"])}"' in html
    assert html.count("data-macro-apply=") == 1
    assert f'data-macro-apply="{apply_url(ticket, note)}"' in html
    assert 'id="macro-picker"' in html
    assert 'for="macro-picker-filter"' in html
    assert "/static/macros/picker.js" in html
    assert "data-csrf-token=" in html


def test_the_picker_is_empty_for_someone_who_cannot_write_on_the_ticket(macros, ticket, other_agent):
    context = picker_context(admin.site._registry[Ticket], picker_request(other_agent), ticket)
    assert context == {"macros_picker": []}
    assert render_to_string("macros/admin/ticket_picker.html", {**context, "original": ticket}).strip() == ""


def test_the_ticket_page_still_opens_with_the_picker_registered(macros, agent, ticket):
    assert logged_in(agent).get(page(ticket)).status_code == 200


def test_the_text_of_a_canned_response_is_rendered_for_the_ticket(macros, agent, ticket):
    client = logged_in(agent)
    before = db_state()
    response = client.get(text_url(ticket, macros["it"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"text": f"Hello Carol,\n\nThanks! {agent.get_full_name()}"}
    assert db_state() == before


@pytest.mark.parametrize(("who", "macro"), [("agent", "billing"), ("agent", "bob"), ("other_agent", "everyone")])
def test_text_and_apply_outside_scope_are_404_and_change_nothing(request, macros, ticket, who, macro):
    client = logged_in(request.getfixturevalue(who))
    before = db_state()
    assert client.get(text_url(ticket, macros[macro])).status_code == 404
    assert client.post(apply_url(ticket, macros[macro])).status_code == 404
    assert db_state() == before


def test_apply_runs_the_macro_and_comes_back_with_a_message(agent, admin_user, ticket):
    macro = make_macro(admin_user, title="Ask", body="Screenshot, {requester_first_name}?", set_status=Status.WAITING)
    client = logged_in(agent)

    response = client.post(apply_url(ticket, macro))

    assert response.status_code == 302
    assert response["Location"] == page(ticket)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["“Ask” was applied."]
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING
    assert list(Comment.objects.values_list("body", "is_internal", "author")) == [
        ("Screenshot, Carol?", False, agent.pk)
    ]
    assert ticket.events.filter(kind=EventKind.STATUS_CHANGED, actor=agent).count() == 1


def test_a_refused_apply_says_why_and_changes_nothing(agent, admin_user, ticket):
    macro = make_macro(admin_user, title="Reopen", set_status=Status.OPEN)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.WAITING)
    client = logged_in(agent)
    before = db_state()

    response = client.post(apply_url(ticket, macro))

    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("“Reopen” was not applied: A ticket cannot move from")
    assert db_state() == before


def test_apply_needs_post_and_text_needs_get(macros, agent, ticket):
    client = logged_in(agent)
    before = db_state()
    assert client.get(apply_url(ticket, macros["it"])).status_code == 405
    assert client.post(text_url(ticket, macros["it"])).status_code == 405
    assert db_state() == before


def test_apply_needs_the_csrf_token(macros, agent, ticket):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    before = db_state()
    assert client.post(apply_url(ticket, macros["it"])).status_code == 403
    assert db_state() == before


@pytest.mark.parametrize("who", ["admin_user", "agent"])
def test_the_list_takes_the_same_queries_for_2_and_30_macros(request, who, admin_user, agent, it_dept):
    browser = logged_in(request.getfixturevalue(who))
    browser.get(reverse(CHANGELIST))
    count = iter(range(1000))

    def add_rows(n):
        for _ in range(n):
            i = next(count)
            scope = [{"scope": Scope.DEPARTMENT, "department": it_dept}, {"scope": Scope.PRIVATE}][i % 2]
            make_macro(agent if scope["scope"] == Scope.PRIVATE else admin_user, title=f"Macro {i}", **scope)

    assert_constant_queries(lambda: browser.get(reverse(CHANGELIST)), add_rows=add_rows)


def test_the_picker_costs_the_same_queries_for_2_and_30_macros(admin_user, agent, ticket):
    request = picker_request(agent)
    model_admin = admin.site._registry[Ticket]
    count = iter(range(1000))

    def render():
        context = picker_context(model_admin, request, ticket)
        return render_to_string("macros/admin/ticket_picker.html", {**context, "original": ticket}, request=request)

    render()
    assert_constant_queries(
        render,
        add_rows=lambda n: [
            make_macro(admin_user, title=f"Macro {next(count)}", assign=AssignTo.USER, assignee=agent) for _ in range(n)
        ],
        status=None,
    )


def test_an_agent_reads_a_shared_macro_with_its_variants(macros, agent, admin_user):
    macro = macros["it"]
    macro.translations = {"de": "Hallo {requester_first_name}"}
    macro_save(macro=macro, actor=admin_user)

    response = logged_in(agent).get(reverse("admin:macros_macro_change", args=[macro.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Hallo {requester_first_name}" in html
    assert 'name="title"' not in html  # read-only for the agent
