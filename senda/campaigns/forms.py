"""Staff forms for campaigns: parse what an editor typed into the actions' inputs.

Forms check types and shapes; the actions check the rules (address name, colour contrast,
logo type and size) and their messages are put back next to the field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from senda.accounts.models import Organisation
from senda.campaigns.actions import CampaignFields
from senda.campaigns.look import LOGO_MAX_BYTES, logo_errors
from senda.campaigns.models import Campaign, PlacementKind
from senda.core.errors import ValidationError
from senda.core.forms import apply_errors
from senda.geo.models import Country

# The fields shown in two columns: Spanish (the campaign's own text) and English.
BILINGUAL_FIELDS = ("name", "tagline", "description", "key_messages")


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


class CampaignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Owner organisation"), queryset=Organisation.objects.none()
    )
    slug = forms.CharField(
        label=_("Address name"),
        max_length=60,
        help_text=_("Part of the page address /c/…/: lower-case letters, digits and hyphens."),
    )
    country = forms.ModelChoiceField(label=_("Country"), queryset=Country.objects.all())
    name = forms.CharField(label=_("Name (Spanish)"), max_length=120)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    tagline = forms.CharField(label=_("Tagline (Spanish)"), max_length=200, required=False)
    tagline_en = forms.CharField(label=_("Tagline (English)"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description (Spanish)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    key_messages = forms.CharField(
        label=_("Key messages (Spanish)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One message a line."),
    )
    key_messages_en = forms.CharField(
        label=_("Key messages (English)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One message a line, in the same order."),
    )
    period_start = forms.DateField(
        label=_("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    partners = forms.CharField(
        label=_("Partners"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One organisation a line."),
    )
    funder = forms.CharField(label=_("Funder"), max_length=200, required=False)
    social_links = forms.CharField(
        label=_("Social-media links"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One a line: the network, a space, the address (Facebook https://…)."),
    )
    primary_colour = forms.CharField(
        label=_("Primary colour"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("White text must be readable on it (contrast at least 4.5:1)."),
    )
    accent_colour = forms.CharField(
        label=_("Accent colour"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("White text must be readable on it (contrast at least 4.5:1)."),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or SVG, at most 200 KB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/svg+xml"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)

    def __init__(
        self,
        *args: Any,
        owners: list[Organisation],
        campaign: Campaign | None = None,
        **kwargs: Any,
    ) -> None:
        if campaign is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(campaign)
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in owners])
        if len(owners) == 1:
            owner_field.initial = owners[0].pk
        if campaign is not None:
            # The owner of an existing campaign does not change here.
            del self.fields["owner"]
        else:
            del self.fields["remove_logo"]
            self.fields["primary_colour"].initial = "#1f4e79"
            self.fields["accent_colour"].initial = "#7a2e0e"

    def clean_logo(self) -> bytes | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo must be at most 200 KB."))
        data = bytes(upload.read())
        # Checked here too, so a new campaign is never saved without the logo it was sent with.
        problems = logo_errors(data)
        if problems:
            raise forms.ValidationError(problems)
        return data

    def clean_social_links(self) -> tuple[tuple[str, str], ...]:
        links = []
        for line in _lines(self.cleaned_data.get("social_links", "")):
            network, _sep, url = line.rpartition(" ")
            if not network.strip():
                raise forms.ValidationError(
                    _("Write one link a line as: network name, then a space, then a web address.")
                )
            links.append((network.strip(), url.strip()))
        return tuple(links)

    def fields_input(self) -> CampaignFields:
        data = self.cleaned_data
        return CampaignFields(
            slug=data["slug"].strip(),
            country=data["country"],
            name=data["name"],
            name_en=data["name_en"],
            tagline=data["tagline"],
            tagline_en=data["tagline_en"],
            description=data["description"],
            description_en=data["description_en"],
            key_messages=_lines(data["key_messages"]),
            key_messages_en=_lines(data["key_messages_en"]),
            period_start=data["period_start"],
            period_end=data["period_end"],
            partners=_lines(data["partners"]),
            funder=data["funder"],
            social_links=data["social_links"],
            primary_colour=data["primary_colour"],
            accent_colour=data["accent_colour"],
        )

    def apply_errors(self, error: ValidationError) -> None:
        apply_errors(self, error)

    def bilingual_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[name], self[f"{name}_en"]) for name in BILINGUAL_FIELDS]


def initial_for(campaign: Campaign) -> dict[str, Any]:
    english = (campaign.translations or {}).get("en", {})
    return {
        "slug": campaign.slug,
        "country": campaign.country_id,
        "name": campaign.name,
        "name_en": english.get("name", ""),
        "tagline": campaign.tagline,
        "tagline_en": english.get("tagline", ""),
        "description": campaign.description,
        "description_en": english.get("description", ""),
        "key_messages": "\n".join(campaign.key_messages or []),
        "key_messages_en": "\n".join(english.get("key_messages", [])),
        "period_start": campaign.period_start,
        "period_end": campaign.period_end,
        "partners": "\n".join(campaign.partners or []),
        "funder": campaign.funder,
        "social_links": "\n".join(
            f"{link['network']} {link['url']}" for link in campaign.social_links or []
        ),
        "primary_colour": campaign.primary_colour,
        "accent_colour": campaign.accent_colour,
    }


class PlacementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PlacementKind.choices)
    description = forms.CharField(
        label=_("Description or location"),
        max_length=200,
        help_text=_("For example: poster at the central bus station."),
    )
