"""Reads of the directory. Staff reads know the acting user; public reads see published only."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BooleanField, Case, F, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability, Role
from senda.core.errors import NotFoundError
from senda.core.models import AuditEntry
from senda.core.queries import get_or_not_found
from senda.directory.models import (
    Location,
    Organization,
    PublicationStatus,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from senda.geo.models import AdminArea, Country
from senda.geo.queries import PROGRAMME_COUNTRIES


def is_network_editor(user: User) -> bool:
    """Content editor of a network-editor organisation: reviews every partner's services."""
    return user.memberships.filter(
        is_active=True,
        role=Role.CONTENT_EDITOR,
        organisation__is_active=True,
        organisation__is_network_editor=True,
    ).exists()


def _owner_scope(user: User, capability: Capability) -> Q | None:
    """A filter on ``owner`` for what ``user`` may touch with ``capability``; None = nothing."""
    if not user.is_authenticated or not user.is_active:
        return None
    if capability in (Capability.DIRECTORY_PUBLISH, Capability.DIRECTORY_EDIT) and (
        is_network_editor(user)
    ):
        return Q()
    organisations = user.organisations_with(capability)
    if not organisations:
        return None
    return Q(owner__in=organisations)


def services_editable_by(*, user: User) -> QuerySet[Service]:
    """Services the user may edit: their organisations' (every one for network editors)."""
    scope = _owner_scope(user, Capability.DIRECTORY_EDIT)
    if scope is None:
        return Service.objects.none()
    return Service.objects.filter(scope).select_related("organization", "owner")


def services_reviewable_by(*, user: User) -> QuerySet[Service]:
    """Services the user may publish or archive."""
    scope = _owner_scope(user, Capability.DIRECTORY_PUBLISH)
    if scope is None:
        return Service.objects.none()
    return Service.objects.filter(scope).select_related("organization", "owner")


def service_get_for_edit(*, user: User, service_id: uuid.UUID | str) -> Service:
    """One service the user may edit, or NotFoundError (also for other tenants' services)."""
    return get_or_not_found(services_editable_by(user=user), service_id)


def user_may_publish(*, user: User, service: Service) -> bool:
    return services_reviewable_by(user=user).filter(pk=service.pk).exists()


def services_pending_review(*, user: User) -> QuerySet[Service]:
    return services_reviewable_by(user=user).filter(
        publication_status=PublicationStatus.PENDING_REVIEW
    )


def stale_cutoff(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=settings.SENDA_STALE_SERVICE_DAYS)


def services_stale(*, user: User, today: datetime.date | None = None) -> QuerySet[Service]:
    """Published services the user may edit that were not verified within the stale period."""
    return (
        services_editable_by(user=user)
        .filter(publication_status=PublicationStatus.PUBLISHED)
        .filter(Q(assured_date__isnull=True) | Q(assured_date__lt=stale_cutoff(today)))
        # Never verified first, then the longest ago (the same on SQLite and PostgreSQL).
        .order_by(F("assured_date").asc(nulls_first=True), "name")
    )


def locations_editable_by(*, user: User) -> QuerySet[Location]:
    """Locations the user may edit: their organisations' (every one for network editors)."""
    scope = _owner_scope(user, Capability.DIRECTORY_EDIT)
    if scope is None:
        return Location.objects.none()
    return Location.objects.filter(scope).select_related("admin_area", "country")


def location_get_for_edit(*, user: User, location_id: uuid.UUID | str) -> Location:
    """One location the user may edit, or NotFoundError."""
    return get_or_not_found(locations_editable_by(user=user), location_id)


def organizations_editable_by(*, user: User) -> QuerySet[Organization]:
    """Provider organisations the user may edit."""
    scope = _owner_scope(user, Capability.DIRECTORY_EDIT)
    if scope is None:
        return Organization.objects.none()
    return Organization.objects.filter(scope)


def organisations_user_can_edit_for(*, user: User) -> list[Organisation]:
    """Tenants on whose behalf the user may create directory rows."""
    return user.organisations_with(Capability.DIRECTORY_EDIT)


# Staff pages.


def user_may_edit_any(*, user: User) -> bool:
    """Whether the user edits the directory for at least one organisation."""
    return _owner_scope(user, Capability.DIRECTORY_EDIT) is not None


