"""Programmes: the unit indicators, dashboards, donor reports and surveys are read by.

A programme groups the organisations whose records count towards it (the partners), the
campaigns it runs and the countries it works in. Its lead organisation's programme officers
manage it; members of the lead, of the partners and of the viewer organisations (donors,
ministries) with the aggregates capability see its figures, and only as aggregates."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from senda.core.models import TranslatableModel


class Programme(TranslatableModel):
    translatable_fields = ("name", "description")

    slug = models.SlugField(_("address name"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    lead = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="led_programmes",
        verbose_name=_("lead organisation"),
    )
    organisations = models.ManyToManyField(
        "accounts.Organisation",
        related_name="programmes",
        blank=True,
        verbose_name=_("partner organisations"),
        help_text=_("Organisations whose records count towards the programme's figures."),
    )
    viewer_organisations = models.ManyToManyField(
        "accounts.Organisation",
        related_name="viewed_programmes",
        blank=True,
        verbose_name=_("viewer organisations"),
        help_text=_("Donors or ministries that see the programme's aggregate figures."),
    )
    campaigns = models.ManyToManyField(
        "campaigns.Campaign", related_name="programmes", blank=True, verbose_name=_("campaigns")
    )
    countries = models.ManyToManyField(
        "geo.Country", related_name="programmes", blank=True, verbose_name=_("countries")
    )
    donor = models.CharField(_("donor"), max_length=200, blank=True)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return str(self.tr("name"))
