"""django-q2 tasks shared by the whole project, and the plain words the "Background tasks" pages use for any task.

A task is shown by its purpose (the first line of its function's docstring) and by what it is about: its
arguments that name objects (`ticket_id=12`, `event_id=40`), described by the app that owns those objects, which
registers a describer in `task_subjects` at start-up (apps/tickets/apps.py: "TCK-000012 VPN drops every hour").
"""

import inspect
from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

# Argument name -> describer(value) -> plain words, or None when the object is gone.
task_subjects: dict[str, Callable[[Any], str | None]] = {}


def echo(value: str) -> str:
    """Return `value` unchanged: a harmless task that shows a worker takes tasks from the broker and saves results.

    scripts/smoke_production.sh queues it and waits for its Success row.
    """
    return value


def _function(func: str):
    try:
        return import_string(func)
    except (ImportError, ValueError):
        return None  # a task of a function that no longer exists


def task_purpose(func: str) -> str:
    """What the task is for: the first line of its function's docstring (the dotted name when it has none)."""
    function = _function(func)
    doc = inspect.getdoc(function) if function is not None else None
    return doc.splitlines()[0] if doc else func


def task_subject(func: str, args, kwargs) -> str:
    """What the task is about, e.g. "ticket TCK-000012 VPN drops every hour"; "" when none of its arguments
    names an object an app describes."""
    function = _function(func)
    if function is None:
        return ""
    try:
        bound = inspect.signature(function).bind_partial(*(args or ()), **(kwargs or {}))
    except TypeError:
        return ""
    described = []
    for name, value in bound.arguments.items():
        if name in task_subjects:
            described.append(task_subjects[name](value) or f"{name.removesuffix('_id')} {value} (deleted)")
    return "; ".join(described)
