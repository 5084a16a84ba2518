"""CSV export of the ticket changelist: scope, filters, formula cells, and what never leaves."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.common.csv.files import inspect_csv
from apps.tickets import services
from apps.tickets.choices import Status
from apps.tickets.imports import ImportOptions, tickets_import
from apps.tickets.models import Ticket
from apps.tickets.resources import EXPORT_HEADERS, TicketResource
from tests.support import assert_constant_queries
from tests.tickets.factories import TicketFactory

EXPORT_URL = reverse("admin:tickets_ticket_export")


def export(browser, query: str = ""):
    response = browser.post(f"{EXPORT_URL}?{query}" if query else EXPORT_URL, {"format": "0", "resource": "0"})
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tickets-')
    return b"".join(response.streaming_content)


def rows_of(content: bytes) -> list[dict]:
    assert content.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def references(content: bytes) -> set[str]:
    return {row["reference"] for row in rows_of(content)}


def test_export_page_and_file(admin_browser, it_ticket, billing_ticket, agent):
    services.ticket_assign(ticket=it_ticket, actor=agent, assignee=agent)

    page = admin_browser.get(EXPORT_URL)
    assert page.status_code == 200
    assert "Comments and internal notes are not exported." in page.content.decode()

    rows = rows_of(export(admin_browser))

    assert list(rows[0]) == EXPORT_HEADERS
    by_reference = {row["reference"]: row for row in rows}
    assert set(by_reference) == {it_ticket.reference, billing_ticket.reference}
    row = by_reference[it_ticket.reference]
    it_ticket.refresh_from_db()
    assert (row["title"], row["description"], row["status"], row["department"]) == (
        "VPN drops every hour",
        it_ticket.description,
        "new",
        "IT Support",
    )
    assert (row["requester"], row["assignee"], row["source"]) == (it_ticket.requester.email, agent.email, "portal")
    assert row["created_at"] == it_ticket.created_at.replace(microsecond=0).isoformat()
    assert row["resolved_at"] == ""


def test_agent_exports_only_its_departments_tickets(alice_client, it_ticket, it_ticket_2, billing_ticket):
    assert references(export(alice_client)) == {it_ticket.reference, it_ticket_2.reference}


@pytest.mark.parametrize(
    "tampered",
    [
        "department__id__exact={billing_dept}",
        "id__in={billing_ticket}",
        "id__exact={billing_ticket}",
        "q={billing_reference}",
        "assignee={bob}",
        "status__in=new,open,in_progress,waiting,resolved,closed",
        "created_at_from=2000-01-01&created_at_to=2999-12-31",
        "_changelist_filters=department__id__exact%3D{billing_dept}",
    ],
)
def test_a_tampered_filter_never_widens_an_agents_export(
    alice_client, other_agent, it_ticket, billing_ticket, billing_dept, tampered
):
    services.ticket_assign(ticket=billing_ticket, actor=None, assignee=other_agent)
    query = tampered.format(
        billing_dept=billing_dept.pk,
        billing_ticket=billing_ticket.pk,
        billing_reference=billing_ticket.reference,
        bob=other_agent.pk,
    )

    exported = references(export(alice_client, query))

    assert billing_ticket.reference not in exported
    assert exported <= {it_ticket.reference}


def test_lookups_the_list_does_not_offer_are_refused_not_500(alice_client, billing_ticket):
    response = alice_client.post(f"{EXPORT_URL}?requester__email={billing_ticket.requester.email}", {"format": "0"})
    assert response.status_code == 400

    response = alice_client.post(f"{EXPORT_URL}?department__id__exact=not-a-number", {"format": "0"}, follow=True)
    assert response.status_code == 200
    assert "The filters in the address are not valid, so nothing was exported." in response.content.decode()


def test_the_changelists_filters_apply(alice_client, agent, it_ticket, it_ticket_2):
    services.ticket_transition(ticket=it_ticket, actor=agent, to_status=Status.OPEN)

    assert references(export(alice_client, "status__in=open")) == {it_ticket.reference}
    assert references(export(alice_client, f"q={it_ticket_2.reference}")) == {it_ticket_2.reference}


def test_formula_cells_are_neutralised(admin_browser, it_dept, requester):
    titles = ["=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTab", "\rReturn", "'=already quoted", "Plain"]
    for title in titles:
        ticket = TicketFactory(department=it_dept, requester=requester, title=title, description=title or "x")
        # The services store text trimmed; rows written before that (or by hand) keep a leading tab or CR,
        # and the export must neutralise them all the same.
        Ticket.objects.filter(pk=ticket.pk).update(description=title)

    rows = rows_of(export(admin_browser))

    exported = {row["description"] for row in rows}
    assert exported == {
        "'=1+2",
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTab",
        "'\rReturn",
        "''=already quoted",
        "Plain",
    }
    # The title goes through the form's whitespace clean-up; it is neutralised all the same.
    assert {row["title"] for row in rows} >= {"'=1+2", "'@SUM(A1)"}


def test_comments_and_internal_notes_are_never_exported(admin_browser, agent, it_ticket):
    services.comment_add(ticket=it_ticket, actor=agent, body="The root password is hunter2", is_internal=True)
    services.comment_add(ticket=it_ticket, actor=agent, body="We are on it", is_internal=False)

    content = export(admin_browser).decode("utf-8-sig")

    assert "hunter2" not in content and "We are on it" not in content


def test_export_then_import_gives_the_same_tickets(admin_browser, admin_user, agent, it_ticket, billing_ticket):
    services.ticket_assign(ticket=it_ticket, actor=agent, assignee=agent)
    services.ticket_transition(ticket=it_ticket, actor=agent, to_status=Status.OPEN)
    services.ticket_update(ticket=billing_ticket, actor=admin_user, priority="urgent", language="de")
    content = export(admin_browser)

    def fields() -> list[tuple]:
        return list(
            Ticket.objects.order_by("title").values_list(
                "title",
                "description",
                "status",
                "priority",
                "category",
                "department",
                "requester",
                "assignee",
                "language",
            )
        )

    before = fields()

    def import_it(dry_run: bool):
        csv_file = inspect_csv(lambda: io.BytesIO(content), name="export.csv", size=len(content))
        return tickets_import(
            actor=admin_user, csv_file=csv_file, dry_run=dry_run, options=ImportOptions.from_settings()
        )

    # Into the same database: every row names its ticket, and nothing changed.
    report = import_it(dry_run=False)
    assert (report.created, report.updated, report.skipped, report.error_count) == (0, 0, 2, 0)
    assert fields() == before

    # Into a database without those tickets: the same tickets again, under new references.
    old_references = set(Ticket.objects.values_list("reference", flat=True))
    Ticket.objects.all().delete()
    content = content.replace(b"TCK-", b"OLD-")  # references of the system the file came from
    report = import_it(dry_run=False)
    assert (report.created, report.error_count) == (2, 0)
    assert fields() == before
    assert not old_references & set(Ticket.objects.values_list("reference", flat=True))


def test_export_permission_setting(alice_client, agent, admin_browser, it_ticket, settings):
    settings.TICKET_EXPORT_REQUIRES_PERMISSION = True

    assert alice_client.get(EXPORT_URL).status_code == 403
    assert alice_client.post(EXPORT_URL, {"format": "0"}).status_code == 403
    assert admin_browser.get(EXPORT_URL).status_code == 200

    agent.user_permissions.add(Permission.objects.get(codename="export_ticket"))
    assert references(export(alice_client)) == {it_ticket.reference}


def test_requesters_never_reach_the_export(requester_client, it_ticket):
    response = requester_client.post(EXPORT_URL, {"format": "0"})
    assert response.status_code == 302 and response["Location"] == "/"  # requesters are sent to the portal


def test_export_query_count_does_not_grow_with_rows(alice_client, it_dept, requester, agent):
    TicketFactory.create_batch(2, department=it_dept, requester=requester, assignee=agent)
    export(alice_client)

    measured = assert_constant_queries(
        lambda: rows_of(export(alice_client)),
        add_rows=lambda count: TicketFactory.create_batch(
            count, department=it_dept, requester=requester, assignee=agent
        ),
        existing=2,
        status=None,  # export() checks the response
    )
    assert (len(measured.few), len(measured.many)) == (2, 30)


def test_resource_export_matches_the_stream(it_ticket):
    dataset = TicketResource().export(Ticket.objects.all())

    assert dataset.headers == EXPORT_HEADERS
    assert dataset[0][0] == it_ticket.reference
