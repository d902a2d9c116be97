"""Staff forms for indicators and programmes: parse what a programme officer typed into the
actions' inputs. Forms check shapes; the actions check the rules against the source registry,
and their messages are put back next to the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from senda.accounts.models import Organisation
from senda.campaigns.models import Campaign
from senda.core.errors import ValidationError
from senda.core.forms import apply_errors
from senda.geo.models import Country
from senda.insights.actions import IndicatorInput, ProgrammeInput
from senda.insights.models import Indicator, IndicatorUnit, Measure, Programme
from senda.insights.sources import ALL_DIMENSIONS, DIMENSION_LABELS, SOURCES, source_choices


def _dimension_choices() -> list[tuple[str, str]]:
    return [(key, str(DIMENSION_LABELS[key])) for key in ALL_DIMENSIONS]


def _duration_choices() -> list[tuple[str, str]]:
    choices: dict[str, str] = {}
    for source in SOURCES.values():
        for key, duration in source.durations.items():
            choices[key] = f"{duration.label} ({source.label})"
    return [("", "—"), *choices.items()]


def filters_to_text(filters: dict[str, list[str]]) -> str:
    return "\n".join(f"{name}: {', '.join(values)}" for name, values in (filters or {}).items())


def parts_to_text(parts: list[dict[str, Any]]) -> str:
    lines = []
    for part in parts or []:
        words = [str(part.get("source", "")), str(part.get("measure", ""))]
        for name, values in (part.get("filters") or {}).items():
            words.append(f"{name}={','.join(values)}")
        lines.append(" ".join(word for word in words if word))
    return "\n".join(lines)


def parse_filters(text: str) -> dict[str, list[str]]:
    """One filter a line: ``field: value, value``."""
    filters: dict[str, list[str]] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, separator, values = line.partition(":")
        if not separator or not name.strip():
            raise forms.ValidationError(
                _("Line %(number)d: write the field, a colon and its values (status: attended).")
                % {"number": number}
            )
        chosen = [value.strip() for value in values.split(",") if value.strip()]
        filters.setdefault(name.strip(), []).extend(chosen)
    return filters


def parse_parts(text: str) -> list[dict[str, Any]]:
    """One part a line: ``source [measure] [field=value,value ...]``."""
    parts = []
    for line in (text or "").splitlines():
        words = line.split()
        if not words:
            continue
        part: dict[str, Any] = {"source": words[0], "filters": {}}
        for word in words[1:]:
            if "=" in word:
                name, _sep, values = word.partition("=")
                part["filters"][name] = [value for value in values.split(",") if value]
            else:
                part["measure"] = word
        parts.append(part)
    return parts


class _ActionForm(forms.Form):
    """A form whose action's ValidationError lands on its fields (the rest on the form)."""

    def apply_errors(self, error: ValidationError) -> None:
        apply_errors(self, error)


