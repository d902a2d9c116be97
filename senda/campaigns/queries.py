"""Reads of campaigns: the public ones for the portal, and those a staff user may manage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet, Sum

from senda.accounts.roles import Capability
from senda.campaigns.models import (
    Campaign,
    CampaignStatus,
    Placement,
    PlacementDailyCount,
    PlacementEvent,
)
from senda.core.errors import NotFoundError
from senda.directory.queries import is_network_editor

if TYPE_CHECKING:
    from senda.accounts.models import Organisation, User


def may_manage_campaigns(user: User) -> bool:
    """Whether ``user`` may open the staff campaign pages at all."""
    return bool(user.is_authenticated and user.is_active) and (
        bool(user.organisations_with(Capability.CAMPAIGN_MANAGE)) or is_network_editor(user)
    )


def may_manage_owner(*, user: User, owner: Organisation) -> bool:
    """Whether ``user`` may manage the campaigns owned by ``owner``."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.can(Capability.CAMPAIGN_MANAGE, owner) or is_network_editor(user)


def campaigns_visible_to(*, user: User) -> QuerySet[Campaign]:
    """The campaigns ``user`` may manage: their organisations' own; every one for a network
    editor."""
    campaigns = Campaign.objects.select_related("country", "owner").order_by("name")
    if not user.is_authenticated or not user.is_active:
        return campaigns.none()
    if is_network_editor(user):
        return campaigns
    owners = user.organisations_with(Capability.CAMPAIGN_MANAGE)
    return campaigns.filter(owner__in=owners) if owners else campaigns.none()


def campaign_get(*, user: User, campaign_id: int) -> Campaign:
    """One campaign ``user`` may manage; ``NotFoundError`` for anything else."""
    campaign = campaigns_visible_to(user=user).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFoundError("campaign")
    return campaign


def placement_get(*, user: User, campaign: Campaign, placement_id: int) -> Placement:
    """A placement of ``campaign`` (which ``user`` may manage); ``NotFoundError`` otherwise."""
    if not campaigns_visible_to(user=user).filter(pk=campaign.pk).exists():
        raise NotFoundError("placement")
    placement = campaign.placements.filter(pk=placement_id).first()
    if placement is None:
        raise NotFoundError("placement")
    return placement


def published_campaigns() -> QuerySet[Campaign]:
    """The campaigns the public portal lists."""
    return (
        Campaign.objects.filter(status=CampaignStatus.PUBLISHED)
        .select_related("country")
        .defer("logo")
        .order_by("name")
    )


def published_campaign_get(*, slug: str) -> Campaign:
    """A published campaign by its address name; ``NotFoundError`` otherwise."""
    campaign = published_campaigns().filter(slug=slug).first()
    if campaign is None:
        raise NotFoundError("campaign")
    return campaign


def active_placement_by_code(*, code: str) -> Placement | None:
    """The active placement of a published campaign behind a short link, or None."""
    if not code:
        return None
    return (
        Placement.objects.select_related("campaign")
        .filter(code=code, is_active=True, campaign__status=CampaignStatus.PUBLISHED)
        .first()
    )


@dataclass
class ReachRow:
    placement: Placement
    visits: int = 0
    checklists: int = 0
    inquiries: int = 0


@dataclass
class Reach:
    rows: list[ReachRow] = field(default_factory=list)

    @property
    def total_visits(self) -> int:
        return sum(row.visits for row in self.rows)

    @property
    def total_checklists(self) -> int:
        return sum(row.checklists for row in self.rows)

    @property
    def total_inquiries(self) -> int:
        return sum(row.inquiries for row in self.rows)


def campaign_reach(*, user: User, campaign: Campaign) -> Reach:
    """Per placement of ``campaign``: visits, checklist completions and information requests."""
    if not campaigns_visible_to(user=user).filter(pk=campaign.pk).exists():
        raise NotFoundError("campaign")
    placements = list(campaign.placements.all())
    totals = (
        PlacementDailyCount.objects.filter(placement__campaign=campaign)
        .values("placement_id")
        .annotate(
            visits=Sum("count", filter=Q(event=PlacementEvent.VISIT)),
            checklists=Sum("count", filter=Q(event=PlacementEvent.CHECKLIST)),
            inquiries=Sum("count", filter=Q(event=PlacementEvent.INQUIRY)),
        )
    )
    by_placement: dict[int, dict[str, int | None]] = {
        row["placement_id"]: {
            "visits": row["visits"],
            "checklists": row["checklists"],
            "inquiries": row["inquiries"],
        }
        for row in totals
    }
    rows = []
    for placement in placements:
        counts: dict[str, int | None] = by_placement.get(placement.pk, {})
        rows.append(
            ReachRow(
                placement=placement,
                visits=counts.get("visits") or 0,
                checklists=counts.get("checklists") or 0,
                inquiries=counts.get("inquiries") or 0,
            )
        )
    return Reach(rows=rows)
