"""Which column of a CSV file means which ticket field: our own names, the ones other systems use, a preset's.

Headers are compared after normalising them (apps.common.csv.columns), so `Created At`, `created-at` and
`CREATED_AT` are the same column. A file from another help desk imports without renaming its columns:
`subject` is the title, `queue` the department, and so on; a preset (presets.py) adds one system's names, and
`--map`/`--ignore` (mapping.ImportMapping) override both.

When two columns could fill one field, one wins by these rules, and the report says which and why:
1. a column named by `--map` wins over any other;
2. for the requester, the column whose values are e-mail addresses wins over one of display names (which
   then fills the requester's name when nothing else does);
3. for status, priority, category and department, the column whose values match ours (or the mapping's)
   wins over a free-text one; a losing category column is not thrown away: its value is kept in each
   ticket's history (a GLPI category path such as "Software > Office");
4. otherwise the preset's order, then ours: `number` over `id`, `reference` over both.
The values are judged on the first SAMPLE_ROWS rows of the file.

A file is refused for its columns only when a field that every ticket needs has no column at all: a title or
a description (either fills the other), and a requester unless `--default-requester` names one. The message
lists the file's own headers and what each was read as.
"""

from dataclasses import dataclass, field
from itertools import islice

from django.utils.translation import gettext as _

from apps.common.csv.columns import ColumnMap, normalise_header
from apps.common.csv.files import CsvFile, CsvFileError

from .dates import DateFormat, detect_date_format
from .mapping import IGNORE, ImportMapping

# field → the headers that mean it (normalised). The first one is the name our exports write.
TICKET_COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("reference", "ref", "ticket", "ticket_id", "ticket_no", "ticket_number", "number", "id", "key"),
    "title": ("title", "subject", "summary", "short_description", "topic", "headline"),
    "description": ("description", "body", "details", "text", "content", "message", "problem", "comment"),
    "status": ("status", "state"),
    "priority": ("priority", "urgency", "severity"),
    "category": ("category", "type", "ticket_type", "issue_type", "kind"),
    "department": ("department", "queue", "team", "group", "dept", "department_name", "assignment_group"),
    "requester": (
        "requester",
        "requester_email",
        "requester_username",
        "email",
        "e_mail",
        "from_email",
        "submitter_email",
        "from",
        "customer",
        "customer_email",
        "reporter",
        "contact",
        "contact_email",
        "requested_by",
        "submitter",
        "caller",
    ),
    "requester_name": ("requester_name", "name", "customer_name", "contact_name", "reporter_name", "from_name"),
    "assignee": ("assignee", "assignee_email", "assignee_username", "assigned_to", "agent", "owner", "technician"),
    "language": ("language", "lang", "locale"),
    "created_at": (
        "created_at",
        "created",
        "created_on",
        "creation_date",
        "date_created",
        "date",
        "opened",
        "opened_at",
        "submitted_at",
    ),
    "updated_at": ("updated_at", "updated", "updated_on", "last_updated", "modified", "modified_at", "last_modified"),
    "first_responded_at": (
        "first_responded_at",
        "first_response",
        "first_response_at",
        "first_reply_at",
        "responded_at",
    ),
    "resolved_at": ("resolved_at", "resolved", "resolved_on", "solved_at", "resolution_date"),
    "closed_at": ("closed_at", "closed", "closed_on", "close_date"),
    # The other system's id of the ticket and that system's name: a re-run finds the tickets by them.
    "external_id": ("external_id",),
    "external_source": ("external_source",),
    # Written by our exports for people to read; an imported ticket's source is always "import".
    "source": ("source", "channel", "via"),
}
REQUIRED_FIELDS = ("title", "description", "requester")
DATE_FIELDS = ("created_at", "updated_at", "first_responded_at", "resolved_at", "closed_at")
VALUE_RULE_FIELDS = ("status", "priority", "category", "department")
SAMPLE_ROWS = 2000

_BUILTIN = {alias: name for name, aliases in TICKET_COLUMNS.items() for alias in aliases}
_BUILTIN_ORDER = {alias: position for aliases in TICKET_COLUMNS.values() for position, alias in enumerate(aliases)}


@dataclass
class ColumnPlan:
    """How a file's columns are read: the ColumnMap, plus what the conflict rules and the date detection decided."""

    columns: ColumnMap
    kept: dict[str, int] = field(default_factory=dict)  # header → index: values kept in the ticket's history
    decisions: list[str] = field(default_factory=list)  # for the report, in the reader's words
    date_formats: dict[str, DateFormat] = field(default_factory=dict)


def ticket_columns(headers: tuple[str, ...]) -> ColumnMap:
    """Map a header row to ticket fields by our own names only (see TICKET_COLUMNS); no rules, no sample."""
    return _resolve(headers, ImportMapping(), sample=[], value_keys={}).columns


