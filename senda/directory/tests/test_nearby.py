""" "Near me": order and distances, one entry per service, filters, and the ring search proven
against a brute-force nearest search."""

from __future__ import annotations

import datetime
import math
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senda.directory import geo
from senda.directory.models import Location, PublicationStatus, Service, ServiceAtLocation
from senda.directory.nearby import services_near
from senda.directory.search import ServiceFilters
from senda.directory.tests.factories import (
    CostOptionFactory,
    LocationFactory,
    ScheduleFactory,
    ServiceFactory,
)

# San Miguelito, Panama.
HERE = (9.04, -79.49)


def located(latitude: float, longitude: float, **fields: object) -> Location:
    """A location anywhere on Earth (outside the reference areas: no country or area)."""
    return LocationFactory.create(
        latitude=latitude, longitude=longitude, country_id=None, admin_area_id=None, **fields
    )


def published_at(*places: Location, **fields: object) -> Service:
    return ServiceFactory.create(published=True, locations=list(places), **fields)


# ---------------------------------------------------------------------------------------------
# The grid (no database)


def chebyshev(cell_a: int, cell_b: int) -> int:
    row_a, column_a = divmod(cell_a, geo.COLUMNS)
    row_b, column_b = divmod(cell_b, geo.COLUMNS)
    columns = abs(column_a - column_b)
    return max(abs(row_a - row_b), min(columns, geo.COLUMNS - columns))


@settings(max_examples=200, deadline=None)
@given(
    latitude=st.floats(-89.99, 89.99),
    longitude=st.floats(-180, 179.99),
    inner=st.integers(-1, 6),
    extra=st.integers(1, 6),
)
def test_block_cell_ranges_are_exactly_the_ring_of_cells(
    latitude: float, longitude: float, inner: int, extra: int
) -> None:
    outer = inner + extra
    row, column = geo.cell_row_column(latitude, longitude)
    centre = row * geo.COLUMNS + column
    cells = {
        cell for first, last in geo.block_cell_ranges(row, column, inner, outer)
        for cell in range(first, last + 1)
    }  # fmt: skip
    expected = {
        cell_row * geo.COLUMNS + (column + d_column) % geo.COLUMNS
        for cell_row in range(max(0, row - outer), min(geo.ROWS - 1, row + outer) + 1)
        for d_column in range(-outer, outer + 1)
    }
    expected = {cell for cell in expected if inner < chebyshev(centre, cell) <= outer}
    assert cells == expected


@settings(max_examples=1000, deadline=None)
@given(
    latitude=st.floats(-89.5, 89.5),
    longitude=st.floats(-180, 179.999),
    other_latitude=st.floats(-89.999, 89.999),
    other_longitude=st.floats(-180, 179.999),
    outer=st.integers(0, 40),
)
def test_nothing_outside_the_square_is_nearer_than_the_bound(
    latitude: float, longitude: float, other_latitude: float, other_longitude: float, outer: int
) -> None:
    here = geo.grid_cell(latitude, longitude)
    there = geo.grid_cell(other_latitude, other_longitude)
    assert here is not None and there is not None
    if chebyshev(here, there) <= outer:
        return
    bound = geo.distance_beyond_block_km(latitude, longitude, outer)
    assert geo.haversine_km(latitude, longitude, other_latitude, other_longitude) >= bound


@settings(max_examples=300, deadline=None)
@given(
    latitude=st.floats(-80, 80),
    longitude=st.floats(-180, 179.999),
    outer=st.integers(0, 30),
)
def test_the_bound_is_tight_enough_to_stop_early(
    latitude: float, longitude: float, outer: int
) -> None:
    """The bound is never less than the gap to the square's nearest edge shrunk by
    cos(latitude) and the curvature: termination does not wait for far rings."""
    bound = geo.distance_beyond_block_km(latitude, longitude, outer)
    shrink = math.cos(math.radians(abs(latitude) + 4)) * 0.98
    assert bound >= outer * geo.CELL_DEGREES * 111.19 * shrink - 1e-6


def test_distance_bound_shrinks_with_latitude() -> None:
    # Points in the middle of their cell, 50 rings from the edges of the square.
    middle = geo.CELL_DEGREES / 2
    gap_degrees = 50 * geo.CELL_DEGREES + middle
    at_equator = geo.distance_beyond_block_km(middle, middle, 50)
    in_the_north = geo.distance_beyond_block_km(60 + middle, middle, 50)

    assert at_equator == pytest.approx(111.2 * gap_degrees, rel=0.01)
    # Degrees of longitude at 60 degrees north are half as long: east and west edges are nearer.
    assert in_the_north == pytest.approx(111.2 * gap_degrees * 0.5, rel=0.01)


