"""Reading a survey's XLSForm: validated by pyxform (the reference implementation), then
flattened into the questions and choices Senda analyses.

A broken form is refused with the sheet, row and column at fault. pyxform's messages name the
row (``[row : 7]``) and sometimes the column; the column is found from the sheet's header row,
and the common problems are said again in the user's language. What pyxform accepts but Senda
cannot analyse is refused the same way: repeat groups (one interview would hold several
answers to a question), a question name used twice in different groups (exports flatten groups
away), and a form without a single question that can be counted or measured.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from senda.core.errors import ValidationError

FIELD = "xlsform"
XLSFORM_SUFFIXES = (".xlsx", ".xlsm", ".xls")

# Types whose answers are stored and analysed (see the data-minimisation note in models.py).
ANALYSABLE_TYPES = frozenset(
    {"select_one", "select_multiple", "integer", "decimal", "range", "calculate"}
)
NUMERIC_TYPES = frozenset({"integer", "decimal", "range"})
SELECT_TYPES = frozenset({"select_one", "select_multiple"})
# Types that are not questions asked: metadata the device fills in (never kept, not even as a
# question: a device id or a phone number says who answered), notes and groups.
SKIPPED_TYPES = frozenset(
    {
        "note",
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "background-audio",
        "background-geopoint",
        "xml-external",
        "csv-external",
    }
)
# pyxform's JSON type names -> the XLSForm names analysts know.
_TYPE_NAMES = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "select one external": "select_one_external",
    "int": "integer",
}
_LANGUAGE_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)?)\)\s*$")
_ROW = re.compile(r"\[row\s*:\s*(\d+)\]\s*")
_SHEET = re.compile(r"On the '([a-z_]+)' sheet", re.IGNORECASE)
_VALUE_COLUMN = re.compile(r"the '([a-z_:]+)' value", re.IGNORECASE)


@dataclass
class QuestionSpec:
    """One question of the form as Senda stores it (see ``SurveyQuestion``)."""

    name: str
    path: str
    type: str
    list_name: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    choices: list[dict[str, Any]] = field(default_factory=list)
    position: int = 0


@dataclass
class ParsedForm:
    form_id: str
    form_version: str
    form_title: str
    form_json: dict[str, Any]
    questions: list[QuestionSpec]


@dataclass
class _Sheet:
    """A sheet as typed: its header row and data rows, with spreadsheet row numbers."""

    name: str
    header_row: int = 1
    headers: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def column(self, header: str) -> str:
        """ "C (type)" for a header, or the header alone when the sheet has no such column."""
        wanted = header.strip().lower()
        for index, name in enumerate(self.headers):
            if name.strip().lower() == wanted:
                return f"{get_column_letter(index + 1)} ({name.strip()})"
        return header

    def value(self, row: list[str], header: str) -> str:
        wanted = header.strip().lower()
        for index, name in enumerate(self.headers):
            if name.strip().lower() == wanted and index < len(row):
                return row[index].strip()
        return ""


def refuse(message: str) -> ValidationError:
    return ValidationError({FIELD: [message]})


def located(problem: str, *, sheet: str = "", row: int | None = None, column: str = "") -> str:
    """The message an analyst can act on: where the problem is, then what it is."""
    if sheet and row is not None and column:
        return _("Sheet '%(sheet)s', row %(row)s, column %(column)s: %(problem)s") % {
            "sheet": sheet,
            "row": row,
            "column": column,
            "problem": problem,
        }
    if sheet and row is not None:
        return _("Sheet '%(sheet)s', row %(row)s: %(problem)s") % {
            "sheet": sheet,
            "row": row,
            "problem": problem,
        }
    if sheet:
        return _("Sheet '%(sheet)s': %(problem)s") % {"sheet": sheet, "problem": problem}
    return problem


# --- reading the workbook as typed ----------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_sheets(content: bytes, suffix: str) -> dict[str, _Sheet]:
    """Every sheet's header and rows (lower-cased sheet names, as pyxform reads them)."""
    raw: dict[str, list[list[str]]] = {}
    if suffix == ".xls":
        import xlrd  # pyxform's own dependency for the old format

        book = xlrd.open_workbook(file_contents=content)
        for xls_sheet in book.sheets():
            raw[xls_sheet.name] = [
                [_cell_text(cell) for cell in xls_sheet.row_values(index)]
                for index in range(xls_sheet.nrows)
            ]
    else:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            for worksheet in workbook.worksheets:
                raw[worksheet.title] = [
                    [_cell_text(cell) for cell in row]
                    for row in worksheet.iter_rows(values_only=True)
                ]
        finally:
            workbook.close()
    sheets: dict[str, _Sheet] = {}
    for title, rows in raw.items():
        sheet = _Sheet(name=title.strip().lower())
        header_seen = False
        for number, row in enumerate(rows, start=1):
            if not any(cell.strip() for cell in row):
                continue
            if not header_seen:
                sheet.header_row = number
                sheet.headers = row
                header_seen = True
            else:
                sheet.rows.append((number, row))
        sheets[sheet.name] = sheet
    return sheets


