"""Plain rows inserted in bulk, for tables whose rows are a few ids (grants) and need no model instance; and
unsaved instances built by position, for the rows that do (`instance_builder`).

    rows_insert(TicketUserObjectPermission, ("user", "permission", "content_object"), [(7, 3, 42), ...],
                ignore_conflicts=True)

`bulk_create` builds a model instance per row and prepares every value through its field: for a table of
three integer columns that is most of the cost of a large import. Here the caller hands values the database
takes as they are (ints, strings, booleans; date-times, durations and JSON are adapted as their fields
would);
the rows go out in multi-row INSERT statements, as many rows a statement as the database's limit on parameters
allows. On PostgreSQL, COPIED_ROWS rows or more go by COPY into a temporary table of the same columns and one
INSERT … SELECT from it (`rows_copy`): a multi-row INSERT has psycopg2 quote every value into the statement's
text and the server parse it back, which cost an import of 100,000 tickets more than the rows themselves
(docs/benchmarks.md, CSV import). No signals are sent (bulk_create sends none either). The caller fills every
column that has no default in the database (a field's Python `default` is not applied here). With
`returning="id"` the new rows' ids come back, in the order of the rows (PostgreSQL and SQLite both return them
so; the INSERT … SELECT reads the temporary table in the rows' order, as Django's own bulk_create relies on).
"""

import io
import json
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import partial

from django.db import NotSupportedError, connections, router, transaction
from django.db.models import Model
from django.db.models.constants import OnConflict

ROWS_PER_STATEMENT = 5_000  # when the database sets no limit on parameters
# From this many rows, PostgreSQL gets them by COPY into a temporary table (about a ms), then one INSERT … SELECT.
COPIED_ROWS = 500


