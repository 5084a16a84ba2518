"""Signing per Standard Webhooks, secrets encrypted at rest, and which addresses a webhook may reach."""

import time

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from standardwebhooks import Webhook as Verifier

from apps.integrations.network import address_refused, post
from apps.integrations.signing import decrypt_secret, encrypt_secret, new_secret, signed_headers


def test_signatures_verify_with_the_standard_library():
    secret = new_secret()
    body = b'{"type":"ticket.created"}'

    headers = signed_headers(secret=secret, message_id="msg_1", timestamp=int(time.time()), body=body)

    assert Verifier(secret).verify(body, headers) == {"type": "ticket.created"}
    assert secret.startswith("whsec_")


def test_secrets_are_encrypted_at_rest(settings):
    secret = new_secret()
    stored = encrypt_secret(secret)

    assert secret not in stored
    assert decrypt_secret(stored) == secret


def test_an_explicit_encryption_key_is_used(settings):
    secret = new_secret()
    settings.WEBHOOK_ENCRYPTION_KEY = Fernet.generate_key().decode()
    stored = encrypt_secret(secret)
    assert decrypt_secret(stored) == secret
    settings.WEBHOOK_ENCRYPTION_KEY = Fernet.generate_key().decode()

    with pytest.raises(ImproperlyConfigured):
        decrypt_secret(stored)


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata
        ("100.64.0.1", True),  # carrier-grade NAT
        ("0.0.0.0", True),  # noqa: S104 (an address to refuse, not one to bind)
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("::ffff:127.0.0.1", True),
        ("93.184.216.34", False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
    ],
)
def test_which_addresses_are_refused(address, refused):
    assert address_refused(address) is refused


def test_plain_http_is_refused_in_production(settings):
    settings.PRODUCTION = True

    outcome = post("http://hooks.example.com/in", body=b"{}", headers={})

    assert (outcome.status, outcome.error) == (None, "The URL must start with https://.")
