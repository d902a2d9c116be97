"""Reading submissions exported by KoboToolbox or ODK (CSV or XLSX) or pulled from
KoboToolbox's API, checked against the survey's form.

Every flavour comes down to a table: a header row and data rows. A header names an interview's
id (Kobo's ``_uuid``, ODK's ``meta/instanceID`` or ``KEY``), its submission time
(``_submission_time``, ``SubmissionDate``) or a question: by its name, its group path
(``group/q``, ``group-q``), its label (Kobo's "labels" export) or, for a select_multiple
question exported as one column per choice, ``q/choice``. Other columns are never read.

Answers are checked before anything is written: a value that is not among the question's
choices or a number that is not a number refuses the whole file with the row and column at
fault. Only the analysable answers and the questions the design names are kept.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from senda.core.errors import ValidationError
from senda.surveys.xlsform import ANALYSABLE_TYPES, NUMERIC_TYPES

if TYPE_CHECKING:
    from senda.surveys.models import Survey, SurveyQuestion

FIELD = "file"
SUBMISSION_SUFFIXES = (".csv", ".xlsx")
MAX_REPORTED_ERRORS = 10
MEMO_LIMIT = 50_000  # texts remembered per column (weights are all different: don't keep all)
BATCH_SIZE = 1000  # interviews handed to the database at once

# Column names of an interview's id, best first: Kobo's `_uuid` is what its API answers with
# too, so a file import and a pull of the same interview meet.
INSTANCE_ID_HEADERS = {
    "_uuid": 0,
    "meta/instanceID": 1,
    "meta-instanceID": 1,
    "meta.instanceID": 1,
    "instanceID": 1,
    "KEY": 2,
    "_id": 3,
}
SUBMITTED_AT_HEADERS = ("_submission_time", "SubmissionDate")
_GROUP_SEPARATORS = ("/", "-", ".")
_TRUE_FLAGS = frozenset({"1", "true", "yes"})
_FALSE_FLAGS = frozenset({"", "0", "false", "no"})
_INTEGER = re.compile(r"^[+-]?\d+$")
_PLAIN_INTEGER = re.compile(r"^(?:0|-?[1-9]\d*)$")  # as str(int(...)) writes it


@dataclass(frozen=True)
class ImportResult:
    """What an import did: interviews added, those already there (or repeated), rows read."""

    added: int
    skipped: int
    total: int = -1

    def __post_init__(self) -> None:
        if self.total < 0:
            object.__setattr__(self, "total", self.added + self.skipped)


@dataclass
class NewSubmission:
    instance_id: str
    submitted_at: datetime | None
    data: dict[str, str]


@dataclass
class ParsedSubmissions:
    """What a read of the table found: interviews handed over to be stored, interviews
    already there, rows read, and the latest submission time seen."""

    added: int
    skipped: int
    total: int
    latest_submitted_at: datetime | None = None


@dataclass
class Table:
    """Rows as read (streamed: a large export is never all in memory as cells), with how to
    name a cell's place in a message."""

    headers: list[str]
    rows: Iterable[tuple[int, list[str]]]
    # "spreadsheet": row numbers and column letters; "records": interview ids and field names.
    kind: str = "spreadsheet"
    record_labels: dict[int, str] = field(default_factory=dict)


# --- reading files ---------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def _delimiter(first_line: str) -> str:
    """Kobo writes `;` by default, ODK and spreadsheets `,`: the header row says which."""
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def read_csv(content: bytes) -> Table:
    text = _decode(content)
    end_of_header = text.find("\n")
    first_line = text if end_of_header < 0 else text[:end_of_header]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        headers = [cell.strip() for cell in next(reader, [])]
    except csv.Error as exc:
        raise _csv_error(exc) from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            # Numbered as a spreadsheet shows them: the header is row 1.
            for number, row in enumerate(reader, start=2):
                if any(row):  # a row of blanks only is dropped by the check of its id
                    yield number, row
        except csv.Error as exc:
            raise _csv_error(exc) from exc

    return Table(headers=headers, rows=rows())


