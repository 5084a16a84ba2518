"""A bounded table kept per process: what a page or a query built once, reused by the requests that follow."""

import threading
from collections import OrderedDict


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
