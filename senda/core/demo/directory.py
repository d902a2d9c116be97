"""The demo directory: providers, locations and services, written through the directory actions
by the demo staff of each partner, verified on dates spread over the last 200 days (so a few
are stale) and published by a content editor, except a few left in the review workflow.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from senda.accounts.models import Organisation, User
from senda.core.demo import directory_data as data
from senda.core.demo.accounts import demo_slugs
from senda.core.demo.world import (
    EXAMPLE_SOURCE,
    DemoWorld,
    Text,
    stable_fraction,
    stable_int,
    with_example_note,
)
from senda.directory.actions import (
    AddressInput,
    CostOptionInput,
    OpeningHours,
    PhoneInput,
    RequiredDocumentInput,
    location_create,
    organization_create,
    service_create,
    service_mark_verified,
    service_publish,
    service_submit_for_review,
)
from senda.directory.models import (
    Location,
    Organization,
    Phone,
    PublicationStatus,
    Service,
    TaxonomyTerm,
)
from senda.geo.models import AdminArea

# Demo locations carry this as their HSDS external identifier type; the key is the identifier.
DEMO_ID_TYPE = "senda-demo"

ALERT: Text = (
    "Ejemplo: información ficticia para demostración. No es asesoría legal ni médica.",
    "Example: fictional information for demonstration. Not legal or medical advice.",
)
PHONE_NOTE: Text = ("Número ficticio de ejemplo.", "Fictional example number.")

WEEKDAY_NUMBERS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}

# Who keeps each tenant's directory (they need the directory.edit capability there).
AUTHORS = {
    "mx": "punto.mx",
    "gt": "punto.gt",
    "hn": "punto.hn",
    "sv": "punto.sv",
    "ni": "punto.ni",
    "cr": "punto.cr",
    "pa": "admin.pa",
    "pa-health": "focal.pa",
}
NETWORK_EDITOR = "editor"
# Guatemala has its own content editor; everyone else is reviewed by the network editor.
PUBLISHERS = {"gt": "editor.gt"}

# Verification dates: fresh ones within this many days, stale ones beyond the 180-day limit.
FRESH_DAYS = 170
STALE_DAYS = (185, 200)
# Roughly this share of services was last checked by the network editor, not the partner.
VERIFIED_BY_EDITOR_SHARE = 0.25


def is_loaded() -> bool:
    return Location.objects.filter(external_identifier_type=DEMO_ID_TYPE).exists()


def _translations(**fields: Text) -> dict[str, dict[str, str]]:
    return {"en": {name: text[1] for name, text in fields.items() if text[1]}}


def _source(official_url: str) -> str:
    if official_url:
        return f"{EXAMPLE_SOURCE}. Fuente oficial / official source: {official_url}"
    return EXAMPLE_SOURCE


def _coordinates(area: AdminArea, key: str) -> tuple[float, float]:
    """Near the area's centroid, offset by up to ~1 km so that locations differ."""
    latitude = area.latitude + (stable_fraction(f"{key}/lat") - 0.5) * 0.02
    longitude = area.longitude + (stable_fraction(f"{key}/lon") - 0.5) * 0.02
    return round(latitude, 5), round(longitude, 5)


def _phones(place: data.PlaceSpec, index: int, country: str) -> tuple[PhoneInput, PhoneInput]:
    """The place's desk line and its WhatsApp mobile: obviously fictional, never a real line."""
    calling_code = data.COUNTRIES[country].calling_code
    note = _translations(description=PHONE_NOTE)
    desk = PhoneInput(
        number=f"{calling_code} 000-{index + 1:04d}",
        type=Phone.PhoneType.VOICE,
        description=PHONE_NOTE[0],
        translations=note,
    )
    mobile = PhoneInput(
        number=f"{calling_code} 0000-{index + 1:04d}",
        type=Phone.PhoneType.CELL,
        whatsapp=True,
        description=PHONE_NOTE[0],
        translations=note,
    )
    return desk, mobile


def _time(value: str) -> datetime.time:
    hours, minutes = value.split(":")
    return datetime.time(int(hours), int(minutes))


def _opening_hours(spec: data.ServiceSpec) -> list[OpeningHours]:
    return [
        OpeningHours(
            weekday=WEEKDAY_NUMBERS[day], opens_at=_time(hours.opens), closes_at=_time(hours.closes)
        )
        for hours in spec.hours
        for day in hours.days.split(",")
    ]


def _cost_options(spec: data.ServiceSpec) -> list[CostOptionInput]:
    return [
        CostOptionInput(
            option=cost.option[0],
            amount=Decimal(cost.amount),
            currency=cost.currency,
            amount_description=cost.amount_description[0] if cost.amount_description else "",
            translations=_translations(
                option=cost.option, amount_description=cost.amount_description or ("", "")
            ),
        )
        for cost in spec.costs
    ]


def _documents(spec: data.ServiceSpec) -> list[RequiredDocumentInput]:
    return [
        RequiredDocumentInput(document=document[0], translations=_translations(document=document))
        for document in spec.documents
    ]


