"""The ticket figures kept as aggregates: per day, department and assignee (TicketDayStat) and the open tickets
now (TicketOpenCount), so that the dashboard and the reports read a few hundred rows whatever the number of tickets.

Each ticket contributes, as it is now, to a few buckets (`_contribute`):
- on the day it was created: `created`;
- on the day it was first answered: `responded`, the seconds from creation, a histogram bucket of them, and
  `response_met` / `response_breached` when it had a first-response due date;
- on the day it was resolved: the same for the resolution;
- on the day it left the backlog (resolved, or closed without being resolved), while it is not open: `done`;
- while open: one in TicketOpenCount for its department, assignee, status and priority.
Days are calendar days in the site's time zone (settings.TIME_ZONE).

A change is applied as "remove what the ticket counted, add what it counts now", so that the aggregates always
equal a recomputation from the tickets (`stats_expected`, used by `rebuild_stats` and `check_data`; on PostgreSQL
the database counts it with one SELECT … GROUP BY per table, the same rules written in SQL, and `rebuild_stats`
inserts that result directly; elsewhere the tickets are streamed through the same `_contribute`). The door
is apps/tickets/events.py: every event the services write goes through `stats_follow`, in the transaction of
the change (this cannot be silenced); a batch of created tickets (an import) through `stats_add_created`; a
deletion through `stats_forget` (ticket_delete). What the ticket counted is the snapshot it was loaded with
(`Ticket.from_db`); one upsert statement per table writes all the buckets a change touches. Each bucket is
spread over STATS_SHARDS rows by ticket id, so that concurrent changes of different tickets seldom wait for the
same row's lock (readers sum the rows, which may be negative: see below).

A bulk creation writes its tickets' figures of the days before yesterday straight into shard 0, where the fold
below would put them (an import spread over a year fills about one bucket per ticket: eight times the rows the
fold leaves), and an import adds them up over all its batches (`stats_held`, bounded) and writes them at its end:
its thousands of tickets a day then cost one row a bucket instead of one row a ticket.

Past days are almost never written again, so a daily task (`stats_fold_days`, apps/tickets/tasks.py) folds each
bucket's shards of the days before yesterday into its shard-0 row: a year of figures is then one row per day,
department and assignee whatever the number of tickets. A later change to a folded day still writes a delta into
its shard's row (possibly negative); the next fold folds it again.
"""

import contextvars
import zoneinfo
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.common.bulk import rows_copy, staging_table

from .choices import OPEN_STATUSES
from .models import (
    DURATION_BUCKETS,
    NO_AGENT,
    RESOLUTION_HISTOGRAM,
    RESPONSE_HISTOGRAM,
    STATS_FIELDS,
    STATS_SHARDS,
    Ticket,
    TicketDayStat,
    TicketOpenCount,
    stats_snapshot,
)

DAY_COUNTERS = (
    "created",
    "done",
    "responded",
    "response_seconds",
    "response_met",
    "response_breached",
    "resolved",
    "resolution_seconds",
    "resolution_met",
    "resolution_breached",
    *RESPONSE_HISTOGRAM,
    *RESOLUTION_HISTOGRAM,
)
DAY_KEY = ("day", "department_id", "agent", "shard")
OPEN_KEY = ("department_id", "agent", "status", "priority", "shard")
_ROWS_PER_STATEMENT = 500  # SQLite allows 32,766 parameters a statement; a day row takes 49
# From this many rows an upsert goes through COPY on PostgreSQL (_upsert_copied): a temporary table costs a few ms.
COPIED_ROWS = 1_000
# stats_held() writes what it holds when it reaches this many buckets (day rows and open counts): a few MB.
HELD_BUCKETS = 10_000

DayKey = tuple[date, int, int, int]
OpenKey = tuple[int, int, str, str, int]
Deltas = tuple[dict[DayKey, dict[str, int]], dict[OpenKey, int]]


def site_time_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def stats_day(moment: datetime, tz: zoneinfo.ZoneInfo | None = None) -> date:
    """The calendar day of `moment` in the site's time zone: the day a figure counts it on."""
    return moment.astimezone(tz or site_time_zone()).date()


