"""Forms of the people pages: they only parse input; the actions validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from senda.accounts.models import Organisation
from senda.casework.actions.people import EDITABLE_FIELDS, ErasureReason
from senda.casework.models import AgeGroup, Community, Sex
from senda.geo.models import AdminArea, Country


def _area_choices(countries: list[str]) -> list[Any]:
    areas = AdminArea.objects.select_related("country").order_by("country__name", "level", "name")
    if countries:
        areas = areas.filter(country_id__in=countries)
    grouped: dict[str, list[tuple[str, str]]] = {}
    for area in areas:
        grouped.setdefault(str(area.country.tr("name")), []).append((area.pcode, area.name))
    return [("", "—"), *grouped.items()]


class PersonFieldsForm(forms.Form):
    """The minimum about a person, and the purpose-bound notes."""

    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("Phone or WhatsApp"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    phone_has_whatsapp = forms.BooleanField(label=_("WhatsApp on this number"), required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    year_of_birth = forms.IntegerField(
        label=_("Year of birth"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    age_group = forms.ChoiceField(
        label=_("Or age group (when the year is not known)"),
        choices=[("", "—"), *AgeGroup.choices],
        required=False,
    )
    nationality = forms.ModelChoiceField(
        label=_("Nationality"),
        queryset=Country.objects.order_by("name"),
        required=False,
        empty_label="—",
    )
    area = forms.ChoiceField(label=_("Area where they live"), required=False)
    community = forms.ChoiceField(
        label=_("Migrant or host community"), choices=Community.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label=_("Follow-up notes"),
        help_text=_("Only what is needed to follow up (for example 'pregnant, 7 months')."),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, countries: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ChoiceField)
        area.choices = _area_choices(countries or [])

    def person_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        code = data.get("area") or ""
        data["area"] = AdminArea.objects.filter(pk=code).first() if code else None
        return {name: data[name] for name in EDITABLE_FIELDS}


class RegisterForm(PersonFieldsForm):
    """Consent first: the worker reads these questions out and ticks what the person says."""

    consent_record = forms.BooleanField(
        label=_(
            "Do you agree that we write down your name, phone and these details, to help you "
            "and follow up with you? You can ask us to delete them at any time."
        ),
        required=False,
    )
    consent_contact = forms.BooleanField(
        label=_("Do you agree that we call or message you to know how things went?"),
        required=False,
    )
    consent_share = forms.BooleanField(
        label=_(
            "If we refer you to a health centre or another organisation, do you agree that we "
            "share with them what they need to attend you?"
        ),
        required=False,
    )
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)
    confirm_new = forms.BooleanField(
        label=_("None of these is the person: this is a new person"), required=False
    )
    inquiry = forms.UUIDField(required=False, widget=forms.HiddenInput)

    field_order = ["consent_record", "consent_contact", "consent_share", "organisation"]

    def __init__(
        self, *args: Any, organisations: list[Organisation] | None = None, **kwargs: Any
    ) -> None:
        self.organisations = {str(o.pk): o for o in organisations or []}
        countries = [o.country_id for o in self.organisations.values() if o.country_id]
        super().__init__(*args, countries=countries, **kwargs)
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ChoiceField)
        organisation.choices = [(pk, str(o)) for pk, o in self.organisations.items()]
        if len(self.organisations) <= 1:
            organisation.widget = forms.HiddenInput()

    def chosen_organisation(self) -> Organisation | None:
        chosen = self.cleaned_data.get("organisation") or ""
        if chosen in self.organisations:
            return self.organisations[chosen]
        if len(self.organisations) == 1:
            return next(iter(self.organisations.values()))
        return None


class EditForm(PersonFieldsForm):
    pass


class ConsentForm(forms.Form):
    scope = forms.ChoiceField(
        choices=[("record", "record"), ("contact", "contact"), ("share", "share")]
    )
    decision = forms.ChoiceField(choices=[("grant", "grant"), ("withdraw", "withdraw")])


class MergeForm(forms.Form):
    duplicate = forms.CharField(
        label=_("Card code of the duplicate record"),
        help_text=_("The record that goes: its history moves to this one."),
        max_length=40,
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class EraseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why"), choices=ErasureReason.choices, widget=forms.RadioSelect
    )
    confirm = forms.BooleanField(
        label=_("I understand that the name, phone and notes are deleted for good."),
    )