def _csv_error(exc: csv.Error) -> ValidationError:
    return ValidationError(
        {FIELD: [_("The file cannot be read as CSV: %(error)s") % {"error": str(exc)}]}
    )


def read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        # Kobo and ODK put the interviews on the first sheet (repeats, if any, on the next).
        values = enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)
        headers: list[str] = []
        for _number, cells in values:
            headers = [_text(cell).strip() for cell in cells]
            if any(headers):
                break
    except Exception as exc:  # any reader error means the same: not a workbook
        raise ValidationError(
            {FIELD: [_("The file cannot be read as an Excel workbook (.xlsx).")]}
        ) from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, cells in values:
                row = [_text(cell) for cell in cells]
                if any(cell.strip() for cell in row):
                    yield number, row
        finally:
            workbook.close()

    return Table(headers=headers, rows=rows())


def read_file(content: bytes, filename: str) -> Table:
    """The table in an uploaded export (CSV with `;` or `,`, or XLSX)."""
    name = filename.lower()
    if not content:
        raise ValidationError({FIELD: [_("The file is empty.")]})
    if name.endswith(".xlsx"):
        return read_xlsx(content)
    if name.endswith(".csv"):
        return read_csv(content)
    raise ValidationError(
        {FIELD: [_("Upload the submissions as the CSV or XLSX export of KoboToolbox or ODK.")]}
    )


def records_table(records: Sequence[dict[str, Any]]) -> Table:
    """Kobo API records (JSON objects keyed by question path) as a table. Lists and objects
    (``_geolocation``, ``_attachments``, ``_notes``) are never answers and are left out."""
    headers: list[str] = []
    positions: dict[str, int] = {}
    for record in records:
        for key in record:
            if key not in positions:
                positions[key] = len(headers)
                headers.append(key)
    rows: list[tuple[int, list[str]]] = []
    labels: dict[int, str] = {}
    for number, record in enumerate(records, start=1):
        row = [""] * len(headers)
        for key, value in record.items():
            if isinstance(value, str | int | float | bool) or value is None:
                row[positions[key]] = _text(value)
        rows.append((number, row))
        labels[number] = str(record.get("_uuid") or record.get("_id") or number)
    return Table(headers=headers, rows=rows, kind="records", record_labels=labels)


# --- matching columns to the form ------------------------------------------------------------


@dataclass
class _Column:
    index: int
    question: SurveyQuestion
    choice: str = ""  # a select_multiple's one-column-per-choice flag


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


