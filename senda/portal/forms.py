"""The public search and "near me" forms: GET only, every choice from published data.

The area list depends on the country without JavaScript: with no country chosen it lists
every programme area grouped by country (``<optgroup>``); once a country is chosen it lists
that country's areas only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from senda.directory.geo import round_coordinate
from senda.directory.search import ServiceFilters
from senda.geo.models import AdminArea, Country
from senda.geo.queries import programme_countries
from senda.portal import queries
from senda.portal.presenters import language_label

ChoiceList = list[tuple[str, Any]]


def category_choices() -> ChoiceList:
    """Top-level categories; those with sub-categories become a group led by "all of it"."""
    choices: ChoiceList = [("", gettext("Any category"))]
    for term, children in queries.categories_with_children():
        name = str(term.tr("name"))
        if not children:
            choices.append((term.code, name))
            continue
        group = [(term.code, gettext("%(category)s (all)") % {"category": name})]
        group += [(child.code, str(child.tr("name"))) for child in children]
        choices.append((name, group))
    return choices


def _area_label(area: AdminArea) -> str:
    if area.parent is not None:
        return f"{area.name} ({area.parent.name})"
    return area.name


def _areas_in_order(areas: list[AdminArea]) -> list[AdminArea]:
    """Each first-level area followed by the areas inside it."""
    children: dict[str, list[AdminArea]] = {}
    for area in areas:
        if area.parent_id:
            children.setdefault(area.parent_id, []).append(area)
    ordered: list[AdminArea] = []
    for area in areas:
        if not area.parent_id:
            ordered.append(area)
            ordered.extend(children.pop(area.pcode, []))
    for rest in children.values():  # children whose parent is not in the list
        ordered.extend(rest)
    return ordered


def area_choices(countries: list[Country], country_code: str) -> ChoiceList:
    choices: ChoiceList = [("", gettext("Any area"))]
    areas = queries.programme_areas(country_code=country_code)
    if country_code:
        return choices + [(a.pcode, _area_label(a)) for a in _areas_in_order(areas)]
    for country in countries:
        in_country = [a for a in areas if a.country_id == country.code]
        if in_country:
            group = [(a.pcode, _area_label(a)) for a in _areas_in_order(in_country)]
            choices.append((str(country.tr("name")), group))
    return choices


def language_choices() -> ChoiceList:
    labelled = [
        (code, language_label(code, name)) for code, name in queries.spoken_language_codes().items()
    ]
    return [("", gettext("Any language")), *sorted(labelled, key=lambda item: item[1].lower())]


class ChoicesForm(forms.Form):
    def _choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field


class PlaceMixin(ChoicesForm):
    """Country and area, with the area list depending on the chosen country."""

    country = forms.ChoiceField(label=_("Country"), required=False)
    area = forms.ChoiceField(label=_("Area"), required=False)

    def setup_place(self) -> None:
        self.countries = programme_countries()
        self._choice_field("country").choices = [("", gettext("Any country"))] + [
            (country.code, str(country.tr("name"))) for country in self.countries
        ]
        raw_country = self.data.get("country", "") if self.is_bound else ""
        known = {country.code for country in self.countries}
        self.chosen_country = raw_country if raw_country in known else ""
        self._choice_field("area").choices = area_choices(self.countries, self.chosen_country)
        if self.chosen_country:
            self.fields["area"].error_messages["invalid_choice"] = _(
                "That area is not in the country you chose. Choose one from the list, or any area."
            )
        else:
            self.fields["area"].error_messages["invalid_choice"] = _(
                "Choose an area from the list."
            )
        self.fields["country"].error_messages["invalid_choice"] = _(
            "Choose a country from the list."
        )

    def chosen_country_name(self) -> str:
        for country in self.countries:
            if country.code == self.chosen_country:
                return str(country.tr("name"))
        return ""


class FilterMixin(ChoicesForm):
    """The filters search and "near me" share."""

    category = forms.ChoiceField(label=_("Category"), required=False)
    language = forms.ChoiceField(label=_("Language spoken"), required=False)
    free = forms.BooleanField(label=_("Free of cost only"), required=False)
    open = forms.BooleanField(label=_("Open now"), required=False)

    def setup_filters(self) -> None:
        self._choice_field("category").choices = category_choices()
        self.fields["category"].error_messages["invalid_choice"] = _(
            "Choose a category from the list."
        )
        self._choice_field("language").choices = language_choices()
        self.fields["language"].error_messages["invalid_choice"] = _(
            "Choose a language from the list."
        )

    filter_names: tuple[str, ...] = ("category", "language", "free", "open")

    def active_filter_count(self) -> int:
        """How many filters the request set (shown on the collapsed "Filters" summary)."""
        if not self.is_bound:
            return 0
        return sum(1 for name in self.filter_names if self.data.get(name))

    def filter_errors(self) -> bool:
        return any(name in self.errors for name in self.filter_names)

    def service_filters(self) -> ServiceFilters:
        data = self.cleaned_data
        return ServiceFilters(
            category_codes=(data["category"],) if data.get("category") else (),
            country_code=data.get("country", "") or "",
            area_pcode=data.get("area", "") or "",
            free_only=bool(data.get("free")),
            language_code=data.get("language", "") or "",
            open_now=bool(data.get("open")),
        )


class SearchForm(FilterMixin, PlaceMixin, forms.Form):
    q = forms.CharField(
        label=_("What are you looking for?"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    field_order = ["q", "category", "country", "area", "language", "free", "open"]
    filter_names = ("category", "country", "area", "language", "free", "open")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_filters()
        self.setup_place()


class NearForm(FilterMixin, PlaceMixin, forms.Form):
    """Where the person is (an area, or the rounded coordinates of the phone) and filters.

    The coordinates arrive rounded by the browser; they are rounded again here and used only
    to compute distances for this response: never stored, never logged.
    """

    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)

    field_order = ["country", "area", "category", "language", "free", "open", "lat", "lon"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_filters()
        self.setup_place()
        message = _("Your location could not be read. Choose your area instead.")
        for name in ("lat", "lon"):
            for code in ("invalid", "min_value", "max_value"):
                self.fields[name].error_messages[code] = message

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        lat, lon = data.get("lat"), data.get("lon")
        if (lat is None) != (lon is None) and not self.errors.get("lat"):
            self.add_error(None, _("Your location could not be read. Choose your area instead."))
        if lat is not None and lon is not None:
            data["lat"], data["lon"] = round_coordinate(lat), round_coordinate(lon)
        return data

    def coordinates(self) -> tuple[float, float] | None:
        """The rounded point the person shared, when they chose no area instead."""
        lat, lon = self.cleaned_data.get("lat"), self.cleaned_data.get("lon")
        if lat is None or lon is None or self.cleaned_data.get("area"):
            return None
        return lat, lon

    def needs_rounding(self) -> bool:
        """Whether the request carried more than two decimals (the browser did not round)."""
        for name in ("lat", "lon"):
            raw = str(self.data.get(name, ""))
            if "." in raw and len(raw.split(".", 1)[1]) > 2:
                return True
        return False

    def service_filters(self) -> ServiceFilters:
        # Here the area is where the person is, not a boundary: distance decides.
        filters = super().service_filters()
        return ServiceFilters(
            category_codes=filters.category_codes,
            free_only=filters.free_only,
            language_code=filters.language_code,
            open_now=filters.open_now,
        )