def rows_insert(
    model: type[Model],
    fields: Sequence[str],
    rows: Iterable[Sequence],
    *,
    ignore_conflicts: bool = False,
    returning: str = "",
    sql_values: dict[str, str] | None = None,
) -> list:
    """INSERT `rows` (tuples of values in the order of `fields`, field names of `model`) into its table.

    `sql_values`: field name → the SQL of its value with %s placeholders (a function of the row's values); the
    row then holds the sequence of that SQL's values for the field. Returns the `returning` column's values of
    the new rows (empty without `returning`)."""
    rows = list(rows)
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    columns = ", ".join(connection.ops.quote_name(opts.get_field(name).column) for name in fields)
    if returning:
        if ignore_conflicts:
            raise ValueError("rows_insert: rows skipped as conflicts return nothing; ids would not match the rows.")
        if not connection.features.can_return_rows_from_bulk_insert:
            raise NotSupportedError("rows_insert(returning=...) needs a database that returns inserted rows.")
        tail_returning = f" RETURNING {connection.ops.quote_name(opts.get_field(returning).column)}"
    else:
        tail_returning = ""
    if connection.vendor == "postgresql" and len(rows) >= COPIED_ROWS:
        rows = _json_as_text(opts, fields, rows)
        if sql_values or ignore_conflicts:
            copied = {"ignore_conflicts": ignore_conflicts, "returning": returning, "sql_values": sql_values}
            return _insert_copied(connection, model, fields, rows, **copied)
        return _copy_into(connection, model, fields, rows, returning=returning)
    # Date-times and JSON as their fields hand them over (SQLite stores naive UTC text; JSON is encoded);
    # every other value as it is.
    adapt = {}
    for index, name in enumerate(fields):
        field = opts.get_field(name)
        kind = field.get_internal_type()
        if kind == "DateTimeField":
            adapt[index] = connection.ops.adapt_datetimefield_value
        elif kind in ("JSONField", "DurationField"):
            adapt[index] = partial(field.get_db_prep_save, connection=connection)
    if adapt:
        rows = [[adapt[i](value) if i in adapt else value for i, value in enumerate(row)] for row in rows]
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    head = f"{connection.ops.insert_statement(on_conflict=on_conflict)} {connection.ops.quote_name(opts.db_table)}"
    tail = connection.ops.on_conflict_suffix_sql(fields=[], on_conflict=on_conflict, update_fields=[], unique_fields=[])
    limit = connection.features.max_query_params
    per_statement = min(ROWS_PER_STATEMENT, limit // len(fields)) if limit else ROWS_PER_STATEMENT
    sql_values = sql_values or {}
    one = "(" + ", ".join(sql_values.get(name, "%s") for name in fields) + ")"
    expanded = {index for index, name in enumerate(fields) if name in sql_values}
    returned = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = ", ".join([one] * len(chunk))
            cursor.execute(
                f"{head} ({columns}) VALUES {values} {tail}{tail_returning}",
                _params(chunk, expanded),
            )
            if returning:
                returned += [row[0] for row in cursor.fetchall()]
    return returned


def _json_as_text(opts, fields, rows: list) -> list:
    """The rows with their JSON values as text (each field's encoder), for COPY; every other value as COPY writes it
    (_copy_text)."""
    encoders = {
        index: opts.get_field(name).encoder
        for index, name in enumerate(fields)
        if opts.get_field(name).get_internal_type() == "JSONField"
    }
    if not encoders:
        return rows

    def text(index: int, value):
        return json.dumps(value, cls=encoders[index]) if index in encoders and value is not None else value

    return [[text(index, value) for index, value in enumerate(row)] for row in rows]


def _copy_into(connection, model, fields, rows, *, returning: str) -> list:
    """rows_insert's many rows on PostgreSQL without conflicts to skip or SQL to apply: COPY straight into the table.
    With `returning` (the primary key), the ids are drawn from its sequence first, in the rows' order."""
    opts = model._meta
    quote = connection.ops.quote_name
    columns = [quote(opts.get_field(name).column) for name in fields]
    ids = []
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        if returning:
            if opts.get_field(returning) is not opts.pk:
                raise NotSupportedError("rows_insert(returning=...) of many rows returns the primary key only.")
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
                [quote(opts.db_table), opts.pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns.insert(0, quote(opts.pk.column))
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
        rows_copy(cursor, quote(opts.db_table), columns, rows)
    return ids


def _insert_copied(connection, model, fields, rows, *, ignore_conflicts: bool, returning: str, sql_values) -> list:
    """rows_insert's many rows on PostgreSQL: COPY into a temporary table, then one INSERT … SELECT from it in the
    rows' order (RETURNING gives the ids in that order, as Django's bulk_create relies on for its INSERT …
    SELECT … FROM unnest). The SQL of `sql_values` reads its values from text columns of the temporary table."""
    opts = model._meta
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    sql_values = sql_values or {}
    definitions, copied, selected, expanded = [], [], [], set()
    for index, name in enumerate(fields):
        field = opts.get_field(name)
        if name in sql_values:
            expanded.add(index)
            sql = sql_values[name]
            for number in range(sql.count("%s")):
                column = quote(f"{field.column}_{number}")
                definitions.append(f"{column} text")
                copied.append(column)
                sql = sql.replace("%s", column, 1)
            selected.append(sql)
        else:
            column = quote(field.column)
            definitions.append(f"{column} {field.db_type(connection)}")
            copied.append(column)
            selected.append(column)
    definitions.append('"row_number" integer')
    copied.append('"row_number"')
    columns = ", ".join(quote(opts.get_field(name).column) for name in fields)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    tail = f" RETURNING {quote(opts.get_field(returning).column)}" if returning else ""
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        staged = staging_table(cursor, model, definitions)
        if expanded:
            staged_rows = ([*_params([row], expanded), number] for number, row in enumerate(rows))
        else:
            staged_rows = ((*row, number) for number, row in enumerate(rows))
        rows_copy(cursor, staged, copied, staged_rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {', '.join(selected)} FROM {staged} "  # noqa: S608
            f'ORDER BY "row_number"{conflict}{tail}'
        )
        return [row[0] for row in cursor.fetchall()] if returning else []


def staging_table(cursor, model, definitions: Sequence[str]) -> str:
    """PostgreSQL: a new temporary table for `model`'s rows (its quoted name), of the column `definitions` ("name
    type"), dropped at the commit. The previous call's table is dropped in the same round trip."""
    quote = cursor.db.ops.quote_name
    staged = f"pg_temp.{quote(f'{model._meta.db_table}_staged')}"
    cursor.execute(
        f"DROP TABLE IF EXISTS {staged}; CREATE TEMPORARY TABLE {staged} ({', '.join(definitions)}) ON COMMIT DROP"
    )
    return staged


def _params(rows: Sequence[Sequence], expanded: set[int]) -> list:
    if not expanded:
        return [value for row in rows for value in row]
    params = []
    for row in rows:
        for index, value in enumerate(row):
            if index in expanded:
                params.extend(value)
            else:
                params.append(value)
    return params


def instance_builder(model: type[Model], fields: Sequence[str]) -> Callable[..., Model]:
    """A function building an unsaved `model` instance from the values of `fields` (attnames, e.g. `ticket_id`),
    given by position in that order; every other field gets its default, a callable one called for each instance.

    The same instance as `model(**values)`, for a fraction of the cost: the keyword form resolves every keyword
    and every default field by field for each instance, which a bulk creation of tens of thousands of tickets and
    events paid more for than for their INSERT. Related objects are not cached (set them on the instance).
    """
    concrete = model._meta.concrete_fields
    position = {field.attname: index for index, field in enumerate(concrete)}
    given = [position[name] for name in fields]  # KeyError: not a concrete field's attname
    template = [None] * len(concrete)
    called = []
    for index, field in enumerate(concrete):
        if index in given:
            continue
        if field.has_default() and callable(field.default):
            called.append((index, field.default))
        else:
            template[index] = field.get_default()  # as the keyword form: "" for text, None, or the constant

    def build(*values) -> Model:
        args = template.copy()
        for index, value in zip(given, values, strict=True):
            args[index] = value
        for index, default in called:
            args[index] = default()
        return model(*args)

    return build


# COPY's text format: a backslash, tab, newline and carriage return in a value are escaped; NULL is \N.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _duration_text(value: timedelta) -> str:
    return f"{value.days} days {value.seconds} seconds {value.microseconds} microseconds"


# A value's text in COPY's format, by its type (one look-up a value: an import sends millions).
_COPY_TEXT: dict[type, Callable[[object], str]] = {
    int: str,
    str: lambda value: value.translate(_COPY_ESCAPES),
    type(None): lambda _value: "\\N",
    bool: lambda value: "t" if value else "f",
    datetime: datetime.isoformat,  # an aware date-time keeps its offset
    date: date.isoformat,
    timedelta: _duration_text,
}


def _copy_text(value) -> str:
    text = _COPY_TEXT.get(type(value))
    if text is not None:
        return text(value)
    for kind in (str, datetime, date, timedelta):  # subclasses: TextChoices members, lazy-free SafeStrings, ...
        if isinstance(value, kind):
            return _COPY_TEXT[kind](value)
    return str(value)


def rows_copy(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence], *, numbers: bool = False) -> None:
    """PostgreSQL: COPY `rows` (plain values: None, booleans, numbers, text, dates, aware date-times) into `table`
    (its quoted name) as `columns` (quoted names), in one statement.

    Several times faster than a multi-row INSERT of the same rows, on both sides: psycopg2 quotes every value of an
    INSERT into its text and PostgreSQL parses them back (a 49-column row of figures: about 45 µs of our CPU and
    60–120 µs of the server's, against 6 and 10–20 µs by COPY)."""
    text_of = str if numbers else _copy_text  # `numbers`: every value is a number or a date, its str() is its text
    text = "".join("\t".join(map(text_of, row)) + "\n" for row in rows)
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    started = time.monotonic()
    cursor.cursor.copy_expert(sql, io.StringIO(text))  # psycopg2's, around Django's execute and its query log
    connection = cursor.db
    if connection.queries_logged:  # counted like any statement (tests' query counts, the debug toolbar)
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