class FormIndex:
    """The form's questions as an export may name them, built once per import."""

    def __init__(self, survey: Survey, questions: Iterable[SurveyQuestion]) -> None:
        self.questions = list(questions)
        design = {
            survey.weight_question,
            survey.strata_question,
            survey.cluster_question,
            *[str(name) for name in (survey.dimension_questions or {}).values()],
        }
        design.discard("")
        # Data minimisation: free text, locations, media are never kept, unless the analyst
        # named the question in the design (a cluster code, say).
        self.stored = {
            q.name: q for q in self.questions if q.type in ANALYSABLE_TYPES or q.name in design
        }
        self.by_key: dict[str, tuple[SurveyQuestion, str]] = {}
        self.by_label: dict[str, tuple[SurveyQuestion, str]] = {}
        ambiguous: set[str] = set()
        for question in self.questions:
            for key in {question.name, *self._path_variants(question.path)}:
                self.by_key.setdefault(key, (question, ""))
        # Per-choice columns after every question's own name, so that a question called
        # "q-a" is never taken for choice "a" of question "q".
        for question in self.questions:
            paths = {question.name, *self._path_variants(question.path)}
            names = [c["name"] for c in question.choices]
            if question.type == "select_multiple":
                for key in paths:
                    for separator in _GROUP_SEPARATORS:
                        for choice in names:
                            self.by_key.setdefault(f"{key}{separator}{choice}", (question, choice))
            labels = {_normal(text) for text in question.labels.values() if text}
            for label in labels:
                self._add_label(label, (question, ""), ambiguous)
                if question.type == "select_multiple":
                    for choice in question.choices:
                        choice_texts = {_normal(t) for t in choice["labels"].values() if t}
                        choice_texts.add(_normal(choice["name"]))
                        for text in choice_texts:
                            for separator in _GROUP_SEPARATORS:
                                self._add_label(
                                    f"{label}{separator}{text}",
                                    (question, choice["name"]),
                                    ambiguous,
                                )
        for key in ambiguous:
            self.by_label.pop(key, None)
        # Choice labels (any language) -> names, for Kobo's "labels" export.
        self.choice_names: dict[str, set[str]] = {}
        self.choice_by_label: dict[str, dict[str, str]] = {}
        for question in self.questions:
            self.choice_names[question.name] = {c["name"] for c in question.choices}
            by_label: dict[str, str] = {}
            for choice in question.choices:
                for text in choice["labels"].values():
                    if text:
                        by_label.setdefault(_normal(text), choice["name"])
            self.choice_by_label[question.name] = by_label

    @staticmethod
    def _path_variants(path: str) -> set[str]:
        parts = [part for part in path.split("/") if part]
        return {separator.join(parts) for separator in _GROUP_SEPARATORS}

    def _add_label(self, key: str, target: tuple[SurveyQuestion, str], ambiguous: set[str]) -> None:
        existing = self.by_label.get(key)
        if existing is not None and existing != target:
            ambiguous.add(key)
        self.by_label.setdefault(key, target)

    def resolve(self, header: str) -> tuple[SurveyQuestion, str] | None:
        """The question (and choice, for a per-choice column) a header names, if any."""
        found = self.by_key.get(header)
        if found is not None:
            return found
        label = _normal(header)
        found = self.by_label.get(label)
        if found is not None:
            return found
        # Kobo's "include groups in headers" puts the group labels before the question's.
        for separator in _GROUP_SEPARATORS:
            parts = label.split(separator)
            for start in range(1, len(parts)):
                found = self.by_label.get(separator.join(parts[start:]))
                if found is not None:
                    return found
        return None


# --- checking and converting rows ------------------------------------------------------------


class _Problems:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.messages: list[str] = []

    def add(self, row_number: int, column_index: int | None, problem: str) -> None:
        if len(self.messages) >= MAX_REPORTED_ERRORS:
            return
        if self.table.kind == "records":
            record = self.table.record_labels.get(row_number, str(row_number))
            if column_index is None:
                text = _("Submission %(record)s: %(problem)s") % {
                    "record": record,
                    "problem": problem,
                }
            else:
                text = _("Submission %(record)s, field %(field)s: %(problem)s") % {
                    "record": record,
                    "field": self.table.headers[column_index],
                    "problem": problem,
                }
        elif column_index is None:
            text = _("Row %(row)s: %(problem)s") % {"row": row_number, "problem": problem}
        else:
            text = _("Row %(row)s, column %(column)s: %(problem)s") % {
                "row": row_number,
                "column": (
                    f"{get_column_letter(column_index + 1)} ({self.table.headers[column_index]})"
                ),
                "problem": problem,
            }
        self.messages.append(text)

    @property
    def full(self) -> bool:
        return len(self.messages) >= MAX_REPORTED_ERRORS


def normalise_instance_id(value: str) -> str:
    value = value.strip()
    return value[5:] if value.lower().startswith("uuid:") else value


def parse_submitted_at(value: str) -> datetime | None:
    """Kobo's ``2024-03-01T10:20:30`` (UTC), ODK Central's ``...Z``, an XLSX date cell; None
    when the text is not a time."""
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:  # ODK Briefcase: "Mar 1, 2024 10:20:30 AM"
            parsed = datetime.strptime(text, "%b %d, %Y %I:%M:%S %p")
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # both servers export UTC
    return parsed


