"""Password-reset e-mails are limited per e-mail address and per client address (PASSWORD_RESET_EMAIL_LIMIT,
PASSWORD_RESET_ADDRESS_LIMIT per PASSWORD_RESET_WINDOW seconds); past a limit nothing is sent and the page
answers exactly as for any other address, so the limit tells nothing about which accounts exist."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

RESET_URL = reverse("accounts:password_reset")
DONE_URL = reverse("accounts:password_reset_done")


def page(response) -> str:
    """The page without its per-request CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def ask(email, address="192.0.2.1"):
    return Client().post(RESET_URL, {"email": email}, REMOTE_ADDR=address)


def test_fifteen_requests_for_one_address_send_a_few_emails(requester, settings):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 3
    # From fifteen different clients: only the limit per e-mail address can stop this.
    responses = [ask("carol@example.com", address=f"203.0.113.{n}") for n in range(15)]

    assert len(mail.outbox) == 3
    assert {(r.status_code, r["Location"]) for r in responses} == {(302, DONE_URL)}


def test_the_email_limit_ignores_case(requester, settings):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 2
    for email in ("carol@example.com", "CAROL@example.com", "Carol@Example.com"):
        ask(email, address="198.51.100.1")
    assert len(mail.outbox) == 2


def test_one_client_is_limited_across_addresses(requester, other_requester, settings):
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 3
    for email in ("nobody@example.com", "someone@example.com", "dave@example.com"):
        ask(email, address="203.0.113.9")

    refused = ask("carol@example.com", address="203.0.113.9")
    ask("carol@example.com", address="198.51.100.7")  # carol herself, from elsewhere

    assert (refused.status_code, refused["Location"]) == (302, DONE_URL)
    assert [m.to for m in mail.outbox] == [["dave@example.com"], ["carol@example.com"]]


def test_the_answer_past_the_limit_is_the_same_as_for_an_unknown_address(requester, settings):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 1
    ask("carol@example.com")
    limited = Client().post(RESET_URL, {"email": "carol@example.com"}, follow=True)
    unknown = Client().post(RESET_URL, {"email": "nobody@example.com"}, follow=True)

    assert limited.redirect_chain == unknown.redirect_chain == [(DONE_URL, 302)]
    assert page(limited) == page(unknown)
    assert len(mail.outbox) == 1


def test_the_window_ends(requester, settings, monkeypatch):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 1
    settings.PASSWORD_RESET_WINDOW = 60
    clock = [1_000_000.0]
    monkeypatch.setattr("apps.accounts.throttling.time.time", lambda: clock[0])
    ask("carol@example.com")
    clock[0] += 30
    ask("carol@example.com")
    clock[0] += 31
    ask("carol@example.com")
    assert len(mail.outbox) == 2


def test_the_defaults_are_sane(settings):
    assert 1 <= settings.PASSWORD_RESET_EMAIL_LIMIT <= 5
    assert settings.PASSWORD_RESET_EMAIL_LIMIT <= settings.PASSWORD_RESET_ADDRESS_LIMIT <= 50
    assert settings.PASSWORD_RESET_WINDOW >= 15 * 60