# --- pyxform's errors, located and translated -----------------------------------------------


def _row_of_value(sheet: _Sheet, header: str, predicate: Any) -> int | None:
    for number, row in sheet.rows:
        if predicate(sheet.value(row, header)):
            return number
    return None


def _explain(message: str, context: dict[str, Any], sheets: dict[str, _Sheet]) -> str:
    """pyxform's message as a located, translated one (its English text when unknown)."""
    row_match = _ROW.search(message)
    row: int | None = int(row_match.group(1)) if row_match else None
    if isinstance(context.get("row"), int):
        row = context["row"]
    detail = _ROW.sub("", message).strip()
    sheet_match = _SHEET.search(detail)
    sheet_name = str(context.get("sheet") or (sheet_match.group(1) if sheet_match else "survey"))
    sheet = sheets.get(sheet_name.lower(), _Sheet(name=sheet_name))
    column_name = str(context.get("column") or "")
    if not column_name:
        value_match = _VALUE_COLUMN.search(detail)
        column_name = value_match.group(1) if value_match else ""

    problem = detail
    if match := re.match(r"Unknown question type '(.+?)'", detail):
        unknown = match.group(1)
        row = row or _row_of_value(sheet, "type", lambda value: value == unknown)
        column_name = "type"
        problem = _("'%(type)s' is not a question type of XLSForm.") % {"type": unknown}
    elif match := re.match(r"List name not in choices sheet: (.+)", detail):
        column_name = "type"
        problem = _(
            "the choice list '%(list)s' is not on the 'choices' sheet (check its list_name)."
        ) % {"list": match.group(1).strip()}
    elif "Questions, groups, and repeats must be unique" in detail:
        column_name = "name"
        problem = _("this name is already used by another question of the same group.")
    elif detail.startswith("Question or group with no name"):
        column_name = "name"
        problem = _("the question or group has no name.")
    elif detail.startswith("Missing calculation"):
        column_name = "calculation"
        problem = _("a calculate question needs a calculation.")
    elif match := re.match(r"Unmatched '(\w+)'", detail):
        column_name = "type"
        problem = _("'%(keyword)s' has no matching end (or begin).") % {"keyword": match.group(1)}
    elif "Names must begin with a letter or underscore" in detail:
        problem = _(
            "names must begin with a letter or underscore and contain only letters, digits, "
            "underscores, hyphens or periods."
        )
    elif "Reference variables must contain a name" in detail:
        problem = _("${%(name)s} refers to no question of the form.") % {
            "name": str(context.get("q") or "")
        }
    elif detail.startswith("Invalid headers provided for sheet"):
        match = re.search(r"sheet: '(\w+)'", detail)
        missing = re.search(r"were not found: (.+?)\. Learn more", detail)
        name = match.group(1) if match else sheet_name
        return located(
            _("the header row lacks the column %(columns)s.")
            % {"columns": missing.group(1) if missing else ""},
            sheet=name,
            row=sheets[name].header_row if name in sheets else 1,
        )
    else:
        problem = _("the form is not valid: %(detail)s") % {"detail": detail}
    column = sheet.column(column_name) if column_name else ""
    return located(problem, sheet=sheet.name, row=row, column=column)


# --- the form, flattened ---------------------------------------------------------------------


def language_key(name: str) -> str:
    """ "Español (es)" -> "es"; a plain ``label`` column is the "default" language."""
    match = _LANGUAGE_CODE.search(name)
    return match.group(1).lower().replace("_", "-") if match else name.strip()


