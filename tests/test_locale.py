"""The translation catalogs: complete, not fuzzy, placeholders intact, and compiled.

Pure Python (no gettext needed): the .po files are parsed here and the committed .mo files are read with
the standard library, so CI checks the catalogs without installing gettext.
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLACEHOLDER_RE = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return f"line {self.line}: {self.msgid[:60]!r}"


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header first; obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None
    flags: set[str] = set()

    def finish():
        nonlocal entry
        if entry is not None:
            entries.append(entry)
        entry = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if keyword:
            name, index, literal = keyword.groups()
            if (
                name in ("msgctxt", "msgid")
                and entry is not None
                and (name == "msgctxt" or entry.msgid or entry.msgstr)
            ):
                finish()
            if entry is None:
                entry = Entry(line=number, flags=flags)
                flags = set()
            target = (name, int(index) if index is not None else None)
            _append(entry, target, ast.literal_eval(literal))
        elif line.startswith('"') and entry is not None and target is not None:
            _append(entry, target, ast.literal_eval(line))
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def _append(entry: Entry, target: tuple[str, int | None], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index or 0] = entry.msgstr.get(index or 0, "") + text
    elif name == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + text
    elif name == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + text
    else:
        entry.msgid += text


def catalog(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def messages(language: str) -> list[Entry]:
    return [e for e in parse_po(catalog(language)) if e.msgid]


def test_the_parser_reads_plurals_contexts_and_continuations(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n\n'
        '#, fuzzy, python-format\nmsgctxt "menu"\nmsgid ""\n"Long "\n"text"\nmsgstr "Langer \\"Text\\""\n\n'
        'msgid "%(n)d file"\nmsgid_plural "%(n)d files"\nmsgstr[0] "%(n)d Datei"\nmsgstr[1] ""\n\n'
        '#~ msgid "gone"\n#~ msgstr "weg"\n',
        encoding="utf-8",
    )
    header, long, plural = parse_po(po)
    assert header.msgstr == {0: "Language: de\n"}
    assert (long.msgctxt, long.msgid, long.msgstr, long.flags) == (
        "menu",
        "Long text",
        {0: 'Langer "Text"'},
        {"fuzzy", "python-format"},
    )
    assert (plural.msgid_plural, plural.msgstr) == ("%(n)d files", {0: "%(n)d Datei", 1: ""})


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_exists_for_every_language(language):
    assert catalog(language).exists(), f"no catalog for {language}: run `make messages`"
    assert len(messages(language)) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete_and_not_fuzzy(language):
    entries = parse_po(catalog(language))
    header = entries[0]
    assert header.msgid == "" and "fuzzy" not in header.flags, "the catalog header is marked fuzzy"
    fuzzy = [e.name for e in entries if "fuzzy" in e.flags]
    untranslated = [e.name for e in messages(language) if not e.msgstr or not all(e.msgstr.values())]
    assert fuzzy == [], f"{language}: fuzzy entries to review"
    assert untranslated == [], f"{language}: untranslated entries"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language):
    broken = []
    for entry in messages(language):
        wanted = set(PLACEHOLDER_RE.findall(entry.msgid + (entry.msgid_plural or "")))
        for text in entry.msgstr.values():
            found = set(PLACEHOLDER_RE.findall(text))
            # A singular form may leave the count out ("one file"); it may never add an unknown name.
            if not found <= wanted or (entry.msgid_plural is None and found != wanted):
                broken.append(entry.name)
    assert broken == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_the_po_file(language):
    """The committed .mo is what the .po says (run `make messages` after editing a .po)."""
    mo = catalog(language).with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make messages` and commit the .mo file"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in messages(language):
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural is None:
            assert compiled._catalog.get(key) == entry.msgstr[0], f"{mo} is stale at {entry.name}"
        else:
            for index, text in entry.msgstr.items():
                assert compiled._catalog.get((key, index)) == text, f"{mo} is stale at {entry.name}"
