"""The audit log in the back office: admins read it (filters, search, a readable and escaped change table); nobody
adds, changes or deletes an entry; agents and requesters do not open it."""

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from apps.audit.models import Action, AuditEntry
from apps.audit.services import audit_record
from tests.audit.factories import record_entries
from tests.support import assert_constant_queries, logged_in

CHANGELIST = reverse("admin:audit_auditentry_changelist")


def test_admins_read_the_log_agents_and_requesters_do_not(admin_user, agent, requester, it_dept):
    record_entries(1, obj=it_dept, actor=admin_user)

    assert logged_in(admin_user).get(CHANGELIST).status_code == 200
    assert logged_in(agent).get(CHANGELIST).status_code == 403
    assert logged_in(requester).get(CHANGELIST)["Location"] == reverse("portal:ticket_list")


def test_nobody_adds_changes_or_deletes_an_entry(admin_user, it_dept, fresh_log):
    fresh_log()
    entry = record_entries(1, obj=it_dept, actor=admin_user)[0]
    before = list(AuditEntry.objects.values())
    browser = logged_in(admin_user)
    change_url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    delete_url = reverse("admin:audit_auditentry_delete", args=[entry.pk])

    assert browser.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert browser.post(reverse("admin:audit_auditentry_add"), {"object_label": "x"}).status_code == 403
    assert browser.post(change_url, {"object_label": "edited"}).status_code == 403
    assert browser.get(delete_url).status_code == 403
    assert browser.post(delete_url, {"post": "yes"}).status_code == 403
    selected = browser.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert selected.status_code == 200  # the list again: there is no delete action to run
    assert list(AuditEntry.objects.values()) == before


def test_the_entry_page_shows_the_changes_escaped(admin_user, it_dept, fresh_log):
    fresh_log()
    entry = audit_record(
        action=Action.UPDATED,
        obj=it_dept,
        actor=admin_user,
        changes={"description": ["<script>alert(1)</script>", "plain"], "password": ["[hidden]", "[hidden]"]},
    )

    response = logged_in(admin_user).get(reverse("admin:audit_auditentry_change", args=[entry.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<td>description</td><td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td>→ plain</td>" in html
    assert "<td>password</td><td>[hidden]</td><td>→ changed</td>" in html
    assert 'name="_save"' not in html


def test_filters_by_actor_object_type_action_and_date(admin_user, agent, it_dept, billing_dept, fresh_log):
    fresh_log()
    by_admin = record_entries(1, obj=it_dept, actor=admin_user)[0]
    by_agent = record_entries(1, obj=agent, actor=agent, action=Action.CREATED)[0]
    department_type = ContentType.objects.get_for_model(it_dept)
    browser = logged_in(admin_user)

    def listed(query: str) -> list[int]:
        response = browser.get(f"{CHANGELIST}?{query}")
        assert response.status_code == 200
        return sorted(obj.pk for obj in response.context["cl"].result_list)

    assert listed(f"actor__id__exact={admin_user.pk}") == [by_admin.pk]
    assert listed(f"content_type__id__exact={department_type.pk}") == [by_admin.pk]
    assert listed("action__exact=created") == [by_agent.pk]
    assert listed("created_at_from=2000-01-01") == [by_admin.pk, by_agent.pk]
    assert listed("created_at_to=2000-01-01") == []
    assert listed("q=alice") == [by_agent.pk]


def test_the_list_runs_as_many_queries_for_30_entries_as_for_2(admin_user, it_dept, fresh_log):
    fresh_log()
    browser = logged_in(admin_user)
    browser.get(CHANGELIST)

    assert_constant_queries(
        lambda: browser.get(CHANGELIST), add_rows=lambda n: record_entries(n, obj=it_dept, actor=admin_user)
    )


def test_the_sidebar_links_the_log_for_admins_only(admin_user, agent):
    assert CHANGELIST in logged_in(admin_user).get(reverse("admin:index")).content.decode()
    assert CHANGELIST not in logged_in(agent).get(reverse("admin:index")).content.decode()


def test_deleting_an_account_keeps_its_entries(admin_user, agent, fresh_log):
    fresh_log()
    entry = record_entries(1, obj=agent, actor=agent)[0]

    agent.delete()

    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor, entry.actor_label, entry.object_id) == (None, "alice", str(entry.object_id))
    assert AuditEntry.objects.filter(action=Action.DELETED, object_label=entry.object_label).count() == 1


def test_the_actor_filter_looks_accounts_up_instead_of_listing_them(admin_user, agent, it_dept):
    record_entries(1, obj=it_dept, actor=agent)
    browser = logged_in(admin_user)

    page = browser.get(CHANGELIST)
    found = browser.get(
        reverse("admin:autocomplete"),
        {"app_label": "audit", "model_name": "auditentry", "field_name": "actor", "term": "alic"},
    )

    assert page.status_code == 200
    assert f'<option value="{agent.pk}"' not in page.content.decode()
    assert found.status_code == 200
    assert [row["id"] for row in found.json()["results"]] == [str(agent.pk)]
