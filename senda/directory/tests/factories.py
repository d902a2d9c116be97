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
    organization = factory.SubFactory(
        OrganizationFactory, owner=factory.SelfAttribute("..owner")
    )
    name = factory.Sequence(lambda n: f"Location {n}")
    latitude = DEFAULT_LATITUDE
    longitude = DEFAULT_LONGITUDE
    country_id = DEFAULT_COUNTRY
    admin_area_id = DEFAULT_AREA

    @classmethod
    def _create(cls, model_class: type[Location], *args: Any, **kwargs: Any) -> Location:
        location = model_class(*args, **kwargs)
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
    organization = factory.SubFactory(
        OrganizationFactory, owner=factory.SelfAttribute("..owner")
    )
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "What the service offers."
    assured_date = factory.LazyFunction(datetime.date.today)
    source = "Telephone call to the service."

    @factory.post_generation
    def categories(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create or not extracted:
            return
        terms = [category(item) if isinstance(item, str) else item for item in extracted]
        self.categories.set(terms)

    @factory.post_generation
    def locations(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create or not extracted:
            return
        for location in extracted:
            ServiceAtLocation.objects.create(service=self, location=location)

    @factory.post_generation
    def derived(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        # Runs after categories and locations (declaration order), like the actions.
        if create:
            service_refresh_derived(self)


class ServiceAtLocationFactory(DjangoModelFactory[ServiceAtLocation]):
    class Meta:
        model = ServiceAtLocation
        skip_postgeneration_save = True

    service = factory.SubFactory(ServiceFactory)
    location = factory.SubFactory(LocationFactory, owner=factory.SelfAttribute("..service.owner"))

    @factory.post_generation
    def derived(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            refresh_derived(self.service)


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

    @factory.post_generation
    def derived(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        if self.service_id:
            refresh_derived(self.service)
        if self.service_at_location_id:
            refresh_derived(self.service_at_location.service)
        if self.location_id:
            services = Service.objects.filter(service_at_locations__location=self.location_id)
            refresh_derived(*services)


class CostOptionFactory(DjangoModelFactory[CostOption]):
    """A cost option; ``amount=Decimal(0)`` makes the service free."""

    class Meta:
        model = CostOption
        skip_postgeneration_save = True

    service = factory.SubFactory(ServiceFactory)
    option = "Consulta"
    currency = "USD"
    amount = Decimal("5.00")

    @factory.post_generation
    def derived(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            refresh_derived(self.service)


class LanguageFactory(DjangoModelFactory[Language]):
    """A language spoken at a service (ISO 639 ``code``)."""

    class Meta:
        model = Language

    service = factory.SubFactory(ServiceFactory)
    code = "es"
    name = factory.LazyAttribute(lambda language: {"es": "Español", "en": "English"}.get(
        language.code, language.code
    ))


class RequiredDocumentFactory(DjangoModelFactory[RequiredDocument]):
    class Meta:
        model = RequiredDocument

    service = factory.SubFactory(ServiceFactory)
    document = "Documento de identidad"
