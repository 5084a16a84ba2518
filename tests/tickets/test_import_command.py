"""`manage.py import_tickets` and `manage.py export_tickets`: the paths for files too big for a web request."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.accounts.models import User
from apps.tickets.choices import EventKind, Source
from apps.tickets.management.commands.import_tickets import ProgressBar
from apps.tickets.models import Ticket, TicketEvent, TicketGroupObjectPermission, TicketUserObjectPermission
from tests.support import count_queries, db_state
from tests.tickets.factories import TicketFactory


def write_csv(path, rows, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def rows_for(count: int, *, requester: str = "carol@example.com", department: str = "IT Support"):
    return [["subject", "body", "email", "queue"]] + [
        [f"Ticket {n}", f"Body {n}", requester, department] for n in range(count)
    ]


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_tickets", *map(str, args), "--no-progress", stdout=out, stderr=err)
    return out.getvalue()


def test_dry_run_reports_and_writes_nothing(tmp_path, it_dept, requester):
    path = write_csv(tmp_path / "old.csv", [*rows_for(12), ["Mail", "x", "new@example.com", ""]])
    before = db_state()

    out = run(path, "--dry-run")

    assert db_state() == before
    assert "old.csv: " in out and "UTF-8, comma-separated" in out
    assert "Columns: subject → title, body → description, email → requester, queue → department" in out
    assert "Dry run, nothing written: 13 to create, 0 to update, 0 unchanged, 1 new requester accounts; 13 rows" in out


def test_import_writes_every_row_with_grants_and_history(tmp_path, it_dept, billing_dept, requester, agent):
    rows = [*rows_for(25), ["Refund", "Charged twice", "new@example.com", "billing"]]
    path = write_csv(tmp_path / "old.csv", rows)

    out = run(path, "--batch-size", 7, "--as", agent.username)

    assert "Imported: 26 created, 0 updated, 0 unchanged, 1 new requester accounts; 26 rows in" in out
    assert Ticket.objects.filter(source=Source.IMPORT).count() == 26
    assert TicketEvent.objects.filter(kind=EventKind.CREATED, actor=agent, data__source="import").count() == 26
    # Per ticket: the department group's view+change, the requester's view.
    assert TicketGroupObjectPermission.objects.count() == 26 * 2
    assert TicketUserObjectPermission.objects.count() == 26
    refund = Ticket.objects.get(title="Refund")
    assert (refund.department, refund.requester.email) == (billing_dept, "new@example.com")
    assert len(set(Ticket.objects.values_list("reference", flat=True))) == 26

    check = io.StringIO()
    call_command("check_data", stdout=check)
    assert "No problems found" in check.getvalue()


def test_one_bad_row_fails_the_command_and_imports_nothing(tmp_path, it_dept, requester):
    rows = rows_for(30)
    rows[17][3] = "Sales"
    rows[22][2] = ""
    path = write_csv(tmp_path / "old.csv", rows)
    before = db_state()

    with pytest.raises(CommandError) as failed:
        run(path, "--batch-size", 5)

    assert failed.value.returncode == 1
    assert str(failed.value) == "Nothing was imported: 2 of 30 rows have errors."
    assert db_state() == before


def test_errors_are_listed_by_row_and_column(tmp_path, it_dept, requester, capsys):
    rows = rows_for(3)
    rows[2][3] = "Sales"
    path = write_csv(tmp_path / "old.csv", rows)
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_tickets", str(path), "--no-progress", stdout=out)

    assert "row 3, column “queue”: No department is named “Sales”. Departments: IT Support." in out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Nothing was imported: “bad.csv” is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00", "Nothing was imported: “bad.csv” is an Excel workbook (.xlsx)"),
        (
            b"title,owner\r\nx,y\r\n",
            "Nothing was imported: Required columns are missing: a requester (or --default-requester).",
        ),
    ],
)
def test_bad_files(tmp_path, db, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)

    with pytest.raises(CommandError) as failed:
        run(path)

    assert str(failed.value).startswith(message)


def test_unknown_requesters_can_be_errors(tmp_path, it_dept):
    path = write_csv(tmp_path / "old.csv", rows_for(2, requester="nobody@example.com"))

    with pytest.raises(CommandError):
        run(path, "--no-create-requesters")

    assert User.objects.filter(email="nobody@example.com").count() == 0


def test_naive_dates_are_read_in_the_given_time_zone(tmp_path, it_dept, requester):
    path = write_csv(
        tmp_path / "old.csv",
        [["title", "description", "requester", "created"], ["x", "y", requester.email, "2025-03-01 09:00"]],
    )

    run(path, "--time-zone", "Europe/Istanbul")

    assert Ticket.objects.get().created_at.isoformat() == "2025-03-01T06:00:00+00:00"


def test_queries_grow_with_batches_not_rows(tmp_path, it_dept, billing_dept, requester, agent):
    """The bulk path: a batch costs the same number of queries whether it holds 10 rows or 30 (SQLite splits
    bulk inserts of more than ~35 tickets into several statements, so the test stays below that)."""

    def queries_for(count: int) -> int:
        rows = [["title", "description", "requester", "department", "assignee"]] + [
            [f"T{n}", "x", requester.email, ["IT Support", "Billing"][n % 2], agent.email] for n in range(count)
        ]
        path = write_csv(tmp_path / f"{count}.csv", rows)
        return count_queries(lambda: run(path, "--batch-size", count))

    queries_for(3)  # warm up: the reference sequence row, cached permissions
    assert queries_for(10) == queries_for(30)
    assert Ticket.objects.count() == 43


def test_progress_bar_draws_on_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(stream, enabled=True)

    bar("check", 500, 50, 100)
    bar("check", 1000, 100, 100)
    bar("import", 1000, 100, 100)
    bar.finish()

    lines = stream.getvalue().split("\n")
    assert lines[0].startswith("\rchecking  [###############---------------]  50%  500 rows")
    assert "\rchecking  [##############################] 100%  1,000 rows" in lines[0]
    assert lines[1].startswith("\rimporting [##############################] 100%  1,000 rows")


# export_tickets -----------------------------------------------------------------------------------------------


def test_export_everything_then_import_it_back(tmp_path, admin_user, it_dept, billing_dept, requester, agent):
    TicketFactory(department=it_dept, requester=requester, title='=HYPERLINK("http://evil")', assignee=agent)
    TicketFactory(department=billing_dept, requester=requester, title="Invoice")
    path = tmp_path / "all.csv"
    err = io.StringIO()

    call_command("export_tickets", "-o", str(path), "--no-progress", stderr=err)

    assert "Exported 2 tickets to" in err.getvalue()
    content = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [row["title"] for row in rows] == ['\'=HYPERLINK("http://evil")', "Invoice"]
    assert rows[0]["assignee"] == agent.email

    out = run(path)
    assert "0 created, 0 updated, 2 unchanged" in out


def test_export_as_a_user_holds_only_their_tickets(tmp_path, agent, it_dept, billing_dept, requester):
    mine = TicketFactory(department=it_dept, requester=requester)
    TicketFactory(department=billing_dept, requester=requester)
    out = io.StringIO()

    call_command(
        "export_tickets", "--as", agent.username, "--status", "open-statuses", stdout=out, stderr=io.StringIO()
    )

    rows = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert [row["reference"] for row in rows] == [mine.reference]


def test_export_filters(tmp_path, it_dept, billing_dept, requester):
    TicketFactory(department=it_dept, requester=requester)
    invoice = TicketFactory(department=billing_dept, requester=requester)
    out = io.StringIO()

    call_command("export_tickets", "--department", "billing", stdout=out, stderr=io.StringIO())

    assert [row["reference"] for row in csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff")))] == [
        invoice.reference
    ]
    with pytest.raises(CommandError):
        call_command("export_tickets", "--department", "nowhere", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize("command", ["import_tickets", "import_messages"])
@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--as", "nobody", "No active user named “nobody”."),
        ("--time-zone", "Mars/Olympus", "Unknown time zone “Mars/Olympus”."),
    ],
)
def test_an_unknown_user_or_time_zone_is_refused_before_any_row(tmp_path, it_dept, requester, command, option,
                                                                 value, message):  # fmt: skip
    path = write_csv(tmp_path / "old.csv", rows_for(2))
    before = db_state()

    with pytest.raises(CommandError) as refused:
        call_command(command, str(path), option, value, stdout=io.StringIO(), stderr=io.StringIO())

    assert str(refused.value) == message
    assert db_state() == before
