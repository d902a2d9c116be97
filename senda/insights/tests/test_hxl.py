"""The HXL writer: every file it writes is read back with libhxl (the reference library) and
with openpyxl, and checked against a libhxl schema."""

from __future__ import annotations

import datetime
import io

import hxl
import openpyxl
import pytest

from senda.insights.hxl import (
    Column,
    HxlError,
    HxlTable,
    csv_chunks,
    sheet_title,
    to_csv,
    to_xlsx,
)


def sample() -> HxlTable:
    table = HxlTable(
        title="Reach by area",
        columns=[
            Column("Área (p-code)", "#adm1+code"),
            Column("Área", "#adm1+name"),
            Column("Mes", "#date+month"),
            Column("Mujeres adultas alcanzadas", "#reached+f+adults"),
            Column("Oculto", "#meta+suppressed"),
        ],
        notes=["Counts under 5 are hidden.", "#not a hashtag row"],
    )
    table.add_row(["PA08", "Panamá", "2026-03", 12, False])
    table.add_row(["PA10", "Panamá Oeste", "2026-03", None, True])
    table.add_row(["PA13", '=HYPERLINK("http://example.org")', "2026-04", 7.5, False])
    return table


def schema() -> hxl.validation.Schema:
    errors: list[hxl.validation.HXLValidationException] = []
    rules = hxl.data(
        [
            ["#valid_tag", "#valid_required", "#valid_datatype", "#valid_value+list"],
            ["#adm1+code", "true", "", ""],
            ["#date+month", "true", "", ""],
            ["#reached", "", "number", ""],
            ["#meta+suppressed", "true", "", "true|false"],
        ]
    )
    validator = hxl.schema(rules, callback=errors.append)
    validator.errors = errors
    return validator


def test_csv_is_hxl_with_notes_above_the_header() -> None:
    data = to_csv(sample())
    text = data.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "Counts under 5 are hidden."
    assert lines[1] == "not a hashtag row"  # a note never passes for a hashtag row
    dataset = hxl.data(io.BytesIO(data))
    assert [column.display_tag for column in dataset.columns] == [
        "#adm1+code",
        "#adm1+name",
        "#date+month",
        "#reached+f+adults",
        "#meta+suppressed",
    ]
    assert dataset.columns[0].header == "Área (p-code)"
    rows = [row.values for row in dataset]
    assert rows[0] == ["PA08", "Panamá", "2026-03", "12", "false"]
    assert rows[1] == ["PA10", "Panamá Oeste", "2026-03", "", "true"]
    # A formula typed into the database reaches the spreadsheet as text.
    assert rows[2][1].startswith("'=HYPERLINK")
    assert rows[2][3] == "7.5"
    assert schema().validate(hxl.data(io.BytesIO(data)))


def test_schema_catches_a_broken_file() -> None:
    table = HxlTable(title="x", columns=[Column("Area", "#adm1+code"), Column("n", "#reached")])
    table.add_row(["", "many"])
    validator = schema()
    assert not validator.validate(hxl.data(io.BytesIO(to_csv(table))))
    assert validator.errors


def test_xlsx_has_a_notes_sheet_and_an_hxl_data_sheet() -> None:
    data = to_xlsx([sample()], notes_title="About this file")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["About this file", "Reach by area"]
    assert workbook["About this file"]["A1"].value == "Counts under 5 are hidden."
    sheet = workbook["Reach by area"]
    assert sheet["A1"].value == "Área (p-code)" and sheet["A1"].font.bold
    assert sheet["D2"].value == "#reached+f+adults"
    assert sheet["D3"].value == 12 and sheet["D4"].value is None
    assert sheet["B5"].data_type == "s"  # stored as text, never as a formula
    assert sheet["B5"].value.startswith("=HYPERLINK")
    rows = list(hxl.data(io.BytesIO(data)))  # libhxl finds the sheet with the hashtags
    assert [row.get("#adm1+code") for row in rows] == ["PA08", "PA10", "PA13"]
    assert [row.get("#reached+f") for row in rows] == [12, None, 7.5]
    assert schema().validate(hxl.data(io.BytesIO(data)))


def test_dates_and_several_sheets() -> None:
    first = HxlTable(title="Fechas", columns=[Column("Día", "#date")])
    first.add_row([datetime.date(2026, 3, 31)])
    second = HxlTable(title="Fechas", columns=[Column("Mes", "#date+month")])
    second.add_row(["2026-03"])
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx([first, second])))
    assert workbook.sheetnames == ["Fechas", "Fechas (2)"]
    assert to_csv(first).decode("utf-8-sig").splitlines()[2] == "2026-03-31"


def test_bad_tables_are_refused() -> None:
    with pytest.raises(HxlError):
        Column("Area", "adm1+code")
    with pytest.raises(HxlError):
        Column("Area", "#adm1 +code")
    with pytest.raises(HxlError):
        HxlTable(title="x", columns=[])
    table = HxlTable(title="x", columns=[Column("Area", "#adm1+code")])
    with pytest.raises(HxlError):
        table.add_row(["a", "b"])


def test_sheet_titles_fit_excel() -> None:
    taken: set[str] = set()
    assert sheet_title("Referrals: reason/status [all]", taken) == "Referrals  reason status  all"
    long = "A very long section title that Excel would refuse"
    first = sheet_title(long, taken)
    second = sheet_title(long, taken)
    assert len(first) == 31 and len(second) == 31 and first != second


def test_streamed_rows_are_written_in_chunks_and_checked() -> None:
    table = HxlTable(title="Big", columns=[Column("Id", "#meta+id"), Column("N", "#reached")])
    table.add_row(["first", 1])
    table.stream = ([f"id-{index}", index] for index in range(1200))
    chunks = list(csv_chunks(table))
    assert len(chunks) > 2  # the header, then batches of rows: never the whole file at once
    rows = list(hxl.data(io.BytesIO(b"".join(chunks))))
    assert len(rows) == 1201
    assert rows[0].get("#meta+id") == "first" and rows[-1].get("#meta+id") == "id-1199"
    broken = HxlTable(title="x", columns=[Column("Id", "#meta+id")])
    broken.stream = iter([["a", "b"]])
    with pytest.raises(HxlError):
        b"".join(csv_chunks(broken))
