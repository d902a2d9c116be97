"""Test data for surveys: programmes, XLSForms built with openpyxl, surveys made through the
action, and export files in each flavour (KoboToolbox and ODK Central)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import factory
from factory.django import DjangoModelFactory
from openpyxl import Workbook

from senda.accounts.models import Organisation, User
from senda.insights.models import Programme
from senda.surveys import actions
from senda.surveys.models import Survey

FIXTURES = Path(__file__).parent / "fixtures"

Rows = Sequence[Sequence[Any]]


class ProgrammeFactory(DjangoModelFactory[Programme]):
    class Meta:
        model = Programme

    slug = factory.Sequence(lambda n: f"programme-{n}")
    name = factory.Sequence(lambda n: f"Programme {n}")


def programme_led_by(lead: Organisation, **fields: Any) -> Programme:
    return ProgrammeFactory.create(lead=lead, **fields)


def workbook_bytes(sheets: dict[str, Rows]) -> bytes:
    """An .xlsx with one sheet per entry, rows as given (the first row is the header)."""
    workbook = Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        sheet.title = title
        first = False
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsform(survey: Rows, choices: Rows | None = None, settings: Rows | None = None) -> bytes:
    sheets: dict[str, Rows] = {"survey": survey}
    if choices is not None:
        sheets["choices"] = choices
    if settings is not None:
        sheets["settings"] = settings
    return workbook_bytes(sheets)


# The diagnostic form of the tests: groups, labels in two languages, every kind of question
# (analysable or not) and the device metadata Kobo adds.
DIAGNOSTIC_SURVEY: Rows = [
    ["type", "name", "label::English (en)", "label::Español (es)", "calculation", "required"],
    ["start", "start", "", "", "", ""],
    ["end", "end", "", "", "", ""],
    ["deviceid", "deviceid", "", "", "", ""],
    ["phonenumber", "phonenumber", "", "", "", ""],
    ["begin_group", "profile", "Profile", "Perfil", "", ""],
    ["select_one country", "country", "Country", "País", "", "yes"],
    ["select_one sex", "sex", "Sex", "Sexo", "", ""],
    ["integer", "age", "Age", "Edad", "", ""],
    ["select_one yes_no", "migrant", "Are you a migrant?", "¿Es usted migrante?", "", ""],
    ["end_group", "", "", "", "", ""],
    ["text", "full_name", "Your name", "Su nombre", "", ""],
    ["text", "comments", "Comments", "Comentarios", "", ""],
    ["geopoint", "location", "Location", "Ubicación", "", ""],
    ["image", "photo", "Photo", "Foto", "", ""],
    ["select_multiple needs", "needs", "What do you need?", "¿Qué necesita?", "", ""],
    [
        "select_one yes_no",
        "knows_documents",
        "Do you know which documents you need?",
        "¿Sabe qué documentos necesita?",
        "",
        "",
    ],
    ["text", "village", "Village code", "Código de la comunidad", "", ""],
    ["decimal", "weight", "Weight", "Peso", "", ""],
    ["calculate", "stratum", "", "", "concat(${country}, '-', ${migrant})", ""],
]
DIAGNOSTIC_CHOICES: Rows = [
    ["list_name", "name", "label::English (en)", "label::Español (es)"],
    ["country", "mx", "Mexico", "México"],
    ["country", "gt", "Guatemala", "Guatemala"],
    ["country", "hn", "Honduras", "Honduras"],
    ["country", "sv", "El Salvador", "El Salvador"],
    ["country", "ni", "Nicaragua", "Nicaragua"],
    ["sex", "f", "Female", "Mujer"],
    ["sex", "m", "Male", "Hombre"],
    ["yes_no", "yes", "Yes", "Sí"],
    ["yes_no", "no", "No", "No"],
    ["needs", "info", "Information on regular channels", "Información sobre vías regulares"],
    ["needs", "legal", "Legal advice", "Asesoría legal"],
    ["needs", "health", "Health care", "Atención de salud"],
]
DIAGNOSTIC_SETTINGS: Rows = [
    ["form_title", "form_id", "version", "default_language"],
    ["Diagnostic survey", "diagnostic_2025", "2025-03", "Español (es)"],
]


def diagnostic_xlsform() -> bytes:
    return xlsform(DIAGNOSTIC_SURVEY, DIAGNOSTIC_CHOICES, DIAGNOSTIC_SETTINGS)


def make_survey(
    *, actor: User, programme: Programme, name: str = "Diagnostic 2025", **fields: Any
) -> Survey:
    """A survey of the diagnostic form, created by ``actor`` through the action."""
    return actions.survey_create(
        actor=actor,
        programme=programme,
        name=name,
        round=fields.pop("round", "baseline"),
        xlsform=fields.pop("xlsform", None) or diagnostic_xlsform(),
        filename=fields.pop("filename", "diagnostic.xlsx"),
        **fields,
    )


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def csv_bytes(rows: Rows, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def csv_rows(content: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def xlsx_export(rows: Rows, title: str = "Diagnostic survey") -> bytes:
    """Rows written as KoboToolbox writes its XLSX export: numbers as numbers."""

    def typed(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                try:
                    return float(value)
                except ValueError:
                    return value
        return value

    header, *data = rows
    return workbook_bytes({title: [header, *[[typed(v) for v in row] for row in data]]})
