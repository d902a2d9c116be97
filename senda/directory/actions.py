"""Every write to the directory. Each action is atomic, checks permission and writes audit.

The staff pages, Senda's API, the HSDS importer and the demo loader all come through here.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.directory import queries
from senda.directory.derived import location_refresh_derived, service_refresh_derived
from senda.directory.models import (
    Location,
    Organization,
    PublicationStatus,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)

SERVICE_FIELDS = frozenset(
    {
        "name",
        "alternate_name",
        "description",
        "url",
        "email",
        "status",
        "interpretation_services",
        "application_process",
        "fees_description",
        "wait_time",
        "fees",
        "accreditations",
        "eligibility_description",
        "minimum_age",
        "maximum_age",
        "licenses",
        "alert",
        "source",
        "language",
    }
)
LOCATION_FIELDS = frozenset(
    {
        "name",
        "alternate_name",
        "description",
        "transportation",
        "location_type",
        "url",
        "latitude",
        "longitude",
        "external_identifier",
        "external_identifier_type",
        "admin_area",
        "country",
        "organization",
        "language",
    }
)
ORGANIZATION_FIELDS = frozenset(
    {
        "name",
        "alternate_name",
        "description",
        "email",
        "website",
        "tax_status",
        "tax_id",
        "year_incorporated",
        "legal_status",
        "logo",
        "uri",
        "language",
    }
)

# Which publication states each transition may start from.
TRANSITIONS: dict[str, frozenset[str]] = {
    PublicationStatus.PENDING_REVIEW: frozenset({PublicationStatus.DRAFT}),
    PublicationStatus.PUBLISHED: frozenset(
        {PublicationStatus.DRAFT, PublicationStatus.PENDING_REVIEW, PublicationStatus.ARCHIVED}
    ),
    PublicationStatus.ARCHIVED: frozenset(
        {PublicationStatus.DRAFT, PublicationStatus.PENDING_REVIEW, PublicationStatus.PUBLISHED}
    ),
    PublicationStatus.DRAFT: frozenset(
        {PublicationStatus.PENDING_REVIEW, PublicationStatus.ARCHIVED}
    ),
}


def _check_owner(actor: User, owner: Organisation) -> None:
    if not (actor.can(Capability.DIRECTORY_EDIT, owner) or queries.is_network_editor(actor)):
        raise PermissionDeniedError(_("You cannot edit the directory for this organisation."))


def _apply(obj: Any, fields: dict[str, Any], allowed: frozenset[str]) -> list[str]:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    changed = []
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _validate_service(service: Service) -> None:
    errors: dict[str, list[str]] = {}
    if not (service.name or "").strip():
        errors["name"] = [_("Give the service a name.")]
    if (
        service.minimum_age is not None
        and service.maximum_age is not None
        and service.minimum_age > service.maximum_age
    ):
        errors["maximum_age"] = [_("The maximum age is lower than the minimum age.")]
    if errors:
        raise ValidationError(errors)


def _validate_location(location: Location) -> None:
    errors: dict[str, list[str]] = {}
    if location.latitude is not None and not -90 <= location.latitude <= 90:
        errors["latitude"] = [_("Latitude must be between -90 and 90.")]
    if location.longitude is not None and not -180 <= location.longitude <= 180:
        errors["longitude"] = [_("Longitude must be between -180 and 180.")]
    if (location.latitude is None) != (location.longitude is None):
        errors["longitude"] = [_("Give both latitude and longitude, or neither.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def organization_create(
    *,
    actor: User,
    owner: Organisation,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
) -> Organization:
    """Create a provider organisation maintained by ``owner``."""
    _check_owner(actor, owner)
    organization = Organization(owner=owner)
    _apply(organization, fields, ORGANIZATION_FIELDS)
    organization.translations = translations or {}
    if not (organization.name or "").strip():
        raise ValidationError({"name": [_("Give the organisation a name.")]})
    organization.save()
    audit(actor=actor, action="directory.organization_create", obj=organization, organisation=owner)
    return organization


@transaction.atomic
def organization_update(
    *,
    actor: User,
    organization: Organization,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
) -> Organization:
    """Change a provider organisation the actor may edit."""
    organization = queries.get_or_not_found(
        queries.organizations_editable_by(user=actor).select_for_update(), organization.pk
    )
    changed = _apply(organization, fields, ORGANIZATION_FIELDS)
    if translations is not None:
        organization.translations = translations
        changed.append("translations")
    organization.save()
    for service in organization.services.all():
        service_refresh_derived(service)
    audit(
        actor=actor,
        action="directory.organization_update",
        obj=organization,
        organisation=organization.owner,
        details={"fields": changed},
    )
    return organization


@transaction.atomic
def service_create(
    *,
    actor: User,
    owner: Organisation,
    organization: Organization,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
    categories: list[TaxonomyTerm] | None = None,
    locations: list[Location] | None = None,
) -> Service:
    """Create a service as a draft, maintained by ``owner``."""
    _check_owner(actor, owner)
    service = Service(owner=owner, organization=organization)
    _apply(service, fields, SERVICE_FIELDS)
    service.translations = translations or {}
    service.last_modified = timezone.now()
    _validate_service(service)
    service.save()
    if categories:
        service.categories.set(categories)
    for location in locations or []:
        ServiceAtLocation.objects.create(service=service, location=location)
    service_refresh_derived(service)
    audit(actor=actor, action="directory.service_create", obj=service, organisation=owner)
    return service


@transaction.atomic
def service_update(
    *,
    actor: User,
    service: Service,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
    categories: list[TaxonomyTerm] | None = None,
    locations: list[Location] | None = None,
) -> Service:
    """Change a service the actor may edit; lists given replace the current ones."""
    service = queries.get_or_not_found(
        queries.services_editable_by(user=actor).select_for_update(of=("self",)), service.pk
    )
    changed = _apply(service, fields, SERVICE_FIELDS)
    if translations is not None and translations != service.translations:
        service.translations = translations
        changed.append("translations")
    _validate_service(service)
    service.last_modified = timezone.now()
    service.save()
    if categories is not None:
        service.categories.set(categories)
        changed.append("categories")
    if locations is not None:
        wanted = {location.pk for location in locations}
        service.service_at_locations.exclude(location_id__in=wanted).delete()
        present = set(service.service_at_locations.values_list("location_id", flat=True))
        for location in locations:
            if location.pk not in present:
                ServiceAtLocation.objects.create(service=service, location=location)
        changed.append("locations")
    service_refresh_derived(service)
    audit(
        actor=actor,
        action="directory.service_update",
        obj=service,
        organisation=service.owner,
        details={"fields": changed},
    )
    return service


def _transition(
    actor: User, service: Service, target: str, *, needs_publish_right: bool, note: str = ""
) -> Service:
    base = (
        queries.services_reviewable_by(user=actor)
        if needs_publish_right
        else queries.services_editable_by(user=actor)
    )
    service = queries.get_or_not_found(base.select_for_update(of=("self",)), service.pk)
    if service.publication_status not in TRANSITIONS[target]:
        raise ValidationError(
            _("A service that is %(current)s cannot become %(target)s.")
            % {
                "current": service.get_publication_status_display(),
                "target": PublicationStatus(target).label,
            }
        )
    previous = service.publication_status
    service.publication_status = target
    service.save(update_fields=["publication_status", "updated_at"])
    audit(
        actor=actor,
        action=f"directory.service_{target}",
        obj=service,
        organisation=service.owner,
        details={"from": previous, "to": target, **({"note": note} if note else {})},
    )
    return service


@transaction.atomic
def service_submit_for_review(*, actor: User, service: Service) -> Service:
    """Ask a content editor to review a draft."""
    return _transition(actor, service, PublicationStatus.PENDING_REVIEW, needs_publish_right=False)


@transaction.atomic
def service_publish(*, actor: User, service: Service) -> Service:
    """Make a service public (content editors)."""
    return _transition(actor, service, PublicationStatus.PUBLISHED, needs_publish_right=True)


@transaction.atomic
def service_return_to_draft(*, actor: User, service: Service, note: str = "") -> Service:
    """Send a service back to its authors, with a note saying what to change."""
    return _transition(actor, service, PublicationStatus.DRAFT, needs_publish_right=True, note=note)


@transaction.atomic
def service_archive(*, actor: User, service: Service) -> Service:
    """Take a service off the portal and keep it on record (content editors)."""
    return _transition(actor, service, PublicationStatus.ARCHIVED, needs_publish_right=True)


@transaction.atomic
def service_mark_verified(
    *,
    actor: User,
    service: Service,
    verified_on: datetime.date | None = None,
    source: str | None = None,
) -> Service:
    """Record that the actor checked the service's information today (or on ``verified_on``)."""
    service = queries.get_or_not_found(
        queries.services_editable_by(user=actor).select_for_update(of=("self",)), service.pk
    )
    today = timezone.localdate()
    verified_on = verified_on or today
    if verified_on > today:
        raise ValidationError({"assured_date": [_("The verification date is in the future.")]})
    service.assured_date = verified_on
    service.verified_by = actor
    service.assurer_email = actor.email or ""
    if source is not None:
        service.source = source
    service.save(
        update_fields=["assured_date", "verified_by", "assurer_email", "source", "updated_at"]
    )
    audit(
        actor=actor,
        action="directory.service_mark_verified",
        obj=service,
        organisation=service.owner,
        details={"verified_on": verified_on.isoformat()},
    )
    return service


@transaction.atomic
def location_create(
    *,
    actor: User,
    owner: Organisation,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
) -> Location:
    """Create a location maintained by ``owner``."""
    _check_owner(actor, owner)
    location = Location(owner=owner)
    _apply(location, fields, LOCATION_FIELDS)
    location.translations = translations or {}
    _validate_location(location)
    location_refresh_derived(location)
    location.save()
    audit(actor=actor, action="directory.location_create", obj=location, organisation=owner)
    return location


@transaction.atomic
def location_update(
    *,
    actor: User,
    location: Location,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
) -> Location:
    """Change a location the actor may edit; its services' derived data follow."""
    location = queries.get_or_not_found(
        queries.locations_editable_by(user=actor).select_for_update(of=("self",)), location.pk
    )
    changed = _apply(location, fields, LOCATION_FIELDS)
    if translations is not None:
        location.translations = translations
    _validate_location(location)
    location_refresh_derived(location)
    location.save()
    for sal in location.service_at_locations.select_related("service"):
        service_refresh_derived(sal.service)
    audit(
        actor=actor,
        action="directory.location_update",
        obj=location,
        organisation=location.owner,
        details={"fields": changed},
    )
    return location
