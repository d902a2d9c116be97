"""Public search: accents and case, ranking, every filter, pagination, published only."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.directory import actions
from senda.directory.models import PublicationStatus, Service
from senda.directory.search import (
    ServiceFilters,
    filter_services,
    prefix_successor,
    query_terms,
    search_services,
)
from senda.directory.tests.factories import (
    CostOptionFactory,
    LanguageFactory,
    LocationFactory,
    OrganizationFactory,
    ScheduleFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Monday 23 November 2026.
MONDAY = datetime.date(2026, 11, 23)


def at_utc(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def names(page_or_hits: object) -> list[str]:
    hits = getattr(page_or_hits, "hits", page_or_hits)
    return [hit.service.name for hit in hits]  # type: ignore[attr-defined]


def published(**kwargs: object) -> Service:
    return ServiceFactory.create(published=True, **kwargs)


# ---------------------------------------------------------------------------------------------
# Words


def test_query_terms_fold_accents_case_and_drop_stopwords() -> None:
    assert query_terms("Vacunación para NIÑOS y niños") == ["vacunacion", "ninos"]


@pytest.mark.parametrize(
    ("prefix", "successor"),
    [("vacuna", "vacunb"), ("az", "b"), ("a9", "aa"), ("9", "a"), ("zz", None), ("abz", "ac")],
)
def test_prefix_successor_bounds_every_word_with_the_prefix(
    prefix: str, successor: str | None
) -> None:
    assert prefix_successor(prefix) == successor


@pytest.mark.parametrize(
    "query", ["vacunacion", "VACUNACIÓN", "Vacunación", "vacuna", "VACUNA", "vacúna", "Vacu"]
)
def test_search_ignores_accents_and_case_and_matches_prefixes(query: str) -> None:
    published(name="Vacunación infantil", locations=[LocationFactory.create()])
    published(name="Albergue temporal", locations=[LocationFactory.create()])

    page = search_services(query)

    assert names(page) == ["Vacunación infantil"]


def test_search_finds_the_english_translation_and_category_names() -> None:
    published(
        name="Control prenatal",
        translations={"en": {"name": "Prenatal care"}},
        categories=["health.prenatal"],
    )

    assert names(search_services("prenatal care")) == ["Control prenatal"]
    # "Salud" is the parent category of prenatal care; "Health" its English name.
    assert names(search_services("salud")) == ["Control prenatal"]
    assert names(search_services("HEALTH")) == ["Control prenatal"]


def test_search_matches_the_provider_and_the_place() -> None:
    provider = OrganizationFactory.create(name="Fundación Camino Seguro")
    published(
        name="Orientación",
        organization=provider,
        owner=provider.owner,
        locations=[LocationFactory.create(admin_area_id="PA0805")],
    )

    assert names(search_services("camino seguro")) == ["Orientación"]
    assert names(search_services("san miguelito")) == ["Orientación"]


def test_a_name_match_ranks_above_a_description_match() -> None:
    published(name="Centro comunitario", description="Jornadas de vacunación cada mes.")
    published(name="Vacunación", description="Para toda la familia.")

    assert names(search_services("vacunacion")) == ["Vacunación", "Centro comunitario"]


def test_more_matched_words_rank_above_fewer() -> None:
    published(name="Prenatal", description="Atención.")
    published(name="Clínica", description="Control prenatal para embarazadas.")

    page = search_services("control prenatal")

    assert names(page) == ["Clínica", "Prenatal"]
    assert [hit.matched_terms for hit in page.hits] == [2, 1]


def test_a_whole_word_ranks_above_a_word_that_only_starts_the_same() -> None:
    published(name="Vacunación")
    published(name="Vacuna")

    assert names(search_services("vacuna")) == ["Vacuna", "Vacunación"]


def test_search_without_words_lists_published_services_by_name() -> None:
    published(name="Bolsa de empleo")
    published(name="Albergue")
    ServiceFactory.create(name="Archivo", publication_status=PublicationStatus.ARCHIVED)

    page = search_services("  de la  ")

    assert names(page) == ["Albergue", "Bolsa de empleo"]
    assert page.total == 2


def test_a_word_nobody_uses_finds_nothing() -> None:
    published(name="Vacunación")

    page = search_services("xylofono")

    assert page.hits == [] and page.total == 0


# ---------------------------------------------------------------------------------------------
# Published only


@pytest.mark.parametrize(
    "status",
    [PublicationStatus.DRAFT, PublicationStatus.PENDING_REVIEW, PublicationStatus.ARCHIVED],
)
def test_unpublished_services_never_appear(status: str) -> None:
    ServiceFactory.create(
        name="Vacunación oculta", publication_status=status, locations=[LocationFactory.create()]
    )
    published(name="Vacunación pública", locations=[LocationFactory.create()])

    assert names(search_services("vacunacion")) == ["Vacunación pública"]
    assert names(search_services("")) == ["Vacunación pública"]
    assert names(search_services("oculta")) == []


def test_publishing_and_archiving_through_the_actions_update_the_search(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    editor = users_a[Role.CONTENT_EDITOR]
    service = ServiceFactory.create(
        owner=org_a, name="Clínica móvil", locations=[LocationFactory.create(owner=org_a)]
    )
    assert names(search_services("clinica")) == []

    actions.service_publish(actor=editor, service=service)
    assert names(search_services("clinica")) == ["Clínica móvil"]

    actions.service_archive(actor=editor, service=service)
    assert names(search_services("clinica")) == []


# ---------------------------------------------------------------------------------------------
# Filters: each alone and together, the same with and without words


@pytest.fixture
def directory() -> dict[str, Service]:
    """Services that differ in one filter each; every name contains "servicio"."""
    panama = LocationFactory.create(admin_area_id="PA0805", country_id="PA")  # San Miguelito
    panama_city = LocationFactory.create(
        admin_area_id="PA0804", country_id="PA", latitude=8.99, longitude=-79.52
    )
    tijuana = LocationFactory.create(
        admin_area_id="MX02004", country_id="MX", latitude=32.5, longitude=-117.0
    )
    services = {
        "vaccination_pa": published(
            name="Servicio de vacunación",
            categories=["health.vaccination"],
            locations=[panama],
        ),
        "prenatal_pa_city": published(
            name="Servicio prenatal", categories=["health.prenatal"], locations=[panama_city]
        ),
        "shelter_mx": published(
            name="Servicio de albergue", categories=["shelter"], locations=[tijuana]
        ),
        "legal_both": published(
            name="Servicio legal", categories=["legal"], locations=[panama, tijuana]
        ),
    }
    CostOptionFactory.create(service=services["vaccination_pa"], amount=Decimal(0))
    CostOptionFactory.create(service=services["shelter_mx"], amount=Decimal(0))
    CostOptionFactory.create(service=services["legal_both"], amount=Decimal("10.00"))
    LanguageFactory.create(service=services["vaccination_pa"], code="es")
    LanguageFactory.create(service=services["prenatal_pa_city"], code="en-US")
    LanguageFactory.create(service=None, location=tijuana, code="en")
    # Monday to Friday, 08:00-16:00 local time, at every location of the service.
    for key in ("vaccination_pa", "shelter_mx"):
        ScheduleFactory.create(service=services[key])
    return services


FILTER_CASES = [
    (ServiceFilters(), {"vaccination_pa", "prenatal_pa_city", "shelter_mx", "legal_both"}),
    (ServiceFilters(category_codes=("health",)), {"vaccination_pa", "prenatal_pa_city"}),
    (ServiceFilters(category_codes=("health.vaccination",)), {"vaccination_pa"}),
    (ServiceFilters(category_codes=("shelter", "legal")), {"shelter_mx", "legal_both"}),
    (ServiceFilters(country_code="MX"), {"shelter_mx", "legal_both"}),
    (ServiceFilters(country_code="pa"), {"vaccination_pa", "prenatal_pa_city", "legal_both"}),
    (ServiceFilters(country_code="GT"), set()),
    (ServiceFilters(area_pcode="PA08"), {"vaccination_pa", "prenatal_pa_city", "legal_both"}),
    (ServiceFilters(area_pcode="PA0805"), {"vaccination_pa", "legal_both"}),
    (ServiceFilters(area_pcode="PA0804"), {"prenatal_pa_city"}),
    (ServiceFilters(area_pcode="MX02"), {"shelter_mx", "legal_both"}),
    (ServiceFilters(free_only=True), {"vaccination_pa", "shelter_mx"}),
    (ServiceFilters(language_code="en"), {"prenatal_pa_city", "shelter_mx", "legal_both"}),
    (ServiceFilters(language_code="ES"), {"vaccination_pa"}),
    (ServiceFilters(language_code="en-us"), {"prenatal_pa_city"}),
    (ServiceFilters(language_code="mam"), set()),
    (
        ServiceFilters(category_codes=("health",), country_code="PA"),
        {"vaccination_pa", "prenatal_pa_city"},
    ),
    (ServiceFilters(category_codes=("health",), free_only=True), {"vaccination_pa"}),
    (ServiceFilters(country_code="MX", free_only=True, language_code="en"), {"shelter_mx"}),
    (ServiceFilters(area_pcode="PA08", category_codes=("legal",), free_only=True), set()),
    (
        ServiceFilters(country_code="PA", area_pcode="PA0805", language_code="es"),
        {"vaccination_pa"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
def test_every_filter_alone_and_combined(
    directory: dict[str, Service], filters: ServiceFilters, expected: set[str]
) -> None:
    wanted = {directory[key].name for key in expected}

    with_words = search_services("servicio", filters)
    without_words = search_services("", filters)
    listed = filter_services(Service.objects.filter(publication_status="published"), filters)

    assert set(names(with_words)) == wanted
    assert with_words.total == len(wanted)
    assert set(names(without_words)) == wanted
    assert without_words.total == len(wanted)
    assert {service.name for service in listed} == wanted
    assert listed.count() == len(wanted)  # no duplicate rows from joins


def test_the_organization_filter(directory: dict[str, Service]) -> None:
    service = directory["legal_both"]
    filters = ServiceFilters(organization_id=service.organization_id)

    assert names(search_services("servicio", filters)) == [service.name]
    assert names(search_services("", filters)) == [service.name]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # 14:00 UTC: 09:00 in Panama (open), 06:00 in Tijuana (closed, UTC-8 in November).
        (at_utc(MONDAY, 14), {"vaccination_pa"}),
        # 17:00 UTC: 12:00 in Panama and 09:00 in Tijuana: both open.
        (at_utc(MONDAY, 17), {"vaccination_pa", "shelter_mx"}),
        # 22:00 UTC: 17:00 in Panama (closed at 16:00), 14:00 in Tijuana (open).
        (at_utc(MONDAY, 22), {"shelter_mx"}),
        # Sunday noon everywhere: closed.
        (at_utc(MONDAY - datetime.timedelta(days=1), 18), set()),
    ],
)
def test_open_now_in_each_locations_own_time_zone(
    directory: dict[str, Service], moment: datetime.datetime, expected: set[str]
) -> None:
    wanted = {directory[key].name for key in expected}
    filters = ServiceFilters(open_now=True)

    assert set(names(search_services("servicio", filters, now=moment))) == wanted
    assert set(names(search_services("", filters, now=moment))) == wanted


def test_open_now_across_midnight_and_around_the_clock() -> None:
    location = LocationFactory.create()  # America/Panama, UTC-5 all year
    night = published(name="Refugio nocturno", locations=[location])
    ScheduleFactory.create(
        service=night,
        byday="FR",
        opens_at=datetime.time(20),
        closes_at=datetime.time(2),
    )
    always = published(name="Línea de emergencia", locations=[LocationFactory.create()])
    ScheduleFactory.create(
        service=always, byday="MO,TU,WE,TH,FR,SA,SU", opens_at=datetime.time(0),
        closes_at=datetime.time(0),
    )  # fmt: skip
    friday = MONDAY + datetime.timedelta(days=4)
    saturday = friday + datetime.timedelta(days=1)

    def open_at(moment: datetime.datetime) -> set[str]:
        return set(names(search_services("", ServiceFilters(open_now=True), now=moment)))

    # Friday 21:00 and Saturday 01:59 in Panama: the shelter is open.
    assert open_at(at_utc(saturday, 2)) == {"Refugio nocturno", "Línea de emergencia"}
    assert open_at(at_utc(saturday, 6, 59)) == {"Refugio nocturno", "Línea de emergencia"}
    # Saturday 02:00 in Panama: closed again; Friday 19:59: not yet open.
    assert open_at(at_utc(saturday, 7)) == {"Línea de emergencia"}
    assert open_at(at_utc(saturday, 0, 59)) == {"Línea de emergencia"}
    # Thursday 01:00 in Panama: the Wednesday night is not a Friday night.
    assert open_at(at_utc(friday - datetime.timedelta(days=1), 6)) == {"Línea de emergencia"}


def test_open_now_respects_the_dates_a_schedule_applies() -> None:
    service = published(name="Campaña de vacunación", locations=[LocationFactory.create()])
    ScheduleFactory.create(
        service=service,
        valid_from=MONDAY - datetime.timedelta(days=30),
        valid_to=MONDAY - datetime.timedelta(days=1),
    )
    filters = ServiceFilters(open_now=True)

    assert names(search_services("", filters, now=at_utc(MONDAY, 15))) == []
    last_day = MONDAY - datetime.timedelta(days=3)  # Friday
    assert names(search_services("", filters, now=at_utc(last_day, 15))) == [
        "Campaña de vacunación"
    ]


# ---------------------------------------------------------------------------------------------
# Pagination and query counts


def test_pagination_walks_every_result_once_in_rank_order() -> None:
    location = LocationFactory.create()
    for number in range(12):
        published(name=f"Curso de cocina {number:02d}", locations=[location])
    for number in range(13):
        published(name=f"Taller {number:02d}", description="Curso práctico", locations=[location])

    pages = [search_services("curso", page=number, per_page=10) for number in (1, 2, 3)]

    assert [page.total for page in pages] == [25, 25, 25]
    assert [len(page.hits) for page in pages] == [10, 10, 5]
    assert [page.pages for page in pages] == [3, 3, 3]
    assert [(page.has_previous, page.has_next) for page in pages] == [
        (False, True),
        (True, True),
        (True, False),
    ]
    seen = [name for page in pages for name in names(page)]
    assert len(set(seen)) == 25
    # The twelve name matches come before the thirteen description matches.
    assert all(name.startswith("Curso") for name in seen[:12])
    assert all(name.startswith("Taller") for name in seen[12:])
    scores = [hit.score for page in pages for hit in page.hits]
    assert scores == sorted(scores, reverse=True)


def test_a_page_past_the_end_is_empty_but_keeps_the_total() -> None:
    for number in range(3):
        published(name=f"Asesoría legal {number}")

    page = search_services("legal", page=5, per_page=2)

    assert page.hits == [] and page.total == 3 and page.pages == 2


def test_search_reads_a_fixed_number_of_queries(django_assert_max_num_queries: object) -> None:
    location = LocationFactory.create()
    for number in range(30):
        published(name=f"Vacunación {number}", locations=[location])

    # The ranked page, then the services with their providers.
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        page = search_services("vacunacion", ServiceFilters(country_code="PA"), per_page=25)
        assert len({hit.service.organization.name for hit in page.hits}) == 25
    # Plus the time zones for "open now".
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        search_services("vacunacion", ServiceFilters(open_now=True), per_page=25)
    # Without words: the count and the page with providers.
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        page = search_services("", ServiceFilters(country_code="PA"), per_page=25)
        assert len({hit.service.organization.name for hit in page.hits}) == 25
