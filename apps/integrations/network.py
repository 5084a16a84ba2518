"""Sending one webhook request, safely: the host is resolved at send time and every address it resolves to
is checked before the connection, which then goes to that checked address (so a second DNS answer cannot
point it elsewhere).

Refused unless WEBHOOK_ALLOW_PRIVATE: loopback, private, link-local, multicast, reserved and unspecified
addresses (IPv4 and IPv6, IPv4-mapped included). In production (DJANGO_ENV=production) only https URLs are
sent. Redirects are never followed (a 3xx is a failed delivery), the timeout is short (WEBHOOK_TIMEOUT), and
only the first WEBHOOK_RESPONSE_BYTES of the answer are read and kept.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class UnsafeDestination(Exception):
    """The URL may not be sent to (scheme, or an address the server must not reach)."""


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code (None when no answer), the start of the body, an error, the time."""

    status: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def address_refused(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_url(url: str) -> None:
    """Refuse a URL whose scheme the site does not send to (checked when an endpoint is saved and at send time)."""
    parts = urlsplit(url)
    allowed = ("https",) if settings.PRODUCTION else ("https", "http")
    if parts.scheme not in allowed or not parts.hostname:
        raise UnsafeDestination(
            _("The URL must start with https://.") if settings.PRODUCTION else _("Not an http(s) URL.")
        )


def resolve(host: str, port: int) -> str:
    """The address to connect to: the first the host resolves to, after every one of them was checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeDestination(_("The host name does not resolve.")) from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UnsafeDestination(_("The host name does not resolve."))
    if not settings.WEBHOOK_ALLOW_PRIVATE and any(address_refused(a) for a in addresses):
        raise UnsafeDestination(_("The host resolves to a private or local address, which webhooks may not reach."))
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # Certificate and SNI for the host name, though the socket goes to the checked address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to `url`; never raises for network trouble, the Outcome says what happened."""
    started = time.monotonic()

    def outcome(status=None, text="", error=""):
        return Outcome(status, text, error[:300], int((time.monotonic() - started) * 1000))

    try:
        check_url(url)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(parts.hostname, port)
    except (UnsafeDestination, ValueError) as exc:
        return outcome(error=str(exc))
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, address, settings.WEBHOOK_TIMEOUT)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request("POST", path, body=body, headers={**headers, "user-agent": "TicketSystem-Webhooks/1"})
        response = connection.getresponse()
        text = response.read(settings.WEBHOOK_RESPONSE_BYTES).decode("utf-8", errors="replace")
        error = "" if 200 <= response.status < 300 else _("The endpoint answered %(code)s.") % {"code": response.status}
        return outcome(response.status, text, error)
    except TimeoutError:
        return outcome(error=_("No answer within %(seconds)s s.") % {"seconds": settings.WEBHOOK_TIMEOUT})
    except (OSError, http.client.HTTPException) as exc:
        return outcome(error=_("Connection failed: %(error)s") % {"error": type(exc).__name__})
    finally:
        connection.close()
