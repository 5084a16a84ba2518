"""People of an import: new requesters can set their password ("forgot password", or --invite)."""

import csv
import io
import re

from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from apps.accounts.models import User


def write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_an_imported_requester_sets_a_password_through_forgot_password(client, tmp_path, it_dept):
    path = write_csv(tmp_path / "t.csv", [["subject", "body", "email"], ["VPN", "down", "grace@example.com"]])
    call_command("import_tickets", str(path), "--no-progress", stdout=io.StringIO())
    grace = User.objects.get(email="grace@example.com")
    assert grace.has_usable_password() is False
    assert mail.outbox == []

    client.post(reverse("accounts:password_reset"), {"email": "Grace@example.com"})

    assert [message.to for message in mail.outbox] == [["grace@example.com"]]
    link = re.search(r"https?://\S+/password-reset/\S+", mail.outbox[0].body).group(0)
    page = client.get(link, follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    client.post(form_url, {"new_password1": "a-Long-pass-phrase-42", "new_password2": "a-Long-pass-phrase-42"})
    grace.refresh_from_db()
    assert grace.check_password("a-Long-pass-phrase-42")


def test_invite_sends_each_new_requester_a_set_your_password_email(
    tmp_path, it_dept, requester, django_capture_on_commit_callbacks
):
    rows = [["subject", "body", "email"], ["A", "x", "grace@example.com"], ["B", "y", "grace@example.com"]]
    rows += [["C", "z", "linus@example.com"], ["D", "w", requester.email]]
    path = write_csv(tmp_path / "t.csv", rows)
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_tickets", str(path), "--invite", "--no-progress", stdout=out)

    assert "2 new requester accounts, 2 invitations to set a password" in out.getvalue()
    assert sorted(message.to[0] for message in mail.outbox) == ["grace@example.com", "linus@example.com"]
    message = next(m for m in mail.outbox if m.to == ["grace@example.com"])
    assert message.subject == "Your Help Center account: choose a password"
    assert "/password-reset/" in message.body and "Your user name is grace@example.com." in message.body


def test_no_invitation_without_the_option_or_on_a_dry_run(tmp_path, it_dept, django_capture_on_commit_callbacks):
    path = write_csv(tmp_path / "t.csv", [["subject", "body", "email"], ["A", "x", "grace@example.com"]])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_tickets", str(path), "--invite", "--dry-run", "--no-progress", stdout=io.StringIO())
        call_command("import_tickets", str(path), "--no-progress", stdout=io.StringIO())
    assert mail.outbox == []