# ---------------------------------------------------------------------------------------------
# Near me


@pytest.mark.django_db
def test_nearest_first_with_haversine_distances() -> None:
    offsets = [0.30, 0.01, 0.12, 0.05, 2.0]
    for number, offset in enumerate(offsets):
        published_at(LocationFactory.create(latitude=HERE[0] + offset, longitude=HERE[1]),
                     name=f"Servicio {number}")  # fmt: skip

    hits = services_near(*HERE)

    assert [hit.service.name for hit in hits] == [
        "Servicio 1", "Servicio 3", "Servicio 2", "Servicio 0", "Servicio 4",
    ]  # fmt: skip
    for hit in hits:
        assert hit.location.latitude is not None and hit.location.longitude is not None
        expected = geo.haversine_km(*HERE, hit.location.latitude, hit.location.longitude)
        assert hit.distance_km == pytest.approx(expected, abs=1e-9)
    assert hits[0].distance_km == pytest.approx(1.112, abs=0.01)


@pytest.mark.django_db
def test_one_entry_per_service_at_its_nearest_location() -> None:
    far = LocationFactory.create(latitude=HERE[0] + 0.2, longitude=HERE[1])
    near = LocationFactory.create(latitude=HERE[0] + 0.02, longitude=HERE[1])
    service = published_at(far, near, name="Dos sedes")
    published_at(LocationFactory.create(latitude=HERE[0] + 0.1, longitude=HERE[1]), name="Otra")

    hits = services_near(*HERE)

    assert [(hit.service.name, hit.location.pk) for hit in hits] == [
        ("Dos sedes", near.pk),
        ("Otra", hits[1].location.pk),
    ]
    assert hits[0].service.pk == service.pk


@pytest.mark.django_db
def test_limit_and_unpublished_services() -> None:
    for number in range(5):
        published_at(
            LocationFactory.create(latitude=HERE[0] + number / 100, longitude=HERE[1]),
            name=f"Servicio {number}",
        )
    for status in (PublicationStatus.DRAFT, PublicationStatus.ARCHIVED):
        ServiceFactory.create(
            publication_status=status,
            name=f"Oculto {status}",
            locations=[LocationFactory.create(latitude=HERE[0], longitude=HERE[1])],
        )

    assert [hit.service.name for hit in services_near(*HERE, limit=3)] == [
        "Servicio 0", "Servicio 1", "Servicio 2",
    ]  # fmt: skip
    assert services_near(*HERE, limit=0) == []
    assert len(services_near(*HERE, limit=50)) == 5


@pytest.mark.django_db
def test_filters_apply_to_near_me() -> None:
    vaccination = published_at(
        LocationFactory.create(latitude=HERE[0] + 0.01, longitude=HERE[1]),
        name="Vacunación",
        categories=["health.vaccination"],
    )
    CostOptionFactory.create(service=vaccination, amount=Decimal(0))
    ScheduleFactory.create(service=vaccination)
    published_at(
        LocationFactory.create(latitude=HERE[0] + 0.02, longitude=HERE[1], admin_area_id="PA0804"),
        name="Albergue",
        categories=["shelter"],
    )
    published_at(
        LocationFactory.create(
            latitude=14.62, longitude=-90.52, country_id="GT", admin_area_id="GT0101"
        ),
        name="Guatemala",
        categories=["health.primary"],
    )

    def near(**filters: object) -> list[str]:
        hits = services_near(*HERE, ServiceFilters(**filters))  # type: ignore[arg-type]
        return [hit.service.name for hit in hits]

    assert near() == ["Vacunación", "Albergue", "Guatemala"]
    assert near(category_codes=("health",)) == ["Vacunación", "Guatemala"]
    assert near(country_code="GT") == ["Guatemala"]
    assert near(area_pcode="PA0804") == ["Albergue"]
    assert near(area_pcode="PA08") == ["Vacunación", "Albergue"]
    assert near(free_only=True) == ["Vacunación"]
    monday_10_in_panama = datetime.datetime(2026, 11, 23, 15, tzinfo=datetime.UTC)
    open_now = services_near(*HERE, ServiceFilters(open_now=True), now=monday_10_in_panama)
    assert [hit.service.name for hit in open_now] == ["Vacunación"]
    assert near(category_codes=("shelter",), country_code="GT") == []


