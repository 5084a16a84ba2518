"""CSV import and export of accounts and departments in the back office (admins only)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.departments.models import Department
from tests.accounts.factories import UserFactory
from tests.support import logged_in

USERS_IMPORT = reverse("admin:accounts_user_import")
USERS_CONFIRM = reverse("admin:accounts_user_process_import")
USERS_EXPORT = reverse("admin:accounts_user_export")
DEPARTMENTS_IMPORT = reverse("admin:departments_department_import")
DEPARTMENTS_CONFIRM = reverse("admin:departments_department_process_import")
DEPARTMENTS_EXPORT = reverse("admin:departments_department_export")


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def dry_run(browser, url, rows):
    upload = SimpleUploadedFile("people.csv", csv_bytes(rows), content_type="text/csv")
    response = browser.post(url, {"import_file": upload, "format": "0", "resource": "0"})
    assert response.status_code == 200
    return response


def confirm(browser, url, response):
    assert response.context["token"], [str(e) for e in response.context["report"].errors]
    return browser.post(url, {"token": response.context["token"]}, follow=True)


def exported(browser, url) -> list[dict]:
    response = browser.post(url, {"format": "0", "resource": "0"})
    assert response.status_code == 200
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def admin_client_(admin_user):
    return logged_in(admin_user)


@pytest.fixture
def alice_client(agent):
    return logged_in(agent)


# Accounts -----------------------------------------------------------------------------------------------------


def test_users_dry_run_then_confirm(admin_client_, it_dept, billing_dept, agent):
    rows = [
        ["E-mail", "First name", "Surname", "Role", "Team", "Active"],
        ["grace@example.com", "Grace", "Hopper", "Agent", "IT Support; billing", "yes"],
        ["ada@example.com", "Ada", "Lovelace", "", "", ""],
        [agent.email, "Alice", "Changed", "agent", "IT Support", "yes"],
    ]
    count = User.objects.count()

    response = dry_run(admin_client_, USERS_IMPORT, rows)

    report = response.context["report"]
    assert (report.created, report.updated, report.error_count) == (2, 1, 0)
    assert User.objects.count() == count  # a dry run writes nothing

    confirm(admin_client_, USERS_CONFIRM, response)

    grace = User.objects.get(email="grace@example.com")
    assert (grace.username, grace.role, grace.is_staff, grace.has_usable_password()) == (
        "grace@example.com",
        Role.AGENT,
        True,
        False,
    )
    assert set(Department.objects.filter(group__user=grace)) == {it_dept, billing_dept}
    assert User.objects.get(email="ada@example.com").role == Role.REQUESTER
    agent.refresh_from_db()
    assert (agent.first_name, agent.last_name) == ("Alice", "Changed")


def test_user_rows_with_errors_import_nothing(admin_client_, it_dept, requester):
    rows = [
        ["email", "role", "departments", "time_zone", "active"],
        ["new@example.com", "wizard", "Nowhere", "Mars/Olympus", "maybe"],
        [requester.email.upper(), "requester", "IT Support", "", ""],  # requesters cannot join departments
        ["fine@example.com", "", "", "", ""],
    ]
    count = User.objects.count()

    response = dry_run(admin_client_, USERS_IMPORT, rows)

    report = response.context["report"]
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "role"),
        (2, "departments"),
        (2, "time_zone"),
        (2, "active"),
        (3, "departments"),
    ]
    assert report.errors[0].message == "“wizard” is not one of: admin, agent, requester."
    assert "Only agents and admins can belong to departments." in report.errors[-1].message
    assert response.context["token"] is None
    assert User.objects.count() == count


def test_users_export_has_no_secrets_and_imports_back(admin_client_, agent, it_dept):
    UserFactory(username="mallory", first_name='=HYPERLINK("http://x")', role=Role.REQUESTER)

    rows = exported(admin_client_, USERS_EXPORT)

    assert list(rows[0]) == [
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "language",
        "time_zone",
        "is_active",
        "departments",
    ]
    by_name = {row["username"]: row for row in rows}
    assert by_name["alice"]["departments"] == "IT Support"
    assert by_name["mallory"]["first_name"] == '\'=HYPERLINK("http://x")'
    content = "".join(str(row) for row in rows)
    assert "md5$" not in content and "pbkdf2" not in content

    response = dry_run(admin_client_, USERS_IMPORT, [list(rows[0]), *[list(row.values()) for row in rows]])
    report = response.context["report"]
    assert (report.created, report.updated, report.skipped, report.error_count) == (0, 0, len(rows), 0)


def test_only_admins_import_or_export_accounts(alice_client):
    assert alice_client.get(USERS_IMPORT).status_code == 403
    assert alice_client.get(USERS_EXPORT).status_code == 403
    assert alice_client.post(USERS_EXPORT, {"format": "0"}).status_code == 403
    assert alice_client.post(USERS_CONFIRM, {"token": "x"}).status_code == 403


def test_bad_user_files_get_a_message(admin_client_):
    response = dry_run(admin_client_, USERS_IMPORT, [["first name", "surname"], ["Ada", "Lovelace"]])

    assert response.context["form"].errors["import_file"] == [
        "Required columns are missing: “email”. The first row must name the columns, for example: email, "
        "username, first_name, last_name, role."
    ]


# Departments --------------------------------------------------------------------------------------------------


def test_departments_import_creates_and_updates_through_the_services(admin_client_, it_dept, agent, other_agent):
    rows = [
        ["Queue", "Lead", "Agents", "Active"],
        ["Facilities", agent.email, f"{agent.username}, {other_agent.email}", "yes"],
        ["IT Support", other_agent.username, agent.username, ""],
    ]

    response = dry_run(admin_client_, DEPARTMENTS_IMPORT, rows)
    report = response.context["report"]
    assert (report.created, report.updated, report.error_count) == (1, 1, 0)
    assert not Department.objects.filter(name="Facilities").exists()

    confirm(admin_client_, DEPARTMENTS_CONFIRM, response)

    facilities = Department.objects.get(name="Facilities")
    assert (facilities.slug, facilities.manager) == ("facilities", agent)
    assert facilities.group.name == "department:facilities"
    assert set(facilities.group.user_set.all()) == {agent, other_agent}
    it_dept.refresh_from_db()
    assert it_dept.manager == other_agent


def test_department_rows_with_errors(admin_client_, it_dept, requester):
    rows = [["name", "manager", "members", "default"], ["Legal", "nobody@example.com", requester.username, "perhaps"]]

    response = dry_run(admin_client_, DEPARTMENTS_IMPORT, rows)

    report = response.context["report"]
    assert [(e.row, e.column) for e in report.errors] == [(2, "manager"), (2, "default")]
    assert not Department.objects.filter(name="Legal").exists()


def test_departments_export(admin_client_, it_dept, agent):
    rows = exported(admin_client_, DEPARTMENTS_EXPORT)

    assert rows == [
        {
            "name": "IT Support",
            "slug": "it-support",
            "description": "",
            "manager": "",
            "is_default": "1",
            "is_active": "1",
            "members": agent.email,
        }
    ]


def test_only_admins_import_or_export_departments(alice_client):
    assert alice_client.get(DEPARTMENTS_IMPORT).status_code == 403
    assert alice_client.post(DEPARTMENTS_EXPORT, {"format": "0"}).status_code == 403
