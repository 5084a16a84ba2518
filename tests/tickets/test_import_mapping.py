"""Importing other help desks' exports: presets, --map/--value/--ignore, column rules, dates, defaults."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.accounts.models import User
from apps.common.csv.files import CsvFileError, inspect_csv
from apps.departments.models import Department
from apps.tickets.choices import Category, EventKind, Priority, Status
from apps.tickets.imports import ImportMapping, ImportOptions, MappingError, tickets_import
from apps.tickets.imports.dates import detect_date_format
from apps.tickets.models import Ticket
from tests.support import db_state


def csv_bytes(rows, *, encoding="utf-8", delimiter=",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def run(data: bytes, *, dry_run=False, **mapping):
    csv_file = inspect_csv(lambda: io.BytesIO(data), name="export.csv", size=len(data))
    options = ImportOptions.from_settings(mapping=ImportMapping.parse(**mapping))
    return tickets_import(actor=None, csv_file=csv_file, dry_run=dry_run, options=options)


def created_event(ticket):
    return ticket.events.get(kind=EventKind.CREATED).data


# Presets --------------------------------------------------------------------------------------------------


def test_zammad_number_wins_over_id_and_priorities_like_2_normal(it_dept, requester, agent):
    data = csv_bytes(
        [
            ["id", "number", "title", "note", "group", "state", "priority", "owner", "customer", "created_at"],
            [
                "17",
                "31001",
                "VPN",
                "It is down",
                "IT Support",
                "pending reminder",
                "2 normal",
                "alice",
                "carol",
                "2024-02-01 10:00",
            ],
            ["18", "31002", "Mail", "Slow", "IT Support", "closed", "3 high", "", requester.email, "2024-02-02 10:00"],
        ]
    )

    report = run(data, preset="zammad")

    assert (report.applied, report.created) == (True, 2)
    assert report.decisions == [
        "“number” is read as reference, not “id”: it comes first in the preferred order of column names"
    ]
    vpn, mail = Ticket.objects.order_by("created_at")
    assert (vpn.status, vpn.priority, vpn.assignee, vpn.department) == (Status.WAITING, Priority.NORMAL, agent, it_dept)
    assert (mail.status, mail.priority) == (Status.CLOSED, Priority.HIGH)
    assert created_event(vpn)["external_reference"] == "31001"


def test_glpi_portuguese_type_wins_over_category_which_is_kept(it_dept, requester):
    """Headers and values in Portuguese, dd/mm/yyyy dates, requesters like "Name (2970)", a category path."""
    data = csv_bytes(
        [
            [
                "ID",
                "Título",
                "Status",
                "Data de abertura",
                "Prioridade",
                "Requerente - Requerente",
                "Categoria",
                "Tipo",
                "Descrição",
            ],
            [
                "2970",
                "Impressora",
                "Solucionado",
                "25/03/2012 14:05",
                "Média",
                "Maria Souza (2970)",
                "Hardware > Impressoras",
                "Incidente",
                "Não imprime",
            ],
            [
                "2971",
                "Acesso",
                "Pendente",
                "02/04/2012 09:00",
                "Alta",
                "João (12)",
                "Software > Office",
                "Requisição",
                "Pedido de acesso",
            ],
        ],
        encoding="cp1252",
    )

    report = run(data, preset="glpi", default_requester=requester.username)

    assert report.applied, report.errors
    assert report.decisions == [
        "“Tipo” is read as category, not “Categoria”: more of its values match ours",
        "The values of “Categoria” are kept in each ticket's history.",
        "“Data de abertura”: dates read day first (a day over 12 settles it).",
    ]
    assert (report.default_requester_rows, report.kept_values) == (2, 2)
    printer = Ticket.objects.get(title="Impressora")
    assert (printer.status, printer.priority, printer.category, printer.requester) == (
        Status.RESOLVED,
        Priority.NORMAL,
        Category.INCIDENT,
        requester,
    )
    assert printer.created_at.strftime("%Y-%m-%d %H:%M") == "2012-03-25 14:05"
    assert created_event(printer)["kept"] == {"Categoria": "Hardware > Impressoras"}


def test_osticket_from_email_wins_and_the_title_fills_the_missing_body(it_dept, billing_dept):
    data = csv_bytes(
        [
            [
                "Ticket Number",
                "Date Created",
                "Subject",
                "From",
                "From Email",
                "Priority",
                "Department",
                "Current Status",
            ],
            [
                "100231",
                "3/14/2024 4:05 PM",
                "Refund please",
                "Ada Lovelace",
                "ada@example.com",
                "Emergency",
                "Billing",
                "Open",
            ],
        ]
    )

    report = run(data, preset="osticket")

    assert report.applied, report.errors
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.description, ticket.priority, ticket.department) == (
        "Refund please",
        "Refund please",
        Priority.URGENT,
        billing_dept,
    )
    assert (ticket.requester.email, ticket.requester.first_name, ticket.requester.last_name) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
    )
    assert ticket.created_at.strftime("%Y-%m-%d %H:%M") == "2024-03-14 16:05"
    assert created_event(ticket)["description_from"] == "title"


def test_django_helpdesk_numbers_and_a_queue_mapped_by_value(it_dept, billing_dept, requester):
    data = csv_bytes(
        [
            ["id", "title", "description", "submitter_email", "queue", "status", "priority", "created"],
            ["5", "Invoice", "Wrong total", requester.email, "2", "4", "1", "2023-11-02 08:00:00"],
            ["6", "Laptop", "Broken", requester.email, "1", "1", "3", "2023-11-03 08:00:00"],
        ]
    )

    refused = run(data, preset="helpdesk")
    assert (refused.applied, refused.unknown_values) == (False, {"queue": {"1": 1, "2": 1}})
    assert [str(error) for error in refused.errors] == [
        "row 2, column “queue”: No department is named “2”. Departments: Billing, IT Support.",
        "row 3, column “queue”: No department is named “1”. Departments: Billing, IT Support.",
    ]

    report = run(data, preset="helpdesk", values=["department:1=IT Support", "department:2=billing"])

    assert report.applied, report.errors
    invoice, laptop = Ticket.objects.order_by("title")
    assert (invoice.department, invoice.status, invoice.priority) == (billing_dept, Status.CLOSED, Priority.URGENT)
    assert (laptop.department, laptop.status, laptop.priority) == (it_dept, Status.OPEN, Priority.NORMAL)


def test_generic_support_csv_with_day_first_dates_and_empty_subjects(it_dept, requester):
    header = [
        "Ticket ID",
        "Customer Email",
        "Ticket Subject",
        "Ticket Description",
        "Ticket Status",
        "Ticket Priority",
        "Ticket Type",
        "Date of Purchase",
    ]
    data = csv_bytes(
        [
            header,
            [
                "1",
                requester.email,
                "",
                "My screen flickers\nsince Monday",
                "Pending Customer Response",
                "Critical",
                "Technical issue",
                "21-05-2021",
            ],
            ["2", requester.email, "Billing", "Charged twice", "Closed", "Medium", "Billing inquiry", "03-06-2021"],
        ]
    )

    report = run(data, preset="generic")

    assert report.applied, report.errors
    assert report.titles_from_description == 1
    flicker = Ticket.objects.get(description__startswith="My screen")
    assert (flicker.title, flicker.status, flicker.priority, flicker.category) == (
        "My screen flickers",
        Status.WAITING,
        Priority.URGENT,
        Category.INCIDENT,
    )
    assert created_event(flicker)["title_from"] == "description"


def test_multilingual_file_without_requester_uses_the_default(it_dept, billing_dept, requester):
    data = csv_bytes(
        [
            ["subject", "body", "type", "queue", "priority", "language"],
            ["Zahlung", "Die Rechnung ist falsch", "Incident", "Billing and Payments", "high", "de"],
            ["", "Bonjour, mon compte est bloqué", "Request", "Billing and Payments", "low", "fr"],
        ]
    )
    with pytest.raises(CsvFileError) as missing:
        run(data, preset="generic")
    assert "“subject” → title, “body” → description" in missing.value.message

    report = run(
        data, preset="generic", default_requester=requester.email, values=["department:Billing and Payments=billing"]
    )

    assert report.applied, report.errors
    assert report.default_requester_rows == 2
    assert set(Ticket.objects.values_list("title", "department", "requester", "language")) == {
        ("Zahlung", billing_dept.pk, requester.pk, "de"),
        ("Bonjour, mon compte est bloqué", billing_dept.pk, requester.pk, "fr"),
    }


def test_jira_issue_key_and_month_names(it_dept, requester):
    data = csv_bytes(
        [
            [
                "Summary",
                "Issue key",
                "Issue id",
                "Issue Type",
                "Status",
                "Priority",
                "Reporter",
                "Created",
                "Description",
            ],
            [
                "Cannot log in",
                "HELP-12",
                "10012",
                "[System] Service request",
                "Waiting for customer",
                "Highest",
                requester.email,
                "13/Jan/24 10:15 AM",
                "Password expired",
            ],
        ]
    )

    report = run(data, preset="jira")

    assert report.applied, report.errors
    ticket = Ticket.objects.get()
    assert (ticket.category, ticket.status, ticket.priority) == (Category.REQUEST, Status.WAITING, Priority.URGENT)
    assert ticket.created_at.strftime("%Y-%m-%d %H:%M") == "2024-01-13 10:15"
    assert created_event(ticket)["external_reference"] == "HELP-12"


def test_freescout_mailbox_is_the_department(it_dept, requester):
    data = csv_bytes(
        [
            ["Number", "Subject", "Customer Name", "Customer Email", "Mailbox", "Status", "Created At"],
            ["881", "Order late", "Carol", requester.email, "IT Support", "Active", "2024-05-01 12:00"],
        ]
    )
    report = run(data, preset="freescout")
    assert report.applied, report.errors
    assert Ticket.objects.get().status == Status.OPEN


# Unknown values, departments, overrides --------------------------------------------------------------------


def test_unknown_values_are_listed_once_per_column_with_counts(it_dept, requester):
    rows = [["title", "description", "requester", "status", "priority"]]
    rows += [[f"T{n}", "x", requester.email, "Solucionado", "soon" if n % 2 else "high"] for n in range(40)]
    before = db_state()

    report = run(csv_bytes(rows))

    assert report.unknown_values == {"status": {"Solucionado": 40}, "priority": {"soon": 20}}
    assert [str(error) for error in report.errors] == [
        "row 2, column “status”: “Solucionado” is not a status. Use one of: new, open, in_progress, waiting, "
        "resolved, closed. 40 rows have this value.",
        "row 3, column “priority”: “soon” is not a priority. Use one of: low, normal, high, urgent. 20 rows have "
        "this value.",
    ]
    assert (report.applied, report.invalid_rows, report.error_count) == (False, 40, 2)
    assert db_state() == before

    report = run(csv_bytes(rows), values=["status:Solucionado=resolved", "priority:soon=ignore"])
    assert (report.applied, report.created) == (True, 40)
    assert set(Ticket.objects.values_list("status", "priority")) == {("resolved", "normal"), ("resolved", "high")}


def test_missing_departments_are_created_only_when_asked(it_dept, requester):
    rows = [["subject", "body", "email", "queue"], ["A", "x", requester.email, "Field Service"]]
    rows += [["B", "y", requester.email, "Field Service"], ["C", "z", requester.email, "Warehouse"]]
    before = db_state()

    refused = run(csv_bytes(rows))
    assert refused.unknown_values == {"queue": {"Field Service": 2, "Warehouse": 1}}
    assert db_state() == before

    dry = run(csv_bytes(rows), create_departments=True, dry_run=True)
    assert (dry.ok, dry.new_departments, dry.preview[0].notes) == (
        True,
        ["Field Service", "Warehouse"],
        ("new department Field Service",),
    )
    assert db_state() == before

    report = run(csv_bytes(rows), create_departments=True)
    assert (report.applied, report.new_departments) == (True, ["Field Service", "Warehouse"])
    field = Department.objects.get(name="Field Service")
    assert (field.slug, field.group.name, Ticket.objects.filter(department=field).count()) == (
        "field-service",
        "department:field-service",
        2,
    )
    assert field.group.ticketgroupobjectpermission_set.count() == 4  # view + change on both tickets


def test_map_and_ignore_override_the_names_we_know(it_dept, requester):
    data = csv_bytes([["Assunto", "Texto", "Solicitante", "status"], ["Rede", "Sem rede", requester.email, "whatever"]])
    report = run(data, columns=["Assunto=title", "Texto=description", "Solicitante=requester"], ignore=["status"])
    assert report.applied, report.errors
    assert report.ignored_columns == ["status"]
    assert Ticket.objects.get().title == "Rede"


def test_display_names_with_addresses_and_people_we_cannot_match(it_dept, requester):
    data = csv_bytes(
        [
            ["title", "description", "requester"],
            ["A", "x", f"Carol Frost <{requester.email}>"],
            ["B", "y", "new.person@example.com (New Person)"],
            ["C", "z", "Somebody Unknown"],
            ["D", "w", "Somebody Unknown"],
        ]
    )
    report = run(data)
    assert report.unknown_values == {"requester": {"Somebody Unknown": 2}}
    assert [str(e) for e in report.errors] == [
        "row 4, column “requester”: No account has the username “Somebody Unknown”. 2 rows have this value."
    ]
    report = run(data, default_requester=requester.username)
    assert (report.applied, report.default_requester_rows, report.new_requesters) == (True, 2, 1)
    assert User.objects.get(email="new.person@example.com").get_full_name() == "New Person"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"preset": "servicenow"}, "There is no preset “servicenow”. Presets: zammad, osticket, helpdesk, glpi"),
        ({"columns": ["Subject=title", "Name=title"]}, "--map sends both “Subject” and “Name” to “title”"),
        ({"columns": ["Subject=headline"]}, "--map “Subject=headline”: there is no field “headline”."),
        ({"values": ["status:Solucionado=done"]}, "--value “status:Solucionado=done”: there is no status “done”."),
        ({"values": ["requester:x=y"]}, "--value “requester:x”: values can be mapped for status, priority"),
        ({"values": ["status=closed"]}, "--value “status=closed”: write it as “field:their value=our value”"),
        ({"date_format": "dd/mm"}, "--date-format “dd/mm”: use dmy, mdy or ymd"),
    ],
)
def test_a_bad_mapping_is_refused_before_any_row_is_read(options, message):
    with pytest.raises(MappingError) as refused:
        ImportMapping.parse(**options)
    assert refused.value.message.startswith(message)


def test_an_unknown_default_requester_is_refused_before_any_row(it_dept):
    with pytest.raises(CsvFileError) as refused:
        run(csv_bytes([["title", "description"], ["a", "b"]]), default_requester="nobody")
    assert refused.value.message == "--default-requester: no active account is named “nobody”."


# Dates ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "preferred", "order", "note"),
    [
        (["01/02/2024", "25/02/2024"], "", "dmy", "dates read day first (a day over 12 settles it)."),
        (["01/02/2024", "02/25/2024"], "", "mdy", "dates read month first (a day over 12 settles it)."),
        (
            ["01/02/2024", "03/04/2024"],
            "dmy",
            "dmy",
            "no day over 12, so the order is ambiguous; read day first (--date-format).",
        ),
        (["01/02/2024"], "", "mdy", "no day over 12, so the order is ambiguous; read month first (the site's locale)."),
        (["2024-02-01", "01.02.2024"], "", "mdy", ""),
    ],
)
def test_date_order_is_detected_per_column(values, preferred, order, note):
    detected, said = detect_date_format(values, preferred=preferred)
    assert (detected.order, said) == (order, note)


# The command ----------------------------------------------------------------------------------------------


def test_command_with_a_preset_and_overrides(tmp_path, it_dept, requester):
    path = tmp_path / "glpi.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["ID", "Title", "Status", "Opening date", "Requester - Requester", "Description", "Entity"],
                ["1", "Printer", "Solved", "2024-01-05 10:00", "Ada (12)", "Jammed", "Root entity"],
                ["2", "Mouse", "Weird", "2024-01-06 10:00", "Ada (12)", "Broken", "Root entity"],
            ]
        )
    )
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_tickets", str(path), "--from", "glpi", "--no-progress", stdout=out)
    assert "Unknown values in “Status”: “Weird” (1)" in out.getvalue()
    assert "Unknown values in “Requester - Requester”: “Ada (12)” (2)" in out.getvalue()

    out = io.StringIO()
    call_command(
        "import_tickets",
        str(path),
        "--from=glpi",
        "--value=status:Weird=open",
        f"--default-requester={requester.username}",
        "--ignore=Entity",
        "--no-progress",
        stdout=out,
    )
    assert "Imported: 2 created, 0 updated, 0 unchanged, 0 new requester accounts, 2 rows took the default" in (
        out.getvalue()
    )
    assert set(Ticket.objects.values_list("status", flat=True)) == {"resolved", "open"}

    with pytest.raises(CommandError) as refused:
        call_command("import_tickets", str(path), "--from", "nosuch", "--no-progress", stdout=io.StringIO())
    assert "invalid choice: 'nosuch'" in str(refused.value)


# The import page: preset, mapping step, profiles ---------------------------------------------------------

IMPORT_URL = "/admin/tickets/ticket/import/"


def test_the_import_page_maps_unknown_values_and_saves_a_profile(admin_browser, it_dept, billing_dept, requester):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from apps.tickets.models import ImportProfile

    data = csv_bytes(
        [
            ["ID", "Título", "Status", "Requerente - Requerente", "Descrição", "Entidade"],
            ["1", "Impressora", "Aguardando peça", requester.email, "Sem toner", "Financeiro"],
            ["2", "Rede", "Solucionado", requester.email, "Sem rede", "Financeiro"],
            ["3", "Mouse", "Aguardando peça", requester.email, "Quebrado", "Financeiro"],
        ]
    )
    url = reverse("admin:tickets_ticket_import")

    def upload(**fields):
        return admin_browser.post(
            url, {"import_file": SimpleUploadedFile("glpi.csv", data), "format": "0", "resource": "0", **fields}
        )

    page = upload(preset="glpi")
    assert page.status_code == 200
    report = page.context["report"]
    assert report.unknown_values == {"Status": {"Aguardando peça": 2}}
    rows = page.context["mapping_rows"]
    assert [(r["field"], r["column"], r["value"], r["count"]) for r in rows] == [
        ("status", "Status", "Aguardando peça", 2)
    ]
    assert page.context["token"] is None and Ticket.objects.count() == 0

    mapped = admin_browser.post(
        url,
        {
            "mapping_token": page.context["mapping_token"],
            "mapping_count": "1",
            "field-0": "status",
            "theirs-0": "Aguardando peça",
            "ours-0": "waiting",
            "profile_name": "GLPI (Financeiro)",
        },
    )
    assert mapped.context["report"].ok and mapped.context["token"]
    profile = ImportProfile.objects.get()
    assert (profile.name, profile.mapping["preset"], profile.mapping["values"]) == (
        "GLPI (Financeiro)",
        "glpi",
        [["status", "Aguardando peça", "waiting"]],
    )

    done = admin_browser.post(reverse("admin:tickets_ticket_process_import"), {"token": mapped.context["token"]})
    assert done.status_code == 302
    assert sorted(Ticket.objects.values_list("title", "status")) == [
        ("Impressora", "waiting"),
        ("Mouse", "waiting"),
        ("Rede", "resolved"),
    ]

    # The profile reads the file the same way again; the tickets are there already (the same references), so a
    # second run creates none of them.
    again = upload(profile=str(profile.pk))
    assert again.context["report"].ok
    assert (again.context["report"].created, again.context["report"].updated + again.context["report"].skipped) == (
        0,
        3,
    )


def test_the_import_page_refuses_a_bad_mapping_before_reading(admin_browser, it_dept):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    page = admin_browser.post(
        reverse("admin:tickets_ticket_import"),
        {
            "import_file": SimpleUploadedFile("t.csv", b"title,description\r\na,b\r\n"),
            "format": "0",
            "resource": "0",
            "default_requester": "nobody",
        },
    )
    assert page.status_code == 200
    assert "--default-requester: no active account is named “nobody”." in page.content.decode()
    assert Ticket.objects.count() == 0
