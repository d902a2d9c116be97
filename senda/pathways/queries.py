"""Reads of the guides. Staff reads know the acting user; public reads see published only."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability, role_can
from senda.core.errors import NotFoundError
from senda.core.queries import get_or_not_found
from senda.directory.models import Location, Service, ServiceAtLocation
from senda.directory.queries import is_network_editor, services_public
from senda.directory.search import ServiceFilters, filter_services
from senda.geo.models import Country
from senda.pathways.models import (
    Channel,
    ChannelDocument,
    Document,
    DocumentSource,
    Explainer,
    GuideContent,
    GuideStatus,
    GuideVersion,
    ReviewState,
)

G = TypeVar("G", bound=GuideContent)


def stale_after_days() -> int:
    return int(getattr(settings, "SENDA_STALE_GUIDE_DAYS", 90))


def stale_cutoff(today: datetime.date | None = None) -> datetime.date:
    """Guides last verified before this date are stale."""
    return (today or timezone.localdate()) - datetime.timedelta(days=stale_after_days())


def is_stale(guide: GuideContent, today: datetime.date | None = None) -> bool:
    return guide.verified_on is None or guide.verified_on < stale_cutoff(today)


# ---------------------------------------------------------------------------------------------
# Staff


def _owner_scope(user: User, capability: Capability) -> Q | None:
    """A filter on ``owner`` for what ``user`` may touch; None = nothing."""
    if not user.is_authenticated or not user.is_active:
        return None
    if is_network_editor(user):
        return Q()
    organisations = user.organisations_with(capability)
    if not organisations:
        return None
    return Q(owner__in=organisations)


def _guide_scopes(user: User) -> tuple[Q | None, Q | None]:
    """The owner filters for writing and for publishing guides, in two queries at most."""
    if not user.is_authenticated or not user.is_active:
        return None, None
    if is_network_editor(user):
        return Q(), Q()
    memberships = list(
        user.memberships.select_related("organisation").filter(
            is_active=True, organisation__is_active=True
        )
    )

    def scope(capability: Capability) -> Q | None:
        owners = [m.organisation for m in memberships if role_can(m.role, capability)]
        return Q(owner__in=owners) if owners else None

    return scope(Capability.GUIDE_EDIT), scope(Capability.GUIDE_PUBLISH)


def _either(edit: Q | None, publish: Q | None) -> Q | None:
    if edit is None:
        return publish
    if publish is None:
        return edit
    return edit | publish


def _staff_scope(user: User) -> Q | None:
    """A filter on ``owner`` for guides the user may write or review; None = nothing."""
    return _either(*_guide_scopes(user))


def _scoped(queryset: QuerySet[G], user: User, capability: Capability | None) -> QuerySet[G]:
    """``queryset`` limited to the owners where ``user`` holds ``capability`` (None: either
    guide capability)."""
    scope = _staff_scope(user) if capability is None else _owner_scope(user, capability)
    return queryset.none() if scope is None else queryset.filter(scope)


def user_may_edit_guides(*, user: User) -> bool:
    """Whether the user may write guides for at least one organisation."""
    return _owner_scope(user, Capability.GUIDE_EDIT) is not None


def user_may_edit(*, user: User, owner: Organisation) -> bool:
    return user.can(Capability.GUIDE_EDIT, owner) or is_network_editor(user)


def user_may_publish(*, user: User, owner: Organisation) -> bool:
    return user.can(Capability.GUIDE_PUBLISH, owner) or is_network_editor(user)


def owners_for(*, user: User) -> list[Organisation]:
    """Organisations the user may create guides for."""
    if is_network_editor(user):
        return list(Organisation.objects.filter(is_active=True).order_by("name"))
    return user.organisations_with(Capability.GUIDE_EDIT)


def channels_editable_by(*, user: User) -> QuerySet[Channel]:
    """Channels the user may edit: their organisations' (every one for network editors)."""
    return _scoped(Channel.objects.select_related("country", "owner"), user, Capability.GUIDE_EDIT)


def explainers_editable_by(*, user: User) -> QuerySet[Explainer]:
    return _scoped(
        Explainer.objects.select_related("country", "owner"), user, Capability.GUIDE_EDIT
    )


def _staff_related(queryset: QuerySet[G]) -> QuerySet[G]:
    return queryset.select_related(
        "country", "owner", "pending_saved_by", "submitted_by", "reviewed_by"
    )


