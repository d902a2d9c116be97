"""Synthetic directory for the bench: services, locations and everything derived from them.

Rows are written in bulk (``bulk_create`` for the directory itself, plain ``executemany`` or
``COPY`` for the derived tables) instead of through the actions, which would take hours for
100,000 services. The derived rows (search tokens, map points, weekly openings, the free
flag) are built with the same functions of ``senda.directory.derived`` that the actions use,
and ``check_derived`` recomputes a sample through the ORM path to prove they are identical.

Coordinates cluster around the admin-area centroids of ``senda.geo``: most places within a few
kilometres of an area's centre (a town), the rest spread over tens of kilometres.
"""

from __future__ import annotations

import datetime
import random
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from senda.accounts.models import Organisation
from senda.directory import derived, geo
from senda.directory.models import (
    CostOption,
    Language,
    Location,
    Organization,
    PublicationStatus,
    Schedule,
    Service,
    ServiceAtLocation,
    ServicePoint,
    ServiceSearchToken,
    TaxonomyTerm,
    WeeklyOpening,
)
from senda.geo.models import AdminArea, Country

COUNTRY_SHARES = {
    "MX": 0.30,
    "US": 0.16,
    "GT": 0.12,
    "HN": 0.10,
    "SV": 0.08,
    "PA": 0.09,
    "NI": 0.07,
    "CR": 0.08,
}
PUBLISHED_SHARE = 0.92
PROVIDERS_PER_1000_SERVICES = 20
PARTNERS = 60
CHUNK = 2000