def _verified_on(spec: data.ServiceSpec, today: datetime.date) -> datetime.date:
    if spec.stale:
        days_ago = stable_int(f"{spec.key}/verified", *STALE_DAYS)
    else:
        days_ago = stable_int(f"{spec.key}/verified", 0, FRESH_DAYS)
    return today - datetime.timedelta(days=days_ago)


def _load_service(
    world: DemoWorld,
    spec: data.ServiceSpec,
    place: data.PlaceSpec,
    *,
    owner: Organisation,
    author: User,
    provider: Organization,
    location: Location,
    terms: dict[str, TaxonomyTerm],
    mobile: PhoneInput,
) -> Service:
    description = with_example_note(spec.description)
    service = service_create(
        actor=author,
        owner=owner,
        organization=provider,
        fields={
            "language": "es",
            "name": spec.name[0],
            "description": description[0],
            "eligibility_description": spec.eligibility[0],
            "application_process": spec.application[0],
            "fees_description": spec.fees[0],
            "alert": ALERT[0],
            "source": _source(spec.official_url),
            "minimum_age": spec.minimum_age,
            "maximum_age": spec.maximum_age,
        },
        translations=_translations(
            name=spec.name,
            description=description,
            eligibility_description=spec.eligibility,
            application_process=spec.application,
            fees_description=spec.fees,
            alert=ALERT,
        ),
        categories=[terms[code] for code in spec.categories],
        locations=[location],
        phones=[mobile],
        cost_options=_cost_options(spec),
        required_documents=_documents(spec),
        languages=list(place.languages),
        hours=_opening_hours(spec),
    )
    if spec.status == PublicationStatus.PUBLISHED:
        verifier = author
        if stable_fraction(f"{spec.key}/verifier") < VERIFIED_BY_EDITOR_SHARE:
            verifier = world.user(NETWORK_EDITOR)
        service = service_mark_verified(
            actor=verifier, service=service, verified_on=_verified_on(spec, world.today)
        )
        publisher = world.user(PUBLISHERS.get(place.tenant, NETWORK_EDITOR))
        service = service_publish(actor=publisher, service=service)
    elif spec.status == PublicationStatus.PENDING_REVIEW:
        service = service_submit_for_review(actor=author, service=service)
    return service


def load(world: DemoWorld) -> None:
    """Create the demo providers, locations and services unless they are already there."""
    if is_loaded():
        return
    places = data.places()
    codes = {code for place in places for spec in place.services for code in spec.categories}
    terms = {term.code: term for term in TaxonomyTerm.objects.filter(code__in=codes)}
    missing = codes - set(terms)
    if missing:
        raise LookupError(f"Taxonomy terms missing (run migrate): {', '.join(sorted(missing))}")
    areas = AdminArea.objects.select_related("parent").in_bulk([place.area for place in places])

    providers: dict[str, Organization] = {}
    for provider_spec in data.PROVIDERS:
        owner = world.organisation(provider_spec.tenant)
        providers[provider_spec.key] = organization_create(
            actor=world.user(AUTHORS[provider_spec.tenant]),
            owner=owner,
            fields={
                "language": "es",
                "name": provider_spec.name[0],
                "description": provider_spec.description[0],
                "website": provider_spec.website,
            },
            translations=_translations(
                name=provider_spec.name, description=provider_spec.description
            ),
        )

    for index, place in enumerate(places):
        owner = world.organisation(place.tenant)
        author = world.user(AUTHORS[place.tenant])
        area = areas[place.area]
        latitude, longitude = _coordinates(area, place.key)
        desk, mobile = _phones(place, index, area.country_id)
        location = location_create(
            actor=author,
            owner=owner,
            fields={
                "language": "es",
                "name": place.name[0],
                "description": place.description[0],
                "transportation": place.transportation[0],
                "latitude": latitude,
                "longitude": longitude,
                "admin_area": area,
                "country": area.country,
                "organization": providers[place.provider],
                "external_identifier": place.key,
                "external_identifier_type": DEMO_ID_TYPE,
            },
            translations=_translations(
                name=place.name,
                description=place.description,
                transportation=place.transportation,
            ),
            addresses=[
                AddressInput(
                    address_1=place.address,
                    city=place.city,
                    state_province=area.parent.name if area.parent else area.name,
                    country=area.country_id,
                )
            ],
            phones=[desk],
        )
        for spec in place.services:
            _load_service(
                world,
                spec,
                place,
                owner=owner,
                author=author,
                provider=providers[place.provider],
                location=location,
                terms=terms,
                mobile=mobile,
            )
    world.loaded.append("directory")


def summary() -> str:
    """One line on what the demo directory holds."""
    services = Service.objects.filter(owner__slug__in=demo_slugs())
    published = services.filter(publication_status=PublicationStatus.PUBLISHED).count()
    locations = Location.objects.filter(external_identifier_type=DEMO_ID_TYPE).count()
    return (
        f"Directory: {services.count()} services ({published} published) at {locations} locations."
    )


@transaction.atomic
def reset() -> None:
    """Delete every directory row kept by a demo tenant (before the tenants themselves go)."""
    owners = Organisation.objects.filter(slug__in=demo_slugs())
    Service.objects.filter(owner__in=owners).delete()
    Location.objects.filter(owner__in=owners).delete()
    Organization.objects.filter(owner__in=owners).delete()