def user_may_review_any(*, user: User) -> bool:
    """Whether the user reviews and publishes services of at least one organisation."""
    return _owner_scope(user, Capability.DIRECTORY_PUBLISH) is not None


def user_may_import(*, user: User) -> bool:
    """Whether the user may upload HSDS files for at least one organisation."""
    return user.is_authenticated and bool(user.organisations_with(Capability.DIRECTORY_IMPORT))


def _stale_flag(today: datetime.date | None = None) -> Case:
    return Case(
        When(
            Q(publication_status=PublicationStatus.PUBLISHED)
            & (Q(assured_date__isnull=True) | Q(assured_date__lt=stale_cutoff(today))),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def staff_services(
    *, user: User, status: str = "", today: datetime.date | None = None
) -> QuerySet[Service]:
    """The services on the user's staff home, with ``is_stale``; ``status`` narrows them."""
    services = services_editable_by(user=user)
    if status in PublicationStatus.values:
        services = services.filter(publication_status=status)
    return (
        services.select_related("verified_by")
        .annotate(is_stale=_stale_flag(today))
        .order_by("name", "id")
    )


def staff_services_pending_review(*, user: User) -> QuerySet[Service]:
    """Services waiting for a review the user may give, oldest change first."""
    return (
        services_pending_review(user=user)
        .select_related("verified_by")
        .annotate(is_stale=Value(False, output_field=BooleanField()))
        .order_by("updated_at", "id")
    )


def staff_services_stale(*, user: User, today: datetime.date | None = None) -> QuerySet[Service]:
    """The stale list, with what its page shows."""
    return services_stale(user=user, today=today).select_related("verified_by")


def service_is_stale(service: Service, today: datetime.date | None = None) -> bool:
    """Published and not verified within ``SENDA_STALE_SERVICE_DAYS``."""
    return service.publication_status == PublicationStatus.PUBLISHED and (
        service.assured_date is None or service.assured_date < stale_cutoff(today)
    )


def service_get_for_staff(*, user: User, service_id: uuid.UUID | str) -> Service:
    """One service the user may edit, with everything its staff page shows."""
    services = (
        services_editable_by(user=user)
        .select_related("verified_by")
        .prefetch_related(
            "categories__parent",
            "phones",
            "cost_options",
            "required_documents",
            "languages",
            Prefetch(
                "schedules",
                queryset=Schedule.objects.filter(
                    service_at_location__isnull=True, location__isnull=True
                ),
                to_attr="own_schedules",
            ),
            Prefetch(
                "service_at_locations",
                queryset=ServiceAtLocation.objects.select_related(
                    "location__admin_area", "location__country"
                )
                .prefetch_related("schedules", "location__addresses")
                .order_by("location__name"),
            ),
        )
    )
    return get_or_not_found(services, service_id)


def service_history(*, service: Service, limit: int = 30) -> list[AuditEntry]:
    """What happened to a service the caller already fetched through a scoped query."""
    return list(
        AuditEntry.objects.filter(object_type="directory.service", object_id=str(service.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def service_location_get(*, service: Service, location_id: uuid.UUID | str) -> ServiceAtLocation:
    """The service's presence at one location (the service was fetched with a scoped query)."""
    try:
        sal = (
            ServiceAtLocation.objects.filter(service=service, location_id=location_id)
            .select_related("location")
            .prefetch_related("schedules")
            .first()
        )
    except (ValueError, TypeError, DjangoValidationError):
        sal = None
    if sal is None:
        raise NotFoundError(str(location_id))
    return sal


def locations_for_service(*, user: User, service: Service) -> QuerySet[Location]:
    """Locations of the service's organisation where it is not offered yet."""
    return (
        locations_editable_by(user=user)
        .filter(owner_id=service.owner_id)
        .exclude(service_at_locations__service=service)
        .order_by("name")
    )


def staff_locations(*, user: User) -> QuerySet[Location]:
    """Locations the user may edit, for their list page."""
    return (
        locations_editable_by(user=user)
        .select_related("organization", "owner")
        .prefetch_related("addresses")
        .order_by("name", "id")
    )


def location_get_for_staff(*, user: User, location_id: uuid.UUID | str) -> Location:
    """One location the user may edit, with its addresses, accessibility and phones."""
    return get_or_not_found(
        locations_editable_by(user=user).prefetch_related("addresses", "accessibility", "phones"),
        location_id,
    )


def staff_organizations(*, user: User) -> QuerySet[Organization]:
    """Provider organisations the user may edit, for their list page."""
    return organizations_editable_by(user=user).select_related("owner").order_by("name", "id")


def organization_get_for_edit(*, user: User, organization_id: uuid.UUID | str) -> Organization:
    """One provider organisation the user may edit, or NotFoundError."""
    return get_or_not_found(organizations_editable_by(user=user), organization_id)


def organizations_of(*, user: User, owners: Iterable[Organisation]) -> QuerySet[Organization]:
    """Provider organisations kept by ``owners`` that the user may use."""
    return organizations_editable_by(user=user).filter(owner__in=list(owners)).order_by("name")


# HSDS byday codes, Monday first (weekday 0 in Python).
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def is_regular_weekly(schedule: Schedule) -> bool:
    """A plain weekly opening (days, opens, closes) that the staff hours grid can show."""
    days = [day.strip().upper() for day in (schedule.byday or "").split(",") if day.strip()]
    return (
        (schedule.freq or "WEEKLY").upper() == "WEEKLY"
        and bool(days)
        and all(day in WEEKDAY_CODES for day in days)
        and schedule.opens_at is not None
        and schedule.closes_at is not None
        and schedule.valid_from is None
        and schedule.valid_to is None
        and schedule.dtstart is None
        and schedule.until is None
        and schedule.count is None
        and (schedule.interval or 1) == 1
        and not (schedule.byweekno or schedule.bymonthday or schedule.byyearday)
    )


def regular_hours(
    schedules: Iterable[Schedule],
) -> dict[int, list[tuple[datetime.time, datetime.time]]]:
    """Weekday (0 = Monday) -> sorted opening intervals, from the regular weekly schedules."""
    by_day: dict[int, list[tuple[datetime.time, datetime.time]]] = defaultdict(list)
    for schedule in schedules:
        if not is_regular_weekly(schedule):
            continue
        assert schedule.opens_at is not None and schedule.closes_at is not None
        for day in schedule.byday.split(","):
            by_day[WEEKDAY_CODES.index(day.strip().upper())].append(
                (schedule.opens_at, schedule.closes_at)
            )
    return {day: sorted(intervals) for day, intervals in sorted(by_day.items())}


def other_schedules(schedules: Iterable[Schedule]) -> list[Schedule]:
    """Schedules the hours grid does not show (monthly, seasonal, dated); they are kept."""
    return [schedule for schedule in schedules if not is_regular_weekly(schedule)]


def taxonomy_tree() -> list[tuple[TaxonomyTerm, list[TaxonomyTerm]]]:
    """Top-level categories, each with its children, in code order."""
    terms = list(TaxonomyTerm.objects.order_by("code", "name"))
    children: dict[object, list[TaxonomyTerm]] = defaultdict(list)
    for term in terms:
        if term.parent_id is not None:
            children[term.parent_id].append(term)
    return [(term, children[term.pk]) for term in terms if term.parent_id is None]


def countries_and_areas() -> list[tuple[Country, list[AdminArea]]]:
    """Countries with their administrative areas (parents before children), for pickers."""
    areas = list(AdminArea.objects.select_related("parent").order_by("country_id", "name"))
    by_country: dict[str, list[AdminArea]] = defaultdict(list)
    for area in areas:
        by_country[area.country_id].append(area)
    programme = list(PROGRAMME_COUNTRIES)
    countries = sorted(
        Country.objects.all(),
        key=lambda c: (programme.index(c.code) if c.code in programme else len(programme), str(c)),
    )
    return [(country, by_country.get(country.code, [])) for country in countries]


# Public reads: anonymous, published only.


def services_public() -> QuerySet[Service]:
    """Published services, as the public portal and the HSDS API show them."""
    return Service.objects.filter(publication_status=PublicationStatus.PUBLISHED)


def service_get_public(*, service_id: uuid.UUID | str) -> Service:
    return get_or_not_found(services_public().select_related("organization"), service_id)


def organizations_public() -> QuerySet[Organization]:
    """Organizations with at least one published service."""
    return Organization.objects.filter(
        pk__in=services_public().values("organization_id")
    ).distinct()


def taxonomy_terms() -> QuerySet[TaxonomyTerm]:
    return TaxonomyTerm.objects.select_related("parent", "taxonomy").order_by("code", "name")