def histogram_bucket(seconds: int) -> int:
    return bisect_right(DURATION_BUCKETS, seconds)


def histogram_percentile(counts: list[int], fraction: float) -> float | None:
    """The `fraction` percentile (0.5: the median) of durations counted in DURATION_BUCKETS, in seconds: found in
    its bucket and interpolated linearly inside it, so exact to within that bucket's width; the open last bucket
    (90 days and more) answers its lower edge. None when nothing was counted."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = fraction * total
    seen = 0
    for index, count in enumerate(counts):
        if count > 0 and seen + count >= rank:
            low = DURATION_BUCKETS[index - 1] if index else 0
            if index == len(DURATION_BUCKETS):
                return float(low)
            return low + (DURATION_BUCKETS[index] - low) * (rank - seen) / count
        seen += count
    return float(DURATION_BUCKETS[-1])


def _empty() -> Deltas:
    return defaultdict(lambda: defaultdict(int)), defaultdict(int)


def _contribute(
    deltas: Deltas, snapshot: tuple, sign: int, tz: zoneinfo.ZoneInfo, folded_before: date | None = None
) -> None:
    """Add (sign=1) or remove (sign=-1) what one ticket, given as stats_snapshot(), counts.

    `folded_before`: the day figures of days before it go to shard 0, where stats_fold_days would put them."""
    values = dict(zip(STATS_FIELDS, snapshot, strict=True))
    days, opens = deltas
    department, agent = values["department_id"], values["assignee_id"] or NO_AGENT
    shard = values["id"] % STATS_SHARDS

    def day_row(moment: datetime) -> dict[str, int]:
        day = stats_day(moment, tz)
        return days[(day, department, agent, 0 if folded_before and day < folded_before else shard)]

    created_at = values["created_at"]
    day_row(created_at)["created"] += sign
    for moment_field, due_field, prefix, histogram in (
        ("first_responded_at", "first_response_due_at", "response", RESPONSE_HISTOGRAM),
        ("resolved_at", "resolution_due_at", "resolution", RESOLUTION_HISTOGRAM),
    ):
        moment = values[moment_field]
        if moment is None:
            continue
        row = day_row(moment)
        seconds = max(0, int((moment - created_at).total_seconds()))
        row["responded" if prefix == "response" else "resolved"] += sign
        row[f"{prefix}_seconds"] += sign * seconds
        row[histogram[histogram_bucket(seconds)]] += sign
        due = values[due_field]
        if due is not None:
            row[f"{prefix}_met" if moment <= due else f"{prefix}_breached"] += sign
    if values["status"] in OPEN_STATUSES:
        opens[(department, agent, values["status"], values["priority"], shard)] += sign
    else:
        left = values["resolved_at"] or values["closed_at"]
        if left is not None:
            day_row(left)["done"] += sign


def _upsert(model, key: tuple[str, ...], counters: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT the rows, or add their counters to the rows already there: one statement per 500 rows (on PostgreSQL,
    from COPIED_ROWS rows, COPY into a temporary table and one upsert from it)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [*key, *counters]
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in counters)
    if connection.vendor == "postgresql" and len(rows) >= COPIED_ROWS:
        _upsert_copied(model, key, columns, updates, rows)
        return
    one_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            batch = rows[start : start + _ROWS_PER_STATEMENT]
            values = ", ".join([one_row] * len(batch))
            # Only quoted names of our own models are formatted into the statement; every value is a parameter.
            sql = (
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) VALUES {values} "  # noqa: S608
                f"ON CONFLICT ({', '.join(quote(c) for c in key)}) DO UPDATE SET {updates}"
            )
            cursor.execute(sql, [value for row in batch for value in row])


def _upsert_copied(model, key: tuple[str, ...], columns: list[str], updates: str, rows: list[tuple]) -> None:
    """_upsert's many rows on PostgreSQL: COPY into a temporary table of the same columns, then one INSERT … SELECT
    … ON CONFLICT from it, in the order of the key (a day's rows stay together; concurrent writers lock in one
    order). A 49-column row of figures costs a multi-row INSERT several times what it costs COPY, on both sides
    (apps/common/bulk.py rows_copy)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    order = ", ".join(quote(c) for c in key)
    fields = [model._meta.get_field(c) for c in columns]
    # Only quoted names of our own models are formatted into the statements; the values go through COPY.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        staged = staging_table(cursor, model, [f"{quote(f.column)} {f.db_type(connection)}" for f in fields])
        rows_copy(cursor, staged, [quote(c) for c in columns], rows, numbers=True)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {staged} ORDER BY {order} "  # noqa: S608
            f"ON CONFLICT ({order}) DO UPDATE SET {updates}"
        )


