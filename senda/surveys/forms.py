"""Forms of the survey pages: parse what was typed; the actions check it against the data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from senda.insights.models import Programme
from senda.surveys.actions import GROUPING_TYPES, WEIGHT_TYPES
from senda.surveys.importers import SUBMISSION_SUFFIXES
from senda.surveys.models import SURVEY_DIMENSIONS, Survey, SurveyQuestion, SurveyRound
from senda.surveys.xlsform import XLSFORM_SUFFIXES

MAX_FORM_BYTES = 10 * 1024 * 1024
MAX_SUBMISSIONS_BYTES = 200 * 1024 * 1024


def _suffix_ok(name: str, suffixes: tuple[str, ...]) -> bool:
    return str(name).lower().endswith(suffixes)


class SurveyCreateForm(forms.Form):
    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), label=_("Programme"))
    name = forms.CharField(label=_("Name"), max_length=200)
    round = forms.ChoiceField(
        label=_("Round"), choices=SurveyRound.choices, initial=SurveyRound.BASELINE
    )
    baseline = forms.ModelChoiceField(
        queryset=Survey.objects.none(),
        required=False,
        label=_("Baseline survey"),
        help_text=_("For a follow-up: the baseline its results are compared with."),
    )
    xlsform = forms.FileField(
        label=_("Form (XLSForm)"),
        help_text=_(
            "The .xlsx file the form was built from in KoboToolbox or ODK (Download as XLS). "
            "Repeat groups are not supported."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls"}),
    )

    def __init__(
        self,
        *args: Any,
        programmes: Iterable[Programme],
        baselines: Iterable[Survey],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        programme_field = self.fields["programme"]
        baseline_field = self.fields["baseline"]
        assert isinstance(programme_field, forms.ModelChoiceField)
        assert isinstance(baseline_field, forms.ModelChoiceField)
        programme_field.queryset = Programme.objects.filter(pk__in=[p.pk for p in programmes])
        baseline_field.queryset = Survey.objects.filter(pk__in=[s.pk for s in baselines])

    def clean_xlsform(self) -> Any:
        upload = self.cleaned_data["xlsform"]
        if not _suffix_ok(upload.name, XLSFORM_SUFFIXES):
            raise forms.ValidationError(
                _("Upload the form as an XLSForm spreadsheet (.xlsx or .xls).")
            )
        if upload.size > MAX_FORM_BYTES:
            raise forms.ValidationError(_("The form is larger than 10 MB."))
        return upload


class SurveyEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    round = forms.ChoiceField(label=_("Round"), choices=SurveyRound.choices)
    baseline = forms.ModelChoiceField(
        queryset=Survey.objects.none(),
        required=False,
        label=_("Baseline survey"),
        help_text=_("For a follow-up: the baseline its results are compared with."),
    )
    xlsform = forms.FileField(
        label=_("New version of the form (XLSForm)"),
        required=False,
        help_text=_(
            "Optional. The questions are replaced; interviews already imported stay. Design "
            "choices naming a question the new form lacks are cleared."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls"}),
    )

    def __init__(self, *args: Any, baselines: Iterable[Survey], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        baseline_field = self.fields["baseline"]
        assert isinstance(baseline_field, forms.ModelChoiceField)
        baseline_field.queryset = Survey.objects.filter(pk__in=[s.pk for s in baselines])

    def clean_xlsform(self) -> Any:
        upload = self.cleaned_data.get("xlsform")
        if upload and not _suffix_ok(upload.name, XLSFORM_SUFFIXES):
            raise forms.ValidationError(
                _("Upload the form as an XLSForm spreadsheet (.xlsx or .xls).")
            )
        if upload and upload.size > MAX_FORM_BYTES:
            raise forms.ValidationError(_("The form is larger than 10 MB."))
        return upload


class SubmissionsImportForm(forms.Form):
    file = forms.FileField(
        label=_("Submissions (CSV or XLSX export)"),
        help_text=_(
            "The export of KoboToolbox (XML values and headers, or labels) or ODK Central, "
            "with the metadata columns. Interviews already imported are skipped."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not _suffix_ok(upload.name, SUBMISSION_SUFFIXES):
            raise forms.ValidationError(
                _("Upload the submissions as the CSV or XLSX export of KoboToolbox or ODK.")
            )
        if upload.size > MAX_SUBMISSIONS_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload


class KoboConnectionForm(forms.Form):
    kobo_url = forms.CharField(
        label=_("KoboToolbox server"),
        max_length=300,
        help_text=_("Such as https://kf.kobotoolbox.org or https://eu.kobotoolbox.org."),
    )
    kobo_asset_uid = forms.CharField(
        label=_("Form id (asset uid)"),
        max_length=100,
        help_text=_("The code after /forms/ in the form's address in KoboToolbox."),
    )
    kobo_token = forms.CharField(
        label=_("API token"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "From the account settings of KoboToolbox. Kept encrypted; leave blank to keep "
            "the token already saved."
        ),
    )


def question_choices(
    questions: Iterable[SurveyQuestion], allowed: frozenset[str], language: str
) -> list[tuple[str, str]]:
    choices: list[tuple[str, str]] = [("", str(_("(none)")))]
    for question in questions:
        if question.type in allowed:
            label = question.label(language)
            text = question.name if label == question.name else f"{question.name}: {label}"
            choices.append((question.name, text[:120]))
    return choices


class SurveyDesignForm(forms.Form):
    """The design; every choice is a question of the form of a type that fits."""

    weight_question = forms.ChoiceField(
        label=_("Weight"),
        required=False,
        help_text=_("The sampling weight of each interview; none: every interview counts once."),
    )
    strata_question = forms.ChoiceField(
        label=_("Strata"), required=False, help_text=_("The stratum the interview was drawn in.")
    )
    cluster_question = forms.ChoiceField(
        label=_("Clusters (primary sampling units)"),
        required=False,
        help_text=_("The cluster the interview was drawn in (a village, a shelter, a day)."),
    )

    def __init__(
        self, *args: Any, questions: list[SurveyQuestion], language: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        weight = question_choices(questions, WEIGHT_TYPES, language)
        grouping = question_choices(questions, GROUPING_TYPES, language)
        for name, choices in (
            ("weight_question", weight),
            ("strata_question", grouping),
            ("cluster_question", grouping),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices
        for key, label in SURVEY_DIMENSIONS.items():
            self.fields[f"dimension_{key}"] = forms.ChoiceField(
                label=label, required=False, choices=grouping
            )

    def dimension_fields(self) -> list[forms.BoundField]:
        return [self[f"dimension_{key}"] for key in SURVEY_DIMENSIONS]

    def dimension_questions(self) -> dict[str, str]:
        return {
            key: self.cleaned_data.get(f"dimension_{key}") or ""
            for key in SURVEY_DIMENSIONS
            if self.cleaned_data.get(f"dimension_{key}")
        }

    @staticmethod
    def initial_for(survey: Survey) -> dict[str, str]:
        initial = {
            "weight_question": survey.weight_question,
            "strata_question": survey.strata_question,
            "cluster_question": survey.cluster_question,
        }
        for key, question in (survey.dimension_questions or {}).items():
            initial[f"dimension_{key}"] = question
        return initial
