"""The public request form and the staff forms of the inbox."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from senda.accounts.models import User
from senda.geo.models import AdminArea, Country
from senda.geo.queries import programme_countries
from senda.inquiries.models import Outcome, ReplyChannel
from senda.portal.forms import area_choices

PHONE_PATTERN = re.compile(r"^\+?[0-9 ()\-.]{7,20}$")
HONEYPOT_FIELD = "website"


class InquiryForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Do not include passwords or document numbers."),
        error_messages={"required": _("Write your question.")},
    )
    reply_channel = forms.ChoiceField(
        label=_("How should we answer you?"),
        choices=ReplyChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how we should answer you.")},
    )
    contact = forms.CharField(
        label=_("Phone number or email"),
        max_length=200,
        required=False,
        help_text=_("With the country code, e.g. +504 9999-9999. Not needed if you will visit."),
        widget=forms.TextInput(attrs={"autocomplete": "tel"}),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    country = forms.ChoiceField(label=_("Country where you are"), required=False)
    area = forms.ChoiceField(label=_("Area (department, state or province)"), required=False)
    consent = forms.BooleanField(
        label=_(
            "I agree that the information point contacts me by the channel I chose to answer"
            " this request. My data are used only for this."
        ),
        error_messages={"required": _("We can only answer if you agree to be contacted.")},
    )
    topic = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)
    via = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    started = forms.CharField(required=False, widget=forms.HiddenInput)
    # The honeypot: rendered by hand in the template, hidden from people.
    website = forms.CharField(required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.countries = programme_countries()
        country_field = self.fields["country"]
        area_field = self.fields["area"]
        assert isinstance(country_field, forms.ChoiceField)
        assert isinstance(area_field, forms.ChoiceField)
        country_field.choices = [("", gettext("Choose a country"))] + [
            (country.code, str(country.tr("name"))) for country in self.countries
        ]
        source = self.data if self.is_bound else self.initial
        chosen = str(source.get("country", "") or "")
        known = {country.code for country in self.countries}
        area_field.choices = area_choices(self.countries, chosen if chosen in known else "")
        country_field.error_messages["invalid_choice"] = _("Choose a country from the list.")
        area_field.error_messages["invalid_choice"] = _(
            "That area is not in the country you chose. Choose one from the list."
        )

    def honeypot_filled(self) -> bool:
        return bool(str(self.data.get(HONEYPOT_FIELD, "")).strip())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        channel = cleaned.get("reply_channel")
        contact = (cleaned.get("contact") or "").strip()
        if channel and channel != ReplyChannel.VISIT:
            if not contact:
                self.add_error(
                    "contact", _("Write the phone number or email where we can answer you.")
                )
            elif channel == ReplyChannel.EMAIL:
                try:
                    validate_email(contact)
                except forms.ValidationError:
                    self.add_error("contact", _("Write a valid email address."))
            elif not PHONE_PATTERN.match(contact):
                self.add_error(
                    "contact", _("Write a phone number with digits only, e.g. +504 9999-9999.")
                )
        country_code = cleaned.get("country") or ""
        area_code = cleaned.get("area") or ""
        area = AdminArea.objects.filter(pk=area_code).first() if area_code else None
        if area is not None and not country_code:
            country_code = area.country_id
        if not country_code:
            self.add_error("country", _("Choose the country where you are."))
        elif area is not None and area.country_id != country_code:
            self.add_error("area", _("That area is not in the country you chose."))
        cleaned["country_obj"] = Country.objects.filter(pk=country_code).first()
        cleaned["area_obj"] = area
        return cleaned


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args: Any, members: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {str(member.pk): member for member in members}
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (key, member.get_full_name() or member.get_username())
            for key, member in self.members.items()
        ]


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("What you told the person"), max_length=4000, widget=forms.Textarea({"rows": 4})
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=ReplyChannel.choices)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea({"rows": 3}))


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = forms.CharField(
        label=_("Note"), max_length=4000, required=False, widget=forms.Textarea({"rows": 2})
    )
