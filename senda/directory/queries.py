"""Reads of the directory. Staff reads know the acting user; public reads see published only."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability, Role
from senda.core.queries import get_or_not_found
from senda.directory.models import (
    Location,
    Organization,
    PublicationStatus,
    Service,
    TaxonomyTerm,
)


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
        .order_by("assured_date", "name")
    )


def locations_editable_by(*, user: User) -> QuerySet[Location]:
    scope = _owner_scope(user, Capability.DIRECTORY_EDIT)
    if scope is None:
        return Location.objects.none()
    return Location.objects.filter(scope).select_related("admin_area", "country")


def location_get_for_edit(*, user: User, location_id: uuid.UUID | str) -> Location:
    return get_or_not_found(locations_editable_by(user=user), location_id)


def organizations_editable_by(*, user: User) -> QuerySet[Organization]:
    scope = _owner_scope(user, Capability.DIRECTORY_EDIT)
    if scope is None:
        return Organization.objects.none()
    return Organization.objects.filter(scope)


def organisations_user_can_edit_for(*, user: User) -> list[Organisation]:
    """Tenants on whose behalf the user may create directory rows."""
    return user.organisations_with(Capability.DIRECTORY_EDIT)


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
