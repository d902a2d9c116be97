"""National information campaigns, their placements (posters, radio spots...) and reach.

Reach is kept only as per-day aggregate counts per placement: nothing about the person who
scanned a poster or asked for information is stored here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from senda.core.models import TranslatableModel


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Campaign(TranslatableModel):
    """One national campaign with its own landing page and look."""

    translatable_fields = ("name", "tagline", "description", "key_messages")

    slug = models.SlugField(_("address name"), max_length=60, unique=True)
    country = models.ForeignKey(
        "geo.Country", on_delete=models.PROTECT, related_name="+", verbose_name=_("country")
    )
    owner = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("owner organisation"),
    )
    name = models.CharField(_("name"), max_length=120)
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    # A list of short strings; translations hold the same list in another language.
    key_messages = models.JSONField(_("key messages"), default=list, blank=True)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    partners = models.JSONField(_("partners"), default=list, blank=True)
    funder = models.CharField(_("funder"), max_length=200, blank=True)
    # [{"network": "facebook", "url": "https://..."}]
    social_links = models.JSONField(_("social-media links"), default=list, blank=True)
    primary_colour = models.CharField(_("primary colour"), max_length=7, default="#1f4e79")
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#7a2e0e")
    # The logo lives in the database: a few KB, served by a cached view, no media serving.
    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=False)
    logo_content_type = models.CharField(max_length=40, blank=True, editable=False)
    logo_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return str(self.tr("name"))

    @property
    def is_published(self) -> bool:
        return self.status == CampaignStatus.PUBLISHED

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_content_type)


class PlacementKind(models.TextChoices):
    POSTER = "poster", _("Poster")
    SCHOOL_VISIT = "school_visit", _("School visit")
    RADIO_SPOT = "radio_spot", _("Radio spot")
    SOCIAL_POST = "social_post", _("Social-media post")
    FLYER = "flyer", _("Flyer")
    OTHER = "other", _("Other")


class Placement(models.Model):
    """Where a campaign appears (a poster at a bus station, a radio spot): its own short link."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="placements", verbose_name=_("campaign")
    )
    code = models.CharField(_("short code"), max_length=12, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PlacementKind.choices)
    description = models.CharField(_("description or location"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign_id", "created_at", "id"]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")

    def __str__(self) -> str:
        return f"{self.code} ({self.description})"


class PlacementEvent(models.TextChoices):
    VISIT = "visit", _("Visits")
    CHECKLIST = "checklist", _("Checklist completions")
    INQUIRY = "inquiry", _("Information requests")


class PlacementDailyCount(models.Model):
    """How many times ``event`` happened through ``placement`` on ``day``: a count, no more."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="daily_counts")
    day = models.DateField()
    event = models.CharField(max_length=12, choices=PlacementEvent.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "day", "event"], name="one_count_per_placement_day_event"
            )
        ]
        verbose_name = _("placement daily count")
        verbose_name_plural = _("placement daily counts")

    def __str__(self) -> str:
        return f"{self.placement_id} {self.day} {self.event}={self.count}"
