"""CSV files that people bring: refused early with a clear message, or read as a stream of rows.

`inspect_csv` looks at a file once, in chunks (never the whole file in memory), and refuses what is not a
CSV text file: an empty file, a file over the size limit (refused from its size alone, before any byte is
read), a workbook or other binary file renamed `.csv`, text in an encoding we cannot tell apart. It accepts
UTF-8 (with or without the byte order mark Excel writes) and, for files that are not UTF-8, Windows-1252 /
Latin-1 when the bytes look like Western European text. It then reads the header row and picks the
delimiter (comma, semicolon or tab). `CsvFile.records()` streams the rows with their spreadsheet row numbers
(the header is row 1), through the csv module over a text stream, so memory stays flat in the file size.

Spreadsheet formulas: `neutralise_formula` prefixes an apostrophe to a cell that a spreadsheet would run as
a formula (starting with = + - @, tab or carriage return, OWASP's list), and `restore_formula` takes exactly
that apostrophe away again on import, so an exported file imports back to the same text.
"""

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CHUNK_BYTES = 1024 * 1024
SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc: the pre-2007 Office formats
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
# Bytes that Windows-1252 leaves undefined: a file holding them is not Western European text.
CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
# Four or more non-ASCII bytes in a row: Cyrillic, Greek, Asian scripts... not Latin-1 words ("Größe").
HIGH_BYTE_RUN = re.compile(rb"[\x80-\xff]{4,}")
# Control characters that never occur in a text file (tab, newlines, form feed and escape may).
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")

EXCEL_HINT = gettext_lazy("In Excel or LibreOffice, use “Save as” and pick “CSV UTF-8 (comma delimited)”.")


