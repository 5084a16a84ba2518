"""The shape of one integrity check, and small helpers the checks share."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import models

BATCH = 1000  # rows per fix batch: bounded memory and statement size on 100k-row tables


@dataclass
class Finding:
    """What a check found: how many rows are wrong, and a few of them described for a human."""

    count: int
    examples: list[str] = field(default_factory=list)


class Check:
    """One kind of problem. `find` must be set-based (a few queries whatever the table sizes)."""

    code: str = ""
    title: str = ""
    # Checks that cannot be repaired safely say what an operator should do instead.
    fixable: bool = False
    advice: str = ""

    def find(self, *, limit: int) -> Finding:
        raise NotImplementedError

    def fix(self) -> list[str]:
        """Repair inside the caller's transaction; return one line per change made."""
        raise NotImplementedError

    def after_commit(self) -> list[str]:
        """Changes outside the database (files), made only once the fix transaction has committed."""
        return []


def label(model: type[models.Model], field_name: str | None = None) -> str:
    """A model's or field's verbose name, for messages."""
    if field_name is None:
        return str(model._meta.verbose_name)
    return str(model._meta.get_field(field_name).verbose_name)


def plural(model: type[models.Model]) -> str:
    return str(model._meta.verbose_name_plural)


def examples(queryset: models.QuerySet, limit: int, describe) -> list[str]:
    """`describe` applied to the first `limit` rows of `queryset`."""
    return [describe(row) for row in queryset[:limit]] if limit else []


def in_batches(ids: Iterable[int]) -> Iterator[tuple[int, ...]]:
    """Primary keys in batches: fixes first collect the ids, then work batch by batch (no open cursor while
    writing, which SQLite would not like, and no 100k-row IN lists)."""
    iterator = iter(ids)
    while batch := tuple(islice(iterator, BATCH)):  # itertools.batched needs Python 3.12
        yield batch
