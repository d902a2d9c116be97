"""Every write to campaigns, placements and their reach counters."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.campaigns.attribution import new_code, normalise_code
from senda.campaigns.look import colour_errors, logo_content_type, logo_errors
from senda.campaigns.models import (
    Campaign,
    CampaignStatus,
    Placement,
    PlacementDailyCount,
    PlacementEvent,
    PlacementKind,
)
from senda.campaigns.queries import may_manage_owner
from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError, ValidationError

if TYPE_CHECKING:
    from senda.accounts.models import Organisation, User
    from senda.geo.models import Country

PLACEMENT_EVENTS = frozenset(PlacementEvent.values)


def placement_record_event(*, code: str, event: str) -> None:
    """Add one to today's ``event`` count of the placement with ``code``; unknown code: nothing.

    Only the aggregate is stored (no time of day, no address, no agent), and no audit entry is
    written: an anonymous visit has no actor and one audit row per visit would be a log of them.
    """
    if event not in PLACEMENT_EVENTS:
        raise ValueError(f"Unknown placement event: {event!r}")
    code = normalise_code(code)
    if not code:
        return
    placement_id = (
        Placement.objects.filter(code=code, is_active=True).values_list("id", flat=True).first()
    )
    if placement_id is None:
        return
    day = timezone.localdate()
    with transaction.atomic():
        # F() makes the increment happen in the database, so two visits at once both count;
        # get_or_create retries on the unique constraint when two first visits of a day race.
        counted = PlacementDailyCount.objects.filter(
            placement_id=placement_id, day=day, event=event
        ).update(count=F("count") + 1)
        if counted:
            return
        row, created = PlacementDailyCount.objects.get_or_create(
            placement_id=placement_id, day=day, event=event, defaults={"count": 1}
        )
        if not created:
            PlacementDailyCount.objects.filter(pk=row.pk).update(count=F("count") + 1)


@dataclass(frozen=True)
class CampaignFields:
    """What an editor writes about a campaign: Spanish text and its English translation."""

    slug: str
    country: Country
    name: str
    name_en: str = ""
    tagline: str = ""
    tagline_en: str = ""
    description: str = ""
    description_en: str = ""
    key_messages: tuple[str, ...] = ()
    key_messages_en: tuple[str, ...] = ()
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    partners: tuple[str, ...] = ()
    funder: str = ""
    social_links: tuple[tuple[str, str], ...] = ()
    primary_colour: str = "#1f4e79"
    accent_colour: str = "#7a2e0e"


TEXT_LIMITS = {
    "slug": 60,
    "name": 120,
    "name_en": 120,
    "tagline": 200,
    "tagline_en": 200,
    "funder": 200,
}
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _validate(fields: CampaignFields, *, campaign_id: int | None) -> None:
    errors: dict[str, list[str]] = {}
    if not SLUG_PATTERN.match(fields.slug or ""):
        errors["slug"] = [_("Use lower-case letters, digits and hyphens, e.g. migrar-informados.")]
    elif Campaign.objects.filter(slug=fields.slug).exclude(id=campaign_id or 0).exists():
        errors["slug"] = [_("Another campaign already uses this address name.")]
    if not fields.name.strip():
        errors["name"] = [_("Give the campaign a name.")]
    for field_name, limit in TEXT_LIMITS.items():
        if len(getattr(fields, field_name).strip()) > limit:
            errors.setdefault(field_name, []).append(
                _("Keep this to %(limit)d characters at most.") % {"limit": limit}
            )
    for field_name in ("primary_colour", "accent_colour"):
        problems = colour_errors(getattr(fields, field_name))
        if problems:
            errors[field_name] = problems
    if fields.period_start and fields.period_end and fields.period_end < fields.period_start:
        errors["period_end"] = [_("The campaign cannot end before it starts.")]
    for network, url in fields.social_links:
        if not network.strip() or not url.startswith(("https://", "http://")):
            errors["social_links"] = [
                _("Write one link a line as: network name, then a space, then a web address.")
            ]
            break
    if errors:
        raise ValidationError(errors)


def _apply(campaign: Campaign, fields: CampaignFields) -> None:
    campaign.slug = fields.slug
    campaign.country = fields.country
    campaign.language = "es"
    for name in ("name", "tagline", "description", "funder"):
        setattr(campaign, name, getattr(fields, name).strip())
    campaign.key_messages = [m.strip() for m in fields.key_messages if m.strip()]
    campaign.partners = [p.strip() for p in fields.partners if p.strip()]
    campaign.social_links = [
        {"network": network.strip(), "url": url.strip()} for network, url in fields.social_links
    ]
    campaign.period_start = fields.period_start
    campaign.period_end = fields.period_end
    campaign.primary_colour = fields.primary_colour.lower()
    campaign.accent_colour = fields.accent_colour.lower()
    english: dict[str, object] = {
        name: getattr(fields, f"{name}_en").strip()
        for name in ("name", "tagline", "description")
        if getattr(fields, f"{name}_en").strip()
    }
    messages_en = [m.strip() for m in fields.key_messages_en if m.strip()]
    if messages_en:
        english["key_messages"] = messages_en
    translations = dict(campaign.translations or {})
    if english:
        translations["en"] = english
    else:
        translations.pop("en", None)
    campaign.translations = translations


def _check_may_manage(actor: User | None, owner: Organisation) -> None:
    if actor is not None and not may_manage_owner(user=actor, owner=owner):
        raise PermissionDeniedError("campaigns.manage")


def campaign_create(*, actor: User | None, owner: Organisation, fields: CampaignFields) -> Campaign:
    """A new draft campaign of ``owner``; ``actor`` None only for the demo loader."""
    _check_may_manage(actor, owner)
    _validate(fields, campaign_id=None)
    with transaction.atomic():
        campaign = Campaign(owner=owner)
        _apply(campaign, fields)
        campaign.save()
        audit(actor=actor, action="campaign.create", obj=campaign, organisation=owner)
    return campaign


def campaign_update(*, actor: User, campaign: Campaign, fields: CampaignFields) -> Campaign:
    """Change what a campaign says and how it looks."""
    _check_may_manage(actor, campaign.owner)
    _validate(fields, campaign_id=campaign.pk)
    with transaction.atomic():
        _apply(campaign, fields)
        campaign.save()
        audit(actor=actor, action="campaign.update", obj=campaign, organisation=campaign.owner)
    return campaign


def campaign_set_status(*, actor: User | None, campaign: Campaign, status: str) -> Campaign:
    """Publish a campaign (its landing page goes live) or take it back to draft."""
    _check_may_manage(actor, campaign.owner)
    if status not in CampaignStatus.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    with transaction.atomic():
        campaign.status = status
        campaign.save(update_fields=["status", "updated_at"])
        audit(
            actor=actor,
            action=f"campaign.{'publish' if status == CampaignStatus.PUBLISHED else 'unpublish'}",
            obj=campaign,
            organisation=campaign.owner,
        )
    return campaign


def campaign_set_logo(*, actor: User | None, campaign: Campaign, data: bytes | None) -> Campaign:
    """Replace the campaign's logo (PNG, JPEG or SVG up to 200 KB), or remove it with None."""
    _check_may_manage(actor, campaign.owner)
    if data is not None:
        problems = logo_errors(data)
        if problems:
            raise ValidationError({"logo": problems})
    with transaction.atomic():
        campaign.logo = data
        campaign.logo_content_type = logo_content_type(data) if data is not None else ""
        campaign.logo_updated_at = timezone.now() if data is not None else None
        campaign.save(update_fields=["logo", "logo_content_type", "logo_updated_at", "updated_at"])
        audit(
            actor=actor,
            action="campaign.logo",
            obj=campaign,
            organisation=campaign.owner,
            details={"removed": data is None},
        )
    return campaign