def _write(deltas: Deltas) -> tuple[int, int]:
    days, opens = deltas
    adapt = connection.ops.adapt_datefield_value
    zeros = (0,) * len(DAY_COUNTERS)
    day_rows = [  # map() in C: a bulk creation writes a row of 45 counters for most of its tickets
        (adapt(day), department, agent, shard, *map(counts.get, DAY_COUNTERS, zeros))
        for (day, department, agent, shard), counts in days.items()
        if any(counts.values())
    ]
    open_rows = [(*key, count) for key, count in opens.items() if count]
    _upsert(TicketDayStat, DAY_KEY, DAY_COUNTERS, day_rows)
    _upsert(TicketOpenCount, OPEN_KEY, ("count",), open_rows)
    return len(day_rows), len(open_rows)


def stats_follow(ticket: Ticket, *, created: bool = False) -> None:
    """Apply what changed in `ticket` since it was counted (`created`: it was not counted yet); no query when
    nothing the figures read changed. A ticket not loaded whole from the database (no snapshot) is left alone."""
    old = None if created else getattr(ticket, "stats_counted", None)
    if old is None and not created:
        return
    new = stats_snapshot(ticket)
    if old == new:
        return
    tz = site_time_zone()
    deltas = _empty()
    if old is not None:
        _contribute(deltas, old, -1, tz)
    _contribute(deltas, new, 1, tz)
    _write(deltas)
    ticket.stats_counted = new


def stats_add_created(tickets: Iterable[Ticket], *, ticket_ids: Iterable[int] = ()) -> None:
    """Count tickets that were just created (a bulk creation's), from the objects written (no query), and the
    ones known only by id read back in one query. Each object remembers what it counts, so that a later change
    of the same object in the same request moves the figures (stats_follow).

    Their figures of the days before yesterday go straight to shard 0 (what stats_fold_days would do: an import
    spread over a year would otherwise write a row per ticket into eight times the rows the fold leaves). Inside
    `stats_held()` they are added to its table instead of written."""
    tz = site_time_zone()
    held = _held.get()
    deltas = held.deltas if held is not None else _empty()
    folded_before = timezone.localdate(timezone=tz) - timedelta(days=1)
    for ticket in tickets:
        snapshot = stats_snapshot(ticket)
        _contribute(deltas, snapshot, 1, tz, folded_before)
        ticket.stats_counted = snapshot
    ids = list(ticket_ids)
    if ids:
        for snapshot in Ticket.objects.filter(pk__in=ids).values_list(*STATS_FIELDS):
            _contribute(deltas, snapshot, 1, tz, folded_before)
    if held is None:
        _write(deltas)
    elif len(deltas[0]) + len(deltas[1]) >= held.bound:
        _write(deltas)
        held.deltas = _empty()


class _Held:
    def __init__(self, bound: int):
        self.bound = bound
        self.deltas = _empty()


_held: contextvars.ContextVar[_Held | None] = contextvars.ContextVar("ticket_figures_held", default=None)


@contextmanager
def stats_held(*, bound: int = HELD_BUCKETS) -> Iterator[None]:
    """Inside the block, the figures of created tickets (stats_add_created) are added up in memory and written
    when the block ends, or whenever they fill `bound` buckets (memory stays bounded): an import's batches of a
    thousand tickets each fill the same buckets of its days again, which one upsert per batch rewrote each time.

    Use it inside the transaction that creates the tickets, and let an error leave the block (the transaction
    rolls back; nothing held is written): the figures of tickets rolled back by a savepoint caught inside the block
    would still be written. Changes of existing tickets (stats_follow) are written at once, as always: the figures
    are sums, so the order of the writes does not matter."""
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("stats_held() must run inside the tickets' transaction.")
    held = _Held(bound)
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    _write(held.deltas)


