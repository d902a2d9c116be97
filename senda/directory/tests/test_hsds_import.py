"""HSDS 3.0 import: the official examples land field by field, re-imports update in place,
and bad input (malformed, off-schema, dangling, not UTF-8) saves nothing and says where."""

from __future__ import annotations

import csv
import datetime
import io
import json
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import translation

from senda.accounts.models import Organisation
from senda.accounts.roles import Role
from senda.core.errors import PermissionDeniedError
from senda.core.models import AuditEntry
from senda.directory import derived
from senda.directory.hsds.importer import MAX_ERRORS, HsdsImportError, hsds_import
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
    ServicePoint,
    ServiceSearchToken,
    Taxonomy,
    TaxonomyTerm,
    WeeklyOpening,
)
from senda.directory.reference import term_id
from senda.directory.tests.factories import ServiceFactory

EXAMPLES = Path(__file__).resolve().parent / "hsds_examples"
REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "hsds" / "v3.0"

SERVICE_ID = uuid.UUID("ac148810-d857-441c-9679-408f346de14b")
LOCATION_ID = uuid.UUID("3a19ff88-4620-4d17-9830-ac1d859eb5d5")
ORGANIZATION_ID = uuid.UUID("d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610")
SAL_ID = uuid.UUID("e94c9f38-1e8f-4564-91d4-d53501ab1765")
PHONE_ID = uuid.UUID("1554f2e2-a373-45db-a3fa-9fc48a61c15e")
TERM_ID = uuid.UUID("3f7b145d-84af-42d7-8fae-eaca714b02b2")

DIRECTORY_MODELS: list[type[models.Model]] = [
    Organization,
    Service,
    Location,
    ServiceAtLocation,
    Address,
    Phone,
    Schedule,
    CostOption,
    RequiredDocument,
    Language,
    ServiceArea,
    Accessibility,
    Contact,
    Attribute,
    Taxonomy,
    TaxonomyTerm,
    ServiceSearchToken,
    WeeklyOpening,
    ServicePoint,
    Service.categories.through,
]

# Nested HSDS keys and the Senda model of the objects under them (None: not kept by Senda).
NESTED: dict[str, type[models.Model] | None] = {
    "organization": Organization,
    "services": Service,
    "service": Service,
    "locations": Location,
    "location": Location,
    "service_at_locations": ServiceAtLocation,
    "addresses": Address,
    "phones": Phone,
    "schedules": Schedule,
    "cost_options": CostOption,
    "required_documents": RequiredDocument,
    "languages": Language,
    "service_areas": ServiceArea,
    "accessibility": Accessibility,
    "contacts": Contact,
    "attributes": Attribute,
    "taxonomy_term": TaxonomyTerm,
    "taxonomy_detail": Taxonomy,
    "funding": None,
    "program": None,
    "programs": None,
    "organization_identifiers": None,
    "metadata": None,
}
# Values of the official examples that Senda cannot keep, and why.
NOT_KEPT = {
    # Latitude 100 is not a place on Earth: left out, with a warning.
    ("location", "latitude"),
    ("location", "longitude"),
    # These point to objects in no file and not in Senda: left empty, with a warning.
    ("organization", "parent_organization_id"),
    ("taxonomy_term", "parent_id"),
    ("taxonomy_term", "taxonomy_id"),
}
# Kept by the import, written otherwise by the export: a term linked to a taxonomy object is
# exported with that taxonomy's name as its "taxonomy" text (the example's differ: "taxonomy"
# and "name"); the term's own text is kept and exported when it has no taxonomy object.
EXPORTED_DIFFERENTLY = {("taxonomy_term", "taxonomy")}
MODEL_NAMES: dict[type[models.Model], str] = {
    Organization: "organization",
    Location: "location",
    TaxonomyTerm: "taxonomy_term",
}


@pytest.fixture(autouse=True)
def _messages_in_english() -> Iterator[None]:
    """Messages are checked in English (the source language), whatever catalogs exist."""
    with translation.override("en"):
        yield


def counts() -> dict[str, int]:
    """How many rows every directory table (and the audit trail) has."""
    tables = {model._meta.label: model._default_manager.count() for model in DIRECTORY_MODELS}
    tables["audit"] = AuditEntry.objects.count()
    return tables


