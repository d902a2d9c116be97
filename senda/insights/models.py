"""Programmes: the unit indicators, dashboards, donor reports and surveys are read by.

A programme groups the organisations whose records count towards it (the partners), the
campaigns it runs and the countries it works in. Its lead organisation's programme officers
manage it; members of the lead, of the partners and of the viewer organisations (donors,
ministries) with the aggregates capability see its figures, and only as aggregates."""

from __future__ import annotations

from django.conf import settings
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


class DonorReport(models.Model):
    """The narrative a programme officer writes for one programme and period; the figures
    beside it are computed when the report is shown or exported, never stored here."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="donor_reports")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    summary = models.TextField(_("summary"), blank=True)
    achievements = models.TextField(_("achievements"), blank=True)
    challenges = models.TextField(_("challenges"), blank=True)
    lessons = models.TextField(_("lessons learned"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["programme_id", "-period_start"]
        verbose_name = _("donor report")
        verbose_name_plural = _("donor reports")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "period_start", "period_end"], name="one_report_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.period_start}–{self.period_end}"


class IndicatorUnit(models.TextChoices):
    COUNT = "count", _("Count")
    PERCENT = "percent", _("Percentage")
    DAYS = "days", _("Days")


class Measure(models.TextChoices):
    """How an indicator turns its source's records into a figure."""

    COUNT = "count", _("Number of records")
    PEOPLE = "people", _("Number of different people")
    SUM = "sum", _("Sum of the tallies")
    SHARE = "share", _("Share of the records meeting a condition")
    MEDIAN_DAYS = "median_days", _("Median days between two dates")
    SUM_OF_PARTS = "parts", _("Sum of several sources")


class Indicator(TranslatableModel):
    """A figure a programme follows, defined as data: which records it counts (a source of
    ``senda.insights.sources``), how (the measure), which of them (filters) and by what it may
    be broken down. Computed by ``senda.insights.engine``; its figures are kept only as
    ``StoredFigures``, for minutes, for the dashboard.
    """

    translatable_fields = ("name", "definition")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    definition = models.TextField(_("definition"), blank=True)
    unit = models.CharField(
        _("unit"), max_length=10, choices=IndicatorUnit.choices, default=IndicatorUnit.COUNT
    )
    source = models.CharField(_("records counted"), max_length=40, blank=True)
    measure = models.CharField(
        _("measure"), max_length=12, choices=Measure.choices, default=Measure.COUNT
    )
    # {"status": ["attended", "closed"]}: which of the source's records count.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    # Shares: which of the counted records make the numerator.
    numerator_filters = models.JSONField(_("numerator filters"), default=dict, blank=True)
    # Medians: the name of one of the source's durations ("sent_to_attended").
    duration = models.CharField(_("duration"), max_length=40, blank=True)
    # Sum of parts: [{"source": "people", "measure": "people", "filters": {}}, ...].
    parts = models.JSONField(_("parts"), default=list, blank=True)
    allowed_dimensions = models.JSONField(_("breakdowns allowed"), default=list, blank=True)
    default_dimension = models.CharField(_("default breakdown"), max_length=20, blank=True)
    programme = models.ForeignKey(
        Programme,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="indicators",
        verbose_name=_("programme"),
        help_text=_("Empty: the indicator is offered to every programme."),
    )
    target = models.FloatField(_("target"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    show_on_dashboard = models.BooleanField(_("show on the dashboard"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return str(self.tr("name"))


class StoredFigures(models.Model):
    """One table's figures as the engine computed them, before suppression (which depends on
    the reader and is applied every time they are read): aggregates only, never a person.
    ``key`` digests everything the figures depend on (the indicator and its last change,
    the programme's partners and campaigns, the filters, the breakdowns, the time zone), so a
    change anywhere reads as a different key; rows older than ``SENDA_INSIGHTS_MAX_AGE`` are
    not read and ``figures_refresh`` deletes them."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64, unique=True)
    computed_at = models.DateTimeField()
    # [[key values], value, contributors, numerator, denominator, numerator contributors,
    # denominator contributors, {days: records}] per cell, margin and total.
    figures = models.JSONField(default=list)
    unsupported_filters = models.JSONField(default=list)

    class Meta:
        verbose_name = _("stored figures")
        verbose_name_plural = _("stored figures")
        indexes = [models.Index(fields=["programme", "computed_at"], name="stored_figures_age")]

    def __str__(self) -> str:
        return f"{self.programme_id}/{self.indicator_id} {self.computed_at:%Y-%m-%d %H:%M}"