def _multiple_from_labels(value: str, by_label: dict[str, str]) -> list[str] | None:
    """Kobo's "labels" export joins the chosen labels with spaces, and labels hold spaces:
    find the one way to cut the text into whole labels."""
    words = value.split()
    best: list[list[str] | None] = [None] * (len(words) + 1)
    best[0] = []
    for end in range(1, len(words) + 1):
        for start in range(end):
            before = best[start]
            if before is None:
                continue
            name = by_label.get(_normal(" ".join(words[start:end])))
            if name is not None:
                best[end] = [*before, name]
                break
    return best[len(words)]


def _fast_check(question: SurveyQuestion, index: FormIndex) -> Callable[[str], str | None]:
    """A check of the common case only (a choice's name, a plain number), for speed: None
    sends the value to ``_clean_value``, which knows labels and says what is wrong."""
    kind = question.type
    if kind in ("select_one", "select_multiple"):
        allowed = index.choice_names[question.name]
        if kind == "select_one":
            return lambda value: value if value in allowed else None
        return lambda value: value if all(n in allowed for n in value.split(" ")) else None
    if kind == "integer":
        plain = _PLAIN_INTEGER.match
        return lambda value: value if plain(value) else None
    if kind in NUMERIC_TYPES:

        def decimal(value: str) -> str | None:
            try:
                return value if math.isfinite(float(value)) else None
            except ValueError:
                return None

        return decimal
    return lambda value: value


def _clean_value(question: SurveyQuestion, value: str, index: FormIndex) -> tuple[str | None, str]:
    """The value to store, or None and why it is refused."""
    kind = question.type
    if kind == "select_one":
        if value in index.choice_names[question.name]:
            return value, ""
        name = index.choice_by_label[question.name].get(_normal(value))
        if name is not None:
            return name, ""
        return None, _("'%(value)s' is not one of the choices of %(question)s.") % {
            "value": value,
            "question": question.name,
        }
    if kind == "select_multiple":
        names = value.split()
        allowed = index.choice_names[question.name]
        if all(name in allowed for name in names):
            return " ".join(names), ""
        from_labels = _multiple_from_labels(value, index.choice_by_label[question.name])
        if from_labels is not None:
            return " ".join(from_labels), ""
        wrong = next((name for name in names if name not in allowed), value)
        return None, _("'%(value)s' is not one of the choices of %(question)s.") % {
            "value": wrong,
            "question": question.name,
        }
    if kind == "integer":
        if _INTEGER.match(value):
            return str(int(value)), ""
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number) and number.is_integer():
            return str(int(number)), ""
        return None, _("'%(value)s' is not a whole number (%(question)s is an integer).") % {
            "value": value,
            "question": question.name,
        }
    if kind in NUMERIC_TYPES:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return value, ""
        return None, _("'%(value)s' is not a number (%(question)s is a decimal).") % {
            "value": value,
            "question": question.name,
        }
    return value, ""


