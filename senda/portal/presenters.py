"""What the public pages show, computed from rows already loaded (no queries here).

Result cards and the service page read the same facts (hours, "open now", languages) the
same way, so a card never says "open" while the service page says "closed".
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.dates import WEEKDAYS
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from senda.directory.models import (
    CostOption,
    Location,
    Phone,
    RequiredDocument,
    Schedule,
    Service,
    TaxonomyTerm,
    WeeklyOpening,
)
from senda.directory.nearby import NearbyHit
from senda.directory.queries import stale_cutoff
from senda.geo.models import AdminArea
from senda.portal.queries import location_openings

# ---------------------------------------------------------------------------------------------
# Hours and "open now"


def is_open_at(openings: Iterable[WeeklyOpening], now: datetime.datetime) -> bool | None:
    """True or False from the weekly openings, None when the hours are unknown."""
    openings = list(openings)
    if not openings:
        return None
    for opening in openings:
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(opening.timezone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        minute = local.hour * 60 + local.minute
        if (
            opening.weekday == local.weekday()
            and opening.opens_minute <= minute < opening.closes_minute
            and applies_on(opening, local.date())
        ):
            return True
    return False


def applies_on(opening: WeeklyOpening, day: datetime.date) -> bool:
    """Whether a weekly opening is in force on ``day`` (schedules may have a validity)."""
    if opening.valid_from is not None and day < opening.valid_from:
        return False
    return opening.valid_to is None or day <= opening.valid_to


def current_openings(
    openings: Iterable[WeeklyOpening], today: datetime.date
) -> list[WeeklyOpening]:
    """The openings in force today: the week a reader sees."""
    return [opening for opening in openings if applies_on(opening, today)]


def clock(minutes: int) -> str:
    """Minutes after midnight as a 24-hour clock time: 480 -> "08:00", 1440 -> "24:00"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass
class DayHours:
    weekday: int
    name: str
    intervals: list[str]  # empty: closed that day


def weekly_hours(openings: Iterable[WeeklyOpening]) -> list[DayHours]:
    """Monday to Sunday, each with its opening intervals in order."""
    by_day: dict[int, set[tuple[int, int]]] = {day: set() for day in range(7)}
    for opening in openings:
        by_day[opening.weekday].add((opening.opens_minute, opening.closes_minute))
    return [
        DayHours(
            weekday=day,
            name=capfirst(str(WEEKDAYS[day])),
            intervals=[f"{clock(opens)}–{clock(closes)}" for opens, closes in sorted(spans)],
        )
        for day, spans in by_day.items()
    ]


def schedule_notes(schedules: Iterable[Schedule]) -> list[str]:
    notes: list[str] = []
    for schedule in schedules:
        for text in (schedule.tr("description"), schedule.tr("notes")):
            if text and text not in notes:
                notes.append(text)
    return notes


# ---------------------------------------------------------------------------------------------
# Small formatting helpers


def language_label(code: str, stored_name: str = "") -> str:
    """A language's name in the reader's language when Django knows it, else as stored."""
    try:
        return capfirst(str(get_language_info(code.lower())["name_translated"]))
    except KeyError:
        return stored_name or code


def tel_url(number: str, extension: str = "") -> str:
    dialable = re.sub(r"[^\d+]", "", number)
    dialable = dialable[:1] + dialable[1:].replace("+", "")
    digits = re.sub(r"\D", "", extension)
    return f"tel:{dialable};ext={digits}" if digits else f"tel:{dialable}"


def whatsapp_url(number: str, calling_code: str = "") -> str:
    """A wa.me link: the full international number as digits only."""
    digits = re.sub(r"\D", "", number)
    if not number.strip().startswith("+") and calling_code:
        prefix = re.sub(r"\D", "", calling_code)
        if not digits.startswith(prefix):
            digits = prefix + digits
    return f"https://wa.me/{digits}"


def ages_text(minimum: int | None, maximum: int | None) -> str:
    if minimum == 0:
        minimum = None  # "from 0 years old" says nothing
    if minimum is not None and maximum is not None:
        return _("From %(minimum)s to %(maximum)s years old") % {
            "minimum": minimum,
            "maximum": maximum,
        }
    if minimum is not None:
        return _("%(minimum)s years old and over") % {"minimum": minimum}
    if maximum is not None:
        return _("Up to %(maximum)s years old") % {"maximum": maximum}
    return ""


def is_stale(assured_date: datetime.date | None, today: datetime.date | None = None) -> bool:
    """Not verified within ``SENDA_STALE_SERVICE_DAYS`` (or never): readers are warned."""
    return assured_date is None or assured_date < stale_cutoff(today)


# ---------------------------------------------------------------------------------------------
# Result cards


@dataclass
class ServiceCard:
    service: Service
    categories: list[TaxonomyTerm]
    area_names: list[str]
    open_now: bool | None
    distance_km: float | None = None


def search_cards(services: list[Service], *, now: datetime.datetime) -> list[ServiceCard]:
    """Cards for services loaded with ``services_with_card_details``."""
    cards = []
    for service in services:
        # Where: "location, area" so that one provider's centres are told apart.
        area_names: list[str] = []
        for sal in service.service_at_locations.all():
            area = sal.location.admin_area
            place = ", ".join(
                part for part in (str(sal.location.tr("name")), area.name if area else "") if part
            )
            if place and place not in area_names:
                area_names.append(place)
        cards.append(
            ServiceCard(
                service=service,
                categories=list(service.categories.all()),
                area_names=area_names,
                open_now=is_open_at(service.weekly_openings.all(), now),
            )
        )
    return cards


