"""HSDS 3.0 serialisation and export: every object validates against the official schemas."""

from __future__ import annotations

import csv
import datetime
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from senda.directory.hsds import queries as hsds_queries
from senda.directory.hsds.export import export_csv, export_json
from senda.directory.hsds.serialize import HsdsWriter, category_attribute_id
from senda.directory.hsds.spec import (
    DATAPACKAGE_FILE,
    SCHEMA_DIR,
    datapackage_descriptor,
    required_fields,
)
from senda.directory.hsds.validate import object_errors
from senda.directory.models import (
    Accessibility,
    Attribute,
    Contact,
    Language,
    Location,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from senda.directory.tests.factories import (
    AddressFactory,
    CostOptionFactory,
    LanguageFactory,
    LocationFactory,
    OrganizationFactory,
    PhoneFactory,
    RequiredDocumentFactory,
    ScheduleFactory,
    ServiceFactory,
    category,
)

REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "hsds" / "v3.0"


@dataclass
class Directory:
    """A small directory with every kind of HSDS object Senda keeps."""

    organization: Organization
    service: Service
    location: Location
    service_at_location: ServiceAtLocation
    draft: Service
    location_attribute: Attribute


def build_directory() -> Directory:
    """A published vaccination service with everything filled in, and a draft beside it."""
    organization = OrganizationFactory.create(
        name="Clínica Comunitaria",
        description="Atención primaria para migrantes.",
        email="clinica@example.org",
        website="https://clinica.example.org",
        year_incorporated=2004,
        translations={"en": {"name": "Community Clinic", "description": "Primary care."}},
    )
    owner = organization.owner
    Contact.objects.create(organization=organization, name="Ana", title="Coordinadora")
    PhoneFactory.create(organization=organization, number="+507 200-0000")
    location = LocationFactory.create(
        owner=owner,
        organization=organization,
        name="Centro de Salud San Miguelito",
        description="Frente al parque.",
        translations={"en": {"name": "San Miguelito Health Centre"}},
    )
    AddressFactory.create(location=location, address_1="Calle 1", postal_code="")
    location_phone = PhoneFactory.create(location=location, number="+507 6000-0000", extension="12")
    Language.objects.create(phone=location_phone, code="es", name="Español")
    Language.objects.create(location=location, code="en", name="English")
    Accessibility.objects.create(
        location=location,
        description="Rampa de acceso",
        translations={"en": {"description": "Ramp"}},
    )
    Contact.objects.create(location=location, name="Recepción", email="recepcion@example.org")
    service = ServiceFactory.create(
        owner=owner,
        organization=organization,
        published=True,
        name="Vacunación",
        description="Vacunas para niñas, niños y personas adultas.",
        email="vacunas@example.org",
        url="https://clinica.example.org/vacunas",
        minimum_age=0,
        maximum_age=99,
        assured_date=datetime.date(2024, 5, 1),
        assurer_email="verifica@example.org",
        alert="Traiga su carné.",
        translations={"en": {"name": "Vaccination", "description": "Vaccines for everyone."}},
        categories=["health.vaccination"],
        locations=[location],
    )
    service_at_location = ServiceAtLocation.objects.get(service=service, location=location)
    service_at_location.description = "Martes y jueves."
    service_at_location.save()
    ScheduleFactory.create(service=service, timezone=-5, description="Lunes a viernes")
    ScheduleFactory.create(service=None, location=location, byday="SA", wkst="MO")
    ScheduleFactory.create(service=None, service_at_location=service_at_location, byday="TU,TH")
    PhoneFactory.create(service=service, number="+507 6111-1111", description="WhatsApp")
    PhoneFactory.create(service_at_location=service_at_location, number="+507 6222-2222")
    Contact.objects.create(service=service, name="Enfermería", department="Vacunas")
    Contact.objects.create(service_at_location=service_at_location, title="Enfermera")
    ServiceArea.objects.create(service=service, name="San Miguelito", extent_type="geojson")
    LanguageFactory.create(service=service, code="es")
    CostOptionFactory.create(service=service, amount=Decimal("0"), option="Gratis", currency="USD")
    CostOptionFactory.create(
        service=service, amount=Decimal("2.50"), valid_from=datetime.date(2024, 1, 1)
    )
    RequiredDocumentFactory.create(service=service, document="Cédula o pasaporte")
    location_attribute = Attribute.objects.create(
        link_id=location.pk,
        link_entity="location",
        link_type="accessibility",
        taxonomy_term=category("health.primary"),
        value="yes",
    )
    draft = ServiceFactory.create(
        owner=owner, organization=organization, name="Borrador", locations=[location]
    )
    return Directory(
        organization=organization,
        service=service,
        location=location,
        service_at_location=service_at_location,
        draft=draft,
        location_attribute=location_attribute,
    )


def assert_valid(instance: Any, schema: str) -> None:
    errors = object_errors(instance, schema)
    assert not errors, "\n".join(str(error) for error in errors)


def full_service(service: Service, *, language: str | None = None) -> dict[str, Any]:
    writer = HsdsWriter(language)
    data = writer.service(hsds_queries.service_get(service_id=str(service.pk)))
    writer.attach_attributes([data])
    return data


@pytest.fixture
def directory(db: None) -> Directory:
    return build_directory()


# Serialisation.


def test_full_service_validates_and_carries_every_related_object(directory: Directory) -> None:
    data = full_service(directory.service)

    assert_valid(data, "service")
    assert data["name"] == "Vacunación"
    assert data["organization"]["id"] == str(directory.organization.pk)
    assert data["assured_date"] == "2024-05-01"
    assert data["assurer_email"] == "verifica@example.org"
    assert data["metadata"] == []
    assert {item["document"] for item in data["required_documents"]} == {"Cédula o pasaporte"}
    assert sorted(item["amount"] for item in data["cost_options"]) == [0, 2.5]
    [service_at_location] = data["service_at_locations"]
    assert service_at_location["description"] == "Martes y jueves."
    location = service_at_location["location"]
    assert location["addresses"][0]["postal_code"] == ""  # required by HSDS, so never left out
    assert [phone["extension"] for phone in location["phones"]] == [12]
    assert location["phones"][0]["languages"][0]["code"] == "es"
    assert location["accessibility"][0]["translations"] == {"en": {"description": "Ramp"}}
    assert len(service_at_location["schedules"]) == 1
    assert len(service_at_location["phones"]) == 1


def test_nested_objects_validate_against_their_own_schemas(directory: Directory) -> None:
    data = full_service(directory.service)
    location = data["service_at_locations"][0]["location"]

    assert_valid(data["organization"], "organization")
    assert_valid(data["service_at_locations"][0], "service_at_location")
    assert_valid(location, "location")
    for schema, items in [
        ("phone", data["phones"] + location["phones"]),
        ("schedule", data["schedules"] + location["schedules"]),
        ("contact", data["contacts"] + location["contacts"]),
        ("address", location["addresses"]),
        ("accessibility", location["accessibility"]),
        ("language", data["languages"] + location["languages"]),
        ("cost_option", data["cost_options"]),
        ("required_document", data["required_documents"]),
        ("service_area", data["service_areas"]),
        ("attribute", data["attributes"] + location["attributes"]),
    ]:
        assert items, schema
        for item in items:
            assert_valid(item, schema)


def test_categories_are_attributes_with_their_taxonomy_term(directory: Directory) -> None:
    data = full_service(directory.service)
    vaccination = category("health.vaccination")

    [attribute] = data["attributes"]
    assert attribute["id"] == category_attribute_id(directory.service.pk, vaccination.pk)
    assert attribute["link_id"] == str(directory.service.pk)
    assert attribute["link_entity"] == "service"
    assert attribute["taxonomy_term"]["id"] == str(vaccination.pk)
    assert attribute["taxonomy_term"]["code"] == "health.vaccination"
    assert attribute["taxonomy_term"]["taxonomy_detail"]["name"] == "Senda"
    assert_valid(attribute["taxonomy_term"], "taxonomy_term")
    assert_valid(attribute["taxonomy_term"]["taxonomy_detail"], "taxonomy")


def test_stored_attributes_are_attached_to_the_object_they_link(directory: Directory) -> None:
    data = full_service(directory.service)

    location = data["service_at_locations"][0]["location"]
    [attribute] = location["attributes"]
    assert attribute["id"] == str(directory.location_attribute.pk)
    assert attribute["value"] == "yes"
    assert attribute["taxonomy_term"]["code"] == "health.primary"


def test_a_stored_attribute_for_a_category_replaces_the_derived_one(directory: Directory) -> None:
    vaccination = category("health.vaccination")
    stored = Attribute.objects.create(
        link_id=directory.service.pk,
        link_entity="service",
        taxonomy_term=vaccination,
        value="primary",
    )

    data = full_service(directory.service)

    assert [item["id"] for item in data["attributes"]] == [str(stored.pk)]
    assert data["attributes"][0]["value"] == "primary"


def test_text_is_in_the_records_language_with_other_languages_in_translations(
    directory: Directory,
) -> None:
    data = full_service(directory.service)

    assert data["name"] == "Vacunación"
    assert data["translations"] == {
        "en": {"name": "Vaccination", "description": "Vaccines for everyone."}
    }
    assert data["organization"]["translations"]["en"]["name"] == "Community Clinic"


def test_asking_for_english_shows_english_and_keeps_spanish_in_translations(
    directory: Directory,
) -> None:
    data = full_service(directory.service, language="en")

    assert_valid(data, "service")
    assert data["name"] == "Vaccination"
    # No English alert: the record's own text stands in.
    assert data["alert"] == "Traiga su carné."
    assert data["translations"] == {
        "es": {
            "name": "Vacunación",
            "description": "Vacunas para niñas, niños y personas adultas.",
            "alert": "Traiga su carné.",
        }
    }
    location = data["service_at_locations"][0]["location"]
    assert location["name"] == "San Miguelito Health Centre"
    assert location["translations"] == {
        "es": {"name": "Centro de Salud San Miguelito", "description": "Frente al parque."}
    }
    term = data["attributes"][0]["taxonomy_term"]
    assert term["name"] == "Vaccination"
    assert term["language"] == "en"


def test_organization_and_service_at_location_objects_validate(directory: Directory) -> None:
    writer = HsdsWriter()
    summary = hsds_queries.organization_get(
        organization_id=str(directory.organization.pk), full_services=False
    )
    full = hsds_queries.organization_get(
        organization_id=str(directory.organization.pk), full_services=True
    )
    row = hsds_queries.service_at_location_get(
        service_at_location_id=str(directory.service_at_location.pk)
    )

    with_summaries = writer.organization(summary, services="summary")
    with_services = writer.organization(full, services="full")
    service_at_location = writer.service_at_location(row, with_service=True)

    for data in (with_summaries, with_services):
        assert_valid(data, "organization")
        # Published services only, and the locations where they are offered.
        assert [item["id"] for item in data["services"]] == [str(directory.service.pk)]
        assert [item["id"] for item in data["locations"]] == [str(directory.location.pk)]
        assert [phone["number"] for phone in data["phones"]] == ["+507 200-0000"]
    assert "service_at_locations" in with_services["services"][0]
    assert "service_at_locations" not in with_summaries["services"][0]
    assert_valid(with_services["services"][0], "service")
    assert_valid(service_at_location, "service_at_location")
    assert service_at_location["service"]["id"] == str(directory.service.pk)


def test_every_taxonomy_term_of_the_senda_taxonomy_validates(db: None) -> None:
    writer = HsdsWriter()
    terms = list(hsds_queries.taxonomy_terms())

    assert len(terms) > 20
    for term in terms:
        data = writer.taxonomy_term(term)
        assert_valid(data, "taxonomy_term")
        assert data["taxonomy"] == "Senda"
        assert data["translations"]["en"]["name"]
    assert_valid(writer.taxonomy(terms[0].taxonomy), "taxonomy")  # type: ignore[arg-type]


def test_empty_optional_values_are_left_out(db: None) -> None:
    service = ServiceFactory.create(published=True, name="Mínimo", description="", email="")

    data = full_service(service)

    assert_valid(data, "service")
    assert "email" not in data
    assert "description" not in data
    assert data["phones"] == []
    assert data["attributes"] == []


# Files: JSON.


def test_export_json_file_holds_every_published_service_and_validates(
    directory: Directory, tmp_path: Path
) -> None:
    other = ServiceFactory.create(published=True, name="Apoyo psicológico")
    target = tmp_path / "services.json"

    result = export_json(target)

    services = json.loads(target.read_text(encoding="utf-8"))
    assert {item["id"] for item in services} == {str(directory.service.pk), str(other.pk)}
    assert result.counts["service"] == 2
    for item in services:
        assert_valid(item, "service")
        assert "publication_status" not in item
        assert "source" not in item


def test_export_json_folder_writes_one_valid_file_per_service(
    directory: Directory, tmp_path: Path
) -> None:
    result = export_json(tmp_path / "out", include_drafts=True)

    files = sorted((tmp_path / "out").glob("*.json"))
    assert {path.stem for path in files} == {str(directory.service.pk), str(directory.draft.pk)}
    assert sorted(result.files) == files
    for path in files:
        assert_valid(json.loads(path.read_text(encoding="utf-8")), "service")


def test_export_json_with_no_services_writes_an_empty_array(db: None, tmp_path: Path) -> None:
    export_json(tmp_path / "empty.json")

    assert json.loads((tmp_path / "empty.json").read_text(encoding="utf-8")) == []


# Files: the CSV data package.


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _typed(row: dict[str, str], resource: dict[str, Any]) -> dict[str, Any]:
    """A CSV row as the JSON object it stands for (empty optional cells left out)."""
    required = required_fields(resource["name"])
    data: dict[str, Any] = {}
    for field in resource["schema"]["fields"]:
        value = row[field["name"]]
        if value == "" and field["name"] not in required:
            continue
        data[field["name"]] = float(value) if field["type"] == "number" else value
    return data


def test_export_csv_writes_the_official_tables_and_descriptor(
    directory: Directory, tmp_path: Path
) -> None:
    export_csv(tmp_path)

    official = json.loads(DATAPACKAGE_FILE.read_text(encoding="utf-8"))
    written = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert written["resources"][: len(official["resources"])] == official["resources"]
    assert {key: value for key, value in written.items() if key != "resources"} == {
        key: value for key, value in official.items() if key != "resources"
    }
    for resource in official["resources"]:
        header, _rows = _read_csv(tmp_path / resource["path"])
        assert header == [field["name"] for field in resource["schema"]["fields"]]
    assert written["resources"][-1]["path"] == "translations.csv"


def test_every_exported_csv_row_validates_and_every_reference_resolves(
    directory: Directory, tmp_path: Path
) -> None:
    export_csv(tmp_path)

    descriptor = datapackage_descriptor()
    tables: dict[str, list[dict[str, str]]] = {}
    for resource in descriptor["resources"]:
        _header, rows = _read_csv(tmp_path / resource["path"])
        tables[resource["name"]] = rows
        for row in rows:
            assert_valid(_typed(row, resource), resource["name"])
    for resource in descriptor["resources"]:
        for key in resource["schema"].get("foreignKeys", []):
            target = key["reference"]["resource"]
            known = {row["id"] for row in tables[target]}
            for row in tables[resource["name"]]:
                value = row[key["fields"]]
                assert not value or value in known, (resource["name"], key["fields"], value)
    # Published only; everything the service hangs on is there.
    assert [row["id"] for row in tables["service"]] == [str(directory.service.pk)]
    assert [row["id"] for row in tables["location"]] == [str(directory.location.pk)]
    assert len(tables["phone"]) == 4  # organization, location, service, service-at-location
    assert len(tables["schedule"]) == 3
    assert len(tables["language"]) == 3
    assert len(tables["taxonomy_term"]) == TaxonomyTerm.objects.count()
    attribute_links = {(row["link_id"], row["link_entity"]) for row in tables["attribute"]}
    assert attribute_links == {
        (str(directory.service.pk), "service"),
        (str(directory.location.pk), "location"),
    }


def test_export_csv_keeps_translations_in_their_own_table(
    directory: Directory, tmp_path: Path
) -> None:
    export_csv(tmp_path, language="en")

    _header, services = _read_csv(tmp_path / "services.csv")
    _header, translations = _read_csv(tmp_path / "translations.csv")
    assert services[0]["name"] == "Vaccination"
    assert {
        "resource": "service",
        "resource_id": str(directory.service.pk),
        "language": "es",
        "field_name": "name",
        "value": "Vacunación",
    } in translations
    assert any(
        row["resource"] == "taxonomy_term" and row["language"] == "es" for row in translations
    )


def test_export_csv_with_drafts_exports_them_without_their_status(
    directory: Directory, tmp_path: Path
) -> None:
    export_csv(tmp_path, include_drafts=True)

    header, services = _read_csv(tmp_path / "services.csv")
    assert {row["id"] for row in services} == {str(directory.service.pk), str(directory.draft.pk)}
    assert "publication_status" not in header
    assert {row["status"] for row in services} == {"active"}


# The command.


def test_export_hsds_command_writes_json_and_csv(directory: Directory, tmp_path: Path) -> None:
    json_output, csv_output = io.StringIO(), io.StringIO()

    call_command("export_hsds", str(tmp_path / "all.json"), stdout=json_output)
    call_command(
        "export_hsds",
        str(tmp_path / "package"),
        "--format",
        "csv",
        "--lang",
        "en",
        stdout=csv_output,
    )

    assert len(json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))) == 1
    assert "service: 1" in json_output.getvalue()
    _header, services = _read_csv(tmp_path / "package" / "services.csv")
    assert services[0]["name"] == "Vaccination"
    assert "location: 1" in csv_output.getvalue()


