"""Ticket references (TCK-000123): the counter they are drawn from, per prefix (TICKET_REFERENCE_PREFIX).

PostgreSQL: a database sequence per prefix (`nextval`), which never locks: concurrent creates do not wait
for each other's commit, and a rolled-back create leaves a gap in the numbers. The SQL function
`tickets_reference_sequence(prefix)` (migration 0011) returns the sequence's name and creates it on first use,
starting after the prefix's ReferenceSequence row (the counter of the versions before it).

Other databases (SQLite): the ReferenceSequence row, raised with one UPDATE ... RETURNING, whose row lock is
held to commit; SQLite writes one transaction at a time anyway.

Either way one statement reserves any number of references, and `reference_counter_advance` keeps the counter
past references written by other means (an import that keeps the references of our own export).
"""

from django.conf import settings
from django.db import connection

from .models import ReferenceSequence

# The function that names (and creates) the sequence of a prefix; migration 0011 creates it on PostgreSQL.
SEQUENCE_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION tickets_reference_sequence(prefix text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    seq text := 'tickets_reference_' || md5(prefix);
    start bigint;
BEGIN
    IF to_regclass(quote_ident(seq)) IS NULL THEN
        SELECT coalesce(max(value), 0) + 1 INTO start FROM tickets_referencesequence WHERE name = prefix;
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START WITH %s', seq, start);
    END IF;
    RETURN seq;
END
$$;
"""


def reference_format(prefix: str, number: int) -> str:
    return f"{prefix}-{number:06d}"


def reference_number(reference: str, prefix: str | None = None) -> int | None:
    """The number of one of our references with this prefix (TCK-000123 → 123), else None."""
    prefix = prefix or settings.TICKET_REFERENCE_PREFIX
    head, dash, tail = reference.rpartition("-")
    if dash and head.upper() == prefix.upper() and tail.isdigit():
        return int(tail)
    return None


def references_allocate(*, count: int) -> list[str]:
    """Reserve `count` new references in one statement (race-free: no max()+1)."""
    if count <= 0:
        return []
    prefix = settings.TICKET_REFERENCE_PREFIX
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(s) FROM tickets_reference_sequence(%s) AS s, generate_series(1, %s)", [prefix, count]
            )
            numbers = sorted(row[0] for row in cursor.fetchall())
            return [reference_format(prefix, n) for n in numbers]
        cursor.execute(
            "UPDATE tickets_referencesequence SET value = value + %s WHERE name = %s RETURNING value", [count, prefix]
        )
        row = cursor.fetchone()
    if row is None:  # the prefix's first reference
        ReferenceSequence.objects.get_or_create(name=prefix)
        return references_allocate(count=count)
    last = row[0]
    return [reference_format(prefix, n) for n in range(last - count + 1, last + 1)]


def reference_counter_value() -> int | None:
    """The last number handed out for the current prefix (None: the counter does not exist yet)."""
    prefix = settings.TICKET_REFERENCE_PREFIX
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(last_value, start_value - 1) FROM pg_sequences "
                "WHERE sequencename = 'tickets_reference_' || md5(%s) AND schemaname = current_schema()",
                [prefix],
            )
            row = cursor.fetchone()
        if row is None:  # not created yet: the first reference starts after the old counter
            return ReferenceSequence.objects.filter(name=prefix).values_list("value", flat=True).first()
        return row[0]
    return ReferenceSequence.objects.filter(name=prefix).values_list("value", flat=True).first()


def reference_counter_advance(*, to: int) -> bool:
    """Raise the counter of the current prefix to `to` if it is lower (never lowers it). True if it moved."""
    prefix = settings.TICKET_REFERENCE_PREFIX
    if connection.vendor == "postgresql":
        current = reference_counter_value()
        if current is not None and current >= to:
            return False
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(tickets_reference_sequence(%s)::regclass, %s)", [prefix, to])
        return True
    ReferenceSequence.objects.get_or_create(name=prefix)
    return bool(ReferenceSequence.objects.filter(name=prefix, value__lt=to).update(value=to))


def reference_counter_reset(*, to: int | None) -> None:
    """Set the counter of the current prefix to `to`, or remove it (None). For tests of the integrity check."""
    prefix = settings.TICKET_REFERENCE_PREFIX
    ReferenceSequence.objects.filter(name=prefix).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT tickets_reference_sequence(%s)", [prefix])
            name = cursor.fetchone()[0]
            cursor.execute(f'DROP SEQUENCE "{name}"')
        if to is not None:
            ReferenceSequence.objects.create(name=prefix, value=to)
        return
    if to is not None:
        ReferenceSequence.objects.create(name=prefix, value=to)
