"""Import HSDS 3.0 data into Senda's directory: JSON objects or a CSV data package.

``hsds_import`` is the one way in, used by ``manage.py import_hsds`` and the editors' upload
page. It works in two phases:

1. Validating (reads only): every file is decoded (UTF-8 only), every object or row is checked
   against its HSDS JSON schema, nested objects are flattened into one record per HSDS id
   (the same phone may appear under a service, a location and a contact), and values are
   converted to Senda's field types.
2. Saving (one transaction): every reference must point into the input or into the owner's
   directory; rows are created or updated in place by their HSDS id (so importing the same
   file twice changes nothing, and another organisation's rows are never taken over); lists
   given in the file replace Senda's (a service's phones, its locations, ...), lists left out
   are left alone; then search, opening hours and "near me" data are refreshed.

Any problem stops the import before anything is saved and is reported with the file, the row
(CSV) or object (JSON) and the field. Up to ``MAX_ERRORS`` problems are collected.

Senda extensions HSDS does not have, read when present on an object (or as a CSV column):
``translations`` ({"en": {"name": ...}}), ``language`` (of the text fields), on services
``publication_status`` and ``source``, on locations ``country`` (ISO code) and ``admin_area``
(p-code), on phones ``whatsapp``; in a CSV package, ``translations.csv`` as the export writes
it. Senda's own fields keep their value when a file leaves them out.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError
from senda.directory.derived import location_refresh_derived
from senda.directory.hsds import validate
from senda.directory.hsds.csv_package import (
    STANDARD_TABLES,
    CsvTable,
    ImportIssue,
    SourceError,
    SourceFile,
    decode_json,
    is_csv_package,
    read_csv_package,
    read_source,
)
from senda.directory.hsds.derived_bulk import services_refresh_derived
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
    PublicationStatus,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from senda.geo.models import AdminArea, Country

__all__ = ["HsdsImportError", "ImportIssue", "ImportResult", "Progress", "hsds_import"]

MAX_ERRORS = 50
MAX_WARNINGS = 100
PROGRESS_EVERY = 250
CHUNK = 500

# progress(phase, processed, total); phase is "validating" or "saving".
Progress = Callable[[str, int, int], None]

_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


class HsdsImportError(Exception):
    """The input cannot be imported; ``issues`` says every problem found (up to MAX_ERRORS)."""

    def __init__(self, issues: list[ImportIssue], *, truncated: bool = False) -> None:
        self.issues = issues
        self.truncated = truncated
        super().__init__("\n".join(str(issue) for issue in issues))

    @property
    def messages(self) -> list[str]:
        return [str(issue) for issue in self.issues]


@dataclass
class ImportResult:
    """What an import did: rows created, updated and removed per HSDS object, and warnings."""

    source: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def services(self) -> int:
        return self.created.get("service", 0) + self.updated.get("service", 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "created": self.created,
            "updated": self.updated,
            "removed": self.removed,
            "warnings": self.warnings,
        }


# What Senda keeps of each HSDS object.


@dataclass(frozen=True)
class _Ref:
    """A reference from one HSDS object to another (``service_id`` -> a service)."""

    field: str
    target: str
    required: bool = False
    # May point outside both the input and Senda (a parent organisation or term that is not
    # shared): then it is left empty with a warning instead of failing the import.
    outside: bool = False

    @property
    def attname(self) -> str:
        return self.field


@dataclass(frozen=True)
class _Nest:
    """A nested object or list: its HSDS object, and how it points to its parent."""

    child: str
    # The child's reference set to the parent's id ("service_id" for a service's phones).
    link: str | None = None
    # The parent's reference set to the child's id ("organization_id" for service.organization).
    parent_link: str | None = None
    # A list given in the file replaces the one in Senda (not for services or locations).
    replace: bool = True


@dataclass(frozen=True)
class _Spec:
    name: str
    model: type[models.Model]
    fields: tuple[str, ...]
    refs: tuple[_Ref, ...] = ()
    nested: dict[str, _Nest] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    # HSDS field -> model field when the names differ.
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def owned(self) -> bool:
        return any(f.name == "owner" for f in self.model._meta.concrete_fields)

    @property
    def translatable(self) -> bool:
        return bool(getattr(self.model, "translatable_fields", ()))

    @property
    def shared(self) -> bool:
        """Rows every organisation uses (the taxonomy): created by an import, never changed."""
        return self.name in ("taxonomy", "taxonomy_term")

    def ref(self, name: str) -> _Ref | None:
        return next((ref for ref in self.refs if ref.field == name), None)


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _attributes_nest() -> _Nest:
    return _Nest("attribute", link="link_id")


SPECS: dict[str, _Spec] = {
    spec.name: spec
    for spec in (
        _Spec(
            "taxonomy",
            Taxonomy,
            fields=_names("name description uri version"),
            ignored=("metadata",),
        ),
        _Spec(
            "taxonomy_term",
            TaxonomyTerm,
            fields=_names("code name description term_uri language taxonomy"),
            refs=(
                _Ref("parent_id", "taxonomy_term", outside=True),
                _Ref("taxonomy_id", "taxonomy", outside=True),
            ),
            nested={"taxonomy_detail": _Nest("taxonomy", parent_link="taxonomy_id")},
            ignored=("metadata",),
            renamed={"taxonomy": "taxonomy_name"},
        ),
        _Spec(
            "organization",
            Organization,
            fields=_names(
                "name alternate_name description email website tax_status tax_id year_incorporated "
                "legal_status logo uri"
            ),
            refs=(_Ref("parent_organization_id", "organization", outside=True),),
            nested={
                "contacts": _Nest("contact", link="organization_id"),
                "phones": _Nest("phone", link="organization_id"),
                "locations": _Nest("location", link="organization_id", replace=False),
                "services": _Nest("service", link="organization_id", replace=False),
                "attributes": _attributes_nest(),
            },
            ignored=("funding", "programs", "organization_identifiers", "metadata"),
        ),
        _Spec(
            "service",
            Service,
            fields=_names(
                "name alternate_name description url email status interpretation_services "
                "application_process fees_description wait_time fees accreditations "
                "eligibility_description minimum_age maximum_age assured_date assurer_email "
                "licenses alert last_modified"
            ),
            refs=(_Ref("organization_id", "organization", required=True),),
            nested={
                "organization": _Nest("organization", parent_link="organization_id"),
                "phones": _Nest("phone", link="service_id"),
                "schedules": _Nest("schedule", link="service_id"),
                "service_areas": _Nest("service_area", link="service_id"),
                "service_at_locations": _Nest("service_at_location", link="service_id"),
                "languages": _Nest("language", link="service_id"),
                "cost_options": _Nest("cost_option", link="service_id"),
                "required_documents": _Nest("required_document", link="service_id"),
                "contacts": _Nest("contact", link="service_id"),
                "attributes": _attributes_nest(),
            },
            ignored=("funding", "program", "metadata"),
        ),
        _Spec(
            "location",
            Location,
            fields=_names(
                "location_type url name alternate_name description transportation latitude "
                "longitude external_identifier external_identifier_type"
            ),
            refs=(_Ref("organization_id", "organization"),),
            nested={
                "languages": _Nest("language", link="location_id"),
                "addresses": _Nest("address", link="location_id"),
                "contacts": _Nest("contact", link="location_id"),
                "accessibility": _Nest("accessibility", link="location_id"),
                "phones": _Nest("phone", link="location_id"),
                "schedules": _Nest("schedule", link="location_id"),
                "attributes": _attributes_nest(),
            },
            ignored=("metadata",),
        ),
        _Spec(
            "service_at_location",
            ServiceAtLocation,
            fields=_names("description"),
            refs=(
                _Ref("service_id", "service", required=True),
                _Ref("location_id", "location", required=True),
            ),
            nested={
                "service": _Nest("service", parent_link="service_id"),
                "location": _Nest("location", parent_link="location_id"),
                "contacts": _Nest("contact", link="service_at_location_id"),
                "phones": _Nest("phone", link="service_at_location_id"),
                "schedules": _Nest("schedule", link="service_at_location_id"),
                "attributes": _attributes_nest(),
            },
            ignored=("metadata",),
        ),
        _Spec(
            "address",
            Address,
            fields=_names(
                "attention address_1 address_2 city region state_province postal_code country "
                "address_type"
            ),
            refs=(_Ref("location_id", "location", required=True),),
            nested={"attributes": _attributes_nest()},
            ignored=("metadata",),
        ),
        _Spec(
            "phone",
            Phone,
            fields=_names("number extension type description"),
            refs=(
                _Ref("location_id", "location"),
                _Ref("service_id", "service"),
                _Ref("organization_id", "organization"),
                _Ref("service_at_location_id", "service_at_location"),
            ),
            nested={
                "languages": _Nest("language", link="phone_id"),
                "attributes": _attributes_nest(),
            },
            ignored=("metadata",),
        ),
        _Spec(
            "schedule",
            Schedule,
            fields=_names(
                "valid_from valid_to dtstart timezone until count wkst freq interval byday "
                "byweekno bymonthday byyearday description opens_at closes_at schedule_link "
                "attending_type notes"
            ),
            refs=(
                _Ref("service_id", "service"),
                _Ref("location_id", "location"),
                _Ref("service_at_location_id", "service_at_location"),
            ),
            nested={"attributes": _attributes_nest()},
            ignored=("metadata",),
        ),
        _Spec(
            "cost_option",
            CostOption,
            fields=_names("valid_from valid_to option currency amount amount_description"),
            refs=(_Ref("service_id", "service", required=True),),
            nested={"attributes": _attributes_nest()},
            ignored=("metadata",),
        ),
        _Spec(
            "required_document",
            RequiredDocument,
            fields=_names("document uri"),
            refs=(_Ref("service_id", "service", required=True),),
            nested={"attributes": _attributes_nest()},
            ignored=("metadata",),
        ),
        _Spec(
            "language",
            Language,
            fields=_names("name code note"),
            refs=(
                _Ref("service_id", "service"),
                _Ref("location_id", "location"),
                _Ref("phone_id", "phone"),
            ),
            nested={"attributes": _attributes_nest()},
            ignored=("metadata",),
        ),
        _Spec(
            "service_area",
            ServiceArea,
            fields=_names("name description extent extent_type uri"),
            refs=(_Ref("service_id", "service"),),
            nested={"attributes": _attributes_nest()},
            ignored=("metadata",),
        ),
        _Spec(
            "accessibility",
            Accessibility,
            fields=_names("description details url"),
            refs=(_Ref("location_id", "location"),),
            nested={"attributes": _attributes_nest()},
            ignored=("metadata",),
        ),
        _Spec(
            "contact",
            Contact,
            fields=_names("name title department email"),
            refs=(
                _Ref("organization_id", "organization"),
                _Ref("service_id", "service"),
                _Ref("service_at_location_id", "service_at_location"),
                _Ref("location_id", "location"),
            ),
            # Senda keeps phones on services, locations and organisations, not on contacts.
            nested={
                "phones": _Nest("phone", link="contact_id", replace=False),
                "attributes": _attributes_nest(),
            },
            ignored=("metadata",),
        ),
        _Spec(
            "attribute",
            Attribute,
            fields=_names("link_id link_type link_entity value"),
            refs=(_Ref("taxonomy_term_id", "taxonomy_term", required=True),),
            nested={"taxonomy_term": _Nest("taxonomy_term", parent_link="taxonomy_term_id")},
            ignored=("metadata",),
        ),
    )
}

# Objects an import writes, in an order where every reference points backwards.
WRITE_ORDER = (
    "taxonomy",
    "taxonomy_term",
    "organization",
    "location",
    "service",
    "service_at_location",
    "address",
    "phone",
    "schedule",
    "cost_option",
    "required_document",
    "language",
    "service_area",
    "accessibility",
    "contact",
    "attribute",
)

# What a top-level JSON object may be.
TOP_LEVEL = (
    "service",
    "organization",
    "location",
    "service_at_location",
    "taxonomy_term",
    "taxonomy",
)

# Where the owner of a row is, per object, for rows that carry it through a parent.
OWNER_PATHS: dict[str, tuple[str, ...]] = {
    "organization": ("owner_id",),
    "service": ("owner_id",),
    "location": ("owner_id",),
    "service_at_location": ("service__owner_id",),
    "phone": (
        "service__owner_id",
        "location__owner_id",
        "organization__owner_id",
        "service_at_location__service__owner_id",
    ),
}

# Attribute links checked against Senda (other link_entity values are kept as they came).
CHECKED_LINK_ENTITIES = ("service", "organization", "location", "service_at_location")

# Senda's own fields (not in HSDS) that keep their value when a file does not give them.
KEEP_WHEN_ABSENT: dict[str, tuple[str, ...]] = {
    "service": ("source",),
    "location": ("country_id", "admin_area_id"),
    "phone": ("whatsapp",),
}

# Never overwritten by an import.
NOT_UPDATED = frozenset({"id", "created_at", "owner", "verified_by", "is_free"})

# Senda's extension table of a CSV package (written by the export): translations.csv.
TRANSLATIONS_TABLE = "senda_translation"

IGNORED_TABLES = frozenset(
    {"program", "funding", "metadata", "meta_table_description", "organization_identifier"}
)


@dataclass
class _Record:
    """One HSDS object, merged over every place the input mentions its id."""

    entity: str
    id: uuid.UUID
    values: dict[str, Any]
    file: str
    where: str
    path: str
    model_values: dict[str, Any] = field(default_factory=dict)
    # Fields that broke the schema (already reported): not converted again.
    bad_fields: set[str] = field(default_factory=set)

    def issue(self, field_name: str, message: str) -> ImportIssue:
        return ImportIssue(
            file=self.file, where=self.where, field=_join(self.path, field_name), message=message
        )


class _TooManyErrors(Exception):
    pass


def _join(path: str, name: str) -> str:
    if not path:
        return name
    if not name:
        return path
    return f"{path}[{name}]" if name.isdigit() else f"{path}.{name}"


@functools.cache
def _schema_properties(entity: str) -> dict[str, dict[str, Any]]:
    """The properties of an HSDS object schema (for CSV types and telling objects apart)."""
    path = validate.SCHEMA_DIR / f"{entity}.json"
    with path.open(encoding="utf-8") as handle:
        properties: dict[str, dict[str, Any]] = json.load(handle).get("properties", {})
    return properties


@functools.cache
def _tabular_required(entity: str) -> tuple[str, ...]:
    """Fields an HSDS table (the CSV form) requires beyond what the JSON form does."""
    path = validate.SCHEMA_DIR / f"{entity}.json"
    with path.open(encoding="utf-8") as handle:
        return tuple(json.load(handle).get("tabular_required", ()))


@functools.cache
def _distinctive_keys() -> dict[str, frozenset[str]]:
    """Per top-level object, the keys no other top-level object has."""
    keys: dict[str, frozenset[str]] = {}
    for entity in TOP_LEVEL:
        others: set[str] = set()
        for other in TOP_LEVEL:
            if other != entity:
                others |= set(_schema_properties(other))
        keys[entity] = frozenset(set(_schema_properties(entity)) - others)
    return keys


def _check_permission(actor: User | None, owner: Organisation) -> None:
    if actor is None:
        return  # the command line, run by whoever runs the server
    if not (
        actor.is_active and (actor.is_superuser or actor.can(Capability.DIRECTORY_IMPORT, owner))
    ):
        raise PermissionDeniedError(_("You cannot import into the directory of this organisation."))


def hsds_import(
    *,
    actor: User | None,
    owner: Organisation,
    source: str | PathLike[str],
    publish: bool = True,
    progress: Progress | None = None,
) -> ImportResult:
    """Import an HSDS JSON file, folder or zip, or a CSV data package, into ``owner``'s directory.

    Services are published unless ``publish`` is False (then drafts) or the file says
    otherwise (``publication_status``). Raises HsdsImportError, with nothing saved, when the
    input has any problem. ``actor`` None means the command line.
    """
    _check_permission(actor, owner)
    path = Path(source)
    run = _Import(owner=owner, publish=publish, progress=progress, source_name=path.name)
    run.read(path)
    if progress is not None:
        progress("saving", run.total, run.total)
    try:
        with transaction.atomic():
            result = run.write()
            audit(
                actor=actor,
                action="directory.hsds_import",
                organisation=owner,
                details={
                    "source": path.name,
                    "publish": publish,
                    "created": result.created,
                    "updated": result.updated,
                    "removed": result.removed,
                },
            )
    except IntegrityError as exc:
        # Another write changed the directory between validating and saving.
        raise HsdsImportError(
            [
                ImportIssue(
                    file=path.name,
                    message=_("The directory changed while importing; try again (%(detail)s).")
                    % {"detail": exc},
                )
            ]
        ) from exc
    return result


class _Import:
    """One import run: the records read from the input, then written."""

    def __init__(
        self,
        *,
        owner: Organisation,
        publish: bool,
        progress: Progress | None,
        source_name: str,
    ) -> None:
        self.owner = owner
        self.publish = publish
        self.progress = progress
        self.source_name = source_name
        self.records: dict[str, dict[uuid.UUID, _Record]] = {name: {} for name in SPECS}
        # (child object, its reference) -> parents whose list of such children the input gives.
        self.replace: dict[tuple[str, str], set[uuid.UUID]] = defaultdict(set)
        self.issues: list[ImportIssue] = []
        self.truncated = False
        self.warnings: list[str] = []
        self.ignored: set[str] = set()
        self.total = 0
        self.processed = 0
        self.countries: dict[str, Country] = {}
        self.areas: dict[str, AdminArea] = {}
        # Service -> taxonomy terms, from attributes linking a term to the service.
        self.attribute_services: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)

    # Problems.

    def error(self, issue: ImportIssue) -> None:
        if len(self.issues) >= MAX_ERRORS:
            self.truncated = True
            raise _TooManyErrors
        self.issues.append(issue)

    def warn(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)

    def fail_if_errors(self) -> None:
        if self.issues:
            raise HsdsImportError(self.issues, truncated=self.truncated)

    def tick(self, count: int = 1) -> None:
        self.processed += count
        if self.progress is not None and (
            self.processed % PROGRESS_EVERY == 0 or self.processed >= self.total
        ):
            self.progress("validating", min(self.processed, self.total), self.total)

    # Phase 1: read and validate.

    def read(self, path: Path) -> None:
        try:
            files = read_source(path)
            if is_csv_package(files):
                self._read_csv(files)
            else:
                self._read_json(files)
            self._check_file_references()
            self._convert_all()
        except SourceError as exc:
            for issue in exc.issues:
                try:
                    self.error(issue)
                except _TooManyErrors:
                    break
        except _TooManyErrors:
            pass
        if self.ignored:
            self.warn(
                _("Senda does not keep these HSDS objects, they were not imported: %(names)s.")
                % {"names": ", ".join(sorted(self.ignored))}
            )
        self.fail_if_errors()

    def _read_json(self, files: list[SourceFile]) -> None:
        documents: list[tuple[SourceFile, Any]] = []
        for source in files:
            if source.suffix != ".json" or source.basename in ("datapackage.json",):
                continue
            try:
                documents.append((source, decode_json(source)))
            except SourceError as exc:
                for issue in exc.issues:
                    self.error(issue)
        if not documents and not self.issues:
            self.error(
                ImportIssue(file=self.source_name, message=_("There is no .json file in it."))
            )
        items: list[tuple[SourceFile, str, Any]] = []
        for source, document in documents:
            if (
                isinstance(document, dict)
                and document
                and all(isinstance(key, str) and key.endswith(".csv") for key in document)
            ):
                self._read_tabular_json(source, document)
            elif isinstance(document, dict) and isinstance(document.get("contents"), list):
                items.extend(
                    (source, f"contents[{index}]", item)
                    for index, item in enumerate(document["contents"])
                )
            elif isinstance(document, list):
                items.extend((source, f"[{index}]", item) for index, item in enumerate(document))
            elif isinstance(document, dict):
                items.append((source, "", document))
            else:
                self.error(
                    ImportIssue(
                        file=source.name,
                        message=_("The file must hold an HSDS object or a list of them."),
                    )
                )
        self.total += len(items)
        for source, position, item in items:
            self._read_top_level(source, position, item)
            self.tick()

    def _read_top_level(self, source: SourceFile, position: str, item: Any) -> None:
        where = self._where(position, item)
        if not isinstance(item, dict):
            self.error(
                ImportIssue(file=source.name, where=where, message=_("This is not an HSDS object."))
            )
            return
        entity = self._detect(item, source.name)
        if entity is None:
            self.error(
                ImportIssue(
                    file=source.name,
                    where=where,
                    message=_(
                        "Cannot tell which HSDS object this is (a service, an organization, "
                        "a location, ...)."
                    ),
                )
            )
            return
        self._walk(entity, item, source.name, where, "")

    @staticmethod
    def _where(position: str, item: Any) -> str:
        object_id = item.get("id") if isinstance(item, dict) else None
        if position and object_id:
            return _("object %(position)s, id %(id)s") % {"position": position, "id": object_id}
        if position:
            return _("object %(position)s") % {"position": position}
        if object_id:
            return _("id %(id)s") % {"id": object_id}
        return ""

    @staticmethod
    def _detect(item: dict[str, Any], file_name: str) -> str | None:
        """Which HSDS object a top-level JSON object is, from the keys only it has."""
        keys = set(item)
        scores = {entity: len(keys & own) for entity, own in _distinctive_keys().items()}
        best = max(scores.values())
        candidates = [entity for entity, score in scores.items() if score == best]
        if best > 0 and len(candidates) == 1:
            return candidates[0]
        stem = PurePosixPath(file_name).stem.lower()
        by_name = [entity for entity in TOP_LEVEL if entity in stem]
        if by_name:
            # "taxonomy_terms.json" names both the taxonomy and its terms: the longer wins.
            return max(by_name, key=len)
        return None

    def _walk(self, entity: str, obj: Any, file: str, where: str, path: str) -> uuid.UUID | None:
        """Flatten one object and everything nested in it into records; returns its id."""
        spec = SPECS[entity]
        if not isinstance(obj, dict):
            self.error(
                ImportIssue(file=file, where=where, field=path, message=_("Must be an object."))
            )
            return None
        flat = {key: value for key, value in obj.items() if key not in spec.nested}
        for key in spec.ignored:
            if obj.get(key):
                self.ignored.add(key)
        # Objects this one points to come first, so their ids can be set here.
        for key, nest in spec.nested.items():
            if nest.parent_link is None or obj.get(key) is None:
                continue
            child_id = self._walk(nest.child, obj[key], file, where, _join(path, key))
            if child_id is None:
                continue
            given = flat.get(nest.parent_link)
            if given not in (None, "") and str(given).lower() != str(child_id):
                self.error(
                    ImportIssue(
                        file=file,
                        where=where,
                        field=_join(path, nest.parent_link),
                        message=_("It says %(given)s but the nested object has id %(id)s.")
                        % {"given": given, "id": child_id},
                    )
                )
            flat[nest.parent_link] = str(child_id)
        object_id = self._add(entity, flat, file, where, path)
        if object_id is None:
            return None
        for key, nest in spec.nested.items():
            if nest.parent_link is not None or obj.get(key) is None:
                continue
            children = obj[key]
            if not isinstance(children, list):
                self.error(
                    ImportIssue(
                        file=file, where=where, field=_join(path, key), message=_("Must be a list.")
                    )
                )
                continue
            if nest.replace and nest.link is not None:
                self.replace[(nest.child, nest.link)].add(object_id)
            for index, child in enumerate(children):
                child_path = f"{_join(path, key)}[{index}]"
                if isinstance(child, dict) and nest.link is not None:
                    child = dict(child)
                    given = child.get(nest.link)
                    if given not in (None, "") and str(given).lower() != str(object_id):
                        self.error(
                            ImportIssue(
                                file=file,
                                where=where,
                                field=_join(child_path, nest.link),
                                message=_("It says %(given)s but it is nested in %(id)s.")
                                % {"given": given, "id": object_id},
                            )
                        )
                    child[nest.link] = str(object_id)
                    if nest.child == "attribute" and not child.get("link_entity"):
                        child["link_entity"] = entity
                self._walk(nest.child, child, file, where, child_path)
        return object_id

    def _read_csv(self, files: list[SourceFile]) -> None:
        package = read_csv_package(files)
        unread = package.ignored_files + [
            source.name
            for source in files
            if source.suffix == ".json" and source.basename != "datapackage.json"
        ]
        for name in unread:
            self.warn(_("%(file)s is not an HSDS table; it was not read.") % {"file": name})
        if not set(package.tables) - {TRANSLATIONS_TABLE}:
            self.error(
                ImportIssue(
                    file=self.source_name,
                    message=_(
                        "There is no HSDS table in it (services.csv, organizations.csv, "
                        "locations.csv, ...)."
                    ),
                )
            )
        self.total += sum(len(table.rows) for table in package.tables.values())
        for entity, table in package.tables.items():
            if entity == TRANSLATIONS_TABLE:
                continue
            if entity in IGNORED_TABLES or entity not in SPECS:
                self.ignored.add(PurePosixPath(table.file).name)
                self.tick(len(table.rows))
                continue
            self._read_table(table)
        if TRANSLATIONS_TABLE in package.tables:
            self._read_translations(package.tables[TRANSLATIONS_TABLE])
        self._replace_from_tables(set(package.tables))

    def _read_translations(self, table: CsvTable) -> None:
        """Senda's translations.csv: (resource, resource_id, language, field_name, value)."""
        for translatable in SPECS.values():
            if translatable.translatable:
                # The package gives every translation: a row without any has none.
                for item in self.records[translatable.name].values():
                    item.values.setdefault("translations", {})
        for row_number, row in table.rows:
            where = _("row %(number)d") % {"number": row_number}
            resource = (row.get("resource") or "").strip()
            language = (row.get("language") or "").strip()
            field_name = (row.get("field_name") or "").strip()
            spec = SPECS.get(resource)
            problem: tuple[str, str] | None = None
            record: _Record | None = None
            if spec is None or not spec.translatable:
                problem = ("resource", _("Senda keeps no translations of this table."))
            elif not _LANGUAGE_CODE.match(language):
                problem = ("language", _("Must be a language code such as “es”."))
            elif field_name not in spec.model.translatable_fields:  # type: ignore[attr-defined]
                problem = ("field_name", _("This field cannot be translated."))
            else:
                try:
                    record = self.records[resource].get(uuid.UUID(row.get("resource_id") or ""))
                except ValueError:
                    record = None
                if record is None:
                    problem = (
                        "resource_id",
                        _("There is no %(object)s with this id in the package.")
                        % {"object": resource},
                    )
            if problem is not None or record is None:
                field_name, message = problem or ("resource_id", "")
                self.error(
                    ImportIssue(file=table.file, where=where, field=field_name, message=message)
                )
                continue
            value = row.get("value") or ""
            if value:
                record.values["translations"].setdefault(language, {})[field_name] = value
            self.tick()

    def _read_tabular_json(self, source: SourceFile, document: dict[str, Any]) -> None:
        """The HSDS "tabular.json" form: {"services.csv": [rows], ...}."""
        present: set[str] = set()
        for name, rows in document.items():
            entity = STANDARD_TABLES.get(name)
            if entity is None or entity in IGNORED_TABLES:
                self.ignored.add(name)
                continue
            if not isinstance(rows, list):
                self.error(ImportIssue(file=source.name, field=name, message=_("Must be a list.")))
                continue
            table = CsvTable(entity=entity, file=f"{source.name} {name}", columns=[])
            for index, row in enumerate(rows):
                if not isinstance(row, dict):
                    self.error(
                        ImportIssue(
                            file=table.file,
                            where=_("row %(number)d") % {"number": index + 1},
                            message=_("Must be an object."),
                        )
                    )
                    continue
                table.rows.append((index + 1, row))
            self.total += len(table.rows)
            present.add(entity)
            self._read_table(table)
        self._replace_from_tables(present)

    def _read_table(self, table: CsvTable) -> None:
        spec = SPECS[table.entity]
        properties = _schema_properties(spec.name)
        tabular_required = _tabular_required(spec.name)
        types = {name: prop.get("type") for name, prop in properties.items()}
        # Text is kept as written; ids and numbers lose the spaces around them.
        trimmed = {
            name
            for name, prop in properties.items()
            if prop.get("type") in ("number", "integer") or prop.get("format") == "uuid"
        }
        for row_number, row in table.rows:
            where = _("row %(number)d") % {"number": row_number}
            flat: dict[str, Any] = {}
            for name, value in row.items():
                if isinstance(value, str):
                    if not value.strip():
                        continue
                    if name in trimmed or name in ("translations", "whatsapp"):
                        value = value.strip()
                    flat[name] = self._csv_value(name, value, types.get(name), table.file, where)
                elif value is not None:
                    flat[name] = value
            missing = [name for name in tabular_required if name not in flat]
            for name in missing:
                self.error(
                    ImportIssue(
                        file=table.file,
                        where=where,
                        field=name,
                        message=_("This field is required."),
                    )
                )
            self._add(table.entity, flat, table.file, where, "", bad=set(missing))
            self.tick()

    def _csv_value(self, name: str, text: str, kind: Any, file: str, where: str) -> Any:
        if name == "translations":
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                self.error(
                    ImportIssue(
                        file=file, where=where, field=name, message=_("Must be valid JSON.")
                    )
                )
                return None
        if name == "whatsapp":
            return text.lower() in ("1", "true", "yes", "y", "t")
        if kind in ("number", "integer"):
            try:
                return int(text)
            except ValueError:
                try:
                    number = float(text)
                except ValueError:
                    return text  # the schema check says it must be a number
                return number if number == number else text  # NaN is not a number
        return text

    def _replace_from_tables(self, present: set[str]) -> None:
        """A table in a package is the whole list of its rows for the package's parents."""
        for entity in present:
            spec = SPECS.get(entity)
            if spec is None or entity in ("service", "location", "organization"):
                continue
            if entity == "attribute":
                parents = {
                    object_id
                    for name, records in self.records.items()
                    if name not in ("attribute", "taxonomy", "taxonomy_term")
                    for object_id in records
                }
                self.replace[("attribute", "link_id")] |= parents
                continue
            for ref in spec.refs:
                if ref.outside or ref.target in ("taxonomy", "taxonomy_term"):
                    continue
                if entity == "service_at_location" and ref.field != "service_id":
                    continue
                self.replace[(entity, ref.field)] |= set(self.records[ref.target])

    def _add(
        self,
        entity: str,
        flat: dict[str, Any],
        file: str,
        where: str,
        path: str,
        *,
        bad: set[str] | None = None,
    ) -> uuid.UUID | None:
        """Check one flat object against its schema and merge it into the records.

        ``bad``: fields already reported as wrong.
        """
        spec = SPECS[entity]
        bad = set(bad or ())
        for error in validate.object_validator(entity).iter_errors(flat):
            for field_name, message in _schema_messages(error):
                bad.add(re.split(r"[.\[]", field_name, maxsplit=1)[0])
                self.error(
                    ImportIssue(
                        file=file, where=where, field=_join(path, field_name), message=message
                    )
                )
        raw_id = flat.get("id")
        try:
            object_id = uuid.UUID(str(raw_id)) if isinstance(raw_id, str) else None
        except ValueError:
            object_id = None
        if object_id is None:
            return None
        if bad:
            # Kept (without the fields at fault) so that its other problems are found too.
            flat = {key: value for key, value in flat.items() if key not in bad}
        record = self.records[entity].get(object_id)
        if record is None:
            self.records[entity][object_id] = _Record(
                entity=entity,
                id=object_id,
                values=dict(flat),
                file=file,
                where=where,
                path=path,
                bad_fields=bad,
            )
            return object_id
        record.bad_fields |= bad
        references = {ref.field for ref in spec.refs} | {"link_id"}
        for key, value in flat.items():
            if value is None or value == "":
                continue
            before = record.values.get(key)
            if (
                key in references
                and before not in (None, "")
                and str(before).lower() != str(value).lower()
            ):
                self.error(
                    ImportIssue(
                        file=file,
                        where=where,
                        field=_join(path, key),
                        message=_(
                            "%(object)s %(id)s is given twice, linked to %(first)s and to "
                            "%(second)s; Senda can keep only one."
                        )
                        % {"object": entity, "id": object_id, "first": before, "second": value},
                    )
                )
                continue
            record.values[key] = value
        return object_id

    def _check_file_references(self) -> None:
        """Pairs that must be unique, and rows Senda cannot attach to anything."""
        pairs: dict[tuple[Any, Any], uuid.UUID] = {}
        for record in self.records["service_at_location"].values():
            pair = (
                str(record.values.get("service_id", "")).lower(),
                str(record.values.get("location_id", "")).lower(),
            )
            if pair in pairs and all(pair):
                self.error(
                    record.issue(
                        "location_id",
                        _("Service %(service)s is already at this location (%(other)s).")
                        % {"service": pair[0], "other": pairs[pair]},
                    )
                )
            pairs[pair] = record.id
        dropped_phones: set[str] = set()
        for entity in ("phone", "contact", "language", "schedule"):
            spec = SPECS[entity]
            for object_id, record in list(self.records[entity].items()):
                phone_id = str(record.values.get("phone_id") or "").lower()
                if entity == "language" and phone_id in dropped_phones:
                    # Its phone was dropped above (a contact's phone): the link goes too.
                    record.values.pop("phone_id")
                if not any(record.values.get(ref.field) for ref in spec.refs):
                    if entity == "phone":
                        dropped_phones.add(str(object_id))
                    del self.records[entity][object_id]
                    self.warn(
                        _(
                            "%(object)s %(id)s is not linked to a service, location or "
                            "organisation; Senda does not keep it."
                        )
                        % {"object": entity, "id": object_id}
                    )

    def _convert_all(self) -> None:
        self.countries = {country.code: country for country in Country.objects.all()}
        self.areas = {area.pcode: area for area in AdminArea.objects.all()}
        for entity in WRITE_ORDER:
            for record in self.records[entity].values():
                self._convert(record)
        self._locations_from_addresses()

    def _convert(self, record: _Record) -> None:
        """Model values of one record: typed, in range, and references as UUIDs."""
        spec = SPECS[record.entity]
        model = spec.model
        values: dict[str, Any] = {}
        for name in spec.fields:
            if name in record.bad_fields:
                continue
            model_field: Any = model._meta.get_field(spec.renamed.get(name, name))
            try:
                values[model_field.attname] = _model_value(model_field, record.values.get(name))
            except _FieldProblem as problem:
                self.error(record.issue(name, problem.message))
        for ref in spec.refs:
            raw = record.values.get(ref.field)
            if raw in (None, ""):
                if ref.required and ref.field not in record.bad_fields:
                    self.error(record.issue(ref.field, _("This field is required.")))
                values[ref.attname] = None
                continue
            try:
                values[ref.attname] = uuid.UUID(str(raw))
            except ValueError:
                self.error(
                    record.issue(ref.field, _("“%(value)s” is not a valid UUID.") % {"value": raw})
                )
        if spec.translatable:
            self._convert_text_language(record, spec, values)
        if record.entity == "service":
            self._convert_service(record, values)
        elif record.entity == "location":
            self._convert_location(record, values)
        elif record.entity == "phone" and "whatsapp" in record.values:
            values["whatsapp"] = bool(record.values["whatsapp"])
        elif (
            record.entity == "attribute"
            and values.get("link_id") is None
            and "link_id" not in record.bad_fields
        ):
            self.error(record.issue("link_id", _("This field is required.")))
        record.model_values = values

    def _convert_text_language(self, record: _Record, spec: _Spec, values: dict[str, Any]) -> None:
        if record.entity != "taxonomy_term" and "language" in record.values:
            language = record.values["language"]
            if not isinstance(language, str) or not _LANGUAGE_CODE.match(language):
                self.error(record.issue("language", _("Must be a language code such as “es”.")))
            else:
                values["language"] = language
        elif record.entity == "taxonomy_term" and not values.get("language"):
            values.pop("language", None)
        if "translations" not in record.values:
            return
        translations = record.values["translations"]
        allowed = set(spec.model.translatable_fields)  # type: ignore[attr-defined]
        cleaned: dict[str, dict[str, str]] = {}
        if not isinstance(translations, dict):
            self.error(
                record.issue(
                    "translations",
                    _('Must be an object of languages, e.g. {"en": {"name": "..."}}.'),
                )
            )
            return
        for language, texts in translations.items():
            if not _LANGUAGE_CODE.match(str(language)) or not isinstance(texts, dict):
                self.error(
                    record.issue(
                        f"translations.{language}",
                        _("Must be a language code with an object of texts."),
                    )
                )
                continue
            for name, text in texts.items():
                if name not in allowed:
                    self.error(
                        record.issue(
                            f"translations.{language}.{name}",
                            _("This field cannot be translated."),
                        )
                    )
                elif not isinstance(text, str):
                    self.error(record.issue(f"translations.{language}.{name}", _("Must be text.")))
                elif text:
                    cleaned.setdefault(str(language), {})[name] = text
        values["translations"] = cleaned

    def _convert_service(self, record: _Record, values: dict[str, Any]) -> None:
        status = record.values.get("publication_status")
        if not self.publish:
            values["publication_status"] = PublicationStatus.DRAFT
        elif status in (None, ""):
            values["publication_status"] = PublicationStatus.PUBLISHED
        elif status in PublicationStatus.values:
            values["publication_status"] = status
        else:
            self.error(
                record.issue(
                    "publication_status",
                    _("Must be one of: %(values)s.")
                    % {"values": ", ".join(PublicationStatus.values)},
                )
            )
        if record.values.get("source") not in (None, ""):
            source = str(record.values["source"])
            if len(source) > Service._meta.get_field("source").max_length:  # type: ignore[operator]
                self.error(record.issue("source", _("Is too long.")))
            values["source"] = source
        if values.get("last_modified") is None:
            values["last_modified"] = timezone.now()
        minimum, maximum = values.get("minimum_age"), values.get("maximum_age")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.error(
                record.issue("maximum_age", _("The maximum age is lower than the minimum age."))
            )

    def _convert_location(self, record: _Record, values: dict[str, Any]) -> None:
        latitude, longitude = values.get("latitude"), values.get("longitude")
        if (latitude is None) != (longitude is None) or (
            latitude is not None
            and longitude is not None
            and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
        ):
            self.warn(
                _(
                    "Location %(id)s: the coordinates (%(latitude)s, %(longitude)s) are not a "
                    "place on Earth; they were left out."
                )
                % {"id": record.id, "latitude": latitude, "longitude": longitude}
            )
            values["latitude"] = values["longitude"] = None
        country = record.values.get("country")
        if country not in (None, ""):
            if str(country).upper() in self.countries:
                values["country_id"] = str(country).upper()
            else:
                self.error(record.issue("country", _("Senda does not know this country code.")))
        area = record.values.get("admin_area")
        if area not in (None, ""):
            if str(area) in self.areas:
                values["admin_area_id"] = str(area)
            else:
                self.error(record.issue("admin_area", _("Senda does not know this p-code.")))

    def _locations_from_addresses(self) -> None:
        """A location's country, when not given, is that of its (physical) address."""
        by_location: dict[Any, list[Any]] = defaultdict(list)
        for address in self.records["address"].values():
            location_id = address.model_values.get("location_id")
            if location_id is not None:
                by_location[location_id].append(address.model_values)
        for location in self.records["location"].values():
            if "country_id" in location.model_values:
                continue
            addresses = sorted(
                by_location.get(location.id, []),
                key=lambda address: address.get("address_type") != "physical",
            )
            for address in addresses:
                code = str(address.get("country") or "").upper()
                if code in self.countries:
                    location.model_values["country_id"] = code
                    break

    # Phase 2: write.

    def write(self) -> ImportResult:
        """Resolve references against Senda, then create, update and remove rows."""
        existing = self._existing_rows()
        found = self._resolve_references()
        self._check_attribute_links(found)
        self.fail_if_errors()
        result = ImportResult(source=self.source_name, warnings=self.warnings)
        self._prepare_values(existing)
        self._free_location_pairs()
        for entity in WRITE_ORDER:
            records = self.records[entity]
            if not records:
                continue
            spec = SPECS[entity]
            old = existing.get(entity, {})
            if spec.shared:
                records = {key: record for key, record in records.items() if key not in old}
            self._upsert(spec, list(records.values()))
            created = sum(1 for key in records if key not in old)
            if created:
                result.created[entity] = created
            if len(records) - created:
                result.updated[entity] = len(records) - created
        self._remove_replaced(result)
        self._set_categories()
        self._refresh_derived()
        return result

    def _error_in_write(self, issue: ImportIssue) -> None:
        try:
            self.error(issue)
        except _TooManyErrors:
            self.fail_if_errors()

    def _existing_rows(self) -> dict[str, dict[uuid.UUID, dict[str, Any]]]:
        """Rows of the input that Senda already has; refuses rows of other organisations."""
        existing: dict[str, dict[uuid.UUID, dict[str, Any]]] = {}
        for entity in WRITE_ORDER:
            records = self.records[entity]
            if not records:
                continue
            spec = SPECS[entity]
            columns = ["id", *self._owner_columns(spec)]
            columns += [ref.attname for ref in spec.refs if not ref.required]
            columns += list(KEEP_WHEN_ABSENT.get(entity, ()))
            if spec.translatable:
                columns += ["language", "translations"]
            if entity == "attribute":
                columns.append("link_id")
            rows: dict[uuid.UUID, dict[str, Any]] = {}
            for chunk in _chunks(list(records)):
                for row in spec.model._default_manager.filter(id__in=chunk).values(*columns):
                    rows[row["id"]] = row
            for object_id, row in rows.items():
                owners = {row[column] for column in self._owner_columns(spec)} - {None}
                if owners - {self.owner.pk}:
                    self._error_in_write(
                        self.records[entity][object_id].issue(
                            "id",
                            _(
                                "This id is already used by another organisation's "
                                "directory; HSDS ids must be unique."
                            ),
                        )
                    )
            existing[entity] = rows
        self._check_existing_attribute_links(existing.get("attribute", {}))
        return existing

    @staticmethod
    def _owner_columns(spec: _Spec) -> list[str]:
        if spec.owned:
            return ["owner_id"]
        columns: list[str] = []
        for ref in spec.refs:
            for path in OWNER_PATHS.get(ref.target, ()):
                columns.append(f"{ref.field.removesuffix('_id')}__{path}")
        return columns

    def _check_existing_attribute_links(self, rows: dict[uuid.UUID, dict[str, Any]]) -> None:
        imported = {key for name, records in self.records.items() for key in records}
        outside = {row["link_id"] for row in rows.values()} - imported
        foreign: set[uuid.UUID] = set()
        for model in (Service, Location, Organization):
            for chunk in _chunks(list(outside)):
                foreign |= set(
                    model._default_manager.filter(id__in=chunk)
                    .exclude(owner=self.owner)
                    .values_list("id", flat=True)
                )
        for object_id, row in rows.items():
            if row["link_id"] in foreign:
                self._error_in_write(
                    self.records["attribute"][object_id].issue(
                        "id",
                        _(
                            "This id is already used by another organisation's directory; "
                            "HSDS ids must be unique."
                        ),
                    )
                )

    def _visible(self, entity: str) -> models.QuerySet[Any]:
        """Rows of ``entity`` an import into the owner's directory may point to."""
        model = SPECS[entity].model
        manager = model._default_manager
        if entity in ("taxonomy", "taxonomy_term"):
            return manager.all()
        paths = OWNER_PATHS[entity]
        condition = Q()
        for path in paths:
            condition |= Q(**{path: self.owner.pk})
        return manager.filter(condition)

    def _resolve_references(self) -> dict[str, set[uuid.UUID]]:
        """Every reference points into the input or the owner's directory, or it is an error."""
        wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
        for entity, records in self.records.items():
            for ref in SPECS[entity].refs:
                for record in records.values():
                    target = record.model_values.get(ref.attname)
                    if target is not None and target not in self.records[ref.target]:
                        wanted[ref.target].add(target)
        found: dict[str, set[uuid.UUID]] = {}
        for target, ids in wanted.items():
            found[target] = set()
            for chunk in _chunks(list(ids)):
                found[target] |= set(
                    self._visible(target).filter(id__in=chunk).values_list("id", flat=True)
                )
        for entity in WRITE_ORDER:
            spec = SPECS[entity]
            for record in self.records[entity].values():
                for ref in spec.refs:
                    target = record.model_values.get(ref.attname)
                    if (
                        target is None
                        or target in self.records[ref.target]
                        or target in found.get(ref.target, ())
                    ):
                        continue
                    if ref.outside:
                        self.warn(
                            _(
                                "%(object)s %(id)s: %(field)s %(target)s is neither in the file "
                                "nor in the directory; it was left empty."
                            )
                            % {
                                "object": entity,
                                "id": record.id,
                                "field": ref.field,
                                "target": target,
                            }
                        )
                        record.model_values[ref.attname] = None
                        continue
                    self._error_in_write(
                        record.issue(
                            ref.field,
                            _(
                                "There is no %(object)s with id %(target)s, neither in the "
                                "file nor in your organisation's directory."
                            )
                            % {"object": ref.target, "target": target},
                        )
                    )
        return found

    def _attribute_target(self, record: _Record, found: dict[str, set[uuid.UUID]]) -> str | None:
        link_id = record.model_values.get("link_id")
        entity = record.model_values.get("link_entity") or ""
        if entity in CHECKED_LINK_ENTITIES:
            return entity
        for candidate in CHECKED_LINK_ENTITIES:
            if link_id in self.records[candidate] or link_id in found.get(candidate, ()):
                return candidate
        return None

    def _check_attribute_links(self, found: dict[str, set[uuid.UUID]]) -> None:
        """Attributes that say they link a service (or location, ...) must find it."""
        wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
        for record in self.records["attribute"].values():
            entity = record.model_values.get("link_entity") or ""
            link_id = record.model_values.get("link_id")
            if (
                entity in CHECKED_LINK_ENTITIES
                and link_id is not None
                and link_id not in self.records[entity]
            ):
                wanted[entity].add(link_id)
        for entity, ids in wanted.items():
            for chunk in _chunks(list(ids)):
                found.setdefault(entity, set()).update(
                    self._visible(entity).filter(id__in=chunk).values_list("id", flat=True)
                )
        for record in self.records["attribute"].values():
            link_id = record.model_values.get("link_id")
            entity = self._attribute_target(record, found)
            if entity is None or link_id is None:
                continue
            if link_id not in self.records[entity] and link_id not in found.get(entity, ()):
                self._error_in_write(
                    record.issue(
                        "link_id",
                        _(
                            "There is no %(object)s with id %(target)s, neither in the file "
                            "nor in your organisation's directory."
                        )
                        % {"object": entity, "target": link_id},
                    )
                )
            elif entity == "service" and record.model_values.get("taxonomy_term_id"):
                self.attribute_services[link_id].add(record.model_values["taxonomy_term_id"])

    def _prepare_values(self, existing: dict[str, dict[uuid.UUID, dict[str, Any]]]) -> None:
        """Fill what the input leaves out: Senda's own fields, and links it did not mention."""
        default_language = settings.LANGUAGE_CODE
        for entity in WRITE_ORDER:
            spec = SPECS[entity]
            rows = existing.get(entity, {})
            for record in self.records[entity].values():
                values = record.model_values
                row = rows.get(record.id)
                for ref in spec.refs:
                    if ref.required or values.get(ref.attname) is not None or row is None:
                        continue
                    before = row.get(ref.attname)
                    if before is not None and before not in self.replace.get(
                        (entity, ref.field), ()
                    ):
                        # A link the input does not mention (another file gave it) is kept.
                        values[ref.attname] = before
                for name in KEEP_WHEN_ABSENT.get(entity, ()):
                    if name not in values and row is not None:
                        values[name] = row[name]
                if spec.translatable:
                    if "language" not in values:
                        values["language"] = row["language"] if row else default_language
                    if "translations" not in values:
                        values["translations"] = row["translations"] if row else {}
                if entity == "service" and not values.get("source"):
                    values["source"] = _("HSDS import: %(file)s") % {"file": self.source_name}

    def _free_location_pairs(self) -> None:
        """A service is at a location once: an imported pair replaces Senda's under another id."""
        sals = self.records["service_at_location"]
        if not sals:
            return
        pairs = {
            (record.model_values["service_id"], record.model_values["location_id"]): record.id
            for record in sals.values()
        }
        services = list({service for service, _location in pairs})
        stale: list[Any] = []
        for chunk in _chunks(services):
            for sal_id, service_id, location_id in ServiceAtLocation.objects.filter(
                service_id__in=chunk
            ).values_list("id", "service_id", "location_id"):
                if pairs.get((service_id, location_id), sal_id) != sal_id:
                    stale.append(sal_id)
        for chunk in _chunks(stale):
            ServiceAtLocation.objects.filter(id__in=chunk).delete()

    def _upsert(self, spec: _Spec, records: list[_Record]) -> None:
        if not records:
            return
        model = spec.model
        objects = []
        for record in records:
            instance = model(id=record.id, **record.model_values)
            if spec.owned:
                instance.owner_id = self.owner.pk  # type: ignore[attr-defined]
            if isinstance(instance, Location):
                instance.country = self.countries.get(instance.country_id or "")
                instance.admin_area = self.areas.get(instance.admin_area_id or "")
                location_refresh_derived(instance)
            objects.append(instance)
        update_fields = [
            f.name
            for f in model._meta.concrete_fields
            if f.name not in NOT_UPDATED and not f.primary_key
        ]
        model._default_manager.bulk_create(
            objects,
            batch_size=CHUNK,
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=update_fields,
        )

    def _remove_replaced(self, result: ImportResult) -> None:
        """Children Senda has but a list in the input no longer names: unlinked or removed."""
        touched: dict[str, set[Any]] = defaultdict(set)
        for (entity, ref_field), parents in self.replace.items():
            if not parents:
                continue
            spec = SPECS[entity]
            model = spec.model
            imported = self.records[entity]
            column = "link_id" if entity == "attribute" else ref_field
            stale: list[Any] = []
            for chunk in _chunks(list(parents)):
                stale += [
                    object_id
                    for object_id in model._default_manager.filter(
                        **{f"{column}__in": chunk}
                    ).values_list("id", flat=True)
                    if object_id not in imported
                ]
            if not stale:
                continue
            nullable = [ref for ref in spec.refs if not ref.required]
            if entity != "attribute" and len(nullable) > 1:
                # Linked elsewhere too (a phone of a service and a location): only unlink.
                for chunk in _chunks(stale):
                    model._default_manager.filter(id__in=chunk).update(**{column: None})
                touched[entity] |= set(stale)
                continue
            removed = 0
            for chunk in _chunks(stale):
                removed += (
                    model._default_manager.filter(id__in=chunk)
                    .delete()[1]
                    .get(model._meta.label, 0)
                )
            if removed:
                result.removed[entity] = result.removed.get(entity, 0) + removed
        for entity, ids in touched.items():
            spec = SPECS[entity]
            orphan = Q(**{f"{spec.refs[0].attname}__isnull": True})
            for ref in spec.refs[1:]:
                orphan &= Q(**{f"{ref.attname}__isnull": True})
            removed = 0
            for chunk in _chunks(list(ids)):
                removed += (
                    spec.model._default_manager.filter(orphan, id__in=chunk)
                    .delete()[1]
                    .get(spec.model._meta.label, 0)
                )
            if removed:
                result.removed[entity] = result.removed.get(entity, 0) + removed

    def _set_categories(self) -> None:
        """Attributes linking a taxonomy term to a service are the service's categories."""
        through = Service.categories.through
        replaced = {
            parent
            for parent in self.replace.get(("attribute", "link_id"), set())
            if parent in self.records["service"]
        }
        for chunk in _chunks(list(replaced)):
            through.objects.filter(service_id__in=chunk).delete()
        links = [
            through(service_id=service_id, taxonomyterm_id=term_id)
            for service_id, terms in self.attribute_services.items()
            for term_id in terms
        ]
        through.objects.bulk_create(links, batch_size=CHUNK, ignore_conflicts=True)

    def _affected_services(self) -> set[Any]:
        services: set[Any] = set(self.records["service"])
        for entity in WRITE_ORDER:
            spec = SPECS[entity]
            if spec.ref("service_id") is None:
                continue
            for record in self.records[entity].values():
                if record.model_values.get("service_id") is not None:
                    services.add(record.model_values["service_id"])
        services |= set(self.attribute_services)
        related: list[Any] = [
            *self.records["location"],
            *(
                record.model_values.get("location_id")
                for entity in ("schedule", "phone", "language")
                for record in self.records[entity].values()
                if record.model_values.get("location_id")
            ),
        ]
        for chunk in _chunks(list(set(related))):
            services |= set(
                ServiceAtLocation.objects.filter(location_id__in=chunk).values_list(
                    "service_id", flat=True
                )
            )
        organizations = list(self.records["organization"])
        for chunk in _chunks(organizations):
            services |= set(
                Service.objects.filter(organization_id__in=chunk).values_list("id", flat=True)
            )
        sals = [
            record.model_values["service_at_location_id"]
            for entity in ("schedule",)
            for record in self.records[entity].values()
            if record.model_values.get("service_at_location_id")
        ]
        for chunk in _chunks(list(set(sals))):
            services |= set(
                ServiceAtLocation.objects.filter(id__in=chunk).values_list("service_id", flat=True)
            )
        return services

    def _refresh_derived(self) -> None:
        """Free flag, weekly hours, search words and map points of every service touched.

        The same rows as ``service_refresh_derived``, built for many services at once.
        """
        services_refresh_derived(self._affected_services())