def test_export_hsds_command_exports_drafts_when_asked(
    directory: Directory, tmp_path: Path
) -> None:
    call_command(
        "export_hsds", str(tmp_path / "all.json"), "--include-drafts", stdout=io.StringIO()
    )

    exported = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    assert {item["id"] for item in exported} == {
        str(directory.service.pk),
        str(directory.draft.pk),
    }


def test_export_hsds_command_will_not_write_a_folder_over_a_file(
    directory: Directory, tmp_path: Path
) -> None:
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me", encoding="utf-8")

    with pytest.raises(CommandError, match="is a file"):
        call_command("export_hsds", str(existing), "--format", "csv")
    assert existing.read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize(
    "arguments",
    [
        ["--lang", "english!"],
        ["--format", "csv"],  # a .json path is not a folder
    ],
)
def test_export_hsds_command_refuses_bad_arguments(
    directory: Directory, tmp_path: Path, arguments: list[str]
) -> None:
    with pytest.raises(CommandError):
        call_command("export_hsds", str(tmp_path / "out.json"), *arguments)
    assert not (tmp_path / "out.json").exists()


# The vendored specification.


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared/reference/hsds is not present")
def test_vendored_schema_files_are_the_reference_files() -> None:
    for vendored in SCHEMA_DIR.rglob("*.json"):
        reference = REFERENCE / "schema" / vendored.relative_to(SCHEMA_DIR)
        assert vendored.read_bytes() == reference.read_bytes(), vendored.name
    assert DATAPACKAGE_FILE.read_bytes() == (REFERENCE / "datapackage.json").read_bytes()


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared/reference/hsds is not present")
@pytest.mark.parametrize(
    ("example", "schema"),
    [
        ("service_full.json", "service"),
        ("organization_full.json", "organization"),
        ("service_at_location_full.json", "service_at_location"),
        ("location.json", "location"),
        ("taxonomy_term.json", "taxonomy_term"),
        ("taxonomy.json", "taxonomy"),
    ],
)
def test_the_validator_accepts_the_official_examples(example: str, schema: str) -> None:
    assert_valid(json.loads((REFERENCE / "examples" / example).read_text()), schema)


def test_the_validator_names_the_field_at_fault() -> None:
    errors = object_errors(
        {"id": "not-a-uuid", "name": "x", "status": "open", "phones": [{"id": "x"}]}, "service"
    )

    assert {error.path for error in errors} == {"/id", "/status", "/phones/0", "/phones/0/id"}
