"""Staff forms for the directory: parse what a person typed into the actions' inputs.

Forms check types and shapes; the actions check the rules and say which field is wrong, and
``apply_errors`` puts those messages next to the field the person typed in.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.formsets import BaseFormSet, formset_factory
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from senda.core.errors import ValidationError
from senda.directory.actions import (
    LANGUAGE_CODE,
    LANGUAGE_NAMES,
    AccessibilityInput,
    AddressInput,
    CostOptionInput,
    NewLocation,
    OpeningHours,
    PhoneInput,
    RequiredDocumentInput,
    Translations,
)
from senda.directory.models import (
    Accessibility,
    Address,
    CostOption,
    Location,
    Organization,
    Phone,
    PublicationStatus,
    RequiredDocument,
    Schedule,
    Service,
    ServiceStatus,
    TaxonomyTerm,
)
from senda.directory.queries import WEEKDAY_CODES, regular_hours
from senda.geo.models import AdminArea, Country

WEEKDAY_NAMES = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)
# Languages spoken offered as checkboxes; any other ISO 639 code can be typed.
SPOKEN_LANGUAGES = tuple(LANGUAGE_NAMES.items())
ROW_LIMIT = 30


def language_label(code: str) -> str:
    """A readable name for a language code ("en" -> "English"; unknown codes as they are)."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return LANGUAGE_NAMES.get(code, code)


def partner_language(record_language: str) -> str:
    """The language shown next to the record's own: English, or Spanish for English records."""
    return "es" if record_language == "en" else "en"


def _choices(field: forms.Field) -> forms.ChoiceField:
    """A field known to be a choice field (for setting its choices per request)."""
    assert isinstance(field, forms.ChoiceField)
    return field


def _time_field(label: Any) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


# Translations: the record's language, English beside it, any other language below.


@dataclass
class FieldRow:
    """One field in the record's language and, when it is translatable, its translation."""

    field: forms.BoundField
    translation: forms.BoundField | None = None


