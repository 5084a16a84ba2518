"""CSV import of tickets: the service (apps.tickets.imports) and the back office's upload → dry run → confirm."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.common.csv.files import CsvFileError, inspect_csv
from apps.tickets.choices import EventKind, Priority, Source, Status
from apps.tickets.imports import ImportOptions, tickets_import
from apps.tickets.models import (
    Ticket,
)
from apps.tickets.selectors import tickets_visible_to
from tests.accounts.factories import UserFactory
from tests.support import db_state, logged_in

IMPORT_URL = reverse("admin:tickets_ticket_import")
CONFIRM_URL = reverse("admin:tickets_ticket_process_import")


def csv_bytes(rows, *, encoding="utf-8", delimiter=",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def as_csv_file(data: bytes, name: str = "tickets.csv"):
    return inspect_csv(lambda: io.BytesIO(data), name=name, size=len(data))


def run(data: bytes, *, actor=None, dry_run=False, **options):
    return tickets_import(
        actor=actor, csv_file=as_csv_file(data), dry_run=dry_run, options=ImportOptions.from_settings(**options)
    )


def grants_of(ticket) -> set[tuple[str, str]]:
    users = {("user:" + p.user.username, p.permission.codename) for p in ticket.ticketuserobjectpermission_set.all()}
    groups = {("group:" + p.group.name, p.permission.codename) for p in ticket.ticketgroupobjectpermission_set.all()}
    return users | groups


HEADER = ["title", "description", "requester", "department", "priority", "assignee"]


# The service ------------------------------------------------------------------------------------------------


def test_imported_tickets_are_like_tickets_opened_by_hand(it_dept, billing_dept, agent, requester, admin_user):
    data = csv_bytes(
        [
            HEADER,
            ["VPN down", "Since 9 am.", requester.email, "Billing", "high", agent.username],
            ["Printer", "Paper jam\non floor 2", requester.username, "", "", ""],
        ]
    )

    report = run(data, actor=admin_user)

    assert (report.applied, report.created, report.updated, report.skipped, report.error_count) == (True, 2, 0, 0, 0)
    vpn, printer = Ticket.objects.order_by("pk")
    assert vpn.reference.startswith("TCK-") and printer.reference != vpn.reference
    assert (vpn.department, vpn.priority, vpn.assignee, vpn.source, vpn.status) == (
        billing_dept,
        Priority.HIGH,
        agent,
        Source.IMPORT,
        Status.NEW,
    )
    # No department named: routed like a ticket opened by hand, to the default department.
    assert (printer.department, printer.description, printer.priority) == (it_dept, "Paper jam\non floor 2", "normal")
    assert grants_of(vpn) == {
        ("user:carol", "view_ticket"),
        ("user:alice", "view_ticket"),
        ("user:alice", "change_ticket"),
        ("group:department:billing", "view_ticket"),
        ("group:department:billing", "change_ticket"),
    }
    assert set(tickets_visible_to(agent)) == {vpn, printer}  # assignee of one, department member of the other
    created = vpn.events.get(kind=EventKind.CREATED)
    assert created.actor == admin_user
    assert created.data == {
        "status": "new",
        "priority": "high",
        "department": billing_dept.pk,
        "source": "import",
        "file": "tickets.csv",
        "row": 2,
        "notify": False,
        "triage": False,
    }
    assert vpn.events.get(kind=EventKind.ASSIGNED).data == {"from": None, "to": agent.pk}
    # Routed by the one creation path, which records the routing as for a ticket opened by hand.
    assert list(printer.events.values_list("kind", flat=True)) == [EventKind.CREATED, EventKind.ROUTED]
    assert printer.events.get(kind=EventKind.ROUTED).data == {"department": it_dept.pk, "rule": None}


def test_foreign_headers_are_understood(it_dept, billing_dept, requester):
    data = csv_bytes(
        [
            ["Subject", "Body", "E-mail", "Queue", "Type", "Urgency", "Created", "Lang", "State"],
            [
                "Refund",
                "Charged twice",
                requester.email,
                "billing",
                "Billing",
                "Critical",
                "2025-03-01 14:30",
                "DE",
                "Solved",
            ],
        ]
    )

    report = run(data)

    assert report.applied, report.errors
    assert [field for _, field in report.columns] == [
        "title",
        "description",
        "requester",
        "department",
        "category",
        "priority",
        "created_at",
        "language",
        "status",
    ]
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.description, ticket.requester, ticket.department) == (
        "Refund",
        "Charged twice",
        requester,
        billing_dept,
    )
    assert (ticket.category, ticket.priority, ticket.language, ticket.status) == ("billing", "urgent", "de", "resolved")
    assert ticket.created_at.isoformat() == "2025-03-01T14:30:00+00:00"
    # A resolved ticket without its time takes the created time, not "today".
    assert ticket.resolved_at == ticket.created_at and ticket.closed_at is None


def test_semicolon_separated_latin1_file(it_dept, requester):
    data = csv_bytes(
        [["title", "description", "requester"], ["Größe ändern", "Café crème à 3 €", requester.email]],
        encoding="cp1252",
        delimiter=";",
    )
    csv_file = as_csv_file(data)
    assert (csv_file.encoding.label, csv_file.delimiter) == ("Windows-1252 / Latin-1", ";")

    report = run(data)

    assert report.applied
    assert Ticket.objects.values_list("title", "description").get() == ("Größe ändern", "Café crème à 3 €")


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["utf8", "utf8-bom"])
def test_utf8_with_and_without_bom(it_dept, requester, bom):
    data = bom + csv_bytes([["title", "description", "requester"], ["Çay makinesi bozuk", "Şimdi", requester.email]])

    report = run(data)

    assert report.applied and report.encoding.startswith("UTF-8")
    assert Ticket.objects.get().title == "Çay makinesi bozuk"


def test_dry_run_changes_nothing(it_dept, requester, agent):
    data = csv_bytes(
        [
            HEADER,
            ["One", "x", requester.email, "", "", agent.email],
            ["Two", "y", "newcomer@example.com", "", "", ""],
        ]
    )
    before = db_state()

    report = run(data, dry_run=True)

    assert (report.dry_run, report.applied, report.created, report.new_requesters) == (True, False, 2, 1)
    assert [(row.row, row.action, row.title) for row in report.preview] == [(2, "create", "One"), (3, "create", "Two")]
    assert db_state() == before


def test_one_bad_row_imports_nothing_and_names_row_and_column(it_dept, requester):
    rows = [HEADER] + [[f"Ticket {n}", "x", requester.email, "", "", ""] for n in range(1, 40)]
    rows[25][3] = "Sales"  # row 26 in a spreadsheet: the header is row 1
    rows.insert(30, ["", "", "", "", "", ""])  # a blank line is not an error
    before = db_state()

    report = run(csv_bytes(rows), batch_size=10)

    assert (report.applied, report.error_count, report.invalid_rows) == (False, 1, 1)
    (error,) = report.errors
    assert (error.row, error.column, error.value) == (26, "department", "Sales")
    assert error.message == "No department is named “Sales”. Departments: IT Support."
    assert str(error) == "row 26, column “department”: No department is named “Sales”. Departments: IT Support."
    assert db_state() == before


def test_every_error_of_every_row_is_reported(it_dept, requester, agent, other_requester):
    data = csv_bytes(
        [
            ["title", "description", "requester", "priority", "status", "created", "assignee", "language"],
            ["", "", requester.email, "soon", "new", "", "", ""],
            ["Ok", "", "not-an-address@", "", "", "03/01/2025x", "", ""],
            ["Ok", "x", "ghost", "", "open", "2999-01-01", other_requester.email, "english!"],
            ["Ok", "x", requester.email, "", "nonsense", "", "", ""],
        ]
    )

    report = run(data, dry_run=True)

    assert [(e.row, e.column) for e in report.errors] == [
        (2, "title"),
        (2, "description"),
        (2, "priority"),
        (3, "requester"),
        (3, "created"),
        (4, "requester"),
        (4, "created"),
        (4, "assignee"),
        (4, "language"),
        (5, "status"),
    ]
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages[(2, "priority")] == "“soon” is not a priority. Use one of: low, normal, high, urgent."
    assert messages[(4, "requester")] == "No account has the username “ghost”."
    assert (
        messages[(4, "assignee")] == "dave@example.com cannot be assigned tickets: only active agents and admins can."
    )
    assert messages[(3, "created")].startswith("“03/01/2025x” is not a date.")
    assert (report.invalid_rows, report.created) == (4, 0)


def test_requester_accounts_are_created_once_or_refused_by_setting(it_dept, settings):
    data = csv_bytes(
        [
            ["title", "description", "requester", "requester_name"],
            ["A", "x", "Grace.Hopper@Example.com", "Grace Brewster Hopper"],
            ["B", "y", "grace.hopper@example.com", ""],
        ]
    )

    report = run(data)

    assert (report.applied, report.new_requesters) == (True, 1)
    grace = User.objects.get(email__iexact="grace.hopper@example.com")
    assert (grace.role, grace.is_staff, grace.is_superuser, grace.has_usable_password()) == (
        Role.REQUESTER,
        False,
        False,
        False,
    )
    assert (grace.username, grace.first_name, grace.last_name) == (
        "Grace.Hopper@Example.com",
        "Grace",
        "Brewster Hopper",
    )
    assert set(Ticket.objects.values_list("requester", flat=True)) == {grace.pk}
    assert set(tickets_visible_to(grace).values_list("title", flat=True)) == {"A", "B"}

    settings.TICKET_IMPORT_CREATE_REQUESTERS = False
    before = db_state()
    report = run(csv_bytes([["title", "description", "requester"], ["C", "z", "ada@example.com"]]))
    assert [str(e) for e in report.errors] == [
        "row 2, column “requester”: No account has the e-mail address ada@example.com (creating requesters on import "
        "is turned off)."
    ]
    assert db_state() == before


def test_rows_with_our_references_update_or_skip(admin_user, agent, it_ticket, billing_ticket, billing_dept):
    data = csv_bytes(
        [
            ["reference", "title", "description", "requester", "status", "priority", "department", "assignee"],
            [it_ticket.reference, it_ticket.title, "", "", "open", "urgent", "", agent.email],
            [billing_ticket.reference, billing_ticket.title, billing_ticket.description, "", "", "", "Billing", ""],
            ["OLD-77", "From the old desk", "x", it_ticket.requester.email, "", "", "", ""],
        ]
    )

    report = run(data, actor=admin_user)

    assert (report.applied, report.created, report.updated, report.skipped) == (True, 1, 1, 1)
    it_ticket.refresh_from_db()
    assert (it_ticket.status, it_ticket.priority, it_ticket.assignee) == (Status.OPEN, Priority.URGENT, agent)
    assert list(it_ticket.events.values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.PRIORITY_CHANGED,
        EventKind.STATUS_CHANGED,
        EventKind.ASSIGNED,
    ]
    new = Ticket.objects.get(title="From the old desk")
    assert new.events.get(kind=EventKind.CREATED).data["external_reference"] == "OLD-77"


def test_updates_follow_the_lifecycle_and_the_importers_scope(agent, it_ticket, billing_ticket):
    data = csv_bytes(
        [
            ["reference", "title", "description", "requester", "status"],
            [it_ticket.reference, "", "", "", "resolved"],
            [billing_ticket.reference, "Mine now", "", "", ""],
            [it_ticket.reference, "Twice", "", "", ""],
        ]
    )

    report = run(data, actor=agent, dry_run=True)

    assert [str(e) for e in report.errors] == [
        "row 2, column “status”: A ticket cannot move from “New” to “Resolved”.",
        # alice cannot change Billing's tickets: the same answer as for a reference that does not exist.
        f"row 3, column “reference”: There is no ticket {billing_ticket.reference} that you can change.",
        f"row 4, column “reference”: Ticket {it_ticket.reference} is already updated by row 2.",
    ]


def test_an_update_never_changes_the_requester(admin_user, it_ticket, other_requester):
    data = csv_bytes([["reference", "title", "description", "requester"], [it_ticket.reference, "", "", "dave"]])

    report = run(data, actor=admin_user)

    assert [e.column for e in report.errors] == ["requester"]
    assert Ticket.objects.get(pk=it_ticket.pk).requester != other_requester


def test_time_stamps(it_dept, requester):
    data = csv_bytes(
        [
            ["title", "description", "requester", "status", "created_at", "updated", "resolved_at", "first_response"],
            ["Closed", "x", requester.email, "closed", "2025-01-10T08:00:00+01:00", "2025-01-12", "2025-01-11", ""],
            ["Open", "x", requester.email, "open", "2025-01-10", "", "2025-01-11", "2025-01-10 09:00"],
            ["Early", "x", requester.email, "resolved", "2025-01-10", "", "2025-01-09", ""],
        ]
    )

    report = run(data)

    assert [str(e) for e in report.errors] == [
        "row 4, column “resolved_at”: The resolved time is earlier than the created time (2025-01-10 00:00)."
    ]
    report = run(csv_bytes(list(csv.reader(io.StringIO(data.decode())))[:3]))
    closed = Ticket.objects.get(title="Closed")
    assert closed.created_at.isoformat() == "2025-01-10T07:00:00+00:00"
    assert (closed.resolved_at.date().isoformat(), closed.closed_at.date().isoformat()) == ("2025-01-11", "2025-01-12")
    opened = Ticket.objects.get(title="Open")
    # An open ticket has no end times (as after a reopen); its first response is kept.
    assert (opened.resolved_at, opened.closed_at) == (None, None)
    assert opened.first_responded_at.isoformat() == "2025-01-10T09:00:00+00:00"


def test_formula_apostrophes_from_our_exports_are_removed(it_dept, requester):
    data = csv_bytes([["title", "description", "requester"], ["'=SUM(A1)", "''=kept one apostrophe", requester.email]])

    run(data)

    assert Ticket.objects.values_list("title", "description").get() == ("=SUM(A1)", "'=kept one apostrophe")


def test_imported_data_passes_check_data(it_dept, billing_dept, agent, requester):
    from django.core.management import call_command

    data = csv_bytes(
        [
            ["title", "description", "requester", "department", "assignee", "status", "created"],
            *[
                [
                    f"T{n}",
                    "x",
                    f"person{n % 7}@example.com",
                    ["IT Support", "Billing"][n % 2],
                    agent.email if n % 3 else "",
                    Status.values[n % 6],
                    "2025-02-01",
                ]
                for n in range(60)
            ],
        ]
    )
    assert run(data, batch_size=16).applied

    out = io.StringIO()
    call_command("check_data", stdout=out)
    assert "No problems found" in out.getvalue()


# Files that cannot be imported ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b"", "empty", "“tickets.csv” is empty."),
        (b"\r\n\r\n", "empty", "“tickets.csv” is empty."),
        (b"title,description,requester\r\n", "no_rows", "“tickets.csv” has column names but no rows to import."),
        (
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00 [Content_Types].xml",
            "xlsx",
            "“tickets.csv” is an Excel workbook (.xlsx) or another ZIP archive, not a CSV file.",
        ),
        (
            "title,description,requester\r\nx,y,z\r\n".encode("utf-16"),
            "encoding",
            "“tickets.csv” is saved as UTF-16 or UTF-32 text, which cannot be imported.",
        ),
        (
            "title,description,requester\r\nПринтер,не печатает,ivan@example.com\r\n".encode("cp1251"),
            "encoding",
            "The characters in “tickets.csv” are neither UTF-8 nor Windows-1252 (Latin-1)",
        ),
        (b"\x00\x01\x02binary", "binary", "“tickets.csv” is not a text file"),
    ],
    ids=["empty", "blank-lines", "header-only", "xlsx", "utf16", "cyrillic-cp1251", "binary"],
)
def test_bad_files_are_refused_with_a_message(data, code, message):
    with pytest.raises(CsvFileError) as refused:
        as_csv_file(data)

    assert refused.value.code == code
    assert refused.value.message.startswith(message)


def test_missing_and_ambiguous_columns(db):
    with pytest.raises(CsvFileError) as refused:
        run(csv_bytes([["subject", "owner"], ["a", "b"]]))
    assert refused.value.message == (
        "Required columns are missing: a requester (or --default-requester). The file's columns were read as: "
        "“subject” → title, “owner” → assignee."
    )
    with pytest.raises(CsvFileError) as refused:
        run(csv_bytes([["Notes", "Owner"], ["a", "b"]]))
    assert refused.value.message == (
        "Required columns are missing: a title or a description; a requester (or --default-requester). The file's "
        "columns were read as: “Notes” → not read, “Owner” → assignee."
    )


# The back office ----------------------------------------------------------------------------------------------


def upload(data: bytes, name: str = "tickets.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def post_file(browser, data: bytes, name: str = "tickets.csv"):
    return browser.post(IMPORT_URL, {"import_file": upload(data, name), "format": "0", "resource": "0"})


def test_admin_dry_run_then_confirm(admin_browser, it_dept, requester, settings, tmp_path):
    data = csv_bytes(
        [HEADER, ["VPN", "down", requester.email, "", "", ""], ["Mail", "slow", "new@example.com", "", "", ""]]
    )
    assert admin_browser.get(IMPORT_URL).status_code == 200
    before = db_state()

    response = post_file(admin_browser, data)

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.dry_run, report.created, report.new_requesters, report.error_count) == (True, 2, 1, 0)
    assert 'data-figure="create">2<' in response.content.decode()
    assert db_state() == before
    stored = list((settings.MEDIA_ROOT / "imports").iterdir())
    assert len(stored) == 1

    token = response.context["token"]
    response = admin_browser.post(CONFIRM_URL, {"token": token}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:tickets_ticket_changelist")
    assert "Imported tickets.csv: 2 created, 0 updated, 0 unchanged." in response.content.decode()
    assert Ticket.objects.filter(source=Source.IMPORT).count() == 2
    assert list((settings.MEDIA_ROOT / "imports").iterdir()) == []
    # The token is spent: confirming twice imports nothing more.
    response = admin_browser.post(CONFIRM_URL, {"token": token}, follow=True)
    assert "This upload has expired or was imported already." in response.content.decode()
    assert Ticket.objects.count() == 2


def test_admin_sees_row_errors_and_cannot_confirm(admin_browser, it_dept, requester):
    data = csv_bytes([HEADER, ["VPN", "down", requester.email, "Nowhere", "", ""]])

    response = post_file(admin_browser, data)

    html = response.content.decode()
    assert response.context["token"] is None
    assert "cannot be imported: 1 row has errors" in html
    assert "No department is named “Nowhere”." in html
    assert 'name="token"' not in html
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "The submitted file is empty."),  # Django's own message
        ("report.csv", b"PK\x03\x04\x14\x00\x06\x00", "is an Excel workbook (.xlsx) or another ZIP archive"),
        ("latin.csv", "title;description\r\nCafé;x\r\n".encode("cp1252"), "Required columns are missing"),
        ("cyrillic.csv", "title\r\nПривет мир\r\n".encode("cp1251"), "neither UTF-8 nor Windows-1252"),
    ],
)
def test_bad_uploads_get_a_form_error_not_a_500(admin_browser, name, data, message, settings):
    response = post_file(admin_browser, data, name)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["import_file"])
    assert not (settings.MEDIA_ROOT / "imports").exists() or not list((settings.MEDIA_ROOT / "imports").iterdir())


def test_an_upload_over_the_limit_is_refused_from_its_size_alone(admin_browser, settings, monkeypatch):
    """Django spools a big upload to a temporary file; the import refuses it before storing or reading it."""
    from apps.common.csv import admin as importexport

    def never(*args, **kwargs):
        raise AssertionError("the upload was stored or read")

    monkeypatch.setattr(importexport.default_storage, "save", never)
    monkeypatch.setattr(importexport, "inspect_csv", never)
    settings.IMPORT_UPLOAD_MAX_BYTES = 100
    data = b"title,description,requester\r\n" + b"x,y,carol@example.com\r\n" * 10

    response = post_file(admin_browser, data)

    assert response.status_code == 200
    assert response.context["form"].errors["import_file"] == [
        f"“tickets.csv” is {len(data)}\xa0bytes; files up to 100\xa0bytes can be imported here. Split the file, or ask "
        "an administrator to run `manage.py import_tickets` with it."
    ]


def test_a_real_50_mb_upload_is_refused(admin_browser, it_dept, settings):
    settings.IMPORT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    row = b"Printer on floor 2 is jammed,It makes a grinding noise and stops,carol@example.com\r\n"
    data = b"title,description,requester\r\n" + row * (50 * 1024 * 1024 // len(row) + 1)

    response = post_file(admin_browser, data, "big.csv")

    assert response.status_code == 200
    assert (
        response.context["form"].errors["import_file"][0].startswith("“big.csv” is 50.0\xa0MB; files up to 10.0\xa0MB")
    )
    assert Ticket.objects.count() == 0


def test_agent_without_the_permission_gets_403_and_nothing_changes(alice_client, it_dept, requester, it_ticket):
    data = csv_bytes([HEADER, ["VPN", "down", requester.email, "", "", ""]])
    before = db_state()

    assert alice_client.get(IMPORT_URL).status_code == 403
    assert post_file(alice_client, data).status_code == 403
    assert alice_client.post(CONFIRM_URL, {"token": "anything"}).status_code == 403
    changelist = alice_client.get(reverse("admin:tickets_ticket_changelist"))
    assert changelist.context["has_import_permission"] is False
    assert IMPORT_URL not in changelist.content.decode()
    assert db_state() == before


def test_requesters_never_reach_the_import(requester_client):
    response = requester_client.get(IMPORT_URL)
    assert response.status_code == 302 and response["Location"] == "/"  # requesters are sent to the portal


def test_agent_given_the_import_permission_may_import(agent, alice_client, it_dept, requester):
    from django.contrib.auth.models import Permission

    agent.user_permissions.add(Permission.objects.get(codename="import_ticket"))
    data = csv_bytes([HEADER, ["VPN", "down", requester.email, "", "", ""]])

    response = post_file(alice_client, data)
    assert response.status_code == 200
    alice_client.post(CONFIRM_URL, {"token": response.context["token"]})

    ticket = Ticket.objects.get()
    assert ticket.events.get(kind=EventKind.CREATED).actor == agent


def test_a_token_from_another_session_is_refused(admin_browser, it_dept, requester):
    data = csv_bytes([HEADER, ["VPN", "down", requester.email, "", "", ""]])
    post_file(admin_browser, data)
    other_admin = UserFactory(role=Role.ADMIN)

    response = logged_in(other_admin).post(CONFIRM_URL, {"token": "not-the-token"}, follow=True)

    assert "This upload has expired or was imported already." in response.content.decode()
    assert Ticket.objects.count() == 0


def test_an_import_of_unchanged_rows_has_nothing_to_confirm(admin_browser, it_ticket):
    data = csv_bytes(
        [["reference", "title", "description", "requester"], [it_ticket.reference, it_ticket.title, "", ""]]
    )

    response = post_file(admin_browser, data)

    assert (response.context["report"].skipped, response.context["token"]) == (1, None)
    assert "Nothing to import: every row matches what is already there." in response.content.decode()


def test_the_resource_imports_through_the_service(admin_user, it_dept, requester):
    """Code written against django-import-export gets the same import: references, grants, history."""
    import tablib

    from apps.tickets.resources import TicketResource

    dataset = tablib.Dataset(headers=["subject", "body", "email"])
    dataset.append(["From a script", "x", requester.email])
    dataset.append(["", "", requester.email])

    result = TicketResource().import_data(dataset, dry_run=False, user=admin_user)
    assert result.has_validation_errors()
    assert result.invalid_rows[0].number == 3 and "title" in result.invalid_rows[0].error_dict["subject"][0]
    assert Ticket.objects.count() == 0

    del dataset[1]
    result = TicketResource().import_data(dataset, dry_run=False, user=admin_user)
    assert (result.totals["new"], result.has_validation_errors()) == (1, False)
    ticket = Ticket.objects.get()
    assert ticket.events.get(kind=EventKind.CREATED).data["source"] == "import"


@pytest.mark.parametrize(("notify", "expected"), [(False, 0), (True, 1)])
def test_notifications_for_imported_tickets_follow_the_option(
    it_dept, requester, agent, notify, expected, after_commit
):
    from apps.notifications.models import Notification

    with after_commit():
        run(csv_bytes([HEADER, ["Imported", "x", requester.email, "", "", ""]]), notify=notify)

    # "ticket created" goes to the department's agents (alice), only when the import asks for it.
    assert Notification.objects.filter(recipient=agent).count() == expected


def test_rows_without_a_department_follow_the_routing_rules(it_dept, billing_dept, requester, admin_user):
    from apps.departments.choices import RuleField
    from apps.departments.models import RoutingRule
    from apps.departments.services import routing_rule_save

    routing_rule_save(rule=RoutingRule(department=billing_dept, order=1, field=RuleField.KEYWORDS, pattern="invoice"))
    data = csv_bytes(
        [
            HEADER,
            ["Invoice 42 is wrong", "Charged twice.", requester.email, "", "", ""],
            ["Printer", "Paper jam", requester.email, "", "", ""],
            ["Invoice copy", "Please resend.", requester.email, "IT Support", "", ""],
        ]
    )

    report = run(data, actor=admin_user)

    assert report.created == 3
    departments = list(Ticket.objects.order_by("pk").values_list("department__slug", flat=True))
    # The rule routes the first row; the second matches nothing (default); a named department wins over rules.
    assert departments == ["billing", "it-support", "it-support"]


# The one creation path and re-runs ----------------------------------------------------------------------------


def test_imported_open_tickets_get_due_dates_and_the_assignment_policy(it_dept, agent, requester, admin_user):
    from apps.departments.choices import AssignmentPolicy
    from apps.departments.models import SlaPolicy

    SlaPolicy.objects.create(department=it_dept, priority="normal", first_response_minutes=60, resolution_minutes=480)
    it_dept.assignment_policy = AssignmentPolicy.ROUND_ROBIN
    it_dept.save()
    data = csv_bytes(
        [
            ["title", "description", "requester", "status", "created"],
            ["Open one", "x", requester.email, "open", "2025-03-01 09:00"],
            ["Closed one", "x", requester.email, "closed", "2025-03-01 09:00"],
        ]
    )

    assert run(data, actor=admin_user).created == 2

    opened, closed = Ticket.objects.order_by("pk")
    assert opened.first_response_due_at.isoformat() == "2025-03-01T10:00:00+00:00"
    assert opened.resolution_due_at.isoformat() == "2025-03-01T17:00:00+00:00"
    assert opened.assignee == agent
    assert opened.events.get(kind=EventKind.ASSIGNED).data == {"from": None, "to": agent.pk, "policy": "round_robin"}
    # A closed ticket is given to nobody; its due dates are those of its creation, and its clocks stand still.
    assert closed.assignee is None
    assert closed.sla_paused_at == closed.closed_at


def test_importing_the_same_file_again_updates_or_leaves_never_duplicates(it_dept, requester, admin_user):
    rows = [
        ["id", "title", "description", "requester", "priority"],
        ["101", "VPN down", "Since 9 am.", requester.email, "high"],
        ["102", "Printer", "Paper jam", requester.email, "low"],
    ]
    assert run(csv_bytes(rows), actor=admin_user).created == 2
    vpn = Ticket.objects.get(external_id="101")
    assert (vpn.external_source, vpn.title) == ("import", "VPN down")

    again = run(csv_bytes(rows), actor=admin_user, dry_run=True)
    assert (again.created, again.updated, again.skipped) == (0, 0, 2)
    assert [row.action for row in again.preview] == ["skip", "skip"]
    assert run(csv_bytes(rows), actor=admin_user).skipped == 2

    rows[1][4] = "urgent"
    changed = run(csv_bytes(rows), actor=admin_user)
    assert (changed.created, changed.updated, changed.skipped) == (0, 1, 1)
    assert Ticket.objects.count() == 2
    vpn.refresh_from_db()
    assert vpn.priority == Priority.URGENT


def test_an_external_id_is_unique_per_source_and_once_per_file(it_dept, requester, admin_user):
    rows = [
        ["external_source", "external_id", "title", "description", "requester"],
        ["zammad", "7", "From Zammad", "x", requester.email],
        ["glpi", "7", "From GLPI", "x", requester.email],
    ]
    assert run(csv_bytes(rows), actor=admin_user).created == 2
    assert set(Ticket.objects.values_list("external_source", "external_id")) == {("zammad", "7"), ("glpi", "7")}

    twice = [*rows, ["glpi", "8", "New", "x", requester.email], ["glpi", "8", "Again", "x", requester.email]]
    before = db_state()
    report = run(csv_bytes(twice), actor=admin_user)
    assert (report.applied, report.error_count) == (False, 1)
    assert report.errors[0].row == 5
    assert "already created by row 4" in report.errors[0].message
    assert db_state() == before


def test_our_export_keeps_its_references_where_they_are_free(it_dept, requester, admin_user, it_ticket):
    from apps.tickets.references import reference_counter_value
    from apps.tickets.services import ticket_create

    rows = [
        ["reference", "title", "description", "requester"],
        ["TCK-000500", "From the other instance", "x", requester.email],
        [it_ticket.reference, it_ticket.title, it_ticket.description, ""],
    ]
    # PostgreSQL's sequence is not rolled back with a test: earlier tests may have drawn numbers past 500.
    counter = reference_counter_value() or 0
    report = run(csv_bytes(rows), actor=admin_user)

    assert (report.created, report.skipped) == (1, 1)
    kept = Ticket.objects.get(reference="TCK-000500")
    assert kept.title == "From the other instance"
    # The counter moved past the kept reference: the next ticket does not collide with it.
    after = ticket_create(actor=requester, requester=requester, title="Next", description="x", department=it_dept)
    assert after.reference == f"TCK-{max(500, counter) + 1:06d}"
    # Imported again: the reference now names a ticket, which the row leaves as it is.
    assert run(csv_bytes(rows), actor=admin_user).skipped == 2


def test_beyond_the_remembered_ids_the_database_refuses_a_duplicate(it_dept, requester, admin_user, monkeypatch):
    from apps.tickets.imports import planning

    monkeypatch.setattr(planning, "CREATED_LIMIT", 0)  # as if the file had more ids than the planner keeps
    rows = [
        ["external_id", "title", "description", "requester"],
        ["8", "New", "x", requester.email],
        ["8", "Again", "x", requester.email],
    ]
    before = db_state()
    report = run(csv_bytes(rows), actor=admin_user)
    assert (report.applied, report.error_count) == (False, 1)
    assert report.errors[0].message == "Rows 2 to 3 name a reference or an external id that is already taken."
    assert db_state() == before