def channels_for_staff(*, user: User) -> QuerySet[Channel]:
    """Channels the user may write or review (every one for network editors)."""
    return _scoped(_staff_related(Channel.objects.all()), user, None)


def explainers_for_staff(*, user: User) -> QuerySet[Explainer]:
    """Explainers the user may write or review (every one for network editors)."""
    return _scoped(_staff_related(Explainer.objects.all()), user, None)


def channel_get_for_edit(*, user: User, channel_id: uuid.UUID | str) -> Channel:
    """A channel the user may write or review, or NotFoundError."""
    return get_or_not_found(channels_for_staff(user=user), channel_id)


def explainer_get_for_edit(*, user: User, explainer_id: uuid.UUID | str) -> Explainer:
    """An explainer the user may write or review, or NotFoundError."""
    return get_or_not_found(explainers_for_staff(user=user), explainer_id)


@dataclass(frozen=True)
class StaffOverview:
    """The guides home page: what the user may do and the lists it shows."""

    may_edit: bool
    may_publish: bool
    channels: QuerySet[Channel]
    explainers: QuerySet[Explainer]
    # Submitted for review, that the user may publish (oldest first).
    waiting: list[GuideContent]
    # Sent back by a reviewer, that the user may edit (newest first).
    changes_requested: list[GuideContent]

    @property
    def works_on_guides(self) -> bool:
        return self.may_edit or self.may_publish


def _in_scope(queryset: QuerySet[G], scope: Q | None) -> QuerySet[G]:
    return queryset.none() if scope is None else queryset.filter(scope)


def staff_overview(*, user: User) -> StaffOverview:
    """Every guide the user writes or reviews, what waits for their review and what a
    reviewer sent back to them."""
    edit, publish = _guide_scopes(user)
    either = _either(edit, publish)
    channels = _staff_related(Channel.objects.all())
    explainers = _staff_related(Explainer.objects.all())
    waiting = Q(review_state=ReviewState.IN_REVIEW)
    sent_back = Q(review_state=ReviewState.CHANGES_REQUESTED)
    return StaffOverview(
        may_edit=edit is not None,
        may_publish=publish is not None,
        channels=_in_scope(channels, either).order_by("country_id", "name"),
        explainers=_in_scope(explainers, either).order_by("country_id"),
        waiting=[
            *_in_scope(channels.filter(waiting), publish).order_by("submitted_at", "name"),
            *_in_scope(explainers.filter(waiting), publish).order_by("submitted_at"),
        ],
        changes_requested=[
            *_in_scope(channels.filter(sent_back), edit).order_by("-reviewed_at", "name"),
            *_in_scope(explainers.filter(sent_back), edit).order_by("-reviewed_at"),
        ],
    )


def live_content(guide: GuideContent) -> dict[str, Any]:
    """What readers see of ``guide``, in the shape of a working revision (``pending``)."""
    content: dict[str, Any] = {
        "fields": {name: getattr(guide, name) for name in guide.content_fields},
        "translations": dict(guide.translations or {}),
    }
    if isinstance(guide, Channel):
        content["documents"] = [
            {"slug": link.document.slug, "note": link.note, "translations": link.translations}
            for link in guide.document_links.select_related("document").order_by("position")
        ]
        content["services"] = sorted(
            str(pk) for pk in guide.where_to_apply_services.values_list("pk", flat=True)
        )
        content["locations"] = sorted(
            str(pk) for pk in guide.where_to_apply_locations.values_list("pk", flat=True)
        )
    return content


def working_content(guide: GuideContent) -> dict[str, Any]:
    """What the editor works on: the unpublished changes when there are any, else the live
    guide."""
    if guide.pending is not None:
        return guide.pending
    return live_content(guide)


def channels_stale(*, user: User, today: datetime.date | None = None) -> QuerySet[Channel]:
    """Published channels nobody has verified within the stale period, oldest first."""
    cutoff = stale_cutoff(today)
    return (
        channels_editable_by(user=user)
        .filter(status=GuideStatus.PUBLISHED)
        .filter(Q(verified_on__isnull=True) | Q(verified_on__lt=cutoff))
        .order_by("verified_on", "name")
    )