def stats_forget(tickets: Iterable[Ticket]) -> None:
    """Remove what tickets about to be deleted count (each as loaded: lock it first)."""
    tz = site_time_zone()
    deltas = _empty()
    for ticket in tickets:
        _contribute(deltas, getattr(ticket, "stats_counted", None) or stats_snapshot(ticket), -1, tz)
    _write(deltas)


# Recomputation ----------------------------------------------------------------------------------------------------


def stats_expected() -> Deltas:
    """The aggregates recomputed from every ticket: counted by the database on PostgreSQL (_recount_sql), else
    streamed through _contribute (constant memory: one entry per bucket)."""
    if connection.vendor != "postgresql":
        return _expected_in_python()
    deltas = _empty()
    days, opens = deltas
    day_sql, open_sql, params = _recount_sql()
    with connection.cursor() as cursor:
        cursor.execute(day_sql, params)
        for row in cursor:
            days[row[: len(DAY_KEY)]].update(zip(DAY_COUNTERS, row[len(DAY_KEY) :], strict=True))
        cursor.execute(open_sql, params)
        for *key, count in cursor:
            opens[tuple(key)] += count
    return deltas


def _expected_in_python() -> Deltas:
    """The recount of stats_expected() ticket by ticket, through the same _contribute as the changes."""
    tz = site_time_zone()
    deltas = _empty()
    rows = Ticket.objects.order_by().values_list(*STATS_FIELDS)
    for snapshot in rows.iterator(chunk_size=10_000):
        _contribute(deltas, snapshot, 1, tz)
    return deltas


def _recount_sql() -> tuple[str, str, dict]:
    """PostgreSQL: the two SELECTs (and their parameters) that recount the aggregates in one pass over the tickets
    each, grouped in the database, in the columns of DAY_KEY + DAY_COUNTERS and OPEN_KEY + count. The same
    rules as _contribute: each ticket gives up to four moments (created, first answered, resolved, left the
    backlog when not open), each counted on its day in the site's time zone in its bucket's row."""
    quote = connection.ops.quote_name
    ticket = quote(Ticket._meta.db_table)

    # Each moment is a row: its kind (0 created, 1 first answered, 2 resolved, 3 left the backlog), and for the
    # durations the seconds and the histogram slot (0–17 for a response, 18–35 for a resolution), so that every
    # counter is one integer comparison per row.
    kinds = {"created": 0, "responded": 1, "resolved": 2, "done": 3}

    def counted(kind: int, condition: str = "") -> str:
        return f"count(*) FILTER (WHERE p.kind = {kind}{condition})"

    columns = {name: counted(kind) for name, kind in kinds.items()}
    for prefix, histogram, counter, offset in (
        ("response", RESPONSE_HISTOGRAM, "responded", 0),
        ("resolution", RESOLUTION_HISTOGRAM, "resolved", len(RESPONSE_HISTOGRAM)),
    ):
        kind = kinds[counter]
        columns[f"{prefix}_seconds"] = f"COALESCE(sum(p.seconds) FILTER (WHERE p.kind = {kind}), 0)"
        columns[f"{prefix}_met"] = counted(kind, " AND p.moment <= p.due")
        columns[f"{prefix}_breached"] = counted(kind, " AND p.moment > p.due")
        for index, name in enumerate(histogram):
            columns[name] = f"count(*) FILTER (WHERE p.slot = {offset + index})"
    selected = ", ".join(columns[name] for name in DAY_COUNTERS)
    # Only quoted names of our own models and fixed fragments are formatted in; every value is a parameter.
    # width_bucket over the upper edges is bisect_right: the same bucket as histogram_bucket().
    day_sql = (
        f"SELECT (p.moment AT TIME ZONE %(tz)s)::date, p.department_id, p.agent, p.shard, {selected} "  # noqa: S608
        f"FROM (SELECT t.department_id, COALESCE(t.assignee_id, %(no_agent)s) AS agent, "
        f"mod(t.id, %(shards)s) AS shard, m.kind, m.moment, m.due, d.seconds, "
        f"CASE m.kind WHEN 1 THEN width_bucket(d.seconds, %(edges)s::bigint[]) "
        f"WHEN 2 THEN {len(RESPONSE_HISTOGRAM)} + width_bucket(d.seconds, %(edges)s::bigint[]) END AS slot "
        f"FROM {ticket} t CROSS JOIN LATERAL (VALUES "
        f"(0, t.created_at, NULL::timestamptz), "
        f"(1, t.first_responded_at, t.first_response_due_at), "
        f"(2, t.resolved_at, t.resolution_due_at), "
        f"(3, CASE WHEN NOT t.status = ANY(%(open)s) THEN COALESCE(t.resolved_at, t.closed_at) END, "
        f"NULL::timestamptz)) AS m(kind, moment, due) "
        f"CROSS JOIN LATERAL (SELECT GREATEST(0, floor(extract(epoch FROM m.moment - t.created_at)))::bigint "
        f"AS seconds) AS d "
        f"WHERE m.moment IS NOT NULL) AS p "
        f"GROUP BY 1, 2, 3, 4"
    )
    open_sql = (
        f"SELECT department_id, COALESCE(assignee_id, %(no_agent)s), status, priority, mod(id, %(shards)s), "  # noqa: S608
        f"count(*) FROM {ticket} WHERE status = ANY(%(open)s) GROUP BY 1, 2, 3, 4, 5"
    )
    params = {
        "tz": settings.TIME_ZONE,
        "no_agent": NO_AGENT,
        "shards": STATS_SHARDS,
        "open": sorted(OPEN_STATUSES),
        "edges": list(DURATION_BUCKETS),
    }
    return day_sql, open_sql, params