class TranslatedForm(forms.Form):
    """A form whose ``translated_fields`` also have one copy per other language.

    Copies are named ``tr_<language>_<field>``. Besides English, every language the record
    already has gets its copies, and ``tr_new_language`` with ``tr_new_<field>`` adds one more
    language: no code change per language.
    """

    translated_fields: tuple[str, ...] = ()
    # (key, legend, field names): the page's fieldsets, in order.
    fieldsets: tuple[tuple[str, Any, tuple[str, ...]], ...] = ()

    def __init__(
        self,
        *args: Any,
        record_language: str | None = None,
        translations: Translations | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.record_language = record_language or settings.LANGUAGE_CODE
        self.existing_translations = copy.deepcopy(translations or {})
        partner = partner_language(self.record_language)
        extra = sorted(
            code
            for code in self.existing_translations
            if code not in (self.record_language, partner)
        )
        self.translation_languages = [partner, *extra]
        self.base_labels = {name: self.fields[name].label for name in self.translated_fields}
        for language in self.translation_languages:
            texts = self.existing_translations.get(language, {})
            for name in self.translated_fields:
                key = f"tr_{language}_{name}"
                self.fields[key] = self._copy_field(name, language)
                self.initial.setdefault(key, texts.get(name, ""))
        for name in self.translated_fields:
            self.fields[name].label = _("%(field)s (%(language)s)") % {
                "field": self.fields[name].label,
                "language": language_label(self.record_language),
            }
            self.fields[name].widget.attrs["lang"] = self.record_language
        self.fields["tr_new_language"] = forms.CharField(
            label=_("Language code"),
            required=False,
            max_length=12,
            help_text=_("An ISO 639 code, for example fr (French), mam (Mam) or quc (K’iche’)."),
        )
        for name in self.translated_fields:
            self.fields[f"tr_new_{name}"] = self._copy_field(name, None)

    def _copy_field(self, name: str, language: str | None) -> forms.Field:
        field = copy.deepcopy(self.fields[name])
        field.required = False
        field.help_text = ""
        field.label = self.base_labels[name]
        field.widget.attrs.pop("lang", None)
        if language is not None:
            field.label = _("%(field)s (%(language)s)") % {
                "field": self.base_labels[name],
                "language": language_label(language),
            }
            field.widget.attrs["lang"] = language
        return field

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("tr_new_language") or "").strip().lower()
        data["tr_new_language"] = code
        has_texts = any((data.get(f"tr_new_{name}") or "") for name in self.translated_fields)
        if code:
            if not LANGUAGE_CODE.fullmatch(code):
                self.add_error(
                    "tr_new_language", _("Use an ISO 639 language code, such as fr or mam.")
                )
            elif code == self.record_language or code in self.translation_languages:
                self.add_error("tr_new_language", _("This language already has its fields above."))
            elif not has_texts:
                self.add_error("tr_new_language", _("Write at least one text in this language."))
        elif has_texts:
            self.add_error("tr_new_language", _("Give the code of the language of these texts."))
        return data

    def translations(self) -> Translations:
        """The record's translations: the existing ones with what the form shows replaced."""
        result = copy.deepcopy(self.existing_translations)
        entered: list[tuple[str, str]] = [
            (language, f"tr_{language}_") for language in self.translation_languages
        ]
        if self.cleaned_data.get("tr_new_language"):
            entered.append((self.cleaned_data["tr_new_language"], "tr_new_"))
        for language, prefix in entered:
            texts = result.setdefault(language, {})
            for name in self.translated_fields:
                value = str(self.cleaned_data.get(f"{prefix}{name}") or "").strip()
                if value:
                    texts[name] = value
                else:
                    texts.pop(name, None)
            if not texts:
                result.pop(language)
        return result

    # For templates.

    @property
    def partner_language(self) -> str:
        return self.translation_languages[0]

    @property
    def partner_language_label(self) -> str:
        return language_label(self.partner_language)

    @property
    def record_language_label(self) -> str:
        return language_label(self.record_language)

    def field_rows(self, names: Iterable[str]) -> list[FieldRow]:
        partner = self.partner_language
        return [
            FieldRow(
                self[name],
                self[f"tr_{partner}_{name}"] if name in self.translated_fields else None,
            )
            for name in names
            if name in self.fields
        ]

    @property
    def layout(self) -> list[dict[str, Any]]:
        return [
            {"key": key, "legend": legend, "rows": self.field_rows(names)}
            for key, legend, names in self.fieldsets
        ]

    @property
    def extra_languages(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [
            (
                language,
                language_label(language),
                [self[f"tr_{language}_{name}"] for name in self.translated_fields],
            )
            for language in self.translation_languages[1:]
        ]

    @property
    def new_language_fields(self) -> list[forms.BoundField]:
        return [self["tr_new_language"]] + [
            self[f"tr_new_{name}"] for name in self.translated_fields
        ]


# Rows of child collections (plain formsets: the page shows spare empty rows, no script).


class RowForm(forms.Form):
    """A row of a child collection; ``translated_fields`` get one column per language."""

    translated_fields: tuple[str, ...] = ()
    id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        languages: Sequence[str] = (),
        record_language: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.languages = list(languages)
        base_labels = {name: self.fields[name].label for name in self.translated_fields}
        if self.languages:
            for name in self.translated_fields:
                self.fields[name].label = _("%(field)s (%(language)s)") % {
                    "field": base_labels[name],
                    "language": language_label(record_language or settings.LANGUAGE_CODE),
                }
        for language in self.languages:
            for name in self.translated_fields:
                field = copy.deepcopy(self.fields[name])
                field.required = False
                field.label = _("%(field)s (%(language)s)") % {
                    "field": base_labels[name],
                    "language": language_label(language),
                }
                field.widget.attrs["lang"] = language
                self.fields[f"{name}__{language}"] = field

    def is_blank(self) -> bool:
        raise NotImplementedError

    @classmethod
    def initial_for(cls, obj: Any, languages: Sequence[str]) -> dict[str, Any]:
        raise NotImplementedError

    def row_translations(self) -> Translations:
        return {
            language: {
                name: str(self.cleaned_data.get(f"{name}__{language}") or "").strip()
                for name in self.translated_fields
            }
            for language in self.languages
        }

    @classmethod
    def translation_initial(cls, obj: Any, languages: Sequence[str]) -> dict[str, str]:
        return {
            f"{name}__{language}": (obj.translations or {}).get(language, {}).get(name, "")
            for language in languages
            for name in cls.translated_fields
        }


class PhoneRowForm(RowForm):
    number = forms.CharField(label=_("Phone number"), required=False, max_length=50)
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", "—"), *Phone.PhoneType.choices]
    )
    whatsapp = forms.BooleanField(label=_("Takes WhatsApp messages"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("number") and (data.get("type") or data.get("whatsapp")):
            self.add_error("number", _("Give the phone number, or clear the row."))
        return data

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("number")

    def to_input(self) -> PhoneInput:
        return PhoneInput(
            id=self.cleaned_data.get("id"),
            number=self.cleaned_data["number"],
            type=self.cleaned_data.get("type") or "",
            whatsapp=bool(self.cleaned_data.get("whatsapp")),
        )

    @classmethod
    def initial_for(cls, phone: Phone, languages: Sequence[str]) -> dict[str, Any]:
        return {
            "id": phone.pk,
            "number": phone.number,
            "type": phone.type,
            "whatsapp": phone.whatsapp,
        }


class CostOptionRowForm(RowForm):
    translated_fields = ("option",)
    option = forms.CharField(label=_("Cost option"), required=False, max_length=300)
    amount = forms.DecimalField(
        label=_("Amount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)

    def clean_currency(self) -> str:
        return str(self.cleaned_data.get("currency") or "").strip().upper()

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return (
            not data.get("option")
            and data.get("amount") is None
            and not data.get("currency")
            and not any(data.get(f"option__{language}") for language in self.languages)
        )

    def to_input(self, *, free: bool = False) -> CostOptionInput:
        amount = self.cleaned_data.get("amount")
        return CostOptionInput(
            id=self.cleaned_data.get("id"),
            option=self.cleaned_data.get("option") or "",
            amount=Decimal(0) if free and amount is None else amount,
            currency=self.cleaned_data.get("currency") or "",
            translations=self.row_translations(),
        )

    @classmethod
    def initial_for(cls, cost: CostOption, languages: Sequence[str]) -> dict[str, Any]:
        return {
            "id": cost.pk,
            "option": cost.option,
            "amount": cost.amount,
            "currency": cost.currency,
            **cls.translation_initial(cost, languages),
        }


class RequiredDocumentRowForm(RowForm):
    translated_fields = ("document",)
    document = forms.CharField(label=_("Document"), required=False, max_length=500)

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("document") and not any(
            self.cleaned_data.get(f"document__{language}") for language in self.languages
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("document") and not self.is_blank():
            self.add_error("document", _("Name the document in the record's language too."))
        return data

    def to_input(self) -> RequiredDocumentInput:
        return RequiredDocumentInput(
            id=self.cleaned_data.get("id"),
            document=self.cleaned_data["document"],
            translations=self.row_translations(),
        )

    @classmethod
    def initial_for(cls, document: RequiredDocument, languages: Sequence[str]) -> dict[str, Any]:
        return {
            "id": document.pk,
            "document": document.document,
            **cls.translation_initial(document, languages),
        }


def _formset(
    form: type[RowForm],
    data: Any,
    *,
    prefix: str,
    rows: Sequence[Any],
    languages: Sequence[str] = (),
    record_language: str | None = None,
    spare: int = 2,
) -> BaseFormSet:
    formset_class = formset_factory(
        form,
        extra=spare,
        max_num=ROW_LIMIT,
        absolute_max=ROW_LIMIT,
        validate_max=True,
    )
    initial = [form.initial_for(row, languages) for row in rows]
    return formset_class(
        data,
        prefix=prefix,
        initial=initial,
        form_kwargs={"languages": list(languages), "record_language": record_language},
    )


def _filled(formset: BaseFormSet) -> list[tuple[int, Any]]:
    """The rows a person filled in, with their index on the page."""
    return [(index, form) for index, form in enumerate(formset.forms) if not form.is_blank()]


# Weekly hours: one line per weekday, with an optional second interval (a lunch break).


class WeeklyHoursForm(forms.Form):
    def __init__(self, *args: Any, schedules: Iterable[Schedule] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing = regular_hours(schedules)
        for weekday, code in enumerate(WEEKDAY_CODES):
            name = WEEKDAY_NAMES[weekday]
            day = code.lower()
            labels = {
                "opens": _("%(day)s: opens"),
                "closes": _("%(day)s: closes"),
                "opens_2": _("%(day)s: opens again"),
                "closes_2": _("%(day)s: closes again"),
            }
            for part, label in labels.items():
                field = _time_field(label % {"day": name})
                # Named by the table's row and column headers: a hidden <label> inside a
                # scrolling table would widen the page on a phone.
                row = f"hours-{day}_2" if part.endswith("_2") else f"hours-{day}"
                field.widget.attrs["aria-labelledby"] = f"{row} hours-{part}"
                self.fields[f"{day}_{part}"] = field
            for index, (opens_at, closes_at) in enumerate(existing.get(weekday, [])[:2]):
                suffix = "" if index == 0 else "_2"
                self.initial[f"{day}_opens{suffix}"] = opens_at
                self.initial[f"{day}_closes{suffix}"] = closes_at

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for code in WEEKDAY_CODES:
            day = code.lower()
            for suffix in ("", "_2"):
                opens, closes = data.get(f"{day}_opens{suffix}"), data.get(f"{day}_closes{suffix}")
                if (opens is None) != (closes is None):
                    missing = f"{day}_closes{suffix}" if closes is None else f"{day}_opens{suffix}"
                    if missing not in self.errors:
                        self.add_error(missing, _("Give both the opening and the closing time."))
            if data.get(f"{day}_opens_2") and not data.get(f"{day}_opens"):
                self.add_error(f"{day}_opens", _("Fill in the first hours of the day first."))
        return data

    def hours(self) -> list[OpeningHours]:
        result = []
        for weekday, code in enumerate(WEEKDAY_CODES):
            day = code.lower()
            for suffix in ("", "_2"):
                opens = self.cleaned_data.get(f"{day}_opens{suffix}")
                closes = self.cleaned_data.get(f"{day}_closes{suffix}")
                if isinstance(opens, datetime.time) and isinstance(closes, datetime.time):
                    result.append(OpeningHours(weekday=weekday, opens_at=opens, closes_at=closes))
        return result

    def add_day_error(self, weekday: int, message: str) -> None:
        self.add_error(f"{WEEKDAY_CODES[weekday].lower()}_closes", message)

    @property
    def days(self) -> list[dict[str, Any]]:
        """For the template: one line per weekday with its fields and its errors."""
        lines = []
        for weekday, code in enumerate(WEEKDAY_CODES):
            day = code.lower()
            fields = [self[f"{day}_{part}"] for part in ("opens", "closes", "opens_2", "closes_2")]
            errors = [(field.auto_id, field.errors) for field in fields if field.errors]
            lines.append(
                {
                    "code": day,
                    "name": WEEKDAY_NAMES[weekday],
                    "first": fields[:2],
                    "second": fields[2:],
                    "errors": errors,
                }
            )
        return lines

    @property
    def has_second_hours(self) -> bool:
        return any(
            self[f"{code.lower()}_{part}"].value()
            for code in WEEKDAY_CODES
            for part in ("opens_2", "closes_2")
        )


# Provider organisations.


class OrganizationForm(TranslatedForm):
    translated_fields = ("name", "alternate_name", "description")
    fieldsets = (
        (
            "organization",
            _("Provider organisation"),
            ("name", "alternate_name", "description", "email", "website"),
        ),
    )

    name = forms.CharField(label=_("Name"), max_length=300)
    alternate_name = forms.CharField(
        label=_("Other name or acronym"), required=False, max_length=300
    )
    description = forms.CharField(
        label=_("What the organisation does"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    website = forms.URLField(
        label=_("Web site"), required=False, max_length=500, assume_scheme="https"
    )

    @classmethod
    def for_organization(cls, data: Any, organization: Organization | None) -> OrganizationForm:
        if organization is None:
            return cls(data)
        return cls(
            data,
            record_language=organization.language,
            translations=organization.translations,
            initial={name: getattr(organization, name) for name in cls.base_fields},
        )

    def action_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.base_fields}


# Services.


class ServiceForm(TranslatedForm):
    translated_fields = (
        "name",
        "description",
        "eligibility_description",
        "application_process",
        "fees_description",
        "alert",
    )
    fieldsets = (
        ("service", _("The service"), ("organization", "name", "description", "status", "alert")),
        ("who", _("Who can use it"), ("eligibility_description", "minimum_age", "maximum_age")),
        ("apply", _("How to apply"), ("application_process",)),
        ("cost", _("Cost"), ("free_of_cost", "fees_description")),
        ("contact", _("Contact and source"), ("email", "url", "source")),
    )
    action_field_names = (
        "name",
        "description",
        "status",
        "alert",
        "eligibility_description",
        "minimum_age",
        "maximum_age",
        "application_process",
        "fees_description",
        "email",
        "url",
        "source",
    )

    organization = forms.ChoiceField(label=_("Provider organisation"))
    name = forms.CharField(label=_("Name"), max_length=300)
    description = forms.CharField(
        label=_("What it offers"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    status = forms.ChoiceField(
        label=_("Operating status"), choices=ServiceStatus.choices, initial=ServiceStatus.ACTIVE
    )
    alert = forms.CharField(
        label=_("Alert"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A short temporary notice, e.g. closed for holidays until 6 January."),
    )
    eligibility_description = forms.CharField(
        label=_("Who can use it"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    minimum_age = forms.IntegerField(
        label=_("Minimum age"), required=False, min_value=0, max_value=150
    )
    maximum_age = forms.IntegerField(
        label=_("Maximum age"), required=False, min_value=0, max_value=150
    )
    application_process = forms.CharField(
        label=_("How to apply"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    free_of_cost = forms.BooleanField(label=_("Free of cost"), required=False)
    fees_description = forms.CharField(
        label=_("Cost description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    email = forms.EmailField(label=_("Email"), required=False)
    url = forms.URLField(label=_("Web page"), required=False, max_length=500, assume_scheme="https")
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=500,
        help_text=_("Where this information comes from (a web page, a call, a visit)."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"), required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        required=False,
        choices=SPOKEN_LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    other_languages = forms.CharField(
        label=_("Other languages spoken"),
        required=False,
        max_length=200,
        help_text=_("ISO 639 codes separated by commas, e.g. mam, quc."),
    )

    def __init__(
        self,
        *args: Any,
        providers: Sequence[Organization],
        category_tree: Sequence[tuple[TaxonomyTerm, Sequence[TaxonomyTerm]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.providers = {str(provider.pk): provider for provider in providers}
        _choices(self.fields["organization"]).choices = [
            (str(provider.pk), str(provider)) for provider in providers
        ]
        if len(providers) == 1:
            self.fields["organization"].initial = str(providers[0].pk)
        self.category_tree = category_tree
        _choices(self.fields["categories"]).choices = [
            (str(term.pk), str(term))
            for top, children in category_tree
            for term in (top, *children)
        ]

    def clean_other_languages(self) -> list[str]:
        codes = [
            code.strip().lower()
            for code in (self.cleaned_data.get("other_languages") or "")
            .replace(";", ",")
            .split(",")
            if code.strip()
        ]
        wrong = [code for code in codes if not LANGUAGE_CODE.fullmatch(code)]
        if wrong:
            raise forms.ValidationError(
                _("These are not ISO 639 language codes: %(codes)s") % {"codes": ", ".join(wrong)}
            )
        return codes

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        minimum, maximum = data.get("minimum_age"), data.get("maximum_age")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.add_error("maximum_age", _("The maximum age is lower than the minimum age."))
        return data

    def provider(self) -> Organization:
        return self.providers[self.cleaned_data["organization"]]

    def action_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.action_field_names}

    def language_codes(self) -> list[str]:
        return [*self.cleaned_data["languages"], *self.cleaned_data["other_languages"]]

    @property
    def category_groups(self) -> list[dict[str, Any]]:
        """The taxonomy as a checkbox tree: one group per top-level category."""
        selected = {str(value) for value in (self["categories"].value() or [])}

        def option(term: TaxonomyTerm) -> dict[str, Any]:
            value = str(term.pk)
            return {
                "value": value,
                "label": str(term),
                "id": f"id_category_{term.code or value}".replace(".", "_"),
                "checked": value in selected,
            }

        return [
            {"term": option(top), "children": [option(child) for child in children]}
            for top, children in self.category_tree
        ]

    @classmethod
    def initial_for(cls, service: Service) -> dict[str, Any]:
        codes = [language.code for language in service.languages.all()]
        known = [code for code in codes if code in LANGUAGE_NAMES]
        return {
            **{name: getattr(service, name) for name in cls.action_field_names},
            "organization": str(service.organization_id),
            "free_of_cost": service.is_free,
            "categories": [str(term.pk) for term in service.categories.all()],
            "languages": known,
            "other_languages": ", ".join(code for code in codes if code not in known),
        }


def _is_free_marker(cost: CostOption) -> bool:
    """The zero-cost row that "free of cost" writes; the form shows it as the tick box."""
    return (
        cost.amount == 0
        and not cost.option
        and not cost.amount_description
        and not cost.translations
    )


def apply_errors(error: ValidationError, routes: dict[str, Any], fallback: forms.Form) -> None:
    """Put an action's messages next to the fields: ``routes`` maps an error key prefix to
    a form, a formset (with the page index of each row the action saw) or a callable."""
    for key, messages in error.errors.items():
        target: Any = fallback
        field_name: str | None = None
        head, _sep, rest = key.partition(".")
        route = routes.get(head)
        if callable(route):
            for message in messages:
                route(rest, message)
            continue
        if isinstance(route, tuple):
            formset, indices = route
            index_text, _sep, field_name = rest.partition(".")
            if index_text.isdigit() and int(index_text) < len(indices):
                target = formset.forms[indices[int(index_text)]]
            field_name = field_name or None
        elif isinstance(route, forms.Form):
            target, field_name = route, rest or None
        elif head in fallback.fields:
            field_name = head
        if field_name is not None and field_name not in target.fields:
            field_name = None
        for message in messages:
            target.add_error(field_name, message)


class ServiceEditor:
    """The service form with its phones, cost options and documents, validated together."""

    def __init__(
        self,
        data: Any,
        *,
        service: Service | None,
        providers: Sequence[Organization],
        category_tree: Sequence[tuple[TaxonomyTerm, Sequence[TaxonomyTerm]]],
    ) -> None:
        self.service = service
        self.form = ServiceForm(
            data,
            providers=providers,
            category_tree=category_tree,
            record_language=service.language if service else None,
            translations=service.translations if service else None,
            initial=ServiceForm.initial_for(service) if service else None,
        )
        languages = self.form.translation_languages
        phones = list(service.phones.all()) if service else []
        costs = [c for c in service.cost_options.all() if not _is_free_marker(c)] if service else []
        documents = list(service.required_documents.all()) if service else []
        self.phones = _formset(PhoneRowForm, data, prefix="phones", rows=phones)
        record_language = self.form.record_language
        self.cost_options = _formset(
            CostOptionRowForm,
            data,
            prefix="costs",
            rows=costs,
            languages=languages,
            record_language=record_language,
        )
        self.documents = _formset(
            RequiredDocumentRowForm,
            data,
            prefix="documents",
            rows=documents,
            languages=languages,
            record_language=record_language,
            spare=3,
        )
        self.indices: dict[str, list[int]] = {}

    def is_valid(self) -> bool:
        parts: list[Any] = [self.form, self.phones, self.cost_options, self.documents]
        valid = all([part.is_valid() for part in parts])  # every part, for every message
        if not valid:
            return False
        self._check_free()
        return not self.form.errors

    def _check_free(self) -> None:
        free = self.form.cleaned_data.get("free_of_cost")
        amounts = [form.cleaned_data.get("amount") for _index, form in _filled(self.cost_options)]
        if free and any(amount is not None and amount > 0 for amount in amounts):
            self.form.add_error(
                "free_of_cost",
                _(
                    "A free service cannot have a cost option with an amount;"
                    " clear the amount or untick this box."
                ),
            )
        if not free and amounts and all(amount == 0 for amount in amounts):
            self.form.add_error(
                "free_of_cost", _("Every cost option costs nothing: tick “free of cost”.")
            )

    def _rows(self, name: str, formset: BaseFormSet) -> list[tuple[int, Any]]:
        rows = _filled(formset)
        self.indices[name] = [index for index, _form in rows]
        return rows

    def action_kwargs(self) -> dict[str, Any]:
        form = self.form
        free = bool(form.cleaned_data.get("free_of_cost"))
        costs = [
            row.to_input(free=free) for _i, row in self._rows("cost_options", self.cost_options)
        ]
        if free and not costs:
            costs = [CostOptionInput(amount=Decimal(0))]
        return {
            "fields": form.action_fields(),
            "translations": form.translations(),
            "categories": [term for term in _terms(form.cleaned_data["categories"])],
            "phones": [row.to_input() for _i, row in self._rows("phones", self.phones)],
            "cost_options": costs,
            "required_documents": [
                row.to_input() for _i, row in self._rows("required_documents", self.documents)
            ],
            "languages": form.language_codes(),
        }

    def apply_errors(self, error: ValidationError) -> None:
        apply_errors(
            error,
            {
                "phones": (self.phones, self.indices.get("phones", [])),
                "cost_options": (self.cost_options, self.indices.get("cost_options", [])),
                "required_documents": (self.documents, self.indices.get("required_documents", [])),
                "languages": lambda _rest, message: self.form.add_error("other_languages", message),
                "translations": lambda _rest, message: self.form.add_error(
                    "tr_new_language", message
                ),
            },
            self.form,
        )


def _terms(ids: Sequence[str]) -> list[TaxonomyTerm]:
    return list(TaxonomyTerm.objects.filter(pk__in=ids))


# Locations.


def area_choices(
    countries_and_areas: Sequence[tuple[Country, Sequence[AdminArea]]],
) -> list[tuple[str, Any]]:
    """Admin areas grouped by country (an <optgroup> each); a district shows its province."""
    groups: list[tuple[str, Any]] = [("", "—")]
    for country, areas in countries_and_areas:
        if not areas:
            continue
        labelled = sorted(
            (
                (area.pcode, f"{area.parent.name} › {area.name}" if area.parent else area.name)
                for area in areas
            ),
            key=lambda choice: choice[1],
        )
        groups.append((str(country), labelled))
    return groups


class LocationForm(TranslatedForm):
    translated_fields = ("name", "transportation", "accessibility")
    fieldsets = (
        ("place", _("The place"), ("organization", "name", "transportation", "accessibility")),
        (
            "address",
            _("Address"),
            (
                "address_1",
                "address_2",
                "city",
                "state_province",
                "postal_code",
                "country",
                "admin_area",
            ),
        ),
        ("map", _("On the map"), ("latitude", "longitude")),
    )

    organization = forms.ChoiceField(label=_("Provider organisation"), required=False)
    name = forms.CharField(label=_("Name of the place"), max_length=300)
    transportation = forms.CharField(
        label=_("How to get there"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    accessibility = forms.CharField(
        label=_("Accessibility"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Ramps, lifts, accessible toilets, sign language, and what is missing."),
    )
    address_1 = forms.CharField(label=_("Street and number"), required=False, max_length=300)
    address_2 = forms.CharField(label=_("Address (line 2)"), required=False, max_length=300)
    city = forms.CharField(label=_("City or town"), required=False, max_length=150)
    state_province = forms.CharField(
        label=_("State, department or province"),
        required=False,
        max_length=150,
        help_text=_("Taken from the area when left empty."),
    )
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=20)
    country = forms.ChoiceField(label=_("Country"), required=False)
    admin_area = forms.ChoiceField(label=_("Area"), required=False)
    latitude = forms.FloatField(
        label=_("Latitude"),
        required=False,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text=_("Decimal degrees, e.g. 9.0335."),
    )
    longitude = forms.FloatField(
        label=_("Longitude"),
        required=False,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text=_("Decimal degrees, e.g. -79.4932."),
    )

    def __init__(
        self,
        *args: Any,
        providers: Sequence[Organization],
        countries_and_areas: Sequence[tuple[Country, Sequence[AdminArea]]],
        location: Location | None = None,
        **kwargs: Any,
    ) -> None:
        self.location = location
        self.accessibility_row: Accessibility | None = None
        self.address_row: Address | None = None
        if location is not None:
            self.accessibility_row = next(iter(location.accessibility.all()), None)
            self.address_row = next(
                (
                    a
                    for a in location.addresses.all()
                    if a.address_type == Address.AddressType.PHYSICAL
                ),
                None,
            )
            kwargs.setdefault("record_language", location.language)
            kwargs.setdefault("translations", self._combined_translations())
            kwargs.setdefault("initial", self._initial())
        super().__init__(*args, **kwargs)
        self.providers = {str(provider.pk): provider for provider in providers}
        _choices(self.fields["organization"]).choices = [("", "—")] + [
            (str(provider.pk), str(provider)) for provider in providers
        ]
        self.countries = {country.code: country for country, _areas in countries_and_areas}
        self.areas = {area.pcode: area for _country, areas in countries_and_areas for area in areas}
        _choices(self.fields["country"]).choices = [("", "—")] + [
            (country.code, str(country)) for country, _areas in countries_and_areas
        ]
        _choices(self.fields["admin_area"]).choices = area_choices(countries_and_areas)

    def _combined_translations(self) -> Translations:
        assert self.location is not None
        combined = copy.deepcopy(self.location.translations or {})
        if self.accessibility_row is not None:
            for language, texts in (self.accessibility_row.translations or {}).items():
                if texts.get("description"):
                    combined.setdefault(language, {})["accessibility"] = texts["description"]
        return combined

    def _initial(self) -> dict[str, Any]:
        location = self.location
        assert location is not None
        initial: dict[str, Any] = {
            "organization": str(location.organization_id or ""),
            "name": location.name,
            "transportation": location.transportation,
            "accessibility": self.accessibility_row.description if self.accessibility_row else "",
            "country": location.country_id or "",
            "admin_area": location.admin_area_id or "",
            "latitude": location.latitude,
            "longitude": location.longitude,
        }
        if self.address_row is not None:
            for name in ("address_1", "address_2", "city", "state_province", "postal_code"):
                initial[name] = getattr(self.address_row, name)
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        area = self.areas.get(data.get("admin_area") or "")
        country_code = data.get("country") or (area.country_id if area else "")
        if area is not None and data.get("country") and area.country_id != data["country"]:
            self.add_error("admin_area", _("This area is not in the country chosen."))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        address_given = any(
            data.get(name)
            for name in ("address_1", "address_2", "city", "state_province", "postal_code")
        )
        if address_given:
            if not data.get("address_1"):
                self.add_error("address_1", _("Give the street and number."))
            if not data.get("city"):
                self.add_error("city", _("Give the city or town."))
            if not data.get("state_province"):
                province = area.parent if area is not None and area.parent is not None else area
                if province is None:
                    self.add_error(
                        "state_province",
                        _("Give the state, department or province, or choose the area."),
                    )
                else:
                    data["state_province"] = province.name
            if not country_code:
                self.add_error("country", _("Choose the country of the address."))
        data["country_code"] = country_code
        return data

    def action_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        provider = self.providers.get(data.get("organization") or "")
        return {
            "name": data["name"],
            "transportation": data["transportation"],
            "country": self.countries.get(data["country_code"]),
            "admin_area": self.areas.get(data.get("admin_area") or ""),
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
            "organization": provider,
        }

    def location_translations(self) -> Translations:
        translations = self.translations()
        return {
            language: {name: text for name, text in texts.items() if name != "accessibility"}
            for language, texts in translations.items()
            if any(name != "accessibility" for name in texts)
        }

    def addresses(self) -> list[AddressInput]:
        """The physical address as typed, and any other address of the location unchanged."""
        data = self.cleaned_data
        others: list[AddressInput] = []
        if self.location is not None:
            others = [
                AddressInput(
                    id=address.pk,
                    address_1=address.address_1,
                    address_2=address.address_2,
                    city=address.city,
                    region=address.region,
                    state_province=address.state_province,
                    postal_code=address.postal_code,
                    country=address.country,
                    attention=address.attention,
                    address_type=address.address_type,
                )
                for address in self.location.addresses.all()
                if self.address_row is None or address.pk != self.address_row.pk
            ]
        if not data.get("address_1"):
            return others
        typed = AddressInput(
            id=self.address_row.pk if self.address_row else None,
            address_1=data["address_1"],
            address_2=data.get("address_2") or "",
            city=data.get("city") or "",
            state_province=data.get("state_province") or "",
            postal_code=data.get("postal_code") or "",
            country=data["country_code"],
            region=self.address_row.region if self.address_row else "",
            attention=self.address_row.attention if self.address_row else "",
        )
        return [typed, *others]

    def accessibility_inputs(self) -> list[AccessibilityInput]:
        """The accessibility note as typed (in every language), other notes unchanged."""
        data = self.cleaned_data
        translations = {
            language: {"description": texts.get("accessibility", "")}
            for language, texts in self.translations().items()
        }
        # Languages whose note was cleared must be cleared in the row too.
        if self.accessibility_row is not None:
            for language in self.accessibility_row.translations or {}:
                translations.setdefault(language, {"description": ""})
        others: list[AccessibilityInput] = []
        if self.location is not None:
            others = [
                AccessibilityInput(id=item.pk, description=item.description)
                for item in self.location.accessibility.all()
                if self.accessibility_row is None or item.pk != self.accessibility_row.pk
            ]
        if not data.get("accessibility") and not any(
            t["description"] for t in translations.values()
        ):
            return others
        typed = AccessibilityInput(
            id=self.accessibility_row.pk if self.accessibility_row else None,
            description=data.get("accessibility") or "",
            translations=translations,
        )
        return [typed, *others]


class LocationEditor:
    """A location with its phones."""

    def __init__(
        self,
        data: Any,
        *,
        location: Location | None,
        providers: Sequence[Organization],
        countries_and_areas: Sequence[tuple[Country, Sequence[AdminArea]]],
        prefix: str | None = None,
        required: bool = True,
        choose_provider: bool = True,
    ) -> None:
        self.location = location
        self.form = LocationForm(
            data,
            providers=providers,
            countries_and_areas=countries_and_areas,
            location=location,
            prefix=prefix,
        )
        if not required:
            self.form.fields["name"].required = False
        if not choose_provider:
            del self.form.fields["organization"]
        phones = list(location.phones.all()) if location else []
        self.phones = _formset(
            PhoneRowForm, data, prefix=f"{prefix}-phones" if prefix else "phones", rows=phones
        )
        self.phone_indices: list[int] = []

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.phones.is_valid()])

    def action_kwargs(self) -> dict[str, Any]:
        rows = _filled(self.phones)
        self.phone_indices = [index for index, _form in rows]
        return {
            "fields": self.form.action_fields(),
            "translations": self.form.location_translations(),
            "addresses": self.form.addresses(),
            "accessibility": self.form.accessibility_inputs(),
            "phones": [row.to_input() for _i, row in rows],
        }

    def new_location(self) -> NewLocation:
        kwargs = self.action_kwargs()
        fields = {name: value for name, value in kwargs["fields"].items() if name != "organization"}
        return NewLocation(
            fields=fields,
            translations=kwargs["translations"],
            addresses=kwargs["addresses"],
            accessibility=kwargs["accessibility"],
            phones=kwargs["phones"],
        )

    def apply_errors(self, error: ValidationError) -> None:
        def address_error(rest: str, message: str) -> None:
            _index, _sep, name = rest.partition(".")
            self.form.add_error(name if name in self.form.fields else None, message)

        apply_errors(
            error,
            {
                "phones": (self.phones, self.phone_indices),
                "addresses": address_error,
                "accessibility": lambda _rest, message: self.form.add_error(
                    "accessibility", message
                ),
                "translations": lambda _rest, message: self.form.add_error(
                    "tr_new_language", message
                ),
            },
            self.form,
        )


class ServiceLocationForm(forms.Form):
    """Where to offer the service: one of the organisation's locations, or a new one."""

    existing = forms.ChoiceField(
        label=_("Location"),
        required=False,
        help_text=_(
            "Choose one of your locations, or leave this empty and describe a new one below."
        ),
    )

    def __init__(self, *args: Any, locations: Sequence[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locations = {str(location.pk): location for location in locations}
        _choices(self.fields["existing"]).choices = [("", _("— a new location —"))] + [
            (str(location.pk), str(location)) for location in locations
        ]

    def location(self) -> Location | None:
        return self.locations.get(self.cleaned_data.get("existing") or "")


class ServiceLocationEditor:
    """Offer a service at a location (existing or new) with its weekly hours: one save."""

    def __init__(
        self,
        data: Any,
        *,
        locations: Sequence[Location],
        providers: Sequence[Organization],
        countries_and_areas: Sequence[tuple[Country, Sequence[AdminArea]]],
    ) -> None:
        self.pick = ServiceLocationForm(data, locations=locations)
        self.new = LocationEditor(
            data,
            location=None,
            providers=providers,
            countries_and_areas=countries_and_areas,
            prefix="new",
            required=False,
            choose_provider=False,
        )
        self.hours = WeeklyHoursForm(data)

    def is_valid(self) -> bool:
        valid = all([self.pick.is_valid(), self.hours.is_valid()])
        if not valid or self.pick.location() is not None:
            return valid  # the new-location fields are not used
        if not self.new.is_valid():
            return False
        if not self.new.form.cleaned_data.get("name"):
            self.new.form.add_error("name", _("Give the new location a name, or choose one above."))
            return False
        return True

    def action_kwargs(self) -> dict[str, Any]:
        location = self.pick.location()
        return {
            "location": location,
            "new_location": None if location is not None else self.new.new_location(),
            "hours": self.hours.hours(),
        }

    def apply_errors(self, error: ValidationError) -> None:
        hours = {
            key: messages for key, messages in error.errors.items() if key.startswith("hours.")
        }
        for key, messages in hours.items():
            weekday = key.partition(".")[2]
            for message in messages:
                if weekday.isdigit():
                    self.hours.add_day_error(int(weekday), message)
                else:
                    self.hours.add_error(None, message)
        rest = {key: messages for key, messages in error.errors.items() if key not in hours}
        if "location" in rest:
            for message in rest.pop("location"):
                self.pick.add_error("existing", message)
        if rest:
            self.new.apply_errors(ValidationError(rest))


def apply_hours_errors(form: WeeklyHoursForm, error: ValidationError) -> None:
    for key, messages in error.errors.items():
        weekday = key.partition(".")[2]
        for message in messages:
            if key.startswith("hours.") and weekday.isdigit():
                form.add_day_error(int(weekday), message)
            else:
                form.add_error(None, message)


# Workflow.


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Publication"),
        required=False,
        choices=[("", _("All")), *PublicationStatus.choices],
    )


class VerifyForm(forms.Form):
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=500,
        help_text=_("How you checked: a call, a visit, a web page."),
    )


class ReturnToDraftForm(forms.Form):
    note = forms.CharField(
        label=_("What should change"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