def resolve_columns(csv_file: CsvFile, mapping: ImportMapping, *, value_keys: dict[str, set[str]]) -> ColumnPlan:
    """Read the header and the first SAMPLE_ROWS rows of `csv_file`, and decide which column fills which field.

    `value_keys`: field → the normalised values we understand for it (our choices, the mapping's values,
    the departments' names), for rule 3. Raises CsvFileError when a needed field has no column at all.
    """
    with csv_file.reader() as rows:
        sample = [cells for _number, cells in islice(rows, SAMPLE_ROWS)]
    return _resolve(csv_file.header, mapping, sample=sample, value_keys=value_keys)


def _resolve(headers, mapping: ImportMapping, *, sample: list[list[str]], value_keys) -> ColumnPlan:
    overrides = mapping.column_overrides()
    preset = mapping.preset_obj
    preset_columns = preset.columns if preset is not None else {}
    preset_order = {header: position for position, header in enumerate(preset_columns)}
    candidates: dict[str, list[tuple[tuple, int]]] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        key = normalise_header(header)
        if key in overrides:
            target, rank = overrides[key], (0, 0)
        elif key in preset_columns:
            target, rank = preset_columns[key], (1, preset_order[key])
        elif key in _BUILTIN:
            target, rank = _BUILTIN[key], (2, _BUILTIN_ORDER[key])
        else:
            target = None
        if target is None or target == IGNORE:
            if header.strip():
                ignored.append(header)
            continue
        candidates.setdefault(target, []).append((rank, index))

    plan = ColumnPlan(columns=ColumnMap(fields={}, headers=headers, ignored=()))
    fields: dict[str, int] = {}
    losers: list[tuple[str, int]] = []
    for name, found in candidates.items():
        if len(found) == 1:
            fields[name] = found[0][1]
            continue
        winner, reason = _pick(name, found, headers, sample, value_keys)
        fields[name] = winner
        for _rank, index in found:
            if index != winner:
                losers.append((name, index))
                plan.decisions.append(
                    _("“%(winner)s” is read as %(field)s, not “%(loser)s”: %(reason)s")
                    % {"winner": headers[winner], "loser": headers[index], "field": name, "reason": reason}
                )
    for name, index in losers:
        if name == "requester" and "requester_name" not in fields:
            fields["requester_name"] = index
            plan.decisions.append(_("“%(header)s” is read as the requester's name.") % {"header": headers[index]})
        elif name == "category":
            plan.kept[headers[index]] = index
            plan.decisions.append(
                _("The values of “%(header)s” are kept in each ticket's history.") % {"header": headers[index]}
            )
        else:
            ignored.append(headers[index])
    _check_required(headers, fields, mapping)
    ignored_sorted = tuple(sorted(ignored, key=headers.index))
    plan.columns = ColumnMap(fields=fields, headers=headers, ignored=ignored_sorted)
    for name in DATE_FIELDS:
        if name in fields:
            values = [cells[fields[name]] for cells in sample if fields[name] < len(cells)]
            date_format, note = detect_date_format(values, preferred=mapping.date_format)
            plan.date_formats[name] = date_format
            if note:
                plan.decisions.append(f"“{headers[fields[name]]}”: {note}")
    return plan


def _pick(name: str, found, headers, sample, value_keys) -> tuple[int, str]:
    """The winning column's index among `found` [(rank, index)], and why, for the report."""
    found = sorted(found)
    if found[0][0][0] == 0:
        return found[0][1], _("named by --map")
    if name == "requester":
        shares = {index: _share(sample, index, lambda value: "@" in value) for _rank, index in found}
        best = max(shares.values())
        if best > 0 and list(shares.values()).count(best) == 1:
            return max(shares, key=shares.get), _("its values are e-mail addresses")
    if name in VALUE_RULE_FIELDS and value_keys.get(name):
        keys = value_keys[name]
        shares = {index: _share(sample, index, lambda value: normalise_header(value) in keys) for _r, index in found}
        best = max(shares.values())
        if best > 0 and list(shares.values()).count(best) == 1:
            return max(shares, key=shares.get), _("more of its values match ours")
    return found[0][1], _("it comes first in the preferred order of column names")


def _share(sample, index: int, test) -> float:
    values = [cells[index].strip() for cells in sample if index < len(cells) and cells[index].strip()]
    return sum(1 for value in values if test(value)) / len(values) if values else 0.0


def _check_required(headers, fields: dict[str, int], mapping: ImportMapping) -> None:
    missing = []
    if "title" not in fields and "description" not in fields:
        missing.append(_("a title or a description"))
    if "requester" not in fields and not mapping.default_requester:
        missing.append(_("a requester (or --default-requester)"))
    if not missing:
        return
    by_index = {index: name for name, index in fields.items()}
    read_as = [
        f"“{header}” → {by_index[index]}" if index in by_index else f"“{header}” → " + _("not read")
        for index, header in enumerate(headers)
    ]
    raise CsvFileError(
        _("Required columns are missing: %(missing)s. The file's columns were read as: %(read)s.")
        % {"missing": "; ".join(missing), "read": ", ".join(read_as)},
        code="missing_columns",
    )