def _labels(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {language_key(str(k)): str(v) for k, v in value.items() if v not in (None, "")}
    if value in (None, ""):
        return {}
    return {"default": str(value)}


def _type_name(raw: str) -> str:
    return _TYPE_NAMES.get(raw, raw.replace(" ", "_"))


def _walk(children: list[dict[str, Any]], parents: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    for child in children:
        kind = str(child.get("type", ""))
        if kind in ("group", "repeat"):
            if kind == "group" and child.get("name") == "meta" and not parents:
                continue  # instanceID and friends: metadata, read from the export's own columns
            yield {**child, "_parents": parents}
            yield from _walk(child.get("children") or [], (*parents, str(child["name"])))
        else:
            yield {**child, "_parents": parents}


def _flatten(form_json: dict[str, Any], sheets: dict[str, _Sheet]) -> list[QuestionSpec]:
    survey_sheet = sheets.get("survey", _Sheet(name="survey"))
    questions: list[QuestionSpec] = []
    seen: dict[str, str] = {}
    for element in _walk(form_json.get("children") or [], ()):
        kind = str(element.get("type", ""))
        name = str(element.get("name", ""))
        if kind == "repeat":
            row = _row_of_value(
                survey_sheet,
                "name",
                lambda value, name=name: value == name,
            )
            raise refuse(
                located(
                    _(
                        "repeat groups ('%(name)s') are not supported: one interview would "
                        "hold several answers to the same question. Ask for a separate form, "
                        "or use one question per item."
                    )
                    % {"name": name},
                    sheet="survey",
                    row=row,
                    column=survey_sheet.column("type"),
                )
            )
        if kind == "group":
            continue
        type_name = _type_name(kind)
        if type_name in SKIPPED_TYPES:
            continue
        path = "/".join((*element["_parents"], name))
        if name in seen:
            rows = [
                number
                for number, row in survey_sheet.rows
                if survey_sheet.value(row, "name") == name
            ]
            raise refuse(
                located(
                    _(
                        "the name '%(name)s' (%(path)s) is already used by %(other)s: exports "
                        "name a column by the question's name alone, so names must be unique "
                        "in the whole form."
                    )
                    % {"name": name, "path": path, "other": seen[name]},
                    sheet="survey",
                    row=rows[-1] if rows else None,
                    column=survey_sheet.column("name"),
                )
            )
        seen[name] = path
        choices = [
            {"name": str(choice.get("name", "")), "labels": _labels(choice.get("label"))}
            for choice in element.get("choices") or []
        ]
        itemset = str(element.get("itemset") or "")
        if type_name in SELECT_TYPES and not choices and "." in itemset:
            # select_one_from_file: the choices live in an attached file Senda never sees.
            type_name = f"{type_name}_from_file"
        questions.append(
            QuestionSpec(
                name=name,
                path=path,
                type=type_name,
                list_name=str(element.get("list_name") or (itemset if "." not in itemset else "")),
                labels=_labels(element.get("label")),
                choices=choices,
                position=len(questions),
            )
        )
    return questions


def parse_xlsform(content: bytes, filename: str) -> ParsedForm:
    """The form in ``content`` (an .xlsx or .xls XLSForm), validated and flattened; a
    ``ValidationError`` on the ``xlsform`` field says where it is broken."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    suffix = "." + filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix not in XLSFORM_SUFFIXES:
        raise refuse(_("Upload the form as an XLSForm spreadsheet (.xlsx or .xls)."))
    if not content:
        raise refuse(_("The file is empty."))
    try:
        sheets = _read_sheets(content, suffix)
    except Exception as exc:  # a corrupt or mislabelled file: any reader error means the same
        raise refuse(_("The file cannot be read as a spreadsheet (.xlsx or .xls).")) from exc
    if "survey" not in sheets:
        raise refuse(_("The workbook has no 'survey' sheet: it is not an XLSForm."))
    warnings: list[str] = []
    try:
        result = convert(io.BytesIO(content), warnings=warnings, form_name="data", file_type=suffix)
    except PyXFormError as exc:
        raise refuse(_explain(str(exc), dict(getattr(exc, "context", None) or {}), sheets)) from exc
    except Exception as exc:  # pyxform fails on some malformed sheets with plain Python errors
        raise refuse(
            _("The form is not valid: %(detail)s") % {"detail": str(exc) or type(exc).__name__}
        ) from exc
    form_json: dict[str, Any] = result._pyxform or {}
    questions = _flatten(form_json, sheets)
    if not any(question.type in ANALYSABLE_TYPES for question in questions):
        raise refuse(
            located(
                _(
                    "the form has no question Senda can analyse (select_one, select_multiple, "
                    "integer, decimal or calculate)."
                ),
                sheet="survey",
            )
        )
    settings = sheets.get("settings")
    typed_id = settings.value(settings.rows[0][1], "form_id") if settings and settings.rows else ""
    # Without a form_id in the settings, pyxform names the form after our placeholder "data";
    # the file name says more.
    form_id = typed_id or filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return ParsedForm(
        form_id=form_id[:200],
        form_version=str(form_json.get("version") or "")[:200],
        form_title=str(form_json.get("title") or "")[:300],
        form_json=form_json,
        questions=questions,
    )