class CsvFileError(Exception):
    """A whole file is refused. `message` is written for the person who chose the file."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Encoding:
    codec: str
    label: str


UTF8 = Encoding("utf-8-sig", "UTF-8")
UTF8_BOM = Encoding("utf-8-sig", "UTF-8 (with byte order mark)")
WINDOWS_1252 = Encoding("cp1252", "Windows-1252 / Latin-1")


def neutralise_formula(value: str) -> str:
    """Make a cell inert in spreadsheets: a leading apostrophe turns a would-be formula into text."""
    if value and value.lstrip("'")[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def restore_formula(value: str) -> str:
    """Undo `neutralise_formula`: drop the one apostrophe it added (and only that one)."""
    if value[:1] == "'" and value.lstrip("'")[:1] in FORMULA_STARTS:
        return value[1:]
    return value


@dataclass(frozen=True)
class CsvFile:
    """A CSV file that passed `inspect_csv`: how to read it, and its header row."""

    name: str
    size: int
    encoding: Encoding
    delimiter: str
    header: tuple[str, ...]
    opener: Callable[[], BinaryIO]

    @property
    def delimiter_label(self) -> str:
        return {",": _("comma"), ";": _("semicolon"), "\t": _("tab")}[self.delimiter]

    @contextmanager
    def reader(self) -> Iterator["RowReader"]:
        raw = self.opener()
        try:
            yield RowReader(raw, self)
        finally:
            raw.close()


class RowReader:
    """The data rows of a CsvFile as (row number, cells); `position` is how many bytes were read so far.

    One stream: iterating again (`islice(reader, n)` batch after batch) goes on where the last read stopped, with
    the row numbers going on too.
    """

    def __init__(self, raw: BinaryIO, csv_file: CsvFile):
        self._raw = raw
        self._file = csv_file
        text = io.TextIOWrapper(raw, encoding=csv_file.encoding.codec, newline="")
        self._rows = csv.reader(text, delimiter=csv_file.delimiter)
        self._stream = self._read()

    @property
    def position(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        # The same generator every time: a new one per iter() counted from 0 again, so that each batch after
        # the first lost its first row (read as a header) and numbered its rows from 2.
        return self._stream

    def _read(self) -> Iterator[tuple[int, list[str]]]:
        number = 0
        try:
            for cells in self._rows:
                number += 1
                if number > 1:  # row 1 is the header
                    yield number, cells
        except csv.Error as exc:
            raise CsvFileError(
                _("Row %(row)d cannot be read as CSV (%(reason)s). Nothing was imported.")
                % {"row": number + 1, "reason": exc},
                code="malformed",
            ) from exc


def check_size(*, name: str, size: int, max_bytes: int | None) -> None:
    """Refuse a file from its size alone (before reading or storing a byte of it)."""
    if max_bytes is not None and size > max_bytes:
        raise CsvFileError(
            _(
                "“%(name)s” is %(size)s; files up to %(limit)s can be imported here. Split the file, or ask an "
                "administrator to run `manage.py import_tickets` with it."
            )
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
            code="too_large",
        )
    if size == 0:
        raise CsvFileError(_("“%(name)s” is empty.") % {"name": name}, code="empty")


def inspect_csv(opener: Callable[[], BinaryIO], *, name: str, size: int, max_bytes: int | None = None) -> CsvFile:
    """Check a file before anything is imported from it; raise CsvFileError with the reason if it is refused."""
    check_size(name=name, size=size, max_bytes=max_bytes)
    raw = opener()
    try:
        head = raw.read(SNIFF_BYTES)
        _refuse_binary(name, head)
        encoding = _detect_encoding(name, head, raw)
    finally:
        raw.close()
    csv_file = CsvFile(name=name, size=size, encoding=encoding, delimiter=",", header=(), opener=opener)
    header_line = _first_line(csv_file)
    if not header_line.strip():
        raise CsvFileError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    delimiter = max(DELIMITERS, key=header_line.count) if any(d in header_line for d in DELIMITERS) else ","
    csv_file = CsvFile(name=name, size=size, encoding=encoding, delimiter=delimiter, header=(), opener=opener)
    header, has_rows = _header_and_first_row(csv_file)
    if not any(header):
        raise CsvFileError(_("“%(name)s” has no column names in its first row.") % {"name": name}, code="no_header")
    if not has_rows:
        raise CsvFileError(_("“%(name)s” has column names but no rows to import.") % {"name": name}, code="no_rows")
    return CsvFile(name=name, size=size, encoding=encoding, delimiter=delimiter, header=header, opener=opener)


def _refuse_binary(name: str, head: bytes) -> None:
    if head.startswith(ZIP_MAGIC):
        raise CsvFileError(
            _("“%(name)s” is an Excel workbook (.xlsx) or another ZIP archive, not a CSV file. %(hint)s")
            % {"name": name, "hint": EXCEL_HINT},
            code="xlsx",
        )
    if head.startswith(OLE2_MAGIC):
        raise CsvFileError(
            _("“%(name)s” is an old-style Excel workbook (.xls), not a CSV file. %(hint)s")
            % {"name": name, "hint": EXCEL_HINT},
            code="xls",
        )
    if head.startswith(UTF32_BOMS) or head.startswith(UTF16_BOMS):
        raise CsvFileError(
            _("“%(name)s” is saved as UTF-16 or UTF-32 text, which cannot be imported. %(hint)s")
            % {"name": name, "hint": EXCEL_HINT},
            code="encoding",
        )
    if BINARY_BYTES.search(head):
        raise CsvFileError(
            _("“%(name)s” is not a text file, so it cannot be a CSV file. %(hint)s")
            % {"name": name, "hint": EXCEL_HINT},
            code="binary",
        )


def _detect_encoding(name: str, head: bytes, raw: BinaryIO) -> Encoding:
    """Read the rest of the file in chunks: UTF-8 if every byte decodes, else Windows-1252 if it looks like it."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8 = True
    latin = True
    chunk = head
    while chunk:
        if BINARY_BYTES.search(chunk):
            raise CsvFileError(
                _("“%(name)s” contains bytes that never occur in a text file, so it cannot be a CSV file.")
                % {"name": name},
                code="binary",
            )
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
        if latin and (CP1252_UNDEFINED.search(chunk) or HIGH_BYTE_RUN.search(chunk)):
            latin = False
        if not utf8 and not latin:
            break
        chunk = raw.read(CHUNK_BYTES)
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if utf8:
        return UTF8_BOM if head.startswith(codecs.BOM_UTF8) else UTF8
    if latin:
        return WINDOWS_1252
    raise CsvFileError(
        _(
            "The characters in “%(name)s” are neither UTF-8 nor Windows-1252 (Latin-1), so they would come out "
            "garbled. %(hint)s"
        )
        % {"name": name, "hint": EXCEL_HINT},
        code="encoding",
    )


def _first_line(csv_file: CsvFile) -> str:
    raw = csv_file.opener()
    try:
        text = io.TextIOWrapper(raw, encoding=csv_file.encoding.codec, newline="")
        return text.readline(SNIFF_BYTES)
    finally:
        raw.close()


def _header_and_first_row(csv_file: CsvFile) -> tuple[tuple[str, ...], bool]:
    raw = csv_file.opener()
    try:
        text = io.TextIOWrapper(raw, encoding=csv_file.encoding.codec, newline="")
        rows = csv.reader(text, delimiter=csv_file.delimiter)
        try:
            header = tuple(cell.strip() for cell in next(rows, []))
            has_rows = any(any(cell.strip() for cell in row) for row in rows)
        except csv.Error as exc:
            raise CsvFileError(
                _("“%(name)s” cannot be read as CSV (%(reason)s).") % {"name": csv_file.name, "reason": exc},
                code="malformed",
            ) from exc
        return header, has_rows
    finally:
        raw.close()
