"""Reads of programmes and indicators: the programmes a user may see the figures of, and the
programmes and indicators a programme officer may manage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from senda.accounts.roles import Capability, role_can
from senda.core.errors import NotFoundError
from senda.core.queries import get_or_not_found
from senda.insights.models import Indicator, Programme

if TYPE_CHECKING:
    from senda.accounts.models import Organisation, User


def programmes_visible_to(*, user: User) -> QuerySet[Programme]:
    """Programmes whose figures ``user`` may see: their active membership's organisation leads
    it, is a partner or a viewer, and their role there sees aggregates."""
    programmes = Programme.objects.select_related("lead").order_by("name")
    if not user.is_authenticated or not user.is_active:
        return programmes.none()
    membership = user.active_membership()
    if membership is None or not role_can(membership.role, Capability.AGGREGATES_VIEW):
        return programmes.none()
    organisation = membership.organisation
    ids = Programme.objects.filter(
        Q(lead=organisation) | Q(organisations=organisation) | Q(viewer_organisations=organisation)
    ).values("pk")
    return programmes.filter(pk__in=ids)


def programme_get(*, user: User, programme_id: int) -> Programme:
    """One programme whose figures ``user`` may see; NotFoundError otherwise."""
    return get_or_not_found(programmes_visible_to(user=user), programme_id)


def managing_organisations(user: User) -> list[Organisation]:
    """The organisations in which ``user`` may define programmes and indicators."""
    if not user.is_authenticated or not user.is_active:
        return []
    return user.organisations_with(Capability.INSIGHTS_MANAGE)


def may_manage_insights(user: User) -> bool:
    """Whether ``user`` may open the indicator and programme management pages at all."""
    return bool(managing_organisations(user))


def may_manage_shared_indicators(user: User) -> bool:
    """Indicators offered to every programme are managed by the programme officers of a
    network-editor organisation (the regional coordination)."""
    return any(organisation.is_network_editor for organisation in managing_organisations(user))


def programmes_managed_by(*, user: User) -> QuerySet[Programme]:
    """Programmes ``user`` manages: those led by an organisation where they are a programme
    officer."""
    organisations = managing_organisations(user)
    programmes = Programme.objects.select_related("lead").order_by("name")
    if not organisations:
        return programmes.none()
    return programmes.filter(lead__in=organisations)


def programme_manage_get(*, user: User, programme_id: int) -> Programme:
    """One programme ``user`` manages; NotFoundError otherwise."""
    return get_or_not_found(programmes_managed_by(user=user), programme_id)


def indicators_managed_by(*, user: User) -> QuerySet[Indicator]:
    """Indicators ``user`` may edit: those of the programmes they manage, and the shared ones
    when they are a programme officer of the coordination."""
    indicators = Indicator.objects.select_related("programme").order_by("position", "code")
    organisations = managing_organisations(user)
    if not organisations:
        return indicators.none()
    condition = Q(programme__lead__in=organisations)
    # As may_manage_shared_indicators, without reading the memberships a second time.
    if any(organisation.is_network_editor for organisation in organisations):
        condition |= Q(programme__isnull=True)
    return indicators.filter(condition)


def indicator_manage_get(*, user: User, indicator_id: int) -> Indicator:
    """One indicator ``user`` may edit; NotFoundError otherwise."""
    return get_or_not_found(indicators_managed_by(user=user), indicator_id)


def indicator_get(*, user: User, programme: Programme, code: str) -> Indicator:
    """An active indicator of ``programme`` (or shared) by its code, for a user who sees the
    programme; NotFoundError otherwise."""
    if not programmes_visible_to(user=user).filter(pk=programme.pk).exists():
        raise NotFoundError("indicator")
    indicator = (
        Indicator.objects.filter(code=code, is_active=True)
        .filter(Q(programme__isnull=True) | Q(programme=programme))
        .first()
    )
    if indicator is None:
        raise NotFoundError("indicator")
    return indicator