def stats_stored() -> Deltas:
    """The aggregates as stored, in the shape of stats_expected()."""
    deltas = _empty()
    days, opens = deltas
    for row in TicketDayStat.objects.values(*DAY_KEY, *DAY_COUNTERS).iterator(chunk_size=10_000):
        key = tuple(row.pop(name) for name in DAY_KEY)
        days[key].update(row)
    for row in TicketOpenCount.objects.values(*OPEN_KEY, "count").iterator(chunk_size=10_000):
        opens[tuple(row[name] for name in OPEN_KEY)] += row["count"]
    return deltas


def stats_differences(limit: int = 10) -> tuple[int, list[str]]:
    """How many buckets disagree with a recomputation, and a few of them described."""
    expected, stored = stats_expected(), stats_stored()
    problems = []
    # Day buckets compare per (day, department, agent): a folded day holds its shards' sum in shard 0.
    want_days, have_days = _unsharded(expected[0]), _unsharded(stored[0])
    for name, want, have in (("day", want_days, have_days), ("open", expected[1], stored[1])):
        for key in sorted(set(want) | set(have), key=str):
            a = _nonzero(want.get(key))
            b = _nonzero(have.get(key))
            if a != b:
                problems.append(f"{name} {_key_text(key)}: stored {b or 0}, tickets say {a or 0}")
    return len(problems), problems[:limit]


def _unsharded(days: dict[DayKey, dict[str, int]]) -> dict[tuple, dict[str, int]]:
    """The day buckets summed over their shards, by (day, department, agent)."""
    summed: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, counts in days.items():
        row = summed[key[:3]]
        for name, value in counts.items():
            row[name] += value
    return summed