def placement_create(
    *, actor: User | None, campaign: Campaign, kind: str, description: str
) -> Placement:
    """A new placement of ``campaign`` with a fresh, unguessable short code."""
    _check_may_manage(actor, campaign.owner)
    errors: dict[str, list[str]] = {}
    if kind not in PlacementKind.values:
        errors["kind"] = [_("Choose what kind of placement this is.")]
    if not description.strip():
        errors["description"] = [_("Say where the placement is, e.g. the bus station poster.")]
    elif len(description.strip()) > 200:
        errors["description"] = [_("Keep this to %(limit)d characters at most.") % {"limit": 200}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        code = new_code()
        while Placement.objects.filter(code=code).exists():
            code = new_code()
        placement = Placement.objects.create(
            campaign=campaign,
            code=code,
            kind=kind,
            description=description.strip(),
            created_by=actor,
        )
        audit(
            actor=actor,
            action="placement.create",
            obj=placement,
            organisation=campaign.owner,
            details={"campaign": campaign.pk, "code": code},
        )
    return placement


def placement_deactivate(*, actor: User, placement: Placement) -> Placement:
    """Stop counting a placement: its short link then leads to the campaign list."""
    _check_may_manage(actor, placement.campaign.owner)
    with transaction.atomic():
        placement.is_active = False
        placement.save(update_fields=["is_active"])
        audit(
            actor=actor,
            action="placement.deactivate",
            obj=placement,
            organisation=placement.campaign.owner,
        )
    return placement


def placement_counts_import(
    *, actor: User | None, placement: Placement, counts: dict[tuple[datetime.date, str], int]
) -> None:
    """Set daily counts kept elsewhere (an earlier tool, or the demo's synthetic history).

    ``counts`` maps (day, event) to a total; an existing count for that day and event is
    replaced, so importing the same file twice gives the same figures.
    """
    for (_day, event), count in counts.items():
        if event not in PLACEMENT_EVENTS or count < 0:
            raise ValidationError({"counts": [_("Counts must be positive, for known events.")]})
    days = {day for day, _event in counts}
    with transaction.atomic():
        existing = PlacementDailyCount.objects.filter(placement=placement, day__in=days)
        replaced = [
            row.pk for row in existing.only("pk", "day", "event") if (row.day, row.event) in counts
        ]
        PlacementDailyCount.objects.filter(pk__in=replaced).delete()
        PlacementDailyCount.objects.bulk_create(
            PlacementDailyCount(placement=placement, day=day, event=event, count=count)
            for (day, event), count in counts.items()
            if count
        )
        audit(
            actor=actor,
            action="placement.counts_import",
            obj=placement,
            organisation=placement.campaign.owner,
            details={"days": len(days)},
        )
