"""Countries and their administrative areas (p-codes, centroids, time zones)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from senda.core.models import TranslatableModel


class Country(TranslatableModel):
    translatable_fields = ("name",)

    code = models.CharField(_("ISO code"), max_length=2, primary_key=True)
    iso3 = models.CharField(max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=100)
    timezone = models.CharField(_("time zone"), max_length=64)
    latitude = models.FloatField()
    longitude = models.FloatField()
    calling_code = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return str(self.tr("name"))


class AdminArea(models.Model):
    pcode = models.CharField(_("p-code"), max_length=20, primary_key=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="areas")
    level = models.PositiveSmallIntegerField(_("level"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(_("name"), max_length=120)
    latitude = models.FloatField()
    longitude = models.FloatField()
    timezone = models.CharField(_("time zone"), max_length=64)

    class Meta:
        ordering = ["country_id", "level", "name"]
        indexes = [models.Index(fields=["country", "level"])]
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")

    def __str__(self) -> str:
        return self.name
