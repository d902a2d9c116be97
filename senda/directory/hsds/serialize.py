"""Senda's directory as HSDS 3.0 JSON objects.

The one-to-one fields of every object, and their order, come from the official data package
descriptor, so the JSON objects, the CSV rows and the API all say the same thing. Values are
plain JSON (strings, numbers, lists, objects): dates in ISO 8601, ids as UUID strings. Empty
optional values are left out; arrays of related objects are always present.

Language: by default every text is in the record's own language. With ``language="en"`` the
text is the English translation where one exists (field by field, falling back to the
record's own text). Senda's one extension to HSDS: an object with text in other languages
carries ``"translations": {"en": {"name": ...}}`` holding every language not shown in its
main fields (HSDS schemas allow additional properties).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from django.db.models import Model

from senda.core.models import TranslatableModel
from senda.directory.hsds import queries
from senda.directory.hsds.spec import required_fields, resource_fields
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

JSON = dict[str, Any]
ServiceDetail = Literal["summary", "full"]

# Category attributes get the same id on every export: derived from the service and the term.
_CATEGORY_ATTRIBUTE_NAMESPACE = uuid.UUID("c6f5d0a4-6d1b-4c55-9d0e-5b3f2f0a8e17")


def category_attribute_id(link_id: uuid.UUID | str, term_id: uuid.UUID | str) -> str:
    return str(uuid.uuid5(_CATEGORY_ATTRIBUTE_NAMESPACE, f"{link_id}:{term_id}"))


def json_value(value: Any) -> Any:
    """A model value as a JSON value (None for nothing)."""
    if value is None or value == "":
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime):
        return (
            value.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def normalise_language(language: str | None) -> str | None:
    """ "en-GB" -> "en"; empty -> None (each record's own language)."""
    if not language:
        return None
    return language.split("-")[0].lower() or None


class HsdsWriter:
    """Turns directory rows into HSDS objects in one language (None = each record's own)."""

    def __init__(self, language: str | None = None) -> None:
        self.language = normalise_language(language)

    # Text and translations.

    def text(self, obj: Model, field: str) -> Any:
        if (
            self.language
            and isinstance(obj, TranslatableModel)
            and field in obj.translatable_fields
        ):
            return obj.tr(field, self.language)
        return getattr(obj, field, None)

    def translations(self, obj: TranslatableModel) -> dict[str, dict[str, str]]:
        """Every language of ``obj`` not shown in its main fields, field by field."""
        stored: dict[str, dict[str, str]] = {}
        for language, fields in (obj.translations or {}).items():
            if not isinstance(fields, dict):
                continue
            texts = {
                field: value
                for field, value in fields.items()
                if field in obj.translatable_fields and isinstance(value, str) and value
            }
            if texts and language != obj.language:
                stored[language] = texts
        shown = self.language
        if shown and shown != obj.language and shown in stored:
            del stored[shown]
            own = {
                field: getattr(obj, field)
                for field in obj.translatable_fields
                if getattr(obj, field, "")
            }
            if own:
                stored[obj.language] = own
        return dict(sorted(stored.items()))

    def shown_language(self, obj: TranslatableModel) -> str:
        """The language of ``obj``'s main text fields in this writer's output."""
        if self.language and (obj.translations or {}).get(self.language):
            return self.language
        return obj.language

    # Flat objects: the one-to-one fields of an HSDS table, as in the CSV form.

    def fields(self, obj: Model, resource: str) -> JSON:
        """The one-to-one HSDS fields of ``obj`` as table ``resource`` has them."""
        required = required_fields(resource)
        data: JSON = {}
        for name in resource_fields(resource):
            value = json_value(self._field(obj, resource, name))
            if value is not None:
                data[name] = value
            elif name in required:
                data[name] = ""
        if isinstance(obj, TranslatableModel):
            translations = self.translations(obj)
            if translations:
                data["translations"] = translations
        return data

    def _field(self, obj: Model, resource: str, name: str) -> Any:
        if resource == "service" and name == "last_modified":
            assert isinstance(obj, Service)
            return obj.last_modified or obj.updated_at
        if resource == "phone" and name == "extension":
            assert isinstance(obj, Phone)
            # HSDS has a numeric extension; a non-numeric one cannot be said in HSDS.
            return int(obj.extension) if obj.extension.isdigit() else None
        if resource == "taxonomy_term":
            assert isinstance(obj, TaxonomyTerm)
            if name == "taxonomy":
                return obj.taxonomy.name if obj.taxonomy else obj.taxonomy_name
            if name == "language":
                return self.shown_language(obj)
        return self.text(obj, name)

    # Nested objects, as the HSDS JSON form and the API have them.

    def language_object(self, language: Language) -> JSON:
        return self.fields(language, "language")

    def phone(self, phone: Phone) -> JSON:
        data = self.fields(phone, "phone")
        data["languages"] = [self.language_object(item) for item in phone.languages.all()]
        return data

    def contact(self, contact: Contact) -> JSON:
        data = self.fields(contact, "contact")
        data["phones"] = []  # Senda keeps no phone per contact
        return data

    def schedule(self, schedule: Schedule) -> JSON:
        return self.fields(schedule, "schedule")

    def address(self, address: Address) -> JSON:
        return self.fields(address, "address")

    def accessibility(self, accessibility: Accessibility) -> JSON:
        return self.fields(accessibility, "accessibility")

    def service_area(self, service_area: ServiceArea) -> JSON:
        return self.fields(service_area, "service_area")

    def cost_option(self, cost_option: CostOption) -> JSON:
        return self.fields(cost_option, "cost_option")

    def required_document(self, document: RequiredDocument) -> JSON:
        return self.fields(document, "required_document")

    def taxonomy(self, taxonomy: Taxonomy) -> JSON:
        return self.fields(taxonomy, "taxonomy")

    def taxonomy_term(self, term: TaxonomyTerm) -> JSON:
        data = self.fields(term, "taxonomy_term")
        if term.taxonomy is not None:
            data["taxonomy_detail"] = self.taxonomy(term.taxonomy)
        return data

    def attribute(self, attribute: Attribute) -> JSON:
        data = self.fields(attribute, "attribute")
        data["taxonomy_term"] = self.taxonomy_term(attribute.taxonomy_term)
        return data

    def category_attribute(self, service: Service, term: TaxonomyTerm) -> JSON:
        """A service category as the HSDS attribute linking the service to the term."""
        data: JSON = {
            "id": category_attribute_id(service.pk, term.pk),
            "link_id": str(service.pk),
            "taxonomy_term_id": str(term.pk),
            "link_entity": "service",
        }
        data["taxonomy_term"] = self.taxonomy_term(term)
        return data

    def location_summary(self, location: Location) -> JSON:
        return self.fields(location, "location")

    def location(self, location: Location) -> JSON:
        data = self.fields(location, "location")
        data["languages"] = [self.language_object(item) for item in location.languages.all()]
        data["addresses"] = [self.address(item) for item in location.addresses.all()]
        data["contacts"] = [self.contact(item) for item in location.contacts.all()]
        data["accessibility"] = [self.accessibility(item) for item in location.accessibility.all()]
        data["phones"] = [self.phone(item) for item in location.phones.all()]
        data["schedules"] = [self.schedule(item) for item in location.schedules.all()]
        return data

    def organization_summary(self, organization: Organization) -> JSON:
        return self.fields(organization, "organization")

    def organization(self, organization: Organization, *, services: ServiceDetail) -> JSON:
        """An organization with its contacts, phones, locations and (published) services."""
        data = self.fields(organization, "organization")
        data["contacts"] = [self.contact(item) for item in organization.contacts.all()]
        data["phones"] = [self.phone(item) for item in organization.phones.all()]
        data["locations"] = [self.location(item) for item in organization.locations.all()]
        if services == "full":
            data["services"] = [
                self.service(item, with_organization=False) for item in organization.services.all()
            ]
        else:
            data["services"] = [
                self.service_summary(item, with_organization=False)
                for item in organization.services.all()
            ]
        data["metadata"] = []
        return data

    def service_summary(self, service: Service, *, with_organization: bool = True) -> JSON:
        """The one-to-one fields of a service (and its organization): an HSDS list item."""
        data = self.fields(service, "service")
        if with_organization:
            data["organization"] = self.organization_summary(service.organization)
        return data

    def service_at_location(
        self, service_at_location: ServiceAtLocation, *, with_service: bool = False
    ) -> JSON:
        data = self.fields(service_at_location, "service_at_location")
        data["contacts"] = [self.contact(item) for item in service_at_location.contacts.all()]
        data["phones"] = [self.phone(item) for item in service_at_location.phones.all()]
        data["schedules"] = [self.schedule(item) for item in service_at_location.schedules.all()]
        data["location"] = self.location(service_at_location.location)
        if with_service:
            data["service"] = self.service_summary(service_at_location.service)
        return data

    def service_at_location_summary(self, service_at_location: ServiceAtLocation) -> JSON:
        """A service-at-location list item: its fields, its location and its service."""
        data = self.fields(service_at_location, "service_at_location")
        data["location"] = self.location_summary(service_at_location.location)
        data["service"] = self.service_summary(service_at_location.service)
        return data

    def service(self, service: Service, *, with_organization: bool = True) -> JSON:
        """A fully nested HSDS service."""
        data = self.fields(service, "service")
        data["phones"] = [self.phone(item) for item in service.phones.all()]
        data["schedules"] = [self.schedule(item) for item in service.schedules.all()]
        data["service_areas"] = [self.service_area(item) for item in service.service_areas.all()]
        data["service_at_locations"] = [
            self.service_at_location(item) for item in service.service_at_locations.all()
        ]
        data["languages"] = [self.language_object(item) for item in service.languages.all()]
        if with_organization:
            data["organization"] = self.organization_summary(service.organization)
        data["cost_options"] = [self.cost_option(item) for item in service.cost_options.all()]
        data["required_documents"] = [
            self.required_document(item) for item in service.required_documents.all()
        ]
        data["contacts"] = [self.contact(item) for item in service.contacts.all()]
        data["attributes"] = [
            self.category_attribute(service, term) for term in service.categories.all()
        ]
        data["metadata"] = []
        return data

    # Attributes of any object, attached after the objects are built: one query per batch.

    def attach_attributes(self, objects: Iterable[JSON]) -> None:
        """Add the HSDS attributes linked to any object (at any depth) of ``objects``."""
        objects = list(objects)
        ids = {str(node["id"]) for node in _nodes(objects)}
        linked = queries.attributes_by_link(ids)
        if linked:
            self.merge_attributes(objects, linked)

    def merge_attributes(
        self, objects: Iterable[JSON], linked: Mapping[str, list[Attribute]]
    ) -> None:
        for node in list(_nodes(objects)):
            rows = linked.get(str(node["id"]))
            if not rows:
                continue
            current: list[JSON] = list(node.get("attributes", []))
            for row in rows:
                item = self.attribute(row)
                # A stored attribute for a category replaces the one made from the category.
                made = category_attribute_id(row.link_id, row.taxonomy_term_id)
                current = [existing for existing in current if existing.get("id") != made]
                current.append(item)
            node["attributes"] = current


def _nodes(objects: Iterable[Any]) -> Iterator[JSON]:
    """Every HSDS object (a dict with an id) in ``objects``, at any depth."""
    for item in objects:
        if isinstance(item, list):
            yield from _nodes(item)
        elif isinstance(item, dict):
            if "id" in item:
                yield item
            for key, value in item.items():
                if key not in ("attributes", "translations", "metadata") and isinstance(
                    value, list | dict
                ):
                    yield from _nodes([value])
