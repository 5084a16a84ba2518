"""django-q2 tasks shared by the whole project."""


def echo(value: str) -> str:
    """Return `value` unchanged: a harmless task that shows a worker takes tasks from the broker and saves results.

    scripts/smoke_production.sh queues it and waits for its Success row.
    """
    return value