class IndicatorForm(_ActionForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=60,
        help_text=_("Used in addresses and exports: lower-case letters, digits and hyphens."),
    )
    name = forms.CharField(label=_("Name (Spanish)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    definition = forms.CharField(
        label=_("Definition (Spanish)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    definition_en = forms.CharField(
        label=_("Definition (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.none(),
        required=False,
        empty_label=_("Every programme"),
    )
    source = forms.ChoiceField(label=_("Records counted"), required=False)
    measure = forms.ChoiceField(label=_("Measure"), choices=Measure.choices)
    unit = forms.ChoiceField(label=_("Unit"), choices=IndicatorUnit.choices)
    filters = forms.CharField(
        label=_("Which records count"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One filter a line: the field, a colon and its values (status: attended)."),
    )
    numerator_filters = forms.CharField(
        label=_("Numerator (shares only)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Which of the counted records make the share, e.g. attended: yes."),
    )
    duration = forms.ChoiceField(label=_("Duration (medians only)"), required=False)
    parts = forms.CharField(
        label=_("Parts (sum of several sources only)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One source a line, then its measure and filters: outreach sum sex=female"),
    )
    allowed_dimensions = forms.MultipleChoiceField(
        label=_("Breakdowns allowed"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    default_dimension = forms.ChoiceField(label=_("Default breakdown"), required=False)
    target = forms.FloatField(label=_("Target"), required=False)
    position = forms.IntegerField(label=_("Position on the dashboard"), initial=0, min_value=0)
    show_on_dashboard = forms.BooleanField(
        label=_("Show on the dashboard"), required=False, initial=True
    )

    def __init__(
        self,
        *args: Any,
        programmes: Any,
        shared_allowed: bool,
        indicator: Indicator | None = None,
        **kwargs: Any,
    ) -> None:
        if indicator is not None and "initial" not in kwargs:
            kwargs["initial"] = indicator_initial(indicator)
        super().__init__(*args, **kwargs)
        programme_field = self.fields["programme"]
        assert isinstance(programme_field, forms.ModelChoiceField)
        programme_field.queryset = programmes
        programme_field.required = not shared_allowed
        source_field = self.fields["source"]
        assert isinstance(source_field, forms.ChoiceField)
        source_field.choices = [("", "—"), *source_choices()]
        duration_field = self.fields["duration"]
        assert isinstance(duration_field, forms.ChoiceField)
        duration_field.choices = _duration_choices()
        dimensions = self.fields["allowed_dimensions"]
        assert isinstance(dimensions, forms.MultipleChoiceField)
        dimensions.choices = _dimension_choices()
        default = self.fields["default_dimension"]
        assert isinstance(default, forms.ChoiceField)
        default.choices = [("", "—"), *_dimension_choices()]

    def clean_filters(self) -> dict[str, list[str]]:
        return parse_filters(self.cleaned_data.get("filters", ""))

    def clean_numerator_filters(self) -> dict[str, list[str]]:
        return parse_filters(self.cleaned_data.get("numerator_filters", ""))

    def clean_parts(self) -> list[dict[str, Any]]:
        return parse_parts(self.cleaned_data.get("parts", ""))

    def to_input(self) -> IndicatorInput:
        data = self.cleaned_data
        return IndicatorInput(
            code=data["code"].strip(),
            name=data["name"],
            name_en=data.get("name_en", ""),
            definition=data.get("definition", ""),
            definition_en=data.get("definition_en", ""),
            programme=data.get("programme"),
            source=data.get("source", ""),
            measure=data["measure"],
            unit=data["unit"],
            filters=data.get("filters") or {},
            numerator_filters=data.get("numerator_filters") or {},
            duration=data.get("duration", ""),
            parts=data.get("parts") or [],
            allowed_dimensions=list(data.get("allowed_dimensions") or []),
            default_dimension=data.get("default_dimension", ""),
            target=data.get("target"),
            position=data.get("position") or 0,
            show_on_dashboard=bool(data.get("show_on_dashboard")),
        )


def indicator_initial(indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "name_en": (indicator.translations or {}).get("en", {}).get("name", ""),
        "definition": indicator.definition,
        "definition_en": (indicator.translations or {}).get("en", {}).get("definition", ""),
        "programme": indicator.programme_id,
        "source": indicator.source,
        "measure": indicator.measure,
        "unit": indicator.unit,
        "filters": filters_to_text(indicator.filters),
        "numerator_filters": filters_to_text(indicator.numerator_filters),
        "duration": indicator.duration,
        "parts": parts_to_text(indicator.parts),
        "allowed_dimensions": list(indicator.allowed_dimensions or []),
        "default_dimension": indicator.default_dimension,
        "target": indicator.target,
        "position": indicator.position,
        "show_on_dashboard": indicator.show_on_dashboard,
    }


class ProgrammeForm(_ActionForm):
    lead = forms.ModelChoiceField(
        label=_("Lead organisation"), queryset=Organisation.objects.none()
    )
    slug = forms.CharField(
        label=_("Address name"),
        max_length=60,
        help_text=_("Lower-case letters, digits and hyphens."),
    )
    name = forms.CharField(label=_("Name (Spanish)"), max_length=160)
    name_en = forms.CharField(label=_("Name (English)"), max_length=160, required=False)
    description = forms.CharField(
        label=_("Description (Spanish)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Partner organisations"),
        queryset=Organisation.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Organisations whose records count towards the programme's figures."),
    )
    viewers = forms.ModelMultipleChoiceField(
        label=_("Viewer organisations"),
        queryset=Organisation.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Donors or ministries: they see aggregate figures only, small numbers hidden."),
    )
    campaigns = forms.ModelMultipleChoiceField(
        label=_("Campaigns"),
        queryset=Campaign.objects.defer("logo").order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    countries = forms.ModelMultipleChoiceField(
        label=_("Countries"),
        queryset=Country.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    donor = forms.CharField(label=_("Donor"), max_length=200, required=False)
    period_start = forms.DateField(
        label=_("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        leads: list[Organisation],
        programme: Programme | None = None,
        **kwargs: Any,
    ) -> None:
        if programme is not None and "initial" not in kwargs:
            kwargs["initial"] = programme_initial(programme)
        super().__init__(*args, **kwargs)
        lead = self.fields["lead"]
        assert isinstance(lead, forms.ModelChoiceField)
        lead.queryset = Organisation.objects.filter(pk__in=[o.pk for o in leads])
        if len(leads) == 1:
            lead.initial = leads[0].pk

    def to_input(self) -> ProgrammeInput:
        data = self.cleaned_data
        return ProgrammeInput(
            slug=data["slug"].strip(),
            name=data["name"],
            name_en=data.get("name_en", ""),
            description=data.get("description", ""),
            description_en=data.get("description_en", ""),
            lead=data["lead"],
            partners=list(data.get("partners") or []),
            viewers=list(data.get("viewers") or []),
            campaigns=list(data.get("campaigns") or []),
            countries=list(data.get("countries") or []),
            donor=data.get("donor", ""),
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
        )


def programme_initial(programme: Programme) -> dict[str, Any]:
    english = (programme.translations or {}).get("en", {})
    return {
        "lead": programme.lead_id,
        "slug": programme.slug,
        "name": programme.name,
        "name_en": english.get("name", ""),
        "description": programme.description,
        "description_en": english.get("description", ""),
        "partners": list(programme.organisations.all()),
        "viewers": list(programme.viewer_organisations.all()),
        "campaigns": list(programme.campaigns.defer("logo")),
        "countries": list(programme.countries.all()),
        "donor": programme.donor,
        "period_start": programme.period_start,
        "period_end": programme.period_end,
    }
