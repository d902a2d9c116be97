"""factory_boy factories for the directory.

Rows are written straight to the database (not through the actions), so each factory keeps
the derived data in step the way the actions do: a location gets its grid cell and time zone,
and a service (and any schedule, cost option, language or service-at-location added to it)
gets its free flag, weekly openings and search tokens refreshed.

Defaults: every row is maintained by a new partner ``owner`` organisation (pass ``owner=``
to reuse one), services are drafts unless created with ``published=True`` (or
``publication_status=...``), and locations sit in San Miguelito, Panama (PA0805).

    service = ServiceFactory.create(
        published=True,
        name="Vacunación",
        categories=["health.vaccination"],  # codes or TaxonomyTerm objects
        locations=[LocationFactory.create(latitude=9.03, longitude=-79.5)],
    )
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import factory
from factory.django import DjangoModelFactory

from senda.accounts.tests.factories import OrganisationFactory
from senda.directory.derived import location_refresh_derived, service_refresh_derived
from senda.directory.models import (
    Address,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    PublicationStatus,
    RequiredDocument,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from senda.directory.reference import term_id

# San Miguelito, Panama: the Panama health project's district.
DEFAULT_LATITUDE = 9.04
DEFAULT_LONGITUDE = -79.49
DEFAULT_AREA = "PA0805"
DEFAULT_COUNTRY = "PA"


def refresh_derived(*services: Service) -> None:
    """Recompute free flag, weekly openings and search tokens, as the actions would."""
    for service in services:
        service.refresh_from_db()
        service_refresh_derived(service)


def category(code: str) -> TaxonomyTerm:
    """A term of the shipped Senda taxonomy by its code (e.g. "health.vaccination")."""
    return TaxonomyTerm.objects.get(pk=term_id(code))


def _set_categories(service: Service, create: bool, extracted: Any, **kwargs: Any) -> None:
    if create and extracted:
        terms = [category(item) if isinstance(item, str) else item for item in extracted]
        service.categories.set(terms)


def _set_locations(service: Service, create: bool, extracted: Any, **kwargs: Any) -> None:
    if create and extracted:
        for location in extracted:
            ServiceAtLocation.objects.create(service=service, location=location)


def _refresh_service(service: Service, create: bool, extracted: Any, **kwargs: Any) -> None:
    if create:
        service_refresh_derived(service)


def _refresh_owner_service(
    row: ServiceAtLocation | CostOption, create: bool, extracted: Any, **kwargs: Any
) -> None:
    if create:
        refresh_derived(row.service)


def _refresh_at_location(location_id: uuid.UUID) -> None:
    refresh_derived(*Service.objects.filter(service_at_locations__location=location_id))


def _refresh_after_schedule(
    schedule: Schedule, create: bool, extracted: Any, **kwargs: Any
) -> None:
    if not create:
        return
    if schedule.service is not None:
        refresh_derived(schedule.service)
    if schedule.service_at_location is not None:
        refresh_derived(schedule.service_at_location.service)
    if schedule.location_id:
        _refresh_at_location(schedule.location_id)


def _refresh_after_language(
    language: Language, create: bool, extracted: Any, **kwargs: Any
) -> None:
    if not create:
        return
    if language.service is not None:
        refresh_derived(language.service)
    if language.location_id:
        _refresh_at_location(language.location_id)


class OrganizationFactory(DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    owner = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Provider {n}")
    description = "A partner organisation that provides services."


class LocationFactory(DjangoModelFactory[Location]):
    class Meta:
        model = Location

    owner = factory.SubFactory(OrganisationFactory)
    organization = factory.SubFactory(OrganizationFactory, owner=factory.SelfAttribute("..owner"))
    name = factory.Sequence(lambda n: f"Location {n}")
    latitude = DEFAULT_LATITUDE
    longitude = DEFAULT_LONGITUDE
    country_id = DEFAULT_COUNTRY
    admin_area_id = DEFAULT_AREA

    @classmethod
    def _create(cls, model_class: type[Location], *args: Any, **kwargs: Any) -> Location:
        location = model_class(**kwargs)
        location_refresh_derived(location)
        location.save()
        return location


class ServiceFactory(DjangoModelFactory[Service]):
    """A service; ``categories`` and ``locations`` are post-generation lists."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    class Params:
        published = factory.Trait(publication_status=PublicationStatus.PUBLISHED)

    owner = factory.SubFactory(OrganisationFactory)
    organization = factory.SubFactory(OrganizationFactory, owner=factory.SelfAttribute("..owner"))
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "What the service offers."
    assured_date = factory.LazyFunction(datetime.date.today)
    source = "Telephone call to the service."

    categories = factory.PostGeneration(_set_categories)
    locations = factory.PostGeneration(_set_locations)
    # Runs after categories and locations (declaration order), like the actions.
    derived = factory.PostGeneration(_refresh_service)


class ServiceAtLocationFactory(DjangoModelFactory[ServiceAtLocation]):
    class Meta:
        model = ServiceAtLocation
        skip_postgeneration_save = True

    service = factory.SubFactory(ServiceFactory)
    location = factory.SubFactory(LocationFactory, owner=factory.SelfAttribute("..service.owner"))

    derived = factory.PostGeneration(_refresh_owner_service)


class AddressFactory(DjangoModelFactory[Address]):
    class Meta:
        model = Address

    location = factory.SubFactory(LocationFactory)
    address_1 = factory.Sequence(lambda n: f"Calle {n}")
    city = "San Miguelito"
    state_province = "Panamá"
    country = DEFAULT_COUNTRY


class PhoneFactory(DjangoModelFactory[Phone]):
    class Meta:
        model = Phone

    number = factory.Sequence(lambda n: f"+507 6{n:03d}-0000")
    type = Phone.PhoneType.VOICE


class ScheduleFactory(DjangoModelFactory[Schedule]):
    """A weekly schedule, Monday to Friday 08:00-16:00, of ``service`` unless told otherwise."""

    class Meta:
        model = Schedule
        skip_postgeneration_save = True

    service = factory.SubFactory(ServiceFactory)
    freq = "WEEKLY"
    byday = "MO,TU,WE,TH,FR"
    opens_at = datetime.time(8, 0)
    closes_at = datetime.time(16, 0)

    derived = factory.PostGeneration(_refresh_after_schedule)


class CostOptionFactory(DjangoModelFactory[CostOption]):
    """A cost option; ``amount=Decimal(0)`` makes the service free."""

    class Meta:
        model = CostOption
        skip_postgeneration_save = True

    service = factory.SubFactory(ServiceFactory)
    option = "Consulta"
    currency = "USD"
    amount = Decimal("5.00")

    derived = factory.PostGeneration(_refresh_owner_service)


class LanguageFactory(DjangoModelFactory[Language]):
    """A language spoken at a service (ISO 639 ``code``); pass ``location=`` and
    ``service=None`` for a language spoken at a location."""

    class Meta:
        model = Language
        skip_postgeneration_save = True

    service = factory.SubFactory(ServiceFactory)
    code = "es"
    name = factory.LazyAttribute(
        lambda language: {"es": "Español", "en": "English"}.get(language.code, language.code)
    )

    derived = factory.PostGeneration(_refresh_after_language)


class RequiredDocumentFactory(DjangoModelFactory[RequiredDocument]):
    class Meta:
        model = RequiredDocument

    service = factory.SubFactory(ServiceFactory)
    document = "Documento de identidad"