@pytest.mark.django_db
def test_near_me_across_the_antimeridian_and_far_away() -> None:
    published_at(located(10.0, 179.98), name="Este")
    published_at(located(10.0, -179.98), name="Oeste")
    published_at(located(-33.45, -70.66), name="Santiago")

    hits = services_near(10.0, -179.99)

    assert [hit.service.name for hit in hits] == ["Oeste", "Este", "Santiago"]
    assert hits[1].distance_km == pytest.approx(geo.haversine_km(10, -179.99, 10, 179.98))
    assert hits[1].distance_km < 5


@pytest.mark.django_db
def test_near_me_reads_a_fixed_number_of_queries(django_assert_max_num_queries: object) -> None:
    for number in range(30):
        published_at(
            LocationFactory.create(latitude=HERE[0] + number / 1000, longitude=HERE[1]),
            name=f"Servicio {number}",
        )

    # One square of cells, then the services with their providers and locations.
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        hits = services_near(*HERE)
        assert len({hit.service.organization.name for hit in hits}) == 20
    # Nothing near: the growing squares, then the rest of the world, in a bounded number.
    with django_assert_max_num_queries(11):  # type: ignore[operator]
        assert len(services_near(-33.45, -70.66)) == 20


# ---------------------------------------------------------------------------------------------
# The rings against brute force


CLUSTERS = [(9.0, -79.5), (14.6, -90.5), (19.4, -99.1), (64.1, -21.9), (-54.8, -68.3),
            (10.0, 179.9), (10.0, -179.9), (0.0, 0.0)]  # fmt: skip


@pytest.fixture
def scattered(db: None) -> list[Service]:
    """Sixty published services in clusters (some near the antimeridian and far north or
    south, where degrees of longitude are short), some with two places; drafts mixed in."""
    rng = random.Random(7)
    services = []
    for number in range(60):
        places = []
        for _ in range(rng.choice([1, 1, 2])):
            centre = rng.choice(CLUSTERS)
            latitude = max(-89.9, min(89.9, rng.gauss(centre[0], 0.4)))
            longitude = (rng.gauss(centre[1], 0.6) + 180) % 360 - 180
            places.append(located(round(latitude, 4), round(longitude, 4)))
        services.append(
            ServiceFactory.create(
                name=f"Servicio {number}",
                publication_status=(
                    PublicationStatus.PUBLISHED if number % 6 else PublicationStatus.DRAFT
                ),
                locations=places,
                categories=[rng.choice(["health.vaccination", "shelter", "legal"])],
            )
        )
    return services


def brute_force(
    latitude: float, longitude: float, limit: int, category: str | None
) -> list[tuple[str, float]]:
    best: dict[str, tuple[float, str]] = {}
    pairs = ServiceAtLocation.objects.filter(
        service__publication_status=PublicationStatus.PUBLISHED
    ).select_related("location")
    if category:
        pairs = pairs.filter(service__categories__code__startswith=category)
    for pair in pairs:
        location = pair.location
        assert location.latitude is not None and location.longitude is not None
        distance = geo.haversine_km(latitude, longitude, location.latitude, location.longitude)
        key = str(pair.service_id)
        if key not in best or (distance, str(location.pk)) < best[key]:
            best[key] = (distance, str(location.pk))
    ranked = sorted((distance, key) for key, (distance, _) in best.items())[:limit]
    return [(key, distance) for distance, key in ranked]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    point=st.one_of(
        st.tuples(st.floats(-89, 89), st.floats(-180, 179.99)),
        st.sampled_from(CLUSTERS).flatmap(
            lambda centre: st.tuples(
                st.floats(centre[0] - 1.5, centre[0] + 1.5),
                st.floats(centre[1] - 1.5, centre[1] + 1.5).map(
                    lambda value: (value + 180) % 360 - 180
                ),
            )
        ),
    ),
    limit=st.integers(1, 25),
    category=st.sampled_from([None, "health", "shelter"]),
)
def test_rings_find_exactly_the_brute_force_nearest(
    scattered: list[Service], point: tuple[float, float], limit: int, category: str | None
) -> None:
    latitude, longitude = round(point[0], 2), round(point[1], 2)
    filters = ServiceFilters(category_codes=(category,) if category else ())

    hits = services_near(latitude, longitude, filters, limit=limit)

    expected = brute_force(latitude, longitude, limit, category)
    assert [str(hit.service.pk) for hit in hits] == [key for key, _ in expected]
    assert [hit.distance_km for hit in hits] == pytest.approx([d for _, d in expected])