def explainers_stale(*, user: User, today: datetime.date | None = None) -> QuerySet[Explainer]:
    cutoff = stale_cutoff(today)
    return (
        explainers_editable_by(user=user)
        .filter(status=GuideStatus.PUBLISHED)
        .filter(Q(verified_on__isnull=True) | Q(verified_on__lt=cutoff))
        .order_by("verified_on", "country_id")
    )


def documents_all() -> QuerySet[Document]:
    return Document.objects.order_by("name")


# ---------------------------------------------------------------------------------------------
# Public


def _documents_prefetch(nationality: str = "") -> Any:
    sources = DocumentSource.objects.select_related("country")
    if nationality:
        sources = sources.filter(country_id=nationality)
    return Prefetch(
        "document_links",
        queryset=ChannelDocument.objects.select_related("document").prefetch_related(
            Prefetch("document__sources", queryset=sources)
        ),
    )


def countries_with_guides() -> QuerySet[Country]:
    """Destination countries with at least one published channel."""
    return Country.objects.filter(
        code__in=Channel.objects.filter(status=GuideStatus.PUBLISHED).values("country_id")
    ).order_by("name")


def country_get_public(*, country_code: str) -> Country:
    return get_or_not_found(Country.objects.all(), country_code.upper())


def channels_public(*, country_code: str) -> QuerySet[Channel]:
    """Published channels of a destination country, by name."""
    return Channel.objects.filter(
        status=GuideStatus.PUBLISHED, country_id=country_code.upper()
    ).select_related("country", "owner")


def channel_get_public(*, country_code: str, slug: str) -> Channel:
    """A published channel with its documents, where to apply and versions."""
    queryset = channels_public(country_code=country_code).prefetch_related(
        _documents_prefetch(),
        "where_to_apply_services",
        Prefetch(
            "where_to_apply_locations",
            queryset=Location.objects.select_related("admin_area").order_by("name"),
        ),
        Prefetch("versions", queryset=GuideVersion.objects.order_by("-number")),
    )
    channel = queryset.filter(slug=slug).first()
    if channel is None:
        raise NotFoundError(slug)
    return channel


def explainer_get_public(*, country_code: str) -> Explainer:
    explainer = (
        Explainer.objects.filter(status=GuideStatus.PUBLISHED, country_id=country_code.upper())
        .select_related("country", "owner")
        .prefetch_related(Prefetch("versions", queryset=GuideVersion.objects.order_by("-number")))
        .first()
    )
    if explainer is None:
        raise NotFoundError(country_code)
    return explainer


def explainer_exists(*, country_code: str) -> bool:
    return Explainer.objects.filter(
        status=GuideStatus.PUBLISHED, country_id=country_code.upper()
    ).exists()


def channels_for_checklist(*, destination: str, nationality: str) -> list[Channel]:
    """Published channels of ``destination`` with documents and where to get them for
    ``nationality``."""
    return list(
        channels_public(country_code=destination).prefetch_related(
            _documents_prefetch(nationality), "where_to_apply_services"
        )
    )


def identity_documents() -> QuerySet[Document]:
    """The documents the checklist asks whether the person already has."""
    return Document.objects.filter(is_identity=True).order_by("name")


# ---------------------------------------------------------------------------------------------
# Staff: documents and where to apply


def document_get_for_edit(*, user: User, document_id: uuid.UUID | str) -> Document:
    """A document type with its sources, for a user who may edit guides."""
    if not user_may_edit_guides(user=user):
        raise NotFoundError(str(document_id))
    return get_or_not_found(
        Document.objects.prefetch_related(
            Prefetch("sources", queryset=DocumentSource.objects.order_by("country_id"))
        ),
        document_id,
    )


def where_to_apply_choices(*, channel: Channel) -> list[tuple[Service, list[Location]]]:
    """Published migration services in the channel's country, each with its places there."""
    services = list(
        filter_services(
            services_public(),
            ServiceFilters(category_codes=("migration",), country_code=channel.country_id),
        ).order_by("name")
    )
    places: dict[Any, list[Location]] = {service.pk: [] for service in services}
    links = (
        ServiceAtLocation.objects.filter(
            service_id__in=list(places), location__country_id=channel.country_id
        )
        .select_related("location__admin_area")
        .order_by("location__name")
    )
    for link in links:
        places[link.service_id].append(link.location)
    return [(service, places[service.pk]) for service in services]
