"""The back office's ticket import page with the messages file and the attachments ZIP (issue 15)."""

import csv
import io
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.accounts.choices import Role
from apps.tickets.models import Attachment, Comment, Ticket
from tests.accounts.factories import UserFactory
from tests.support import db_state, logged_in

IMPORT_URL = reverse("admin:tickets_ticket_import")
CONFIRM_URL = reverse("admin:tickets_ticket_process_import")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def csv_bytes(rows, *, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


MESSAGES_HEADER = ["ticket_number", "from", "body", "internal", "created_at", "attachments"]


@pytest.fixture
def files(it_dept, requester, agent):
    """A Zammad export: two tickets (numbers 31001, 31002), three messages (one with a file) and the ZIP."""
    tickets = csv_bytes(
        [
            ["number", "title", "note", "group", "customer"],
            ["31001", "VPN", "It is down", "IT Support", requester.email],
            ["31002", "Mail", "Slow", "IT Support", requester.email],
        ]
    )
    messages = csv_bytes(
        [
            MESSAGES_HEADER,
            ["31001", requester.email, "Still down.", "false", "2024-02-01 10:00", "files/screen.png"],
            ["31001", agent.username, "Looking into it.", "true", "2024-02-01 11:00", ""],
            ["31002", agent.email, "Fixed.", "no", "2024-02-01 12:00", ""],
        ]
    )
    return {"tickets": tickets, "messages": messages, "zip": zip_bytes({"files/screen.png": PNG})}


def post(browser, *, tickets=None, messages=None, attachments=None, preset="zammad", **fields):
    data = {"format": "0", "resource": "0", "preset": preset, **fields}
    if tickets is not None:
        data["import_file"] = SimpleUploadedFile("tickets.csv", tickets, content_type="text/csv")
    if messages is not None:
        name, content = messages if isinstance(messages, tuple) else ("messages.csv", messages)
        data["messages_file"] = SimpleUploadedFile(name, content, content_type="text/csv")
    if attachments is not None:
        data["attachments_file"] = SimpleUploadedFile("files.zip", attachments, content_type="application/zip")
    return browser.post(IMPORT_URL, data)


def stored_imports(settings) -> list:
    folder = settings.MEDIA_ROOT / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def counts() -> tuple[int, int, int]:
    return Ticket.objects.count(), Comment.objects.count(), Attachment.objects.count()


# Tickets, messages and files in one import -------------------------------------------------------------------


def test_tickets_messages_and_files_dry_run_confirm_and_again_unchanged(
    admin_browser, files, requester, agent, settings
):
    form_page = admin_browser.get(IMPORT_URL).content.decode()
    assert 'name="messages_file"' in form_page and 'name="attachments_file"' in form_page
    before = db_state()

    response = post(admin_browser, tickets=files["tickets"], messages=files["messages"], attachments=files["zip"])

    assert response.status_code == 200
    tickets, messages = response.context["report"], response.context["messages_report"]
    assert (tickets.dry_run, tickets.created, tickets.error_count) == (True, 2, 0)
    assert (messages.dry_run, messages.created, messages.skipped, messages.error_count) == (True, 3, 0, 0)
    html = response.content.decode()
    assert 'data-figure="create">2<' in html
    assert 'data-figure="messages-add">3<' in html
    assert "Confirming creates 2 and updates 0 tickets, then adds 3 messages, in one step" in html
    assert [(row.reference, row.title, row.requester) for row in messages.preview] == [
        ("31001", "Still down.", requester.email),
        ("31001", "Looking into it.", agent.username),
        ("31002", "Fixed.", agent.email),
    ]
    assert db_state() == before
    assert len(stored_imports(settings)) == 3  # the three files, kept under one import id
    token = response.context["token"]

    response = admin_browser.post(CONFIRM_URL, {"token": token}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:tickets_ticket_changelist")
    assert (
        "Imported tickets.csv: 2 created, 0 updated, 0 unchanged. Imported messages.csv: 3 messages added, 0 already "
        "there." in response.content.decode()
    )
    assert counts() == (2, 3, 1)
    vpn = Ticket.objects.get(title="VPN")
    assert [(c.author, c.is_internal, c.body) for c in vpn.comments.order_by("created_at")] == [
        (requester, False, "Still down."),
        (agent, True, "Looking into it."),
    ]
    attachment = Attachment.objects.get()
    assert (attachment.ticket, attachment.comment.body, attachment.original_name, attachment.size) == (
        vpn,
        "Still down.",
        "screen.png",
        len(PNG),
    )
    assert attachment.file.read() == PNG
    assert stored_imports(settings) == []

    # The re-run rule: the same files again change nothing, and there is nothing to confirm.
    written = db_state()
    response = post(admin_browser, tickets=files["tickets"], messages=files["messages"], attachments=files["zip"])

    tickets, messages = response.context["report"], response.context["messages_report"]
    assert (tickets.created, tickets.skipped, messages.created, messages.skipped) == (0, 2, 0, 3)
    assert response.context["token"] is None
    assert "Nothing to import: every row matches what is already there." in response.content.decode()
    assert db_state() == written
    assert stored_imports(settings) == []


def test_a_bad_message_row_refuses_the_whole_import(admin_browser, files, settings):
    bad = files["messages"] + csv_bytes([["31002", "ghost@example.com", "Boo", "no", "2024-02-01 13:00", ""]])
    before = db_state()

    response = post(admin_browser, tickets=files["tickets"], messages=bad, attachments=files["zip"])

    html = response.content.decode()
    assert response.context["token"] is None
    assert (response.context["report"].ok, response.context["messages_report"].ok) == (True, False)
    assert "“messages.csv” cannot be imported: 1 row has errors. Nothing will be imported, tickets included" in html
    assert "No active account is named “ghost@example.com” (people are matched, never created)." in html
    assert "Confirm import" not in html
    assert db_state() == before
    assert stored_imports(settings) == []


def test_messages_refused_at_the_confirm_roll_the_tickets_back(admin_browser, files, agent, settings):
    """The dry run passed; the data changed before the confirm (an author left): nothing is half-saved."""
    response = post(admin_browser, tickets=files["tickets"], messages=files["messages"], attachments=files["zip"])
    token = response.context["token"]
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    before = db_state()

    response = admin_browser.post(CONFIRM_URL, {"token": token})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported: the data changed since the dry run. See the errors below." in html
    assert "“messages.csv” was refused: 2 rows have errors, so nothing was imported, tickets included." in html
    assert f"No active account is named “{agent.username}”" in html
    assert db_state() == before
    assert counts() == (0, 0, 0)
    assert list(settings.MEDIA_ROOT.rglob("*.png")) == []  # no file of the rolled-back messages stays behind
    assert stored_imports(settings) == []


def test_a_messages_file_alone_adds_to_the_tickets_already_here(admin_browser, it_ticket, agent, settings):
    messages = csv_bytes(
        [
            ["ticket", "author", "body", "internal", "created_at"],
            [it_ticket.reference, agent.email, "Router restarted.", "yes", "2024-03-01 09:00"],
            [it_ticket.reference.lower(), agent.username, "Fine since.", "no", "2024-03-02 09:00"],
        ]
    )

    response = post(admin_browser, messages=messages, preset="")

    assert response.context["report"] is None
    assert (response.context["messages_report"].created, response.context["messages_report"].error_count) == (2, 0)
    assert "Confirming adds 2 messages in one step" in response.content.decode()
    assert Comment.objects.count() == 0

    response = admin_browser.post(CONFIRM_URL, {"token": response.context["token"]}, follow=True)

    assert "Imported messages.csv: 2 messages added, 0 already there." in response.content.decode()
    assert list(it_ticket.comments.order_by("created_at").values_list("body", "is_internal")) == [
        ("Router restarted.", True),
        ("Fine since.", False),
    ]
    written = db_state()
    response = post(admin_browser, messages=messages, preset="")
    assert (response.context["messages_report"].skipped, response.context["token"]) == (2, None)
    assert db_state() == written
    assert stored_imports(settings) == []


def test_the_default_author_stands_in_for_authors_we_cannot_match(admin_browser, it_ticket, agent):
    messages = csv_bytes([["ticket", "author", "body"], [it_ticket.reference, "Old Bot", "Hello."]])

    response = post(admin_browser, messages=messages, preset="", default_author=agent.email)
    admin_browser.post(CONFIRM_URL, {"token": response.context["token"]})

    assert list(it_ticket.comments.values_list("author", "body")) == [(agent.pk, "Hello.")]

    response = post(admin_browser, messages=messages, preset="", default_author="nobody@example.com")
    assert response.context["form"].errors["default_author"] == ["No active account is named “nobody@example.com”."]


# Files refused with a message, nothing written ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "upload", "message"),
    [
        (
            "messages_file",
            {"messages": ("messages.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00 [Content_Types].xml")},
            "“messages.csv” is an Excel workbook (.xlsx) or another ZIP archive, not a CSV file.",
        ),
        (
            "messages_file",
            {"messages": ("messages.csv", "ticket,author,body\r\n31001,a@b.c,Привет мир\r\n".encode("cp1251"))},
            "The characters in “messages.csv” are neither UTF-8 nor Windows-1252 (Latin-1)",
        ),
        (
            "messages_file",
            {"messages": ("messages.csv", b"ticket,text\r\n31001,Hi\r\n")},
            "Required columns are missing: author.",
        ),
        ("attachments_file", {"attachments": b"this is no zip"}, "The attachments file is not a ZIP file"),
        ("import_file", {"messages": None}, "Choose a file of tickets, or of messages, or both."),
        (
            "attachments_file",
            {"messages": None, "attachments": zip_bytes({"a.png": PNG})},
            "A ZIP of attachments goes with the messages file that names them.",
        ),
    ],
    ids=["xlsx", "cp1251", "missing-columns", "not-a-zip", "no-file", "zip-without-messages"],
)
def test_bad_files_are_refused_with_a_message_on_their_field(admin_browser, files, settings, field, upload, message):
    given = {"messages": files["messages"], "attachments": files["zip"], **upload}
    before = db_state()

    response = post(admin_browser, tickets=files["tickets"] if field != "import_file" else None, **given)

    assert response.status_code == 200
    assert response.context["token"] is None and response.context["report"] is None
    assert " ".join(response.context["form"].errors[field]).startswith(message)
    assert db_state() == before
    assert stored_imports(settings) == []


@pytest.mark.parametrize(
    ("zip_files", "message"),
    [
        ({"files/other.png": PNG}, "The ZIP holds no file “files/screen.png”."),
        ({"files/screen.png": b"MZ\x90\x00 not a png"}, "The file “screen.png” does not contain what its name says"),
    ],
    ids=["missing-entry", "content-not-as-named"],
)
def test_a_zip_missing_a_file_or_holding_a_bad_one_is_a_row_error(admin_browser, files, settings, zip_files, message):
    before = db_state()

    response = post(
        admin_browser, tickets=files["tickets"], messages=files["messages"], attachments=zip_bytes(zip_files)
    )

    messages = response.context["messages_report"]
    assert response.context["token"] is None
    assert [(e.row, e.column) for e in messages.errors] == [(2, "attachments")]
    assert messages.errors[0].message.startswith(message)
    assert message in response.content.decode()
    assert db_state() == before
    assert stored_imports(settings) == []


def test_a_disallowed_type_in_the_zip_is_a_row_error(admin_browser, files, requester, settings):
    messages = csv_bytes([MESSAGES_HEADER, ["31001", requester.email, "Run this.", "no", "", "tool.exe"]])
    before = db_state()

    response = post(
        admin_browser, tickets=files["tickets"], messages=messages, attachments=zip_bytes({"tool.exe": b"MZ\x90"})
    )

    errors = response.context["messages_report"].errors
    assert [(e.row, e.column) for e in errors] == [(2, "attachments")]
    assert errors[0].message.startswith("Files of type “.exe” are not accepted.")
    assert db_state() == before


def test_a_messages_file_over_the_limit_is_refused_from_its_size_alone(admin_browser, files, settings):
    settings.IMPORT_UPLOAD_MAX_BYTES = len(files["tickets"]) + 1
    big = files["messages"] * 3

    response = post(admin_browser, tickets=files["tickets"], messages=big)

    assert response.context["form"].errors["messages_file"] == [
        f"“messages.csv” is {len(big)}\xa0bytes; files up to {len(files['tickets']) + 1}\xa0bytes can be imported "
        "here. Split the file, or ask an administrator to run `manage.py import_tickets` with it."
    ]
    assert counts() == (0, 0, 0)
    assert stored_imports(settings) == []


# Who may import, and whose files ----------------------------------------------------------------------------


def test_agent_without_the_permission_gets_403_and_nothing_is_stored(alice_client, files, settings):
    before = db_state()

    response = post(alice_client, tickets=files["tickets"], messages=files["messages"], attachments=files["zip"])

    assert response.status_code == 403
    assert db_state() == before
    assert stored_imports(settings) == []


def test_an_importing_agent_adds_messages_only_to_tickets_they_may_change(
    agent, alice_client, it_ticket, billing_ticket
):
    agent.user_permissions.add(Permission.objects.get(codename="import_ticket"))
    messages = csv_bytes(
        [
            ["ticket", "author", "body"],
            [it_ticket.reference, agent.email, "Mine."],
            [billing_ticket.reference, agent.email, "Not mine."],
        ]
    )
    before = db_state()

    response = post(alice_client, messages=messages, preset="")

    report = response.context["messages_report"]
    assert [str(error) for error in report.errors] == [
        f"row 3, column “ticket”: No ticket has the reference “{billing_ticket.reference}”."
    ]
    assert response.context["token"] is None
    assert db_state() == before


def test_an_agent_adds_the_messages_of_the_tickets_their_import_creates(agent, alice_client, files, billing_dept):
    """The tickets go to Billing, which alice cannot change: the messages of the same import still go with them."""
    agent.user_permissions.add(Permission.objects.get(codename="import_ticket"))
    tickets = files["tickets"].replace(b"IT Support", b"Billing")

    response = post(alice_client, tickets=tickets, messages=files["messages"], attachments=files["zip"])
    assert (response.context["report"].created, response.context["messages_report"].created) == (2, 3)
    alice_client.post(CONFIRM_URL, {"token": response.context["token"]})

    assert counts() == (2, 3, 1)
    assert set(Ticket.objects.values_list("department", flat=True)) == {billing_dept.pk}


def test_an_import_id_is_only_good_in_its_own_session(admin_browser, files, settings):
    response = post(admin_browser, tickets=files["tickets"], messages=files["messages"], attachments=files["zip"])
    token = response.context["token"]
    other_admin = logged_in(UserFactory(role=Role.ADMIN))
    before = db_state()

    response = other_admin.post(CONFIRM_URL, {"token": token}, follow=True)

    assert "This upload has expired or was imported already." in response.content.decode()
    assert db_state() == before
    assert len(stored_imports(settings)) == 3  # still the first admin's, to confirm
    admin_browser.post(CONFIRM_URL, {"token": token})
    assert counts() == (2, 3, 1)


def test_the_mapping_step_checks_the_messages_again_with_the_tickets(admin_browser, it_dept, requester, agent):
    tickets = csv_bytes(
        [
            ["reference", "title", "description", "requester", "status"],
            ["EXT-1", "VPN", "Down", requester.email, "Parked"],
        ]
    )
    messages = csv_bytes([["ticket", "author", "body"], ["EXT-1", agent.email, "On it."]])

    page = post(admin_browser, tickets=tickets, messages=messages, preset="")

    assert page.context["token"] is None and page.context["mapping_token"]
    assert page.context["messages_report"].error_count == 1  # its ticket is not created while a value is unknown
    mapped = admin_browser.post(
        IMPORT_URL,
        {
            "mapping_token": page.context["mapping_token"],
            "mapping_count": "1",
            "field-0": "status",
            "theirs-0": "Parked",
            "ours-0": "waiting",
        },
    )

    assert (mapped.context["report"].created, mapped.context["messages_report"].created) == (1, 1)
    assert mapped.context["messages_report"].errors == []
    admin_browser.post(CONFIRM_URL, {"token": mapped.context["token"]})
    ticket = Ticket.objects.get()
    assert (ticket.status, list(ticket.comments.values_list("body", flat=True))) == ("waiting", ["On it."])