def parse_submissions(
    *,
    table: Table,
    index: FormIndex,
    existing_ids: set[str],
    store: Callable[[list[NewSubmission]], None],
) -> ParsedSubmissions:
    """Check the table's interviews against the form and hand the new ones to ``store`` in
    batches as the rows are read (a large export is never all in memory). Any wrong answer is
    a ValidationError (on ``file``) listing every problem's row and column, raised once the
    table is read: the caller's transaction then takes back whatever was stored."""
    headers = table.headers
    id_columns = [
        (INSTANCE_ID_HEADERS[header], position)
        for position, header in enumerate(headers)
        if header in INSTANCE_ID_HEADERS
    ]
    if not id_columns:
        raise ValidationError(
            {
                FIELD: [
                    _(
                        "The file has no column with the interview's id (_uuid, "
                        "meta/instanceID or KEY): export it from KoboToolbox or ODK with "
                        "the metadata columns."
                    )
                ]
            }
        )
    id_index = min(id_columns)[1]
    time_index = next(
        (position for position, header in enumerate(headers) if header in SUBMITTED_AT_HEADERS),
        None,
    )
    answer_columns: list[_Column] = []
    choice_columns: list[_Column] = []
    matched_questions: set[str] = set()
    seen_answers: set[str] = set()
    for position, header in enumerate(headers):
        if header in INSTANCE_ID_HEADERS or header in SUBMITTED_AT_HEADERS or not header:
            continue
        target = index.resolve(header)
        if target is None:
            continue
        question, choice = target
        matched_questions.add(question.name)
        if question.name not in index.stored:
            continue  # never read: not analysable (free text, location, media...)
        if choice:
            choice_columns.append(_Column(position, question, choice))
        elif question.name not in seen_answers:
            seen_answers.add(question.name)
            answer_columns.append(_Column(position, question))
    if not matched_questions:
        raise ValidationError(
            {
                FIELD: [
                    _(
                        "No column of the file is a question of this survey's form: is it "
                        "the export of another form?"
                    )
                ]
            }
        )
    # A select_multiple exported both ways: its one-column summary says it all.
    choice_columns = [c for c in choice_columns if c.question.name not in seen_answers]
    checks = [
        (
            column.index,
            column.question.name,
            column.question,
            _fast_check(column.question, index),
            dict[str, str](),
        )
        for column in answer_columns
    ]
    width = 1 + max(
        [id_index, time_index or 0, *[c.index for c in answer_columns + choice_columns]]
    )
    problems = _Problems(table)
    new: list[NewSubmission] = []
    added = skipped = total = 0
    latest: datetime | None = None
    seen_ids = set(existing_ids)
    for row_number, row in table.rows:
        total += 1
        if problems.full:
            continue  # count the rest, check no more
        if len(row) < width:
            row = row + [""] * (width - len(row))
        instance_id = normalise_instance_id(row[id_index])
        if not instance_id:
            if not any(cell.strip() for cell in row):
                total -= 1  # spaces only: an empty row
                continue
            problems.add(row_number, id_index, _("the interview has no id."))
            continue
        submitted_at: datetime | None = None
        if time_index is not None and row[time_index].strip():
            submitted_at = parse_submitted_at(row[time_index])
            if submitted_at is None:
                problems.add(
                    row_number,
                    time_index,
                    _("'%(value)s' is not a date and time.") % {"value": row[time_index]},
                )
                continue
            if latest is None or submitted_at > latest:
                latest = submitted_at
        if instance_id in seen_ids:
            skipped += 1
            continue
        seen_ids.add(instance_id)
        data: dict[str, str] = {}
        for position, name, question, fast_check, known in checks:
            raw = row[position]
            value = known.get(raw)
            if value is None:
                # First time this column holds this text: check it once, remember the answer
                # (a survey's answers repeat: choices, small numbers).
                text = raw.strip()
                value = (fast_check(text) if text else "") or ""
                if text and not value:
                    checked, problem = _clean_value(question, text, index)
                    if checked is None:
                        problems.add(row_number, position, problem)
                        continue
                    value = checked
                if len(known) < MEMO_LIMIT:
                    known[raw] = value
            if value:
                data[name] = value
        if choice_columns:
            chosen: dict[str, list[str]] = {}
            for column in choice_columns:
                flag = row[column.index].strip().lower()
                if flag in _TRUE_FLAGS:
                    chosen.setdefault(column.question.name, []).append(column.choice)
                elif flag not in _FALSE_FLAGS:
                    problems.add(
                        row_number,
                        column.index,
                        _("'%(value)s' is neither 1 nor 0.") % {"value": row[column.index]},
                    )
            for name, names in chosen.items():
                data[name] = " ".join(names)
        added += 1
        if problems.messages:
            continue  # nothing more is stored once the file is known to be refused
        new.append(NewSubmission(instance_id, submitted_at, data))
        if len(new) >= BATCH_SIZE:
            store(new)
            new = []
    if problems.messages:
        if problems.full:
            problems.messages.append(
                _("The first %(count)s problems are shown; nothing was imported.")
                % {"count": MAX_REPORTED_ERRORS}
            )
        raise ValidationError({FIELD: problems.messages})
    if new:
        store(new)
    return ParsedSubmissions(added=added, skipped=skipped, total=total, latest_submitted_at=latest)