def comparable(value: Any) -> Any:
    """A model or JSON value in one form, so "35" == 35 == Decimal("35.00")."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, str) and value.endswith("Z") and "T" in value:
        parsed = datetime.datetime.fromisoformat(value)
        return parsed.astimezone(datetime.UTC)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)).normalize()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return Decimal(value).normalize()
        except ArithmeticError:
            return value
    return value


def field_value(row: models.Model, name: str) -> tuple[bool, Any]:
    """(Senda models this HSDS field, its stored value)."""
    if isinstance(row, TaxonomyTerm) and name == "taxonomy":
        return True, row.taxonomy_name
    for model_field in row._meta.concrete_fields:
        if model_field.primary_key:
            continue
        if model_field.name == name and not model_field.is_relation:
            return True, getattr(row, name)
        if model_field.is_relation and model_field.attname == name:
            return True, getattr(row, name)
    return False, None


def assert_landed(obj: dict[str, Any], model: type[models.Model], path: str = "") -> int:
    """Every field of ``obj`` (and of what is nested in it) that Senda models is in Senda.

    Returns how many values were compared.
    """
    row = model._default_manager.get(pk=obj["id"])
    compared = 0
    for key, value in obj.items():
        if key in NESTED and isinstance(value, (dict, list)):
            child_model = NESTED[key]
            if child_model is None:
                continue
            for index, child in enumerate(value if isinstance(value, list) else [value]):
                compared += assert_landed(child, child_model, f"{path}.{key}[{index}]")
            continue
        models_it, stored = field_value(row, key)
        if not models_it or key == "id":
            continue
        if (MODEL_NAMES.get(model, ""), key) in NOT_KEPT:
            continue
        assert comparable(stored) == comparable(value), f"{path}.{key}: {stored!r} != {value!r}"
        compared += 1
    return compared


def csv_fixed_package(target: Path) -> Path:
    """The official CSV example with its three known-bad references corrected (as HSDS 3.1.1)."""
    shutil.copytree(EXAMPLES / "csv", target)
    for path in target.iterdir():
        path.chmod(0o644)
    replace = {
        "985e4a42-bd9f-4edc-911d-0243a4640aca": str(ORGANIZATION_ID),  # locations.csv
        "ae67a707-5893-4225-b0b1-320ab9cb596b": str(ORGANIZATION_ID),  # contacts.csv
        "93eaf18d-1cd2-4ec7-bffb-3c9172ee5070": str(SAL_ID),  # contacts.csv
        "f28dd44b-0c4d-479f-8e90-4c52219a8b3c": str(SERVICE_ID),  # attributes.csv
    }
    for name in ("locations.csv", "contacts.csv", "attributes.csv"):
        text = (target / name).read_text(encoding="utf-8")
        for wrong, right in replace.items():
            text = text.replace(wrong, right)
        (target / name).write_text(text, encoding="utf-8")
    header, row = (target / "attributes.csv").read_text(encoding="utf-8").splitlines()
    row = row.replace(",link_type,link_entity,", ",link_type,service,")
    (target / "attributes.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    return target


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def minimal_service(**fields: Any) -> dict[str, Any]:
    """A small valid HSDS service with its organization and one located place in Panama."""
    service: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": "Vacunación gratuita",
        "status": "active",
        "description": "Vacunas para toda la familia.",
        "organization": {
            "id": str(uuid.uuid4()),
            "name": "Centro de Salud de Prueba",
            "description": "Un centro de salud.",
        },
        "cost_options": [{"id": str(uuid.uuid4()), "amount": 0, "currency": "USD"}],
        "languages": [{"id": str(uuid.uuid4()), "code": "es", "name": "Español"}],
        "service_at_locations": [
            {
                "id": str(uuid.uuid4()),
                "location": {
                    "id": str(uuid.uuid4()),
                    "location_type": "physical",
                    "name": "Centro de Salud",
                    "latitude": 9.04,
                    "longitude": -79.49,
                    "admin_area": "PA0805",
                    "addresses": [
                        {
                            "id": str(uuid.uuid4()),
                            "address_1": "Vía Domingo Díaz",
                            "city": "San Miguelito",
                            "state_province": "Panamá",
                            "postal_code": "0000",
                            "country": "PA",
                            "address_type": "physical",
                        }
                    ],
                    "schedules": [
                        {
                            "id": str(uuid.uuid4()),
                            "freq": "WEEKLY",
                            "byday": "MO,TU,WE,TH,FR",
                            "opens_at": "08:00",
                            "closes_at": "16:00",
                        }
                    ],
                },
            }
        ],
    }
    service.update(fields)
    return service


def import_error(owner: Organisation, source: Path, **kwargs: Any) -> HsdsImportError:
    """The error an import of ``source`` raises; checks it saved nothing."""
    before = counts()
    with pytest.raises(HsdsImportError) as caught:
        hsds_import(actor=None, owner=owner, source=source, **kwargs)
    assert counts() == before
    return caught.value


# The official examples.


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared/reference/hsds is not present")
def test_vendored_examples_are_the_reference_files() -> None:
    for path in EXAMPLES.rglob("*"):
        if path.is_file() and path.name != "SOURCE.txt":
            reference = REFERENCE / "examples" / path.relative_to(EXAMPLES)
            assert path.read_bytes() == reference.read_bytes(), path.name


def test_service_full_lands_field_by_field(org_a: Organisation) -> None:
    example = json.loads((EXAMPLES / "service_full.json").read_text())

    result = hsds_import(actor=None, owner=org_a, source=EXAMPLES / "service_full.json")

    assert assert_landed(example, Service) > 150
    service = Service.objects.get(pk=SERVICE_ID)
    assert service.owner == org_a
    assert service.publication_status == PublicationStatus.PUBLISHED
    assert service.source == "HSDS import: service_full.json"
    assert result.created["service"] == 1
    # One phone, merged from the five places it appears, linked to all four of its owners.
    phone = Phone.objects.get(pk=PHONE_ID)
    assert (phone.service_id, phone.location_id, phone.organization_id) == (
        SERVICE_ID,
        LOCATION_ID,
        ORGANIZATION_ID,
    )
    assert phone.service_at_location_id == SAL_ID
    assert phone.extension == "100"
    # The attribute linking a taxonomy term to the service makes it one of its categories.
    assert list(service.categories.values_list("pk", flat=True)) == [TERM_ID]
    assert TaxonomyTerm.objects.get(pk=TERM_ID).taxonomy_id == uuid.UUID(
        "5c4d79d7-cc55-470e-9f1f-8cad074e4892"
    )
    # What Senda could not keep is said, not silently dropped.
    assert any("100" in warning and "Earth" in warning for warning in result.warnings)
    assert any("parent_organization_id" in warning for warning in result.warnings)
    assert any("funding" in warning for warning in result.warnings)
    location = Location.objects.get(pk=LOCATION_ID)
    assert location.latitude is None and location.country_id == "US"
    # Derived data for search, "open now" and the map were written.
    assert ServiceSearchToken.objects.filter(service=service, token="counselling").exists()
    assert set(WeeklyOpening.objects.filter(service=service).values_list("weekday", flat=True)) == {
        3,
        4,
    }
    assert not service.is_free
    assert AuditEntry.objects.filter(action="directory.hsds_import", organisation=org_a).exists()


def test_service_list_page_lands(org_a: Organisation) -> None:
    example = json.loads((EXAMPLES / "service_list.json").read_text())

    hsds_import(actor=None, owner=org_a, source=EXAMPLES / "service_list.json")

    for item in example["contents"]:
        assert assert_landed(item, Service) > 20


def test_organization_full_lands_with_its_services(org_a: Organisation) -> None:
    example = json.loads((EXAMPLES / "organization_full.json").read_text())

    hsds_import(actor=None, owner=org_a, source=EXAMPLES / "organization_full.json")

    assert assert_landed(example, Organization) > 150
    assert Service.objects.get(pk=SERVICE_ID).organization_id == ORGANIZATION_ID
    assert Location.objects.get(pk=LOCATION_ID).organization_id == ORGANIZATION_ID


@pytest.mark.parametrize(
    "example", ["service_at_location_list.json", "taxonomy_term_list.json", "taxonomy_list.json"]
)
def test_other_api_pages_land(org_a: Organisation, example: str) -> None:
    data = json.loads((EXAMPLES / example).read_text())
    model = {
        "service_at_location_list.json": ServiceAtLocation,
        "taxonomy_term_list.json": TaxonomyTerm,
        "taxonomy_list.json": Taxonomy,
    }[example]

    hsds_import(actor=None, owner=org_a, source=EXAMPLES / example)

    for item in data["contents"]:
        assert assert_landed(item, model) > 0


def test_a_folder_of_json_files_imports_every_file(org_a: Organisation, tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "service_full.json", tmp_path / "one.json")
    write_json(tmp_path / "two.json", [minimal_service(), minimal_service()])

    result = hsds_import(actor=None, owner=org_a, source=tmp_path)

    assert result.created["service"] == 3


def test_the_official_csv_package_reports_its_dangling_references(org_a: Organisation) -> None:
    error = import_error(org_a, EXAMPLES / "csv")

    assert [(i.file, i.where, i.field) for i in error.issues] == [
        ("locations.csv", "row 2", "organization_id"),
        ("contacts.csv", "row 2", "organization_id"),
        ("contacts.csv", "row 2", "service_at_location_id"),
    ]
    assert "985e4a42-bd9f-4edc-911d-0243a4640aca" in str(error.issues[0])


def test_the_csv_package_lands_row_by_row(org_a: Organisation, tmp_path: Path) -> None:
    package = csv_fixed_package(tmp_path / "csv")

    result = hsds_import(actor=None, owner=org_a, source=package)

    tables = {
        "organizations.csv": Organization,
        "services.csv": Service,
        "locations.csv": Location,
        "service_at_location.csv": ServiceAtLocation,
        "addresses.csv": Address,
        "phones.csv": Phone,
        "schedules.csv": Schedule,
        "cost_options.csv": CostOption,
        "required_documents.csv": RequiredDocument,
        "languages.csv": Language,
        "service_areas.csv": ServiceArea,
        "accessibility.csv": Accessibility,
        "contacts.csv": Contact,
        "taxonomies.csv": Taxonomy,
        "taxonomy_terms.csv": TaxonomyTerm,
        "attributes.csv": Attribute,
    }
    compared = 0
    for name, model in tables.items():
        with (package / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                values = {key: value for key, value in row.items() if value != ""}
                compared += assert_landed(values, model)
    assert compared > 130
    assert result.created["service"] == 1
    assert list(Service.objects.get(pk=SERVICE_ID).categories.values_list("pk", flat=True)) == [
        TERM_ID
    ]
    assert any("funding.csv" in warning for warning in result.warnings)


def test_a_zipped_csv_package_with_a_top_folder_imports(
    org_a: Organisation, tmp_path: Path
) -> None:
    package = csv_fixed_package(tmp_path / "csv")
    archive = tmp_path / "package.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in package.iterdir():
            zipped.write(path, f"hsds-export/{path.name}")

    result = hsds_import(actor=None, owner=org_a, source=archive)

    assert result.created["service"] == 1
    assert Phone.objects.get(pk=PHONE_ID).service_id == SERVICE_ID


# Re-imports.


@pytest.mark.parametrize("example", ["service_full.json", "organization_full.json", "csv"])
def test_importing_again_changes_nothing_and_duplicates_nothing(
    org_a: Organisation, tmp_path: Path, example: str
) -> None:
    source = csv_fixed_package(tmp_path / "csv") if example == "csv" else EXAMPLES / example
    first = hsds_import(actor=None, owner=org_a, source=source)
    before = counts()
    snapshot = list(Service.objects.order_by("id").values())

    second = hsds_import(actor=None, owner=org_a, source=source)

    after = counts()
    assert after.pop("audit") == before.pop("audit") + 1
    assert after == before
    assert second.created == {} or set(second.created) <= {"taxonomy", "taxonomy_term"}
    assert sum(second.updated.values()) >= sum(first.created.values()) - 2
    ignore = {"updated_at"}
    assert [{k: v for k, v in row.items() if k not in ignore} for row in snapshot] == [
        {k: v for k, v in row.items() if k not in ignore}
        for row in Service.objects.order_by("id").values()
    ]


def test_a_changed_file_updates_in_place_and_its_lists_replace_sendas(
    org_a: Organisation, tmp_path: Path
) -> None:
    service = minimal_service(phones=[{"id": str(uuid.uuid4()), "number": "111"}])
    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "a.json", service))
    old_phone = service["phones"][0]["id"]
    location = service["service_at_locations"][0]["location"]

    service["name"] = "Vacunación y control"
    service["phones"] = [{"id": str(uuid.uuid4()), "number": "222"}]
    service["cost_options"] = []
    location["schedules"][0]["closes_at"] = "18:00"
    result = hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "a.json", service))

    stored = Service.objects.get(pk=service["id"])
    assert stored.name == "Vacunación y control"
    assert list(stored.phones.values_list("number", flat=True)) == ["222"]
    assert not Phone.objects.filter(pk=old_phone).exists()
    assert not stored.cost_options.exists()
    assert result.removed == {"phone": 1, "cost_option": 1}
    assert Schedule.objects.get(pk=location["schedules"][0]["id"]).closes_at == datetime.time(18)
    assert ServiceSearchToken.objects.filter(service=stored, token="control").exists()
    assert WeeklyOpening.objects.filter(service=stored, closes_minute=18 * 60).count() == 5


def test_a_list_the_file_leaves_out_is_left_as_it_is(org_a: Organisation, tmp_path: Path) -> None:
    service = minimal_service(phones=[{"id": str(uuid.uuid4()), "number": "111"}])
    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "a.json", service))
    del service["phones"]

    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "a.json", service))

    assert Phone.objects.filter(service_id=service["id"]).count() == 1


def test_senda_fields_the_file_leaves_out_keep_their_value(
    org_a: Organisation, tmp_path: Path
) -> None:
    service = minimal_service(translations={"en": {"name": "Free vaccination"}}, source="Visita")
    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "a.json", service))
    del service["translations"], service["source"]

    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "a.json", service))

    stored = Service.objects.get(pk=service["id"])
    assert stored.translations == {"en": {"name": "Free vaccination"}}
    assert stored.source == "Visita"


# Senda's extensions and publication.


def test_translations_language_and_senda_fields_are_imported(
    org_a: Organisation, tmp_path: Path
) -> None:
    service = minimal_service(
        translations={"en": {"name": "Free vaccination", "description": "Vaccines."}},
        source="Llamada al centro, 2024",
        phones=[{"id": str(uuid.uuid4()), "number": "+507 6000-0000", "whatsapp": True}],
    )
    service["organization"]["translations"] = {"en": {"name": "Test Health Centre"}}

    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "s.json", service))

    stored = Service.objects.get(pk=service["id"])
    assert stored.tr("name", "en") == "Free vaccination"
    assert stored.tr("name", "es") == "Vacunación gratuita"
    assert stored.language == "es"
    assert stored.source == "Llamada al centro, 2024"
    assert stored.organization.tr("name", "en") == "Test Health Centre"
    assert stored.phones.get().whatsapp
    location = Location.objects.get(pk=service["service_at_locations"][0]["location"]["id"])
    assert (location.country_id, location.admin_area_id) == ("PA", "PA0805")
    assert location.timezone == "America/Panama"
    assert location.grid_cell is not None
    # Searchable in both languages; free, open on weekdays, on the map.
    assert ServiceSearchToken.objects.filter(service=stored, token="vaccination").exists()
    assert ServiceSearchToken.objects.filter(service=stored, token="vacunacion").exists()
    assert stored.is_free
    assert WeeklyOpening.objects.filter(service=stored, timezone="America/Panama").count() == 5
    assert ServicePoint.objects.filter(service=stored, location=location).exists()


def test_services_are_drafts_when_asked_or_when_the_file_says_so(
    org_a: Organisation, tmp_path: Path
) -> None:
    plain, pending = minimal_service(), minimal_service(publication_status="pending_review")
    source = write_json(tmp_path / "s.json", [plain, pending])

    hsds_import(actor=None, owner=org_a, source=source)
    statuses = dict(Service.objects.values_list("id", "publication_status"))
    assert statuses[uuid.UUID(plain["id"])] == PublicationStatus.PUBLISHED
    assert statuses[uuid.UUID(pending["id"])] == PublicationStatus.PENDING_REVIEW

    hsds_import(actor=None, owner=org_a, source=source, publish=False)
    assert set(Service.objects.values_list("publication_status", flat=True)) == {"draft"}
    # Drafts are not in the public search index.
    assert not ServiceSearchToken.objects.exists()


def test_categories_can_be_senda_taxonomy_terms(org_a: Organisation, tmp_path: Path) -> None:
    vaccination = term_id("health.vaccination")
    service = minimal_service(
        attributes=[
            {
                "id": str(uuid.uuid4()),
                "taxonomy_term_id": str(vaccination),
                "link_entity": "service",
            }
        ]
    )

    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "s.json", service))

    stored = Service.objects.get(pk=service["id"])
    assert list(stored.categories.values_list("pk", flat=True)) == [vaccination]
    token = ServiceSearchToken.objects.filter(service=stored).first()
    assert token is not None and "|health.vaccination|" in token.categories


def test_a_csv_package_with_senda_translations(org_a: Organisation, tmp_path: Path) -> None:
    package = csv_fixed_package(tmp_path / "csv")
    (package / "translations.csv").write_text(
        "resource,resource_id,language,field_name,value\n"
        f"service,{SERVICE_ID},fr,name,Conseil communautaire\n",
        encoding="utf-8",
    )

    hsds_import(actor=None, owner=org_a, source=package)

    assert Service.objects.get(pk=SERVICE_ID).tr("name", "fr") == "Conseil communautaire"


# Bad input: nothing saved, and the error says where.


def test_malformed_json_names_the_file_line_and_column(org_a: Organisation, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"id": "x",\n "name": }', encoding="utf-8")

    error = import_error(org_a, path)

    assert (error.issues[0].file, error.issues[0].where) == ("broken.json", "line 2, column 10")
    assert "not valid JSON" in str(error.issues[0])


def test_a_schema_violation_names_the_object_and_the_field(
    org_a: Organisation, tmp_path: Path
) -> None:
    good, bad = minimal_service(), minimal_service(status="open", minimum_age="twelve")
    bad["phones"] = [{"id": "not-a-uuid", "number": 5551234}]
    ServiceFactory.create(owner=org_a)

    error = import_error(org_a, write_json(tmp_path / "services.json", [good, bad]))

    found = {(issue.where, issue.field): issue.message for issue in error.issues}
    where = f"object [1], id {bad['id']}"
    assert set(found) == {
        (where, "status"),
        (where, "minimum_age"),
        (where, "phones[0].id"),
        (where, "phones[0].number"),
    }
    assert "active" in found[(where, "status")]
    assert found[(where, "minimum_age")] == "Must be a number."
    assert "not-a-uuid" in found[(where, "phones[0].id")]
    assert all(issue.file == "services.json" for issue in error.issues)


def test_a_required_field_and_a_bad_value_in_a_csv_row(org_a: Organisation, tmp_path: Path) -> None:
    package = csv_fixed_package(tmp_path / "csv")
    services = (package / "services.csv").read_text(encoding="utf-8").splitlines()
    header = services[0].split(",")
    row = next(csv.reader([services[1]]))
    values = dict(zip(header, row, strict=True))
    values.update(id=str(uuid.uuid4()), name="", minimum_age="abc", assured_date="yesterday")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerow(dict(zip(header, row, strict=True)))
    writer.writerow(values)
    (package / "services.csv").write_text(out.getvalue(), encoding="utf-8")

    error = import_error(org_a, package)

    assert {(i.file, i.where, i.field) for i in error.issues} == {
        ("services.csv", "row 3", "name"),
        ("services.csv", "row 3", "minimum_age"),
        ("services.csv", "row 3", "assured_date"),
    }
    assert "services.csv, row 3, field “minimum_age”: Must be a number." in [
        str(issue) for issue in error.issues
    ]


def test_malformed_csv_names_the_row(org_a: Organisation, tmp_path: Path) -> None:
    package = csv_fixed_package(tmp_path / "csv")
    with (package / "phones.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"{uuid.uuid4()},,,,,,555,,voice,extra,too many\n")

    error = import_error(org_a, package)

    assert [(i.file, i.where) for i in error.issues] == [("phones.csv", "row 3")]
    assert "11 values" in error.issues[0].message


@pytest.mark.parametrize(
    ("table", "column", "message"),
    [
        ("service_at_location.csv", "location_id", "There is no location with id"),
        ("phones.csv", "service_id", "There is no service with id"),
    ],
)
def test_a_dangling_reference_names_file_row_and_field(
    org_a: Organisation, tmp_path: Path, table: str, column: str, message: str
) -> None:
    package = csv_fixed_package(tmp_path / "csv")
    unknown = str(uuid.uuid4())
    with (package / table).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0][column] = unknown
    with (package / table).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    error = import_error(org_a, package)

    assert [(i.file, i.where, i.field) for i in error.issues] == [(table, "row 2", column)]
    assert message in error.issues[0].message and unknown in error.issues[0].message


def test_a_file_that_is_not_utf8_says_which_byte_and_line(
    org_a: Organisation, tmp_path: Path
) -> None:
    package = csv_fixed_package(tmp_path / "csv")
    text = (package / "locations.csv").read_text(encoding="utf-8")
    (package / "locations.csv").write_bytes(
        (text.rstrip("\n") + "\n\n" + f"{uuid.uuid4()},physical,,,Médica,,,,,,,\n").encode(
            "latin-1"
        )
    )

    error = import_error(org_a, package)

    assert len(error.issues) == 1
    assert error.issues[0].file == "locations.csv"
    assert "not UTF-8 (byte 0xe9 at line 4)" in str(error.issues[0])


def test_many_problems_are_collected_up_to_a_limit(org_a: Organisation, tmp_path: Path) -> None:
    few = [minimal_service(status="open") for _ in range(3)]
    error = import_error(org_a, write_json(tmp_path / "few.json", few))
    assert [issue.where for issue in error.issues] == [
        f"object [{index}], id {service['id']}" for index, service in enumerate(few)
    ]
    assert not error.truncated

    many = [minimal_service(status="open") for _ in range(MAX_ERRORS + 10)]
    error = import_error(org_a, write_json(tmp_path / "many.json", many))
    assert len(error.issues) == MAX_ERRORS
    assert error.truncated


def test_another_organisations_rows_cannot_be_taken_over(
    org_a: Organisation, org_b: Organisation, tmp_path: Path
) -> None:
    hsds_import(actor=None, owner=org_a, source=EXAMPLES / "service_full.json")

    error = import_error(org_b, EXAMPLES / "service_full.json")

    assert any(
        issue.field == "id" and "another organisation" in issue.message for issue in error.issues
    )
    assert Service.objects.get(pk=SERVICE_ID).owner == org_a


def test_a_reference_to_another_organisations_location_is_dangling(
    org_a: Organisation, org_b: Organisation, tmp_path: Path
) -> None:
    theirs = minimal_service()
    hsds_import(actor=None, owner=org_b, source=write_json(tmp_path / "b.json", theirs))
    location_id = theirs["service_at_locations"][0]["location"]["id"]
    mine = minimal_service(
        service_at_locations=[{"id": str(uuid.uuid4()), "location_id": location_id}]
    )

    error = import_error(org_a, write_json(tmp_path / "a.json", mine))

    assert [(i.field, location_id in i.message) for i in error.issues] == [
        ("service_at_locations[0].location_id", True)
    ]


def test_references_to_the_owners_rows_already_in_senda_resolve(
    org_a: Organisation, tmp_path: Path
) -> None:
    first = minimal_service()
    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "a.json", first))
    location_id = first["service_at_locations"][0]["location"]["id"]
    second = minimal_service(
        organization_id=first["organization"]["id"],
        service_at_locations=[{"id": str(uuid.uuid4()), "location_id": location_id}],
    )
    del second["organization"]

    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "b.json", second))

    assert ServiceAtLocation.objects.filter(location_id=location_id).count() == 2
    # The location's schedule gives the new service its opening hours too.
    assert WeeklyOpening.objects.filter(service_id=second["id"]).count() == 5


# Permission.


@pytest.mark.parametrize("role", Role.values)
def test_only_roles_that_may_import_can_import(
    users_a: dict[str, Any], users_b: dict[str, Any], org_a: Organisation, role: str
) -> None:
    source = EXAMPLES / "service_list.json"
    may = role in (Role.ORG_ADMIN, Role.CONTENT_EDITOR)
    before = counts()
    # Nobody may import into another organisation's directory.
    with pytest.raises(PermissionDeniedError):
        hsds_import(actor=users_b[role], owner=org_a, source=source)
    assert counts() == before
    if may:
        result = hsds_import(actor=users_a[role], owner=org_a, source=source)
        assert result.created["service"] == 1
        entry = AuditEntry.objects.get(action="directory.hsds_import")
        assert entry.actor == users_a[role] and entry.organisation == org_a
    else:
        with pytest.raises(PermissionDeniedError):
            hsds_import(actor=users_a[role], owner=org_a, source=source)
        assert counts() == before


# Derived data and size.


def test_bulk_derived_rows_equal_the_one_by_one_ones(org_a: Organisation, tmp_path: Path) -> None:
    services = [minimal_service() for _ in range(3)]
    services[1]["translations"] = {"en": {"name": "Vaccines", "description": "For all"}}
    services[2]["attributes"] = [
        {"id": str(uuid.uuid4()), "taxonomy_term_id": str(term_id("health.vaccination"))}
    ]
    services[2]["schedules"] = [
        {"id": str(uuid.uuid4()), "byday": "SA", "opens_at": "22:00", "closes_at": "02:00"}
    ]
    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "s.json", services))
    hsds_import(actor=None, owner=org_a, source=EXAMPLES / "service_full.json")

    for service in Service.objects.select_related("organization"):
        tokens, points = derived.service_index_rows(service)
        assert sorted(_token_key(row) for row in tokens) == sorted(
            _token_key(row) for row in ServiceSearchToken.objects.filter(service=service)
        )
        assert sorted(_point_key(row) for row in points) == sorted(
            _point_key(row) for row in ServicePoint.objects.filter(service=service)
        )
        assert sorted(_opening_key(row) for row in derived.service_openings(service)) == sorted(
            _opening_key(row) for row in WeeklyOpening.objects.filter(service=service)
        )
        assert derived.service_is_free(service) == service.is_free


def _token_key(row: ServiceSearchToken) -> tuple[Any, ...]:
    return (row.token, row.weight, row.country, row.categories, row.areas, row.languages)


def _point_key(row: ServicePoint) -> tuple[Any, ...]:
    return (str(row.location_id), row.grid_cell, row.country, row.categories, row.languages)


def _opening_key(row: WeeklyOpening) -> tuple[Any, ...]:
    return (
        str(row.location_id),
        row.weekday,
        row.opens_minute,
        row.closes_minute,
        row.timezone,
        row.valid_from,
        row.valid_to,
    )


def test_queries_do_not_grow_with_the_number_of_services(
    org_a: Organisation, tmp_path: Path
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count: int) -> int:
        services = [minimal_service() for _ in range(count)]
        with CaptureQueriesContext(connection) as captured:
            hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "s.json", services))
        return len(captured.captured_queries)

    small, large = queries_for(10), queries_for(200)
    # Inserts come in batches (SQLite takes at most 999 values a statement): a few more
    # statements for more rows, never some per service.
    assert large - small < (200 - 10) / 2, (small, large)


# The command.


def test_the_command_imports_and_reports(org_a: Organisation) -> None:
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "import_hsds", str(EXAMPLES / "service_full.json"), owner="org-a", stdout=out, stderr=err
    )

    assert "service: +1" in out.getvalue()
    assert "funding" in err.getvalue()
    assert Service.objects.get(pk=SERVICE_ID).publication_status == PublicationStatus.PUBLISHED


def test_the_command_imports_drafts(org_a: Organisation) -> None:
    call_command(
        "import_hsds",
        str(EXAMPLES / "service_list.json"),
        owner="org-a",
        draft=True,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    assert Service.objects.get().publication_status == PublicationStatus.DRAFT


def test_the_command_lists_the_problems_and_fails(org_a: Organisation) -> None:
    err = io.StringIO()
    before = counts()

    with pytest.raises(CommandError, match="Nothing was imported: 3 problem"):
        call_command("import_hsds", str(EXAMPLES / "csv"), owner="org-a", stderr=err)

    assert "locations.csv, row 2, field “organization_id”" in err.getvalue()
    assert counts() == before


def test_the_command_needs_a_known_owner(db: None) -> None:
    with pytest.raises(CommandError, match="no-such-org"):
        call_command("import_hsds", str(EXAMPLES / "service_full.json"), owner="no-such-org")


# Import, then export: nothing Senda models is lost.


def exported_objects(
    node: Any, key: str = "", found: dict[Any, Any] | None = None
) -> dict[Any, Any]:
    """Every object of an exported document, by (Senda model, id)."""
    found = {} if found is None else found
    if isinstance(node, list):
        for item in node:
            exported_objects(item, key, found)
    elif isinstance(node, dict):
        model = NESTED.get(key, Service) if key else Service
        if "id" in node and model is not None:
            found.setdefault((model, str(node["id"])), node)
        for child_key, value in node.items():
            if child_key in NESTED and isinstance(value, (dict, list)):
                exported_objects(value, child_key, found)
    return found


def assert_exported(
    original: dict[str, Any], model: type[models.Model], exported: dict[Any, Any], path: str = ""
) -> int:
    """Every value of ``original`` that Senda models is the same in the export."""
    row = model._default_manager.get(pk=original["id"])
    out = exported[(model, str(original["id"]))]
    compared = 0
    for key, value in original.items():
        if key in NESTED and isinstance(value, (dict, list)):
            child_model = NESTED[key]
            if child_model is not None:
                for index, child in enumerate(value if isinstance(value, list) else [value]):
                    compared += assert_exported(
                        child, child_model, exported, f"{path}.{key}[{index}]"
                    )
            continue
        models_it, _stored = field_value(row, key)
        name = (MODEL_NAMES.get(model, ""), key)
        if not models_it or name in NOT_KEPT or name in EXPORTED_DIFFERENTLY:
            continue
        assert comparable(out.get(key)) == comparable(value), f"{path}.{key}"
        compared += 1
    return compared


@pytest.mark.parametrize("example", ["service_full.json", "organization_full.json"])
def test_import_then_export_json_keeps_every_modelled_field(
    org_a: Organisation, tmp_path: Path, example: str
) -> None:
    from senda.directory.hsds.export import export_json

    original = json.loads((EXAMPLES / example).read_text())
    hsds_import(actor=None, owner=org_a, source=EXAMPLES / example)

    export_json(tmp_path / "export.json")

    exported = exported_objects(json.loads((tmp_path / "export.json").read_text()))
    model = Organization if example.startswith("organization") else Service
    assert assert_exported(original, model, exported) > 150


def test_import_then_export_csv_keeps_every_modelled_field(
    org_a: Organisation, tmp_path: Path
) -> None:
    from senda.directory.hsds.export import export_csv

    package = csv_fixed_package(tmp_path / "csv")
    hsds_import(actor=None, owner=org_a, source=package)

    export_csv(tmp_path / "export")

    compared = 0
    for path in package.glob("*.csv"):
        if path.name in ("funding.csv", "programs.csv", "metadata.csv") or "meta" in path.name:
            continue
        if path.name == "organization_identifiers.csv":
            continue
        exported = {
            row["id"]: row
            for row in csv.DictReader((tmp_path / "export" / path.name).open(encoding="utf-8"))
        }
        for row in csv.DictReader(path.open(encoding="utf-8")):
            for key, value in row.items():
                if value == "" or key in ("program_id", "contact_id"):
                    continue
                entity = path.stem.removesuffix("s") if path.stem != "accessibility" else "x"
                if (entity, key) in NOT_KEPT:
                    continue
                out = exported[row["id"]].get(key, "")
                assert comparable(out) == comparable(value), f"{path.name} {key}"
                compared += 1
    assert compared > 130


@pytest.mark.parametrize("form", ["json", "csv"])
def test_importing_senda_s_own_export_changes_nothing(
    org_a: Organisation, tmp_path: Path, form: str
) -> None:
    from senda.directory.hsds.export import export_csv, export_json

    services = [minimal_service() for _ in range(2)]
    services[0]["translations"] = {"en": {"name": "Free vaccination"}}
    services[1]["attributes"] = [
        {"id": str(uuid.uuid4()), "taxonomy_term_id": str(term_id("health.vaccination"))}
    ]
    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "s.json", services))
    hsds_import(actor=None, owner=org_a, source=EXAMPLES / "service_full.json")
    target = tmp_path / ("export.json" if form == "json" else "export")
    (export_json if form == "json" else export_csv)(target)
    before = counts()
    ignore = {"updated_at", "last_modified"}
    snapshot = [
        {k: v for k, v in row.items() if k not in ignore}
        for row in Service.objects.order_by("id").values()
    ]

    result = hsds_import(actor=None, owner=org_a, source=target)

    after = counts()
    assert after.pop("audit") == before.pop("audit") + 1
    assert after == before
    assert result.removed == {}
    assert snapshot == [
        {k: v for k, v in row.items() if k not in ignore}
        for row in Service.objects.order_by("id").values()
    ]


# Other shapes of input.


def test_a_zip_of_json_files_imports(org_a: Organisation, tmp_path: Path) -> None:
    archive = tmp_path / "services.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(EXAMPLES / "service_full.json", "a/service_full.json")
        zipped.writestr("b.json", json.dumps(minimal_service()))

    result = hsds_import(actor=None, owner=org_a, source=archive)

    assert result.created["service"] == 2


def test_the_tabular_json_form_imports(org_a: Organisation, tmp_path: Path) -> None:
    service = minimal_service()
    organization = service["organization"]
    document = {
        "organizations.csv": [organization],
        "services.csv": [
            {"id": service["id"], "organization_id": organization["id"], "name": "Uno"}
            | {"status": "active"}
        ],
        "phones.csv": [{"id": str(uuid.uuid4()), "service_id": service["id"], "number": "1"}],
    }

    hsds_import(actor=None, owner=org_a, source=write_json(tmp_path / "tabular.json", document))

    assert Service.objects.get(pk=service["id"]).phones.get().number == "1"


def test_an_object_of_no_known_kind_is_refused(org_a: Organisation, tmp_path: Path) -> None:
    error = import_error(org_a, write_json(tmp_path / "x.json", [{"id": str(uuid.uuid4())}]))

    assert error.issues[0].where == "object [0], id " + error.issues[0].where.split("id ")[1]
    assert "Cannot tell which HSDS object" in error.issues[0].message


def test_a_package_without_hsds_tables_is_refused(org_a: Organisation, tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("id,name\n1,Ana\n", encoding="utf-8")

    error = import_error(org_a, tmp_path)

    assert "no HSDS table" in error.issues[0].message


def test_one_phone_cannot_belong_to_two_services(org_a: Organisation, tmp_path: Path) -> None:
    phone = {"id": str(uuid.uuid4()), "number": "1"}
    first, second = minimal_service(phones=[phone]), minimal_service(phones=[phone])

    error = import_error(org_a, write_json(tmp_path / "s.json", [first, second]))

    assert [(i.where.split(",")[0], i.field) for i in error.issues] == [
        ("object [1]", "phones[0].service_id")
    ]
    assert "Senda can keep only one" in error.issues[0].message


def test_a_service_is_at_a_location_once(org_a: Organisation, tmp_path: Path) -> None:
    service = minimal_service()
    location = service["service_at_locations"][0]["location"]
    service["service_at_locations"].append({"id": str(uuid.uuid4()), "location_id": location["id"]})

    error = import_error(org_a, write_json(tmp_path / "s.json", service))

    assert [i.field for i in error.issues] == ["service_at_locations[1].location_id"]


def test_a_bad_translations_row_names_its_row(org_a: Organisation, tmp_path: Path) -> None:
    package = csv_fixed_package(tmp_path / "csv")
    (package / "translations.csv").write_text(
        "resource,resource_id,language,field_name,value\n"
        f"service,{SERVICE_ID},en,status,Active\n"
        f"service,{uuid.uuid4()},en,name,Nobody\n",
        encoding="utf-8",
    )

    error = import_error(org_a, package)

    assert [(i.file, i.where, i.field) for i in error.issues] == [
        ("translations.csv", "row 2", "field_name"),
        ("translations.csv", "row 3", "resource_id"),
    ]


def test_translations_of_a_field_that_is_not_translatable_are_refused(
    org_a: Organisation, tmp_path: Path
) -> None:
    service = minimal_service(translations={"en": {"status": "active"}, "??": {"name": "x"}})

    error = import_error(org_a, write_json(tmp_path / "s.json", service))

    assert [i.field for i in error.issues] == ["translations.en.status", "translations.??"]


def test_a_csv_row_needs_what_the_tabular_form_requires(
    org_a: Organisation, tmp_path: Path
) -> None:
    package = csv_fixed_package(tmp_path / "csv")
    (package / "cost_options.csv").write_text(
        f"id,service_id,amount\n{uuid.uuid4()},,5\n", encoding="utf-8"
    )

    error = import_error(org_a, package)

    assert [(i.file, i.where, i.field, i.message) for i in error.issues] == [
        ("cost_options.csv", "row 2", "service_id", "This field is required.")
    ]


def test_an_unclosed_quote_in_a_csv_file_names_the_row(org_a: Organisation, tmp_path: Path) -> None:
    package = csv_fixed_package(tmp_path / "csv")
    with (package / "languages.csv").open("a", encoding="utf-8") as handle:
        handle.write(f'{uuid.uuid4()},{SERVICE_ID},,,"Urdu,ur,note\n')

    error = import_error(org_a, package)

    assert [(i.file, i.where) for i in error.issues] == [("languages.csv", "row 3")]
    assert "not valid CSV" in error.issues[0].message
