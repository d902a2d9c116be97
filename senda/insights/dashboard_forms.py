"""The dashboard's filter form: a GET form that works without JavaScript and shows what was
chosen. It only renders the choices; the engine's ``Filters.from_query`` validates the query
string, so there is one set of rules and one set of messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from senda.insights.dashboard_tables import GRANULARITY_NAMES
from senda.insights.engine import Filters, filter_choices
from senda.insights.sources import DIMENSION_LABELS

# The multi-value filters, in the order the form shows them (GET keys = field names).
CHOICE_FILTERS = (
    "country",
    "area",
    "organisation",
    "campaign",
    "sex",
    "age_group",
    "nationality",
    "community",
)


def dimension_label(key: str) -> str:
    return str(DIMENSION_LABELS.get(key, key))


class DashboardFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    granularity = forms.ChoiceField(
        label=_("Periods of"),
        choices=list(GRANULARITY_NAMES.items()),
    )
    country = forms.MultipleChoiceField(
        label=_("Countries"), required=False, widget=forms.CheckboxSelectMultiple
    )
    area = forms.MultipleChoiceField(
        label=_("Areas"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Choose several with Ctrl or Cmd (long press on a phone)."),
    )
    organisation = forms.MultipleChoiceField(
        label=_("Organisations"), required=False, widget=forms.CheckboxSelectMultiple
    )
    campaign = forms.MultipleChoiceField(
        label=_("Campaigns"), required=False, widget=forms.CheckboxSelectMultiple
    )
    sex = forms.MultipleChoiceField(
        label=_("Sex"), required=False, widget=forms.CheckboxSelectMultiple
    )
    age_group = forms.MultipleChoiceField(
        label=_("Age groups"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    nationality = forms.MultipleChoiceField(
        label=_("Nationalities"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Choose several with Ctrl or Cmd (long press on a phone)."),
    )
    community = forms.MultipleChoiceField(
        label=_("Migrant or host"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, query: QueryDict, *, filters: Filters, granularity: str) -> None:
        """Unbound, its initial values read from ``query`` (the period from ``filters``, which
        holds the default when none was given), so the page shows what was asked for, even
        values the engine refused (but the periods the charts were drawn by)."""
        programme = filters.programme
        initial: dict[str, Any] = {
            "start": query.get("start") or filters.start.isoformat(),
            "end": query.get("end") or filters.end.isoformat(),
            "granularity": granularity,
        }
        for name in CHOICE_FILTERS:
            initial[name] = query.getlist(name)
        super().__init__(initial=initial)
        choices = filter_choices(programme)
        for name in CHOICE_FILTERS:
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = choices.get(name, [])
            # A filter nobody could use is left out (a programme without campaigns).
            if not field.choices:
                del self.fields[name]

    def applied(self) -> list[tuple[str, str]]:
        """The filters in use, as (filter, chosen values) to read on screen and on paper;
        values the engine refused are not in use and not listed."""
        applied = []
        for name in CHOICE_FILTERS:
            field = self.fields.get(name)
            if not isinstance(field, forms.MultipleChoiceField):
                continue
            wanted = set(self.initial[name])
            choices: list[tuple[str, str]] = list(field.choices)  # type: ignore[arg-type]
            chosen = [str(label) for value, label in choices if value in wanted]
            if chosen:
                applied.append((str(field.label), ", ".join(chosen)))
        return applied

    def choice_filters(self, errors: dict[str, list[str]]) -> list[ChoiceFilter]:
        """The multi-value filters with their options ready to write out (the page renders
        hundreds of options: one template per option would cost more than the figures)."""
        filters = []
        for name in CHOICE_FILTERS:
            field = self.fields.get(name)
            if not isinstance(field, forms.MultipleChoiceField):
                continue
            wanted = set(self.initial[name])
            choices: list[tuple[str, str]] = list(field.choices)  # type: ignore[arg-type]
            filters.append(
                ChoiceFilter(
                    name=name,
                    label=str(field.label),
                    help_text=str(field.help_text),
                    as_checkboxes=isinstance(field.widget, forms.CheckboxSelectMultiple),
                    options=[
                        FilterOption(
                            id=f"id_{name}_{index}",
                            value=str(value),
                            label=str(label),
                            checked=value in wanted,
                        )
                        for index, (value, label) in enumerate(choices)
                    ],
                    chosen=sum(1 for value, _label in choices if value in wanted),
                    errors=errors.get(name, []),
                )
            )
        return filters


@dataclass
class FilterOption:
    id: str
    value: str
    label: str
    checked: bool


@dataclass
class ChoiceFilter:
    name: str
    label: str
    help_text: str
    as_checkboxes: bool
    options: list[FilterOption]
    chosen: int
    errors: list[str]
