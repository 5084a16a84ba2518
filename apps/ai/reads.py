"""Reads that a triage makes for every ticket (routing rules, departments' keywords, the models in use), made
once per batch inside `reads_cached()` (the backfill), and as before, once per call, outside it."""

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
_cache: contextvars.ContextVar[dict | None] = contextvars.ContextVar("ai_triage_reads", default=None)


@contextmanager
def reads_cached() -> Iterator[None]:
    token = _cache.set({})
    try:
        yield
    finally:
        _cache.reset(token)


def cached(key: str, load: Callable[[], T]) -> T:
    cache = _cache.get()
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]
