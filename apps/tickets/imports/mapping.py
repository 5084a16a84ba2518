"""How the columns and values of one file are read: a preset plus explicit overrides (an ImportMapping).

    mapping = ImportMapping.parse(preset="glpi", columns=["Entidade=department"],
                                  values=["status:Solucionado=resolved"], ignore=["Urgência"])

`ImportMapping.parse` checks everything it can before a row is read and raises MappingError with a message
for the person who wrote the option: an unknown preset, a column mapped to a field we do not have, two
columns mapped to one field, a value mapped to a status (priority, category) that does not exist, a date
format that is neither `dmy`/`mdy`/`ymd` nor a strptime pattern. The same mapping, as a dict
(`as_dict`/`from_dict`), is what a saved import profile (ImportProfile) holds.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from apps.common.csv.columns import normalise_header

from ..choices import Category, Priority, Status
from .presets import PRESETS, Preset

FIELDS = (
    "reference",
    "title",
    "description",
    "status",
    "priority",
    "category",
    "department",
    "requester",
    "requester_name",
    "assignee",
    "language",
    "created_at",
    "updated_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "source",
)
IGNORE = "ignore"
VALUE_FIELDS = {"status": Status, "priority": Priority, "category": Category, "department": None}
DATE_ORDERS = {"dmy": "day-first", "mdy": "month-first", "ymd": "year-first"}


class MappingError(ValueError):
    """A mapping that cannot be used; `message` is written for the person who wrote it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImportMapping:
    """A preset (or none) plus overrides: header → field, (field, their value) → ours, ignored headers."""

    preset: str = ""
    columns: tuple[tuple[str, str], ...] = ()  # (their header, our field or "ignore")
    values: tuple[tuple[str, str, str], ...] = ()  # (field, their value, our value or "ignore")
    ignore: tuple[str, ...] = ()
    date_format: str = ""  # "dmy", "mdy", "ymd" or a strptime pattern
    default_requester: str = ""  # username or e-mail of the requester of rows that name nobody we know
    create_departments: bool = False

    # Building and checking ----------------------------------------------------------------------------------

    @classmethod
    def parse(
        cls,
        *,
        preset: str = "",
        columns=(),
        values=(),
        ignore=(),
        date_format: str = "",
        default_requester: str = "",
        create_departments: bool = False,
    ) -> "ImportMapping":
        """A mapping from the command's options (`--map "Their column=field"`, `--value "field:theirs=ours"`)."""
        pairs = []
        for option in columns:
            header, sep, target = option.rpartition("=")
            if not sep or not header.strip() or not target.strip():
                raise MappingError(_("--map “%(option)s”: write it as “Their column=field”.") % {"option": option})
            pairs.append((header.strip(), target.strip()))
        triples = []
        for option in values:
            name, sep, rest = option.partition(":")
            theirs, sep2, ours = rest.rpartition("=")
            if not sep or not sep2 or not name.strip() or not theirs.strip():
                raise MappingError(
                    _(
                        "--value “%(option)s”: write it as “field:their value=our value”, "
                        "e.g. status:Solucionado=resolved."
                    )
                    % {"option": option}
                )
            triples.append((name.strip(), theirs.strip(), ours.strip()))
        mapping = cls(
            preset=(preset or "").strip().lower(),
            columns=tuple(pairs),
            values=tuple(triples),
            ignore=tuple(header.strip() for header in ignore if header.strip()),
            date_format=(date_format or "").strip(),
            default_requester=(default_requester or "").strip(),
            create_departments=create_departments,
        )
        mapping.check()
        return mapping

    def check(self) -> None:
        """Raise MappingError for anything that would make the mapping meaningless (before any row is read)."""
        if self.preset and self.preset not in PRESETS:
            raise MappingError(
                _("There is no preset “%(name)s”. Presets: %(names)s.")
                % {"name": self.preset, "names": ", ".join(PRESETS)}
            )
        seen: dict[str, str] = {}
        for header, target in self.columns:
            if target != IGNORE and target not in FIELDS:
                raise MappingError(
                    _("--map “%(header)s=%(field)s”: there is no field “%(field)s”. Fields: %(fields)s, or ignore.")
                    % {"header": header, "field": target, "fields": ", ".join(FIELDS)}
                )
            if target != IGNORE and target in seen:
                raise MappingError(
                    _("--map sends both “%(first)s” and “%(second)s” to “%(field)s”; a field reads one column.")
                    % {"first": seen[target], "second": header, "field": target}
                )
            seen[target] = header
        for name, theirs, ours in self.values:
            if name not in VALUE_FIELDS:
                raise MappingError(
                    _("--value “%(field)s:%(value)s”: values can be mapped for %(fields)s only.")
                    % {"field": name, "value": theirs, "fields": ", ".join(VALUE_FIELDS)}
                )
            choices = VALUE_FIELDS[name]
            if choices is not None and ours != IGNORE and ours not in choices.values:
                raise MappingError(
                    _(
                        "--value “%(field)s:%(theirs)s=%(ours)s”: there is no %(field)s “%(ours)s”. "
                        "Use one of: %(allowed)s, or ignore."
                    )
                    % {"field": name, "theirs": theirs, "ours": ours, "allowed": ", ".join(choices.values)}
                )
            if choices is None and not ours:
                raise MappingError(
                    _("--value “%(field)s:%(theirs)s=”: name the department (or ignore).")
                    % {"field": name, "theirs": theirs}
                )
        if self.date_format:
            date_format_check(self.date_format)

    # Reading ------------------------------------------------------------------------------------------------

    @property
    def preset_obj(self) -> Preset | None:
        return PRESETS.get(self.preset)

    def column_overrides(self) -> dict[str, str]:
        """Normalised header → field (or "ignore"), from --map and --ignore."""
        overrides = {normalise_header(header): target for header, target in self.columns}
        overrides.update({normalise_header(header): IGNORE for header in self.ignore})
        return overrides

    def value_table(self, name: str) -> dict[str, str]:
        """Normalised value → ours ("ignore" for values to treat as empty): the preset's, then --value."""
        table = {}
        preset = self.preset_obj
        if preset is not None:
            table.update(preset.values.get(name, {}))
        table.update({normalise_header(theirs): ours for field, theirs, ours in self.values if field == name})
        return table

    # Saved profiles -----------------------------------------------------------------------------------------

    def as_dict(self) -> dict:
        return {
            "preset": self.preset,
            "columns": [list(pair) for pair in self.columns],
            "values": [list(triple) for triple in self.values],
            "ignore": list(self.ignore),
            "date_format": self.date_format,
            "default_requester": self.default_requester,
            "create_departments": self.create_departments,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ImportMapping":
        mapping = cls(
            preset=data.get("preset", ""),
            columns=tuple(tuple(pair) for pair in data.get("columns", ())),
            values=tuple(tuple(triple) for triple in data.get("values", ())),
            ignore=tuple(data.get("ignore", ())),
            date_format=data.get("date_format", ""),
            default_requester=data.get("default_requester", ""),
            create_departments=bool(data.get("create_departments", False)),
        )
        mapping.check()
        return mapping

    def merged(self, other: "ImportMapping") -> "ImportMapping":
        """This mapping with `other`'s overrides added (other wins); used when a page adds to a saved profile."""
        return ImportMapping(
            preset=other.preset or self.preset,
            columns=self.columns + other.columns,
            values=self.values + other.values,
            ignore=self.ignore + other.ignore,
            date_format=other.date_format or self.date_format,
            default_requester=other.default_requester or self.default_requester,
            create_departments=other.create_departments or self.create_departments,
        )


def date_format_check(value: str) -> None:
    if value in DATE_ORDERS:
        return
    if "%" not in value:
        raise MappingError(
            _("--date-format “%(value)s”: use dmy, mdy or ymd, or a pattern such as %%d/%%m/%%Y.") % {"value": value}
        )
    try:
        datetime(2025, 3, 14, 9, 30).strftime(value)
    except ValueError:
        raise MappingError(_("--date-format “%(value)s” is not a valid pattern.") % {"value": value}) from None