def nearby_cards(
    hits: list[NearbyHit], *, areas: dict[str, AdminArea], now: datetime.datetime
) -> list[ServiceCard]:
    """Cards for "near me": the area and hours of the nearest location, and its distance."""
    cards = []
    for hit in hits:
        area = areas.get(hit.location.admin_area_id or "")
        cards.append(
            ServiceCard(
                service=hit.service,
                categories=list(hit.service.categories.all()),
                area_names=[
                    ", ".join(
                        part
                        for part in (str(hit.location.tr("name")), area.name if area else "")
                        if part
                    )
                ],
                open_now=is_open_at(location_openings(hit.service, hit.location), now),
                distance_km=hit.distance_km,
            )
        )
    return cards


# ---------------------------------------------------------------------------------------------
# The service page


@dataclass
class PhoneLink:
    number: str
    extension: str
    description: str
    tel_url: str
    whatsapp_url: str  # empty when the number takes no WhatsApp messages


def phone_links(phones: Iterable[Phone], calling_code: str = "") -> list[PhoneLink]:
    links = []
    for phone in phones:
        links.append(
            PhoneLink(
                number=phone.number,
                extension=phone.extension,
                description=phone.tr("description"),
                tel_url=tel_url(phone.number, phone.extension),
                whatsapp_url=whatsapp_url(phone.number, calling_code) if phone.whatsapp else "",
            )
        )
    return links


@dataclass
class LocationView:
    location: Location
    address_lines: list[list[str]]
    phones: list[PhoneLink]
    hours: list[DayHours]
    has_hours: bool
    open_now: bool | None
    notes: list[str]
    accessibility: list[str]
    geo_url: str = ""
    map_url: str = ""


@dataclass
class CostLine:
    option: str
    amount: Decimal | None
    currency: str
    is_free: bool
    description: str


@dataclass
class ServicePage:
    service: Service
    categories: list[TaxonomyTerm]
    ages: str
    documents: list[RequiredDocument]
    costs: list[CostLine]
    languages: list[str]
    phones: list[PhoneLink]
    locations: list[LocationView]
    hours: list[DayHours]  # service-wide hours, shown when it has no location
    has_hours: bool
    open_now: bool | None
    notes: list[str]
    is_stale: bool
    verified_by: str
    source_is_link: bool
    stale_days: int = 0
    alerts: list[str] = field(default_factory=list)


def _address_lines(location: Location) -> list[list[str]]:
    lines = []
    for address in location.addresses.all():
        first = [part for part in (address.address_1, address.address_2) if part]
        second = [part for part in (address.city, address.state_province) if part]
        if address.postal_code:
            second.append(address.postal_code)
        lines.append([", ".join(first), ", ".join(second)])
    return lines


def _map_urls(location: Location) -> tuple[str, str]:
    if location.latitude is None or location.longitude is None:
        return "", ""
    # Formatted here, never in a template: a localised "9,04" would break both links.
    lat, lon = f"{location.latitude:.5f}", f"{location.longitude:.5f}"
    return (
        f"geo:{lat},{lon}",
        f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}",
    )


def _cost_line(option: CostOption) -> CostLine:
    return CostLine(
        option=option.tr("option"),
        amount=option.amount,
        currency=option.currency,
        is_free=option.amount is not None and option.amount == Decimal(0),
        description=option.tr("amount_description"),
    )


def verifier_name(service: Service) -> str:
    """The organisation that verified the service, never the person or their email."""
    if service.verified_by is not None:
        membership = service.verified_by.active_membership()
        if membership is not None:
            return membership.organisation.name
    return service.owner.name


def service_page(
    service: Service,
    *,
    now: datetime.datetime,
    today: datetime.date,
    stale_days: int,
) -> ServicePage:
    """The service page of a service loaded with ``service_with_page_details``."""
    locations = []
    calling_code = ""
    for sal in service.service_at_locations.all():
        location = sal.location
        if location.country is not None and not calling_code:
            calling_code = location.country.calling_code
        openings = current_openings(location_openings(service, location), today)
        geo_url, map_url = _map_urls(location)
        code = location.country.calling_code if location.country else ""
        locations.append(
            LocationView(
                location=location,
                address_lines=_address_lines(location),
                phones=phone_links([*sal.phones.all(), *location.phones.all()], code),
                hours=weekly_hours(openings),
                has_hours=bool(openings),
                open_now=is_open_at(openings, now),
                notes=schedule_notes([*sal.schedules.all(), *location.schedules.all()]),
                accessibility=[
                    text
                    for item in location.accessibility.all()
                    for text in (item.tr("description"), item.tr("details"))
                    if text
                ],
                geo_url=geo_url,
                map_url=map_url,
            )
        )
    openings = current_openings(location_openings(service, None), today)
    alerts = [service.tr("alert")] if service.tr("alert") else []
    return ServicePage(
        service=service,
        categories=list(service.categories.all()),
        ages=ages_text(service.minimum_age, service.maximum_age),
        documents=list(service.required_documents.all()),
        costs=[_cost_line(option) for option in service.cost_options.all()],
        languages=sorted(
            {language_label(item.code, item.name) for item in service.languages.all()}
        ),
        phones=phone_links(service.phones.all(), calling_code),
        locations=locations,
        hours=weekly_hours(openings),
        has_hours=bool(openings),
        open_now=is_open_at(openings, now),
        notes=schedule_notes(service.schedules.all()),
        is_stale=is_stale(service.assured_date, today),
        verified_by=verifier_name(service),
        source_is_link=service.source.startswith(("https://", "http://")),
        stale_days=stale_days,
        alerts=alerts,
    )
