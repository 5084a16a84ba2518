"""Errors that services of several apps raise and every channel (API, back office, portal) understands."""


class StaleObjectError(Exception):
    """The object changed since the caller read it (optimistic locking: version mismatch)."""

    noun = "object"

    def __init__(self, *, expected: int, current: int):
        super().__init__(f"{self.noun} is at version {current}, not {expected}")
        self.expected = expected
        self.current = current