def _nonzero(value):
    """A bucket with nothing in it and a missing bucket are the same: None."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v} or None
    return value or None


def _key_text(key: tuple) -> str:
    return "/".join(value.isoformat() if isinstance(value, date) else str(value) for value in key)


def stats_rebuild() -> tuple[int, int]:
    """Replace the aggregates by a recomputation from the tickets; returns (day rows, open rows) written.

    Run it in a transaction (the command does): the tables are emptied and refilled as one change. On PostgreSQL
    the two tables are locked first, so a change made meanwhile either is in the recount (committed before) or
    adds its delta after it (its upsert waits for the lock): none is lost or counted twice."""
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (TicketDayStat, TicketOpenCount))
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        TicketDayStat.objects.all().delete()
        TicketOpenCount.objects.all().delete()
        return _rebuild_in_sql()
    deltas = stats_expected()
    TicketDayStat.objects.all().delete()
    TicketOpenCount.objects.all().delete()
    # Plain rows through the upsert (on empty tables: INSERTs), 500 a statement, no model instances.
    return _write(deltas)


def _rebuild_in_sql() -> tuple[int, int]:
    """PostgreSQL: one INSERT … SELECT … GROUP BY per table (_recount_sql), so that no ticket leaves the database:
    minutes instead of hours at ten million tickets."""
    quote = connection.ops.quote_name
    day_sql, open_sql, params = _recount_sql()
    day_table, open_table = (quote(m._meta.db_table) for m in (TicketDayStat, TicketOpenCount))
    day_columns = ", ".join(quote(c) for c in (*DAY_KEY, *DAY_COUNTERS))
    open_columns = ", ".join(quote(c) for c in (*OPEN_KEY, "count"))
    with connection.cursor() as cursor:
        # The grouping holds up to one entry per bucket (some hundred thousand): in memory, not spilled to disk.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # In key order (day first), as the services write them day by day: the rows of a day stay on a few pages,
        # which the period's reads fetch (in hash order a 30-day read touched a page per row at 10,000,000 tickets).
        cursor.execute(f"INSERT INTO {day_table} ({day_columns}) {day_sql} ORDER BY 1, 2, 3, 4", params)
        days = cursor.rowcount
        cursor.execute(f"INSERT INTO {open_table} ({open_columns}) {open_sql}", params)
        return days, cursor.rowcount


# Folding past days ---------------------------------------------------------------------------------------------


def stats_fold_days(*, before: date | None = None) -> int:
    """Fold the shards of each day bucket before `before` (default: yesterday, site time zone) into its shard-0
    row; returns how many rows fewer the table holds.

    Every counter is a sum (counts, seconds, histogram buckets), so a bucket's rows add up into one. Shard 0 is
    given the other shards' sums (INSERT … SELECT … GROUP BY, ON CONFLICT adding; a bucket whose other shards sum
    to nothing is skipped), then the other shards' rows and the folded rows left with nothing in them are
    deleted: a fixed number of statements, whatever the number of rows. Today and yesterday keep their shards, so
    concurrent changes of their tickets keep spreading over rows. On PostgreSQL the table is locked (SHARE ROW
    EXCLUSIVE) until the commit, so the upsert of a concurrent change waits and then adds its delta to a row that
    stays, instead of to a row being folded away."""
    before = before or timezone.localdate(timezone=site_time_zone()) - timedelta(days=1)
    quote = connection.ops.quote_name
    table = quote(TicketDayStat._meta.db_table)
    key = ", ".join(quote(c) for c in DAY_KEY[:3])
    counters = [quote(c) for c in DAY_COUNTERS]
    sums = [f"sum({c})" for c in counters]
    updates = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in counters)
    day, shard = quote("day"), quote("shard")
    past = f"{day} < %s"
    params = [connection.ops.adapt_datefield_value(before)]
    # Only quoted names of our own model are formatted into the statements; the day is a parameter.
    count_sql = f"SELECT count(*) FROM {table} WHERE {past}"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(count_sql, params)
        rows_before = cursor.fetchone()[0]
        # The WHERE before GROUP BY also spares SQLite the ambiguity of an upsert after a SELECT ("ON" of a join).
        cursor.execute(
            f"INSERT INTO {table} ({key}, {shard}, {', '.join(counters)}) "  # noqa: S608
            f"SELECT {key}, 0, {', '.join(sums)} FROM {table} WHERE {past} AND {shard} <> 0 GROUP BY {key} "
            f"HAVING NOT ({' AND '.join(f'{s} = 0' for s in sums)}) "
            f"ON CONFLICT ({key}, {shard}) DO UPDATE SET {updates}",
            params,
        )
        nothing = " AND ".join(f"{c} = 0" for c in counters)
        cursor.execute(f"DELETE FROM {table} WHERE {past} AND ({shard} <> 0 OR ({nothing}))", params)  # noqa: S608
        cursor.execute(count_sql, params)
        return rows_before - cursor.fetchone()[0]
