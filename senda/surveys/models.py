"""Surveys: a programme's diagnostic or follow-up questionnaire (an XLSForm) and its
submissions, imported from KoboToolbox or ODK exports or pulled from a KoboToolbox server.

Only the analysable answers of a submission are stored (choices, numbers, calculations and the
questions the design names): free text, locations, photos and device or user identifiers never
reach the database, so a submission says nothing about who answered.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from senda.core.fields import EncryptedTextField


class SurveyRound(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    FOLLOW_UP = "follow_up", _("Follow-up")


# The insights dimensions a survey's results can be broken down by (see senda.insights); the
# analyst maps each to a question of the form in the design.
SURVEY_DIMENSIONS: dict[str, Any] = {
    "country": _("Country"),
    "area": _("Admin area"),
    "sex": _("Sex"),
    "age_group": _("Age group"),
    "nationality": _("Nationality"),
    "community": _("Migrant or host"),
}


class Survey(models.Model):
    """One survey of a programme: its form, where its submissions come from and its design."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(
        "insights.Programme",
        on_delete=models.PROTECT,
        related_name="surveys",
        verbose_name=_("programme"),
    )
    name = models.CharField(_("name"), max_length=200)
    round = models.CharField(
        _("round"), max_length=20, choices=SurveyRound.choices, default=SurveyRound.BASELINE
    )
    baseline = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        verbose_name=_("baseline survey"),
        help_text=_("For a follow-up: the survey its results are compared with."),
    )

    # From the XLSForm's settings sheet (form_id defaults to the file name, as pyxform does).
    form_id = models.CharField(_("form id"), max_length=200, blank=True)
    form_version = models.CharField(_("form version"), max_length=200, blank=True)
    form_title = models.CharField(_("form title"), max_length=300, blank=True)
    xlsform = models.BinaryField(_("XLSForm"), editable=False)
    xlsform_filename = models.CharField(_("XLSForm file name"), max_length=255, blank=True)
    form_json = models.JSONField(_("form (pyxform JSON)"), default=dict, editable=False)

    # KoboToolbox API v2: the token is a credential, so it is encrypted at rest.
    kobo_url = models.CharField(_("KoboToolbox server"), max_length=300, blank=True)
    kobo_asset_uid = models.CharField(
        _("KoboToolbox form id (asset uid)"), max_length=100, blank=True
    )
    kobo_token = EncryptedTextField(_("KoboToolbox API token"))
    kobo_last_submission_time = models.DateTimeField(
        _("last submission pulled from KoboToolbox"), null=True, blank=True
    )

    # The design, as question names of the form ("" = none).
    weight_question = models.CharField(_("weight question"), max_length=200, blank=True)
    strata_question = models.CharField(_("strata question"), max_length=200, blank=True)
    cluster_question = models.CharField(
        _("cluster (primary sampling unit) question"), max_length=200, blank=True
    )
    # Dimension key (see senda.insights) -> question name: {"country": "q_country", ...}.
    dimension_questions = models.JSONField(_("dimension questions"), default=dict, blank=True)

    # What the last import did (shown on the survey page).
    last_import_at = models.DateTimeField(_("last import"), null=True, blank=True)
    last_import_source = models.CharField(_("last import source"), max_length=255, blank=True)
    last_import_added = models.PositiveIntegerField(default=0)
    last_import_skipped = models.PositiveIntegerField(default=0)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["programme_id", "-created_at"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.name

    @property
    def kobo_configured(self) -> bool:
        return bool(self.kobo_url and self.kobo_asset_uid and self.kobo_token)


class SurveyQuestion(models.Model):
    """A question of the survey's form; groups are flattened (``path`` keeps where it was)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    # The column name in Kobo/ODK exports' last path segment; unique in a form.
    name = models.CharField(_("name"), max_length=200)
    path = models.CharField(_("path"), max_length=500, blank=True)  # group/sub/name
    type = models.CharField(_("type"), max_length=40)  # select_one, integer, decimal, ...
    list_name = models.CharField(_("choice list"), max_length=200, blank=True)
    labels = models.JSONField(_("labels"), default=dict, blank=True)  # {lang: text}
    # [{"name": "yes", "labels": {lang: text}}, ...] for select questions.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["survey_id", "position"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        constraints = [
            models.UniqueConstraint(fields=["survey", "name"], name="one_question_name_per_survey")
        ]

    def __str__(self) -> str:
        return self.name

    def label(self, language: str = "") -> str:
        """The question's label in ``language`` (a code such as "es"), else the form's
        default, else any; its name when the form gives none."""
        return pick_label(self.labels, language) or self.name

    def choice_label(self, choice_name: str, language: str = "") -> str:
        for choice in self.choices:
            if choice.get("name") == choice_name:
                return pick_label(choice.get("labels") or {}, language) or choice_name
        return choice_name


def pick_label(labels: dict[str, str], language: str = "") -> str:
    """The text of ``labels`` ({language: text}) best for ``language``: the exact code, its
    base ("es" for "es-mx"), the form's default, then the first there is."""
    if not labels:
        return ""
    wanted = (language or "").lower()
    for key in (wanted, wanted.split("-")[0], "default"):
        if key and labels.get(key):
            return labels[key]
    return next((text for text in labels.values() if text), "")


class Submission(models.Model):
    """One interview: its analysable answers, as exported (raw strings)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="submissions")
    # Kobo's `_uuid` / ODK's `meta/instanceID` (KEY): re-importing the same interview skips it.
    instance_id = models.CharField(_("instance id"), max_length=200)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # {question name: raw value as exported}; "" or missing = no answer.
    data = models.JSONField(_("answers"), default=dict)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        ordering = ["survey_id", "submitted_at", "id"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "instance_id"], name="one_submission_per_instance"
            )
        ]

    def __str__(self) -> str:
        return self.instance_id