class _FieldProblem(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _model_value(model_field: Any, raw: Any) -> Any:
    """``raw`` (from JSON or CSV) as the Python value of ``model_field``."""
    if raw is None or raw == "":
        if isinstance(model_field, (models.CharField, models.TextField)):
            return ""
        if isinstance(model_field, models.BooleanField):
            return False
        return None
    if isinstance(model_field, models.UUIDField):
        try:
            return uuid.UUID(str(raw))
        except ValueError:
            raise _FieldProblem(_("“%(value)s” is not a valid UUID.") % {"value": raw}) from None
    if isinstance(model_field, (models.CharField, models.TextField)):
        return _text_value(model_field, raw)
    if isinstance(raw, bool):
        raise _FieldProblem(_("Must be a number."))
    if isinstance(model_field, models.DateTimeField):
        return _datetime_value(raw)
    if isinstance(model_field, models.DateField):
        try:
            return datetime.date.fromisoformat(str(raw))
        except ValueError:
            raise _FieldProblem(_("Must be a date like 2024-01-31.")) from None
    if isinstance(model_field, models.TimeField):
        try:
            return datetime.time.fromisoformat(str(raw)).replace(tzinfo=None)
        except ValueError:
            raise _FieldProblem(_("Must be a time like 09:30 or 09:30:00.")) from None
    if isinstance(model_field, models.DecimalField):
        return _decimal_value(model_field, raw)
    if isinstance(model_field, models.FloatField):
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise _FieldProblem(_("Must be a number.")) from None
    if isinstance(model_field, models.IntegerField):
        return _integer_value(model_field, raw)
    return raw


def _text_value(model_field: Any, raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, (dict, list)):
        raise _FieldProblem(_("Must be text."))
    text = str(raw)
    if model_field.max_length is not None and len(text) > model_field.max_length:
        raise _FieldProblem(
            _("Is too long: %(length)d characters, at most %(max)d.")
            % {"length": len(text), "max": model_field.max_length}
        )
    choices = [str(choice[0]) for choice in model_field.choices or ()]
    if choices and text not in choices:
        raise _FieldProblem(_("Must be one of: %(values)s.") % {"values": ", ".join(choices)})
    return text


def _datetime_value(raw: Any) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(str(raw))
    except ValueError:
        raise _FieldProblem(_("Must be a date and time like 2024-01-31T09:30:00Z.")) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def _decimal_value(model_field: Any, raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise _FieldProblem(_("Must be a number.")) from None
    if not value.is_finite():
        raise _FieldProblem(_("Must be a number."))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > model_field.decimal_places:
        raise _FieldProblem(
            _("Has more than %(places)d decimal places.") % {"places": model_field.decimal_places}
        )
    if abs(value) >= Decimal(10) ** (model_field.max_digits - model_field.decimal_places):
        raise _FieldProblem(_("Is too large."))
    return value


def _integer_value(model_field: Any, raw: Any) -> int:
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise _FieldProblem(_("Must be a whole number.")) from None
    if not number.is_integer():
        raise _FieldProblem(_("Must be a whole number."))
    value = int(number)
    low, high = connection.ops.integer_field_range(model_field.get_internal_type())
    if (low is not None and value < low) or (high is not None and value > high):
        raise _FieldProblem(_("Must be between %(low)s and %(high)s.") % {"low": low, "high": high})
    return value


def _type_name(kind: Any) -> str:
    names = {
        "string": _("text"),
        "number": _("a number"),
        "integer": _("a whole number"),
        "array": _("a list"),
        "object": _("an object"),
        "boolean": _("true or false"),
    }
    return names.get(str(kind), str(kind))


def _schema_messages(error: Any) -> Iterator[tuple[str, str]]:
    """(field path, message in the user's language) for one JSON-schema error."""
    path = ""
    for token in error.absolute_path:
        path = _join(path, str(token))
    value = error.instance
    shown = str(value) if len(str(value)) <= 60 else str(value)[:57] + "..."
    if error.validator == "required":
        for name in error.validator_value:
            if isinstance(value, dict) and name not in value:
                yield _join(path, name), _("This field is required.")
        return
    if error.validator == "type":
        yield path, _("Must be %(kind)s.") % {"kind": _type_name(error.validator_value)}
    elif error.validator == "format":
        formats = {
            "uuid": _("“%(value)s” is not a valid UUID."),
            "email": _("“%(value)s” is not a valid email address."),
            "date-time": _("“%(value)s” is not a date and time like 2024-01-31T09:30:00Z."),
            "date": _("“%(value)s” is not a date like 2024-01-31."),
            "uri": _("“%(value)s” is not a valid URL."),
        }
        message = formats.get(error.validator_value, _("“%(value)s” is not valid."))
        yield path, message % {"value": shown}
    elif error.validator == "enum":
        yield (
            path,
            _("“%(value)s” must be one of: %(values)s.")
            % {"value": shown, "values": ", ".join(str(v) for v in error.validator_value)},
        )
    else:
        yield path, str(error.message)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
