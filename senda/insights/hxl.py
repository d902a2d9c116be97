"""Tables with an HXL hashtag row (Humanitarian Exchange Language, 1.1), written to CSV or XLSX.

A table is a header row for people, a hashtag row for machines (``#adm1+code``,
``#reached+f+adults``...) and the data. Notes about the file (what was suppressed or removed)
go above the header in a CSV, which HXL tools skip (they look for the hashtag row in the first
rows and take the row above it as the header), and on a sheet of their own in an XLSX.

See https://hxlstandard.org/standard/1-1final/dictionary/ for the hashtags and attributes.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# A hashtag and its attributes: lower case letters, digits and underscores, starting with a
# letter (HXL 1.1, section 4). Written in lower case, as the standard recommends.
HASHTAG_PATTERN = re.compile(r"^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$")

# Text a spreadsheet would run as a formula when the file is opened (CSV injection): such text
# from the database (a service's name typed by a partner) is written with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Excel's limit on a sheet name, and the characters it refuses in one.
SHEET_NAME_LENGTH = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]\*\?/\\:]")

Value = str | int | float | bool | datetime.date | None


class HxlError(ValueError):
    """A table that would not be valid HXL (a programming error, never user input)."""


@dataclass(frozen=True)
class Column:
    """One column: the header people read and the hashtag machines read."""

    header: str
    tag: str

    def __post_init__(self) -> None:
        if not HASHTAG_PATTERN.match(self.tag):
            raise HxlError(f"not an HXL hashtag with attributes: {self.tag!r}")


@dataclass
class HxlTable:
    """A table to export: a title (the sheet's name), columns, rows and notes about it."""

    title: str
    columns: list[Column]
    rows: list[list[Value]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Rows read while the file is written, after ``rows``: a large record export is never
    # held in memory whole. Read once.
    stream: Iterable[Sequence[Value]] | None = None

    def __post_init__(self) -> None:
        if not self.columns:
            raise HxlError("a table needs at least one column")

    def add_row(self, values: Sequence[Value]) -> None:
        if len(values) != len(self.columns):
            raise HxlError(f"a row of {len(values)} values for {len(self.columns)} columns")
        self.rows.append(list(values))

    def all_rows(self) -> Iterator[Sequence[Value]]:
        yield from self.rows
        for values in self.stream or ():
            if len(values) != len(self.columns):
                raise HxlError(f"a row of {len(values)} values for {len(self.columns)} columns")
            yield values

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    @property
    def tags(self) -> list[str]:
        return [column.tag for column in self.columns]


def _text(value: Value) -> str:
    """A value as CSV text: empty for nothing, ISO dates, numbers without a needless ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(round(value, 4), "g")
    if isinstance(value, int):
        return str(value)
    return spreadsheet_safe(str(value))


def spreadsheet_safe(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would run it as a formula."""
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


CSV_BATCH = 500  # rows written per chunk of a streamed CSV


def csv_chunks(table: HxlTable) -> Iterator[bytes]:
    """The table as UTF-8 CSV, in chunks (for a streamed download): a byte-order mark (so that
    spreadsheets read accents), the notes, the header row, the hashtag row, then the data."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    buffer.write("\ufeff")
    for note in table.notes:
        # A note never starts with "#": HXL tools must not take it for a hashtag row.
        writer.writerow([spreadsheet_safe(note.lstrip("#").strip())])
    writer.writerow([spreadsheet_safe(header) for header in table.headers])
    writer.writerow(table.tags)
    yield flush()
    for count, row in enumerate(table.all_rows(), start=1):
        writer.writerow([_text(value) for value in row])
        if count % CSV_BATCH == 0:
            yield flush()
    yield flush()


def to_csv(table: HxlTable) -> bytes:
    """The table as UTF-8 CSV: notes, the header row, the hashtag row, then the data."""
    return b"".join(csv_chunks(table))


def sheet_title(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, no []*?/\\:), unique in the workbook."""
    base = SHEET_NAME_FORBIDDEN.sub(" ", title).strip() or "Sheet"
    base = base[:SHEET_NAME_LENGTH]
    candidate, number = base, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate = base[: SHEET_NAME_LENGTH - len(suffix)] + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def _cell_value(value: Value) -> Any:
    if isinstance(value, bool):
        # As in the CSV: HXL tools compare flags as text ("true"), not as Excel booleans.
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        # Excel has no time zones: the local wall time is what people expect to read.
        return value.replace(tzinfo=None)
    return value


def _write_rows(sheet: Any, rows: Iterable[Sequence[Value]], *, bold: bool = False) -> None:
    for values in rows:
        sheet.append([_cell_value(value) for value in values])
        for cell in sheet[sheet.max_row]:
            if bold:
                cell.font = Font(bold=True)
            # Text is text: openpyxl would store "=..." as a formula, which Excel then runs.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


def add_text_sheet(workbook: Workbook, title: str, lines: Sequence[Sequence[str]]) -> None:
    """A sheet of plain text rows (notes, a narrative): no hashtag row, not HXL data."""
    taken = {sheet.title.lower() for sheet in workbook.worksheets}
    sheet = workbook.create_sheet(sheet_title(title, taken))
    _write_rows(sheet, [list(line) for line in lines])
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 100


def add_table_sheet(workbook: Workbook, table: HxlTable) -> None:
    """A data sheet: the header row (bold, frozen), the hashtag row, then the data."""
    taken = {sheet.title.lower() for sheet in workbook.worksheets}
    sheet = workbook.create_sheet(sheet_title(table.title, taken))
    _write_rows(sheet, [table.headers], bold=True)
    _write_rows(sheet, [table.tags])
    _write_rows(sheet, table.all_rows())
    sheet.freeze_panes = "A3"
    for index, header in enumerate(table.headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(len(header), 10), 40)


def new_workbook() -> Workbook:
    """An empty workbook (openpyxl's default empty sheet removed)."""
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    return workbook


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_xlsx(tables: Sequence[HxlTable], *, notes_title: str = "") -> bytes:
    """The tables as one XLSX workbook, one sheet each; the tables' notes, if any, on a first
    sheet titled ``notes_title`` (HXL tools skip it: it has no hashtag row)."""
    workbook = new_workbook()
    notes = [note for table in tables for note in table.notes]
    if notes and notes_title:
        add_text_sheet(workbook, notes_title, [[note] for note in dict.fromkeys(notes)])
    for table in tables:
        add_table_sheet(workbook, table)
    return workbook_bytes(workbook)
