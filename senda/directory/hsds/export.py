"""Write the directory as HSDS 3.0: JSON (full service objects) or the CSV data package.

JSON: a path ending in ".json" gets one file holding an array of fully nested services; any
other path is a folder that gets one ``<service id>.json`` file per service. CSV: a folder
with one CSV file per table of the official data package descriptor (same file names, field
names and order, every table present even when empty), the descriptor itself as
``datapackage.json``, and Senda's translations in ``translations.csv`` (an extra resource
appended to the descriptor).

Published services only unless ``include_drafts``; Senda's publication status never appears in
an HSDS field. Each file is written to a temporary name and moved into place, so a failed
export never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db.models import Q, QuerySet

from senda.directory.hsds import queries as hsds_queries
from senda.directory.hsds.serialize import JSON, HsdsWriter, category_attribute_id
from senda.directory.hsds.spec import datapackage_descriptor, resource_fields
from senda.directory.models import (
    Accessibility,
    Address,
    Attribute,
    Contact,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from senda.directory.queries import services_public

BATCH_SIZE = 200

TRANSLATIONS_RESOURCE: dict[str, Any] = {
    "name": "senda_translation",
    "path": "translations.csv",
    "title": "Translations (Senda extension)",
    "description": (
        "Senda extension to HSDS: the text of a row in another language. One row per "
        "(resource, resource_id, language, field_name); the HSDS tables hold each record's "
        "text in its own language (or in the language the export was asked for)."
    ),
    "format": "csv",
    "mediatype": "text/csv",
    "encoding": "utf-8",
    "profile": "tabular-data-resource",
    "schema": {
        "fields": [
            {"name": "resource", "type": "string", "description": "HSDS table, e.g. service"},
            {"name": "resource_id", "type": "string", "format": "uuid"},
            {"name": "language", "type": "string", "description": "ISO 639 code, e.g. en"},
            {"name": "field_name", "type": "string"},
            {"name": "value", "type": "string"},
        ],
        "primaryKey": ["resource", "resource_id", "language", "field_name"],
    },
}


@dataclass
class ExportResult:
    """What an export wrote: files, and how many rows or objects of each kind."""

    files: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def services_to_export(*, include_drafts: bool = False) -> QuerySet[Service]:
    """The services an export writes: published ones, or every one for the operator."""
    services = Service.objects.all() if include_drafts else services_public()
    return services.order_by("name", "id")


@contextmanager
def _atomic_file(path: Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Write to a temporary file next to ``path`` and move it into place when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline=newline) as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def iter_full_services(services: QuerySet[Service], writer: HsdsWriter) -> Iterator[JSON]:
    """Fully nested HSDS services, a batch at a time so memory stays flat."""
    ids = list(services.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        batch = hsds_queries.load_in_order(
            Service.objects.all(), ids[start : start + BATCH_SIZE], hsds_queries.with_full_service
        )
        objects = [writer.service(service) for service in batch]
        writer.attach_attributes(objects)
        yield from objects


def export_json(
    path: Path, *, language: str | None = None, include_drafts: bool = False
) -> ExportResult:
    """Fully nested services: one ".json" file with an array, or a folder of service files."""
    writer = HsdsWriter(language)
    services = iter_full_services(services_to_export(include_drafts=include_drafts), writer)
    result = ExportResult()
    count = 0
    if path.suffix.lower() == ".json":
        with _atomic_file(path) as stream:
            stream.write("[")
            for count, service in enumerate(services, start=1):
                stream.write(",\n" if count > 1 else "\n")
                stream.write(json.dumps(service, ensure_ascii=False, indent=2))
            stream.write("\n]\n")
        result.files.append(path)
    else:
        path.mkdir(parents=True, exist_ok=True)
        for service in services:
            count += 1
            target = path / f"{service['id']}.json"
            with _atomic_file(target) as stream:
                json.dump(service, stream, ensure_ascii=False, indent=2)
                stream.write("\n")
            result.files.append(target)
    result.counts["service"] = count
    return result


# The CSV data package.


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


class _Tables:
    """The rows of each HSDS table, gathered from the exported services outwards."""

    def __init__(self, services: QuerySet[Service], writer: HsdsWriter) -> None:
        self.writer = writer
        self.services = services
        service_ids = services.values("pk")
        self.service_at_locations = ServiceAtLocation.objects.filter(service__in=service_ids)
        self.locations = Location.objects.filter(
            pk__in=self.service_at_locations.values("location_id")
        )
        self.organization_ids = self._organizations_with_parents()
        self.organizations = Organization.objects.filter(pk__in=self.organization_ids)
        self.phones = Phone.objects.filter(
            Q(service__in=service_ids)
            | Q(location__in=self.locations.values("pk"))
            | Q(service_at_location__in=self.service_at_locations.values("pk"))
            | Q(organization__in=self.organization_ids)
        )
        self.translation_rows: list[list[str]] = []
        self.exported_ids: set[str] = set()

    def _organizations_with_parents(self) -> list[Any]:
        """Organizations of the services and locations, and the parents they name."""
        found = set(self.services.values_list("organization_id", flat=True))
        found |= set(
            self.locations.filter(organization__isnull=False).values_list(
                "organization_id", flat=True
            )
        )
        frontier = set(found)
        while frontier:
            parents = set(
                Organization.objects.filter(pk__in=frontier)
                .exclude(parent_organization_id=None)
                .values_list("parent_organization_id", flat=True)
            )
            frontier = parents - found
            found |= frontier
        return sorted(found, key=str)

    def rows(self, resource: str) -> Iterator[JSON]:
        """The flat HSDS objects of table ``resource`` (none for tables Senda has no data for)."""
        source = self._sources().get(resource)
        if source is None:
            return
        yield from source()

    def _sources(self) -> dict[str, Callable[[], Iterable[JSON]]]:
        by_service = Q(service__in=self.services.values("pk"))
        by_location = Q(location__in=self.locations.values("pk"))
        by_sal = Q(service_at_location__in=self.service_at_locations.values("pk"))
        by_organization = Q(organization__in=self.organization_ids)
        return {
            "organization": lambda: self._flat(self.organizations, "organization"),
            "service": lambda: self._flat(self.services, "service"),
            "attribute": self._attributes,
            "service_at_location": lambda: self._flat(
                self.service_at_locations, "service_at_location"
            ),
            "location": lambda: self._flat(self.locations, "location"),
            "phone": lambda: self._flat(self.phones, "phone"),
            "contact": lambda: self._flat(
                Contact.objects.filter(by_service | by_location | by_sal | by_organization),
                "contact",
            ),
            "address": lambda: self._flat(Address.objects.filter(by_location), "address"),
            "schedule": lambda: self._flat(
                Schedule.objects.filter(by_service | by_location | by_sal), "schedule"
            ),
            "service_area": lambda: self._flat(
                ServiceArea.objects.filter(by_service), "service_area"
            ),
            "required_document": lambda: self._flat(
                RequiredDocument.objects.filter(by_service), "required_document"
            ),
            "language": lambda: self._flat(
                Language.objects.filter(
                    by_service | by_location | Q(phone__in=self.phones.values("pk"))
                ),
                "language",
            ),
            "accessibility": lambda: self._flat(
                Accessibility.objects.filter(by_location), "accessibility"
            ),
            "taxonomy_term": lambda: self._flat(
                TaxonomyTerm.objects.select_related("taxonomy"), "taxonomy_term"
            ),
            "cost_option": lambda: self._flat(CostOption.objects.filter(by_service), "cost_option"),
            "taxonomy": lambda: self._flat(Taxonomy.objects.all(), "taxonomy"),
        }

    def _flat(self, rows: QuerySet[Any], resource: str) -> Iterator[JSON]:
        for row in rows.order_by("pk").iterator(chunk_size=2000):
            data = self.writer.fields(row, resource)
            self.exported_ids.add(data["id"])
            for language, texts in data.pop("translations", {}).items():
                for field_name, value in texts.items():
                    self.translation_rows.append(
                        [resource, str(row.pk), language, field_name, value]
                    )
            yield data

    def _attributes(self) -> Iterator[JSON]:
        """Service categories as attributes, and the stored attributes of exported rows.

        Runs after every other table, whose rows it needs to know (see ``export_csv``).
        """
        stored = [
            attribute
            for attribute in Attribute.objects.order_by("pk").iterator(chunk_size=2000)
            if str(attribute.link_id) in self.exported_ids
        ]
        stored_links = {(str(row.link_id), str(row.taxonomy_term_id)) for row in stored}
        categories = Service.categories.through.objects.filter(
            service__in=self.services.values("pk")
        ).order_by("service_id", "taxonomyterm_id")
        for service_id, term_id in categories.values_list("service_id", "taxonomyterm_id"):
            if (str(service_id), str(term_id)) in stored_links:
                continue  # a stored attribute says it, with its own id and value
            yield {
                "id": category_attribute_id(service_id, term_id),
                "link_id": str(service_id),
                "taxonomy_term_id": str(term_id),
                "link_entity": "service",
            }
        for attribute in stored:
            yield self.writer.fields(attribute, "attribute")


def export_csv(
    path: Path, *, language: str | None = None, include_drafts: bool = False
) -> ExportResult:
    """The HSDS tabular data package: a folder of CSV files and ``datapackage.json``."""
    writer = HsdsWriter(language)
    tables = _Tables(services_to_export(include_drafts=include_drafts), writer)
    descriptor = datapackage_descriptor()
    result = ExportResult()
    path.mkdir(parents=True, exist_ok=True)
    # Attributes last: they link to rows of any table, so every other table comes first.
    resources = sorted(descriptor["resources"], key=lambda item: item["name"] == "attribute")
    for resource in resources:
        name = resource["name"]
        names = resource_fields(name)
        target = path / resource["path"]
        count = 0
        with _atomic_file(target, newline="") as stream:
            out = csv.writer(stream)
            out.writerow(names)
            for data in tables.rows(name):
                out.writerow([csv_value(data.get(column)) for column in names])
                count += 1
        result.files.append(target)
        result.counts[name] = count
    translations = path / TRANSLATIONS_RESOURCE["path"]
    with _atomic_file(translations, newline="") as stream:
        out = csv.writer(stream)
        out.writerow([column["name"] for column in TRANSLATIONS_RESOURCE["schema"]["fields"]])
        out.writerows(tables.translation_rows)
    result.files.append(translations)
    result.counts[TRANSLATIONS_RESOURCE["name"]] = len(tables.translation_rows)
    descriptor["resources"].append(TRANSLATIONS_RESOURCE)
    with _atomic_file(path / "datapackage.json") as stream:
        json.dump(descriptor, stream, ensure_ascii=False, indent=2)
        stream.write("\n")
    result.files.append(path / "datapackage.json")
    return result
