"""A bounded table kept per process: what a page or a query built once, reused by the requests that follow; and the
placeholder that stands for the request's CSRF token in kept HTML, filled in per request."""

import threading
from collections import OrderedDict

from django.utils.html import escape

# Where a request's CSRF token goes in kept HTML, which is rendered with this in its place (NUL never comes from
# users' text: Django's form fields and query strings refuse it).
CSRF_PLACEHOLDER = "\x00csrf\x00"


def csrf_token_usable(token) -> bool:
    """Whether the request has a CSRF token to fill in (Django's marker "NOTPROVIDED" means it has none)."""
    return bool(token) and token != "NOTPROVIDED"  # noqa: S105 - Django's marker, not a secret


def csrf_token_filled(html: str, token) -> str:
    """Kept HTML with the request's own CSRF token in place of CSRF_PLACEHOLDER, escaped as {% csrf_token %} writes
    it."""
    return html.replace(CSRF_PLACEHOLDER, escape(str(token)))


class KeptTable(OrderedDict):
    """Values by key, at most `most` of them (given on each `keep`); the least recently used is dropped first.

    Reading and writing take the table's lock, so the threads of one process share it safely. Use `recall` and
    `keep` (a plain `get` does not count as a use).
    """

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def recall(self, key):
        """The value kept under `key` (now the most recently used), or None."""
        with self._lock:
            value = self.get(key)
            if value is not None:
                self.move_to_end(key)
            return value

    def keep(self, key, value, *, most: int):
        """Keep `value` under `key`, dropping the least recently used beyond `most`; returns `value`."""
        with self._lock:
            self[key] = value
            self.move_to_end(key)
            while len(self) > most:
                self.popitem(last=False)
        return value