# Service names by category (Spanish, English). "{place}" becomes the area's name.
NAMES: dict[str, list[tuple[str, str]]] = {
    "migration.information": [
        ("Centro de Información Migratoria {place}", "Migration Information Centre {place}"),
        ("Orientación sobre migración regular", "Guidance on regular migration"),
        ("Punto de información para personas migrantes", "Information point for migrants"),
    ],
    "migration.documents": [
        ("Trámite de pasaporte y documentos", "Passport and document procedures"),
        ("Apoyo para obtener actas de nacimiento", "Help to obtain birth certificates"),
        ("Documentación de identidad {place}", "Identity documents {place}"),
    ],
    "migration.visas": [
        ("Asesoría sobre visas de trabajo", "Advice on work visas"),
        ("Permisos temporales y visas humanitarias", "Temporary permits and humanitarian visas"),
    ],
    "migration.asylum": [
        ("Solicitud de asilo y refugio", "Asylum and refugee applications"),
        ("Acompañamiento a personas refugiadas", "Support for refugees"),
    ],
    "migration.return": [
        ("Atención a personas retornadas", "Services for returnees"),
        ("Reintegración y retorno voluntario", "Reintegration and voluntary return"),
    ],
    "legal": [
        ("Asesoría legal gratuita", "Free legal advice"),
        ("Clínica jurídica {place}", "Legal clinic {place}"),
        ("Defensoría de derechos humanos", "Human rights defenders"),
    ],
    "health.vaccination": [
        ("Vacunación", "Vaccination"),
        ("Jornada de vacunación {place}", "Vaccination day {place}"),
        ("Vacunas para niñas y niños", "Vaccines for children"),
        ("Vacunación contra la influenza", "Flu vaccination"),
    ],
    "health.prenatal": [
        ("Control prenatal", "Prenatal care"),
        ("Atención a mujeres embarazadas", "Care for pregnant women"),
        ("Clínica materna {place}", "Maternity clinic {place}"),
    ],
    "health.srh": [
        ("Salud sexual y reproductiva", "Sexual and reproductive health"),
        ("Planificación familiar", "Family planning"),
        ("Pruebas de VIH confidenciales", "Confidential HIV testing"),
    ],
    "health.mental": [
        ("Apoyo psicológico", "Psychological support"),
        ("Salud mental y apoyo psicosocial", "Mental health and psychosocial support"),
        ("Escucha y acompañamiento emocional", "Listening and emotional support"),
    ],
    "health.primary": [
        ("Centro de Salud {place}", "{place} Health Centre"),
        ("Consulta médica general", "General medical consultation"),
        ("Policlínica comunitaria", "Community polyclinic"),
        ("Atención primaria de salud", "Primary health care"),
    ],
    "health.covid19": [
        ("Pruebas de COVID-19", "COVID-19 testing"),
        ("Detección de COVID-19 {place}", "COVID-19 screening {place}"),
    ],
    "shelter": [
        ("Albergue temporal", "Temporary shelter"),
        ("Casa del Migrante {place}", "Migrant House {place}"),
        ("Refugio nocturno", "Night shelter"),
    ],
    "food": [
        ("Comedor comunitario", "Community kitchen"),
        ("Entrega de alimentos", "Food distribution"),
        ("Desayunos para familias", "Breakfasts for families"),
    ],
    "education.formal": [
        ("Inscripción escolar", "School enrolment"),
        ("Educación para adultos", "Adult education"),
    ],
    "education.vocational": [
        ("Curso de cocina", "Cooking course"),
        ("Formación técnica en electricidad", "Technical training in electrics"),
        ("Taller de costura", "Sewing workshop"),
        ("Curso de computación", "Computer course"),
    ],
    "education.language": [
        ("Clases de inglés", "English classes"),
        ("Clases de español", "Spanish classes"),
    ],
    "employment.placement": [
        ("Bolsa de empleo", "Job board"),
        ("Búsqueda de trabajo", "Job search"),
        ("Ferias de empleo {place}", "Job fairs {place}"),
    ],
    "employment.rights": [
        ("Derechos laborales", "Labour rights"),
        ("Asesoría laboral", "Labour advice"),
    ],
    "entrepreneurship.training": [
        ("Capacitación para emprender", "Training to start a business"),
        ("Escuela de negocios comunitaria", "Community business school"),
    ],
    "entrepreneurship.capital": [
        ("Capital semilla", "Seed capital"),
        ("Microcréditos para emprendedores", "Microcredit for entrepreneurs"),
    ],
    "protection.trafficking": [
        ("Atención a víctimas de trata", "Help for victims of trafficking"),
        ("Línea contra la trata de personas", "Anti-trafficking line"),
    ],
    "protection.exploitation": [
        ("Denuncia de explotación laboral", "Reporting labour exploitation"),
    ],
    "protection.gbv": [
        ("Atención a la violencia de género", "Gender-based violence services"),
        ("Casa refugio para mujeres", "Safe house for women"),
    ],
    "protection.child": [
        ("Protección de niñas, niños y adolescentes", "Child protection"),
        ("Niñez no acompañada", "Unaccompanied children"),
    ],
}
CATEGORY_WEIGHTS = {code: (3 if code.startswith("health") else 2) for code in NAMES}
DESCRIPTIONS = [
    (
        "Atención a personas migrantes, refugiadas y comunidades de acogida.",
        "Services for migrants, refugees and host communities.",
    ),
    ("Sin cita previa, de lunes a viernes.", "No appointment needed, Monday to Friday."),
    (
        "Personal capacitado te orienta de forma confidencial.",
        "Trained staff advise you in confidence.",
    ),
    ("Puedes venir aunque no tengas documentos.", "You can come even without documents."),
    (
        "Ofrecemos acompañamiento y referencia a otros servicios.",
        "We offer support and referral to other services.",
    ),
    (
        "Trae tu documento de identidad si lo tienes.",
        "Bring your identity document if you have one.",
    ),
    ("Atendemos también por teléfono y WhatsApp.", "We also help by phone and WhatsApp."),
    ("Servicio gratuito para toda la familia.", "Free service for the whole family."),
]
ELIGIBILITY = [
    "Personas migrantes de cualquier nacionalidad",
    "Mujeres embarazadas y madres lactantes",
    "Jóvenes de 15 a 29 años",
    "Niñas, niños y adolescentes",
    "Población en general",
    "Personas solicitantes de asilo",
]
PROVIDER_WORDS = (
    ["Fundación", "Asociación", "Red", "Casa", "Iniciativa", "Colectivo", "Programa", "Centro"],
    [
        "Esperanza",
        "Camino Seguro",
        "Nuevo Horizonte",
        "Manos Unidas",
        "Puentes",
        "Sendero",
        "Alba",
        "Semilla",
        "Brújula",
        "Raíces",
        "Horizonte Sur",
        "Abrazo",
    ],
)
INDIGENOUS = {
    "GT": ["mam", "quc", "kek"],
    "MX": ["nah", "yua"],
    "HN": ["miq", "cab"],
    "NI": ["miq"],
    "PA": ["gym"],
}
SCHEDULES: list[tuple[float, list[tuple[str, datetime.time, datetime.time]]]] = [
    (0.45, [("MO,TU,WE,TH,FR", datetime.time(8), datetime.time(16))]),
    (
        0.20,
        [
            ("MO,TU,WE,TH,FR", datetime.time(7), datetime.time(15)),
            ("SA", datetime.time(8), datetime.time(12)),
        ],
    ),
    (0.10, [("MO,TU,WE,TH,FR,SA,SU", datetime.time(0), datetime.time(0))]),  # around the clock
    (0.10, [("MO,TU,WE,TH,FR,SA,SU", datetime.time(18), datetime.time(7))]),  # night shelter
    (0.15, [("TU,TH", datetime.time(9), datetime.time(13, 30))]),
]


