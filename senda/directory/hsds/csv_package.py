"""Reading what an HSDS import is given: a JSON file, a folder, a .zip, or a CSV data package.

A CSV data package (HSDS 3.0 "tabular" form) is a folder of CSV files, one per HSDS object
(services.csv, organizations.csv, ...), with an optional Frictionless ``datapackage.json``
that says which file holds which object. It may come zipped, with or without a top folder.

This module only reads bytes and tables; it knows nothing of Senda's models. Every problem is
an ``ImportIssue`` naming the file and the line or row, so the person importing can fix it.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.utils.translation import gettext as _

# A zip is read into memory; these bound what a hostile or broken archive can make us do.
MAX_ZIP_MEMBERS = 2_000
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_ISSUES_PER_FILE = 50

# The HSDS 3.0 tables and the object each one holds (datapackage.json resource names).
STANDARD_TABLES: dict[str, str] = {
    "organizations.csv": "organization",
    "programs.csv": "program",
    "services.csv": "service",
    "attributes.csv": "attribute",
    "service_at_location.csv": "service_at_location",
    "locations.csv": "location",
    "phones.csv": "phone",
    "contacts.csv": "contact",
    "addresses.csv": "address",
    "schedules.csv": "schedule",
    "funding.csv": "funding",
    "service_areas.csv": "service_area",
    "required_documents.csv": "required_document",
    "languages.csv": "language",
    "accessibility.csv": "accessibility",
    "taxonomy_terms.csv": "taxonomy_term",
    "metadata.csv": "metadata",
    "meta_table_descriptions.csv": "meta_table_description",
    "cost_options.csv": "cost_option",
    "organization_identifiers.csv": "organization_identifier",
    "taxonomies.csv": "taxonomy",
    # Senda's extension: the text of rows in other languages (see senda.directory.hsds.export).
    "translations.csv": "senda_translation",
    # Spellings seen in the wild.
    "service_at_locations.csv": "service_at_location",
    "accessibilities.csv": "accessibility",
    "accessibility_for_disabilities.csv": "accessibility",
}


@dataclass(frozen=True)
class ImportIssue:
    """One problem with the input: which file, where in it, which field, and what is wrong."""

    file: str
    where: str = ""
    field: str = ""
    message: str = ""

    def __str__(self) -> str:
        place = [part for part in (self.file, self.where) if part]
        if self.field:
            place.append(_("field “%(field)s”") % {"field": self.field})
        if not place:
            return self.message
        return _("%(place)s: %(message)s") % {"place": ", ".join(place), "message": self.message}

    def as_dict(self) -> dict[str, str]:
        return {
            "file": self.file,
            "where": self.where,
            "field": self.field,
            "message": self.message,
            "text": str(self),
        }


class SourceError(Exception):
    """The input cannot be read at all (missing, not a zip, not UTF-8, ...)."""

    def __init__(self, issues: list[ImportIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(str(issue) for issue in issues))


@dataclass(frozen=True)
class SourceFile:
    """One file of the input, named relative to what was given (for messages)."""

    name: str
    data: bytes

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()


@dataclass
class CsvTable:
    """The rows of one CSV file: ``(row number, {column: text})``; the header is row 1."""

    entity: str
    file: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


@dataclass
class CsvPackage:
    tables: dict[str, CsvTable]
    ignored_files: list[str]


def read_source(path: Path) -> list[SourceFile]:
    """The .json, .csv (and datapackage.json) files of a file, a folder or a .zip."""
    if not path.exists():
        raise SourceError([ImportIssue(file=str(path), message=_("There is no such file."))])
    if path.is_dir():
        files = [
            SourceFile(name=item.relative_to(path).as_posix(), data=item.read_bytes())
            for item in sorted(path.rglob("*"))
            if item.is_file() and item.suffix.lower() in {".json", ".csv"}
        ]
    elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        files = _read_zip(path)
    else:
        files = [SourceFile(name=path.name, data=path.read_bytes())]
    if not files:
        raise SourceError(
            [ImportIssue(file=path.name, message=_("There is no .json or .csv file in it."))]
        )
    return files


def _read_zip(path: Path) -> list[SourceFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise SourceError(
            [ImportIssue(file=path.name, message=_("The file is not a valid .zip archive."))]
        ) from None
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and PurePosixPath(info.filename).suffix.lower() in {".json", ".csv"}
            # macOS adds resource forks ("__MACOSX/._services.csv") to archives it makes.
            and not info.filename.startswith("__MACOSX/")
            and not PurePosixPath(info.filename).name.startswith("._")
        ]
        if len(members) > MAX_ZIP_MEMBERS:
            raise SourceError(
                [
                    ImportIssue(
                        file=path.name,
                        message=_("The archive holds more than %(count)d files.")
                        % {"count": MAX_ZIP_MEMBERS},
                    )
                ]
            )
        if sum(info.file_size for info in members) > MAX_UNCOMPRESSED_BYTES:
            raise SourceError(
                [ImportIssue(file=path.name, message=_("The archive is too large once unpacked."))]
            )
        try:
            return [SourceFile(name=info.filename, data=archive.read(info)) for info in members]
        except (zipfile.BadZipFile, OSError, EOFError):
            raise SourceError(
                [ImportIssue(file=path.name, message=_("The .zip archive is damaged."))]
            ) from None


def decode_text(source: SourceFile) -> str:
    """The file as text; anything but UTF-8 (a BOM is fine) is refused with where it broke."""
    data = source.data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            [
                ImportIssue(
                    file=source.name,
                    message=_(
                        "The file is not UTF-8 (byte 0x%(byte)02x at line %(line)d). "
                        "Save it as UTF-8 and try again."
                    )
                    % {"byte": data[exc.start], "line": line},
                )
            ]
        ) from None


def decode_json(source: SourceFile) -> Any:
    """The parsed JSON of a file, or a SourceError saying where it is malformed."""
    text = decode_text(source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            [
                ImportIssue(
                    file=source.name,
                    where=_("line %(line)d, column %(column)d")
                    % {"line": exc.lineno, "column": exc.colno},
                    message=_("The file is not valid JSON (%(problem)s).") % {"problem": exc.msg},
                )
            ]
        ) from None


def is_csv_package(files: list[SourceFile]) -> bool:
    return any(source.suffix == ".csv" for source in files)


def _table_names(files: list[SourceFile]) -> dict[str, str]:
    """File base name -> HSDS object, from datapackage.json when there is one."""
    names = dict(STANDARD_TABLES)
    descriptor = next((f for f in files if f.basename == "datapackage.json"), None)
    if descriptor is None:
        return names
    content = decode_json(descriptor)
    resources = content.get("resources") if isinstance(content, dict) else None
    if not isinstance(resources, list):
        raise SourceError(
            [
                ImportIssue(
                    file=descriptor.name,
                    field="resources",
                    message=_("A data package descriptor needs a list of resources."),
                )
            ]
        )
    for resource in resources:
        if (
            isinstance(resource, dict)
            and isinstance(resource.get("path"), str)
            and isinstance(resource.get("name"), str)
        ):
            names[PurePosixPath(resource["path"]).name] = resource["name"]
    return names


def read_csv_package(files: list[SourceFile]) -> CsvPackage:
    """Every HSDS table of a CSV data package; files it does not know are listed, not read."""
    names = _table_names(files)
    tables: dict[str, CsvTable] = {}
    ignored: list[str] = []
    issues: list[ImportIssue] = []
    for source in files:
        if source.suffix != ".csv":
            continue
        entity = names.get(source.basename)
        if entity is None:
            ignored.append(source.name)
            continue
        if entity in tables:
            issues.append(
                ImportIssue(
                    file=source.name,
                    message=_("The package has two files for the same table (also %(other)s).")
                    % {"other": tables[entity].file},
                )
            )
            continue
        try:
            tables[entity] = read_csv(source, entity)
        except SourceError as exc:
            issues.extend(exc.issues)
    if issues:
        raise SourceError(issues)
    return CsvPackage(tables=tables, ignored_files=ignored)


def read_csv(source: SourceFile, entity: str) -> CsvTable:
    """One CSV file: a header row, then one record per row (empty rows are skipped)."""
    text = decode_text(source)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SourceError([_csv_issue(source, 1, exc)]) from None
    if not header or not any(name.strip() for name in header):
        raise SourceError([ImportIssue(file=source.name, message=_("The file has no header row."))])
    columns = [name.strip() for name in header]
    duplicates = sorted({name for name in columns if name and columns.count(name) > 1})
    if duplicates:
        raise SourceError(
            [
                ImportIssue(
                    file=source.name,
                    where=_("row %(number)d") % {"number": 1},
                    field=duplicates[0],
                    message=_("The column appears more than once in the header."),
                )
            ]
        )
    table = CsvTable(entity=entity, file=source.name, columns=columns)
    issues: list[ImportIssue] = []
    while True:
        row_number = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            issues.append(_csv_issue(source, row_number, exc))
            break
        if not any(value.strip() for value in values):
            continue
        if len(issues) >= MAX_ISSUES_PER_FILE:
            break
        if len(values) > len(columns):
            issues.append(
                ImportIssue(
                    file=source.name,
                    where=_("row %(number)d") % {"number": row_number},
                    message=_("The row has %(count)d values but the header has %(columns)d.")
                    % {"count": len(values), "columns": len(columns)},
                )
            )
            continue
        table.rows.append(
            (
                row_number,
                {name: value for name, value in zip(columns, values, strict=False) if name},
            )
        )
    if issues:
        raise SourceError(issues)
    return table


def _csv_issue(source: SourceFile, row_number: int, exc: csv.Error) -> ImportIssue:
    return ImportIssue(
        file=source.name,
        where=_("row %(number)d") % {"number": row_number},
        message=_("The file is not valid CSV (%(problem)s).") % {"problem": exc},
    )