@dataclass
class Place:
    area: AdminArea
    parent_areas: list[AdminArea]
    country: Country


@dataclass
class Sample:
    """What the bench needs to build realistic queries."""

    service_id: uuid.UUID
    name: str
    category_code: str
    country_code: str
    latitude: float
    longitude: float


@dataclass
class LoadReport:
    services: int = 0
    locations: int = 0
    tokens: int = 0
    points: int = 0
    openings: int = 0
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)


def _weighted(rng: random.Random, weights: dict[str, float] | dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _places() -> dict[str, list[Place]]:
    areas = {area.pcode: area for area in AdminArea.objects.all()}
    countries = {country.code: country for country in Country.objects.all()}
    by_country: dict[str, list[Place]] = {code: [] for code in COUNTRY_SHARES}
    for area in areas.values():
        if area.country_id not in by_country:
            continue
        parents = []
        parent_code = area.parent_id
        while parent_code:
            parents.append(areas[parent_code])
            parent_code = areas[parent_code].parent_id
        by_country[area.country_id].append(Place(area, parents, countries[area.country_id]))
    return by_country


def _point(rng: random.Random, place: Place) -> tuple[float, float]:
    spread = 0.04 if rng.random() < 0.65 else 0.35  # a town, or the country around it
    latitude = max(-89.9, min(89.9, rng.gauss(place.area.latitude, spread)))
    longitude = rng.gauss(place.area.longitude, spread * 1.2)
    return round(latitude, 6), round(longitude, 6)


class _Terms:
    """The shipped taxonomy, with what the derived functions read from each term."""

    def __init__(self) -> None:
        self.by_code = {term.code: term for term in TaxonomyTerm.objects.all()}
        self.by_id = {term.pk: term for term in self.by_code.values()}

    def chain(self, code: str) -> list[TaxonomyTerm]:
        term: TaxonomyTerm | None = self.by_code[code]
        chain = []
        while term is not None:
            chain.append(term)
            term = self.by_id.get(term.parent_id) if term.parent_id else None
        return chain


def _db_value(model: type[Any], field_name: str, value: Any) -> Any:
    return model._meta.get_field(field_name).get_db_prep_value(value, connection)


def _insert(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        raw = connection.connection
        assert raw is not None
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    raw = connection.connection
    assert raw is not None
    raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)


def _secondary_indexes(tables: Iterable[str]) -> list[str]:
    """CREATE statements of the indexes that a bulk load is faster without."""
    statements: list[str] = []
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT indexdef FROM pg_indexes i WHERE tablename = %s AND NOT EXISTS ("
                    " SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                    " AND sql IS NOT NULL",
                    [table],
                )
            statements.extend(row[0] for row in cursor.fetchall())
    return statements


def _index_name(statement: str) -> str:
    words = statement.replace('"', " ").split()
    return words[words.index("INDEX") + 1]


BULK_TABLES = [
    "directory_service",
    "directory_location",
    "directory_serviceatlocation",
    "directory_service_categories",
    "directory_language",
    "directory_costoption",
    "directory_schedule",
    ServiceSearchToken._meta.db_table,
    ServicePoint._meta.db_table,
    WeeklyOpening._meta.db_table,
]


def generate_and_load(*, services: int, locations: int, seed: int) -> LoadReport:
    """Create ``services`` services at ``locations`` locations, with their derived rows."""
    started = time.perf_counter()
    rng = random.Random(seed)
    places = _places()
    terms = _Terms()
    report = LoadReport(services=services, locations=locations)

    partners = Organisation.objects.bulk_create(
        Organisation(name=f"Bench partner {n}", slug=f"bench-partner-{n}") for n in range(PARTNERS)
    )
    provider_count = max(8, services * PROVIDERS_PER_1000_SERVICES // 1000)
    providers_by_country: dict[str, list[Organization]] = {code: [] for code in COUNTRY_SHARES}
    providers = []
    for n in range(provider_count):
        country = list(COUNTRY_SHARES)[n % len(COUNTRY_SHARES)]
        place = rng.choice(places[country])
        name = f"{rng.choice(PROVIDER_WORDS[0])} {rng.choice(PROVIDER_WORDS[1])} {place.area.name}"
        provider = Organization(
            owner=rng.choice(partners), name=name, description="Organización de ejemplo."
        )
        providers.append(provider)
        providers_by_country[country].append(provider)
    Organization.objects.bulk_create(providers)

    # Every service has one place; the remaining places go to services drawn at random.
    extra_places = [0] * services
    for _ in range(max(0, locations - services)):
        extra_places[rng.randrange(services)] += 1

    statements = _secondary_indexes(BULK_TABLES)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(f"DROP INDEX {_index_name(statement)}")
    for start in range(0, services, CHUNK):
        with transaction.atomic():
            _load_chunk(
                rng=rng,
                places=places,
                terms=terms,
                providers_by_country=providers_by_country,
                extra_places=extra_places[start : start + CHUNK],
                report=report,
            )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    report.seconds = time.perf_counter() - started
    return report


def _schedule_rows(rng: random.Random) -> list[tuple[str, datetime.time, datetime.time]]:
    weights = [weight for weight, _ in SCHEDULES]
    return rng.choices([rows for _, rows in SCHEDULES], weights=weights)[0]


def _load_chunk(
    *,
    rng: random.Random,
    places: dict[str, list[Place]],
    terms: _Terms,
    providers_by_country: dict[str, list[Organization]],
    extra_places: list[int],
    report: LoadReport,
) -> None:
    services: list[Service] = []
    service_locations: list[list[tuple[Location, Place]]] = []
    service_categories: list[list[str]] = []
    service_languages: list[list[str]] = []
    service_costs: list[list[Decimal | None]] = []
    service_schedules: list[list[tuple[str, datetime.time, datetime.time]]] = []
    locations: list[Location] = []
    cost_options: list[CostOption] = []
    languages: list[Language] = []
    schedules: list[Schedule] = []
    sals: list[ServiceAtLocation] = []
    category_links: list[Any] = []

    for extra in extra_places:
        country = _weighted(rng, COUNTRY_SHARES)
        provider = rng.choice(providers_by_country[country])
        home = rng.choice(places[country])
        codes = [_weighted(rng, CATEGORY_WEIGHTS)]
        if rng.random() < 0.2:
            codes.append(_weighted(rng, CATEGORY_WEIGHTS))
        codes = list(dict.fromkeys(codes))
        name_es, name_en = rng.choice(NAMES[codes[0]])
        description = rng.sample(DESCRIPTIONS, 2)
        status = (
            PublicationStatus.PUBLISHED
            if rng.random() < PUBLISHED_SHARE
            else rng.choice([PublicationStatus.DRAFT, PublicationStatus.ARCHIVED])
        )
        translations = {}
        if rng.random() < 0.4:
            translations = {
                "en": {
                    "name": name_en.format(place=home.area.name),
                    "description": " ".join(en for _, en in description),
                }
            }
        free_roll = rng.random()
        amounts: list[Decimal | None]
        fees = ""
        if free_roll < 0.55:
            amounts = [Decimal(0)]
        elif free_roll < 0.85:
            amounts = [Decimal(rng.randrange(2, 60))]
        else:
            amounts = []
            fees = rng.choice(["Gratis", "Consultar el costo en el lugar"])
        service = Service(
            owner_id=provider.owner_id,
            organization=provider,
            name=name_es.format(place=home.area.name),
            description=" ".join(es for es, _ in description),
            eligibility_description=rng.choice(ELIGIBILITY),
            fees_description=fees,
            publication_status=status,
            translations=translations,
            is_free=derived.is_free_from(amounts, fees),
            assured_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randrange(300)),
            source="Bench data (synthetic).",
        )
        services.append(service)
        service_categories.append(codes)
        service_costs.append(amounts)
        for amount in amounts:
            cost_options.append(
                CostOption(service=service, option="Consulta", currency="USD", amount=amount)
            )
        codes_spoken = ["es"]
        if rng.random() < 0.3:
            codes_spoken.append("en")
        if country in INDIGENOUS and rng.random() < 0.15:
            codes_spoken.append(rng.choice(INDIGENOUS[country]))
        service_languages.append(codes_spoken)
        languages.extend(Language(service=service, code=code) for code in codes_spoken)
        hours = _schedule_rows(rng)
        service_schedules.append(hours)
        schedules.extend(
            Schedule(service=service, freq="WEEKLY", byday=byday, opens_at=opens, closes_at=closes)
            for byday, opens, closes in hours
        )
        placed = []
        for index in range(1 + extra):
            place = home if index == 0 or rng.random() < 0.5 else rng.choice(places[country])
            latitude, longitude = _point(rng, place)
            location = Location(
                owner_id=provider.owner_id,
                organization=provider,
                name=f"Sede {place.area.name} {rng.randrange(1, 400)}",
                latitude=latitude,
                longitude=longitude,
                country_id=place.country.code,
                admin_area=place.area,
                grid_cell=geo.grid_cell(latitude, longitude),
                timezone=place.area.timezone,
            )
            locations.append(location)
            placed.append((location, place))
            sals.append(ServiceAtLocation(service=service, location=location))
        service_locations.append(placed)
        category_links.extend(
            Service.categories.through(service=service, taxonomyterm=terms.by_code[code])
            for code in codes
        )

    Service.objects.bulk_create(services)
    Location.objects.bulk_create(locations)
    ServiceAtLocation.objects.bulk_create(sals)
    Service.categories.through.objects.bulk_create(category_links)
    Language.objects.bulk_create(languages)
    CostOption.objects.bulk_create(cost_options)
    Schedule.objects.bulk_create(schedules)

    token_rows: list[tuple[Any, ...]] = []
    point_rows: list[tuple[Any, ...]] = []
    opening_rows: list[tuple[Any, ...]] = []
    for service, placed, codes, spoken, hours in zip(
        services,
        service_locations,
        service_categories,
        service_languages,
        service_schedules,
        strict=True,
    ):
        service_key = _db_value(ServiceSearchToken, "service", service.pk)
        for location, place in placed:
            zone = place.area.timezone
            location_key = _db_value(WeeklyOpening, "location", location.pk)
            for byday, opens, closes in hours:
                for interval in derived.weekly_intervals(
                    freq="WEEKLY",
                    byday=byday,
                    opens_minute=derived.minute_of_day(opens),
                    closes_minute=derived.minute_of_day(closes),
                ):
                    opening_rows.append(
                        (
                            service_key,
                            location_key,
                            interval.weekday,
                            interval.opens_minute,
                            interval.closes_minute,
                            zone,
                            None,
                            None,
                        )
                    )
        if service.publication_status != PublicationStatus.PUBLISHED:
            continue
        chains = [terms.chain(code) for code in codes]
        categories = derived.facet(
            key
            for chain in chains
            for term in chain
            for key in derived.category_keys(term.code, term.pk)
        )
        language_facet = derived.facet(
            key for code in spoken for key in derived.language_keys(code)
        )
        weighted: list[tuple[str | None, int]] = []
        for language in [service.language, *service.translations]:
            weighted.append((service.tr("name", language), derived.WEIGHT_NAME))
            weighted.append((service.tr("description", language), derived.WEIGHT_DESCRIPTION))
        weighted.append((service.eligibility_description, derived.WEIGHT_OTHER))
        weighted.append((service.organization.name, derived.WEIGHT_ORGANIZATION))
        for chain in chains:
            for term in chain:
                for language in [term.language, *term.translations]:
                    weighted.append((term.tr("name", language), derived.WEIGHT_CATEGORY))
        place_facets = []
        for location, place in placed:
            weighted.append((location.name, derived.WEIGHT_OTHER))
            for area in [place.area, *place.parent_areas]:
                weighted.append((area.name, derived.WEIGHT_OTHER))
            place_facets.append(
                derived.PlaceFacets(
                    country=place.country.code,
                    areas=tuple(a.pcode.casefold() for a in [place.area, *place.parent_areas]),
                )
            )
        rows = derived.token_rows(
            weights=derived.search_weights(weighted),
            places=place_facets,
            categories=categories,
            languages=language_facet,
            is_free=service.is_free,
        )
        token_rows.extend((service_key, *row) for row in rows)
        for (location, _place), facets in zip(placed, place_facets, strict=True):
            point_rows.append(
                (
                    service_key,
                    _db_value(ServicePoint, "location", location.pk),
                    location.grid_cell,
                    location.latitude,
                    location.longitude,
                    facets.country,
                    categories,
                    derived.facet(facets.areas),
                    language_facet,
                    service.is_free,
                )
            )
        first_location = placed[0][0]
        assert first_location.latitude is not None and first_location.longitude is not None
        report.samples.append(
            Sample(
                service_id=service.pk,
                name=service.name,
                category_code=codes[0],
                country_code=placed[0][1].country.code,
                latitude=first_location.latitude,
                longitude=first_location.longitude,
            )
        )

    _insert(
        ServiceSearchToken._meta.db_table,
        ["service_id", "token", "weight", "country", "categories", "areas", "languages", "is_free"],
        token_rows,
    )
    _insert(
        ServicePoint._meta.db_table,
        [
            "service_id",
            "location_id",
            "grid_cell",
            "latitude",
            "longitude",
            "country",
            "categories",
            "areas",
            "languages",
            "is_free",
        ],
        point_rows,
    )
    _insert(
        WeeklyOpening._meta.db_table,
        [
            "service_id",
            "location_id",
            "weekday",
            "opens_minute",
            "closes_minute",
            "timezone",
            "valid_from",
            "valid_to",
        ],
        opening_rows,
    )
    report.tokens += len(token_rows)
    report.points += len(point_rows)
    report.openings += len(opening_rows)


def _token_key(row: ServiceSearchToken) -> tuple[Any, ...]:
    return (
        row.token,
        row.weight,
        row.country,
        row.categories,
        row.areas,
        row.languages,
        row.is_free,
    )


def _point_key(row: ServicePoint) -> tuple[Any, ...]:
    return (
        str(row.location_id),
        row.grid_cell,
        row.latitude,
        row.longitude,
        row.country,
        row.categories,
        row.areas,
        row.languages,
        row.is_free,
    )


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


def check_derived(service_ids: Iterable[uuid.UUID]) -> int:
    """Recompute the derived rows of some services the way the actions do and compare them
    with what the bulk load wrote; raises AssertionError on the first difference."""
    checked = 0
    for service in Service.objects.filter(pk__in=list(service_ids)).select_related("organization"):
        tokens, points = derived.service_index_rows(service)
        stored_tokens = ServiceSearchToken.objects.filter(service=service)
        stored_points = ServicePoint.objects.filter(service=service)
        stored_openings = WeeklyOpening.objects.filter(service=service)
        assert sorted(map(_token_key, tokens)) == sorted(map(_token_key, stored_tokens)), service
        assert sorted(map(_point_key, points)) == sorted(map(_point_key, stored_points)), service
        assert sorted(map(_opening_key, derived.service_openings(service))) == sorted(
            map(_opening_key, stored_openings)
        ), service
        assert derived.service_is_free(service) == service.is_free, service
        checked += 1
    return checked


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
