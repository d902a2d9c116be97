"""Staff forms for guides: Spanish and English side by side; the rule as JSON in a textarea."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from senda.accounts.models import Organisation
from senda.core.errors import ValidationError
from senda.core.forms import apply_errors
from senda.geo.models import Country
from senda.pathways.actions import DocumentLink
from senda.pathways.eligibility import validation_errors
from senda.pathways.models import Document


class _BilingualForm(forms.Form):
    """A form whose translatable texts are typed in a Spanish and an English field: an action's
    message about a text goes next to its Spanish field."""

    texts: tuple[tuple[str, Any, bool], ...] = ()

    def apply_errors(self, error: ValidationError) -> None:
        apply_errors(
            self, error, renamed={text: f"{text}_es" for text, _label, _long in self.texts}
        )


# Channel texts shown in two columns (Spanish, English); ``steps`` is one step per line.
CHANNEL_TEXTS = (
    ("name", gettext_lazy("Name"), False),
    ("summary", gettext_lazy("Summary"), True),
    ("who_can_apply", gettext_lazy("Who can apply"), True),
    ("steps", gettext_lazy("Steps (one per line)"), True),
    ("fees", gettext_lazy("Fees"), True),
    ("processing_time", gettext_lazy("Processing time"), False),
)


class ChannelForm(_BilingualForm):
    texts = CHANNEL_TEXTS
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none()
    )
    country = forms.ModelChoiceField(
        label=gettext_lazy("Destination country"), queryset=Country.objects.order_by("name")
    )
    slug = forms.SlugField(label=gettext_lazy("Short name in the address"), max_length=80)
    source_url = forms.URLField(
        label=gettext_lazy("Official source (web address)"), required=False, assume_scheme="https"
    )
    source_name = forms.CharField(
        label=gettext_lazy("Official source (name)"), max_length=300, required=False
    )
    is_example = forms.BooleanField(label=gettext_lazy("Example content"), required=False)
    documents = forms.CharField(
        label=gettext_lazy("Documents (one short name per line, in order)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    eligibility = forms.CharField(
        label=gettext_lazy("Eligibility rule (JSON)"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        required=False,
        help_text=gettext_lazy(
            'Empty fits everyone. Example: {"all": [{"answer": "purpose", "in": ["work"]}]}'
        ),
    )

    def __init__(
        self, *args: Any, owners: list[Organisation], editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in owners])
        for name, label, long_text in CHANNEL_TEXTS:
            for language in ("es", "en"):
                widget = forms.Textarea(attrs={"rows": 4}) if long_text else forms.TextInput()
                self.fields[f"{name}_{language}"] = forms.CharField(
                    label=f"{label} ({'español' if language == 'es' else 'English'})",
                    widget=widget,
                    required=language == "es" and name in ("name", "summary"),
                )
        if editing:
            for name in ("owner", "country", "slug"):
                del self.fields[name]

    def clean_eligibility(self) -> Any:
        text = self.cleaned_data["eligibility"].strip()
        if not text:
            return {}
        try:
            rule = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)s, column %(column)s): %(problem)s.")
                % {"line": exc.lineno, "column": exc.colno, "problem": exc.msg}
            ) from exc
        errors = validation_errors(rule)
        if errors:
            raise forms.ValidationError(errors)
        return rule

    def clean_documents(self) -> list[DocumentLink]:
        slugs = [line.strip() for line in self.cleaned_data["documents"].splitlines()]
        return [DocumentLink(slug=slug) for slug in slugs if slug]

    def text_pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        """The Spanish and English field of each text, for the two-column layout."""
        return [(self[f"{name}_es"], self[f"{name}_en"]) for name, _label, _long in CHANNEL_TEXTS]

    def fields_and_translations(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        data = self.cleaned_data
        fields: dict[str, Any] = {
            "source_url": data["source_url"],
            "source_name": data["source_name"],
            "is_example": data["is_example"],
            "eligibility": data["eligibility"],
            "language": "es",
        }
        english: dict[str, Any] = {}
        for name, _label, _long in CHANNEL_TEXTS:
            spanish_value: Any = data[f"{name}_es"]
            english_value: Any = data[f"{name}_en"]
            if name == "steps":
                spanish_value = [line for line in spanish_value.splitlines() if line.strip()]
                english_value = [line for line in english_value.splitlines() if line.strip()]
            fields[name] = spanish_value
            english[name] = english_value
        return fields, {"en": english}


def channel_initial(content: dict[str, Any]) -> dict[str, Any]:
    """The form's starting values from a channel's working content (``working_content``)."""
    fields = content["fields"]
    initial: dict[str, Any] = {
        "source_url": fields["source_url"],
        "source_name": fields["source_name"],
        "is_example": fields["is_example"],
        "eligibility": json.dumps(fields["eligibility"], indent=2, ensure_ascii=False)
        if fields["eligibility"]
        else "",
        "documents": "\n".join(link["slug"] for link in content["documents"]),
    }
    english = (content["translations"] or {}).get("en", {})
    for name, _label, _long in CHANNEL_TEXTS:
        spanish_value = fields[name]
        english_value = english.get(name, [] if name == "steps" else "")
        if name == "steps":
            spanish_value = "\n".join(spanish_value)
            english_value = "\n".join(english_value)
        initial[f"{name}_es"] = spanish_value
        initial[f"{name}_en"] = english_value
    return initial


class PublishForm(forms.Form):
    change_note = forms.CharField(
        label=gettext_lazy("What changed (shown to readers)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


class SubmitForReviewForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note for the reviewer"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
    )


class RequestChangesForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("What should the editor change?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


EXPLAINER_TEXTS = (
    ("title", gettext_lazy("Title"), False),
    ("regular_text", gettext_lazy("What regular migration means"), True),
    ("irregular_text", gettext_lazy("What irregular migration means"), True),
    ("risks_text", gettext_lazy("Risks of irregular routes"), True),
)


class ExplainerForm(_BilingualForm):
    texts = EXPLAINER_TEXTS
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none()
    )
    country = forms.ModelChoiceField(
        label=gettext_lazy("Destination country"), queryset=Country.objects.order_by("name")
    )
    source_url = forms.URLField(
        label=gettext_lazy("Official source (web address)"), required=False, assume_scheme="https"
    )
    source_name = forms.CharField(
        label=gettext_lazy("Official source (name)"), max_length=300, required=False
    )
    is_example = forms.BooleanField(label=gettext_lazy("Example content"), required=False)

    def __init__(
        self, *args: Any, owners: list[Organisation], editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in owners])
        for name, label, long_text in EXPLAINER_TEXTS:
            for language in ("es", "en"):
                widget = forms.Textarea(attrs={"rows": 5}) if long_text else forms.TextInput()
                self.fields[f"{name}_{language}"] = forms.CharField(
                    label=f"{label} ({'español' if language == 'es' else 'English'})",
                    widget=widget,
                    required=language == "es",
                )
        if editing:
            for name in ("owner", "country"):
                del self.fields[name]

    def text_pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"{name}_es"], self[f"{name}_en"]) for name, _label, _long in EXPLAINER_TEXTS]

    def fields_and_translations(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        data = self.cleaned_data
        fields: dict[str, Any] = {
            "source_url": data["source_url"],
            "source_name": data["source_name"],
            "is_example": data["is_example"],
            "language": "es",
        }
        english: dict[str, Any] = {}
        for name, _label, _long in EXPLAINER_TEXTS:
            fields[name] = data[f"{name}_es"]
            english[name] = data[f"{name}_en"]
        return fields, {"en": english}


def explainer_initial(content: dict[str, Any]) -> dict[str, Any]:
    """The form's starting values from an explainer's working content."""
    fields = content["fields"]
    initial: dict[str, Any] = {
        "source_url": fields["source_url"],
        "source_name": fields["source_name"],
        "is_example": fields["is_example"],
    }
    english = (content["translations"] or {}).get("en", {})
    for name, _label, _long in EXPLAINER_TEXTS:
        initial[f"{name}_es"] = fields[name]
        initial[f"{name}_en"] = english.get(name, "")
    return initial


# ---------------------------------------------------------------------------------------------
# Documents and where to obtain them


def _language_label(label: Any, language: str) -> str:
    return f"{label} ({'español' if language == 'es' else 'English'})"


DOCUMENT_TEXTS = (
    ("name", gettext_lazy("Name"), False),
    ("description", gettext_lazy("What it is"), True),
)
SOURCE_TEXTS = (
    ("where", gettext_lazy("Where to obtain it"), True),
    ("usual_cost", gettext_lazy("Usual cost"), False),
    ("usual_time", gettext_lazy("Usual time"), False),
)


class DocumentForm(_BilingualForm):
    texts = DOCUMENT_TEXTS
    slug = forms.SlugField(label=gettext_lazy("Short name"), max_length=80)
    is_identity = forms.BooleanField(
        label=gettext_lazy("Identity document (offered in the checklist)"), required=False
    )
    is_example = forms.BooleanField(label=gettext_lazy("Example content"), required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, long_text in DOCUMENT_TEXTS:
            for language in ("es", "en"):
                widget = forms.Textarea(attrs={"rows": 3}) if long_text else forms.TextInput()
                self.fields[f"{name}_{language}"] = forms.CharField(
                    label=_language_label(label, language),
                    widget=widget,
                    max_length=200 if name == "name" else None,
                    required=language == "es" and name == "name",
                )
        if editing:
            del self.fields["slug"]

    def text_pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"{name}_es"], self[f"{name}_en"]) for name, _label, _long in DOCUMENT_TEXTS]

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name_es"],
            "description": data["description_es"],
            "is_identity": data["is_identity"],
            "is_example": data["is_example"],
            "translations": {
                "en": {"name": data["name_en"], "description": data["description_en"]}
            },
        }


def document_initial(document: Document) -> dict[str, Any]:
    english = (document.translations or {}).get("en", {})
    return {
        "is_identity": document.is_identity,
        "is_example": document.is_example,
        "name_es": document.name,
        "name_en": english.get("name", ""),
        "description_es": document.description,
        "description_en": english.get("description", ""),
    }


class SourceForm(_BilingualForm):
    texts = SOURCE_TEXTS
    """One issuing country's row; a row without a country is a spare row and is ignored."""

    country = forms.ModelChoiceField(
        label=gettext_lazy("Issuing country"),
        queryset=Country.objects.order_by("name"),
        required=False,
    )
    source_url = forms.URLField(
        label=gettext_lazy("Official source (web address)"),
        required=False,
        assume_scheme="https",
        max_length=500,
    )
    remove = forms.BooleanField(label=gettext_lazy("Remove this row"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, long_text in SOURCE_TEXTS:
            for language in ("es", "en"):
                widget = forms.Textarea(attrs={"rows": 2}) if long_text else forms.TextInput()
                self.fields[f"{name}_{language}"] = forms.CharField(
                    label=_language_label(label, language),
                    widget=widget,
                    max_length=None if long_text else 200,
                    required=False,
                )

    def text_pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"{name}_es"], self[f"{name}_en"]) for name, _label, _long in SOURCE_TEXTS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        typed = any(
            data.get(f"{name}_{lang}") for name, _l, _t in SOURCE_TEXTS for lang in ("es", "en")
        )
        if data.get("country") is None:
            if (typed or data.get("source_url")) and not data.get("remove"):
                self.add_error("country", _("Choose the country that issues it."))
        elif not data.get("remove") and not data.get("where_es"):
            self.add_error("where_es", _("Say where to obtain it."))
        return data

    @property
    def is_spare(self) -> bool:
        return self.cleaned_data.get("country") is None

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "country_code": data["country"].code,
            "where": data["where_es"],
            "usual_cost": data["usual_cost_es"],
            "usual_time": data["usual_time_es"],
            "source_url": data["source_url"],
            "translations": {
                "en": {name: data[f"{name}_en"] for name, _label, _long in SOURCE_TEXTS}
            },
        }


SourceFormSet = forms.formset_factory(SourceForm, extra=2, max_num=60, validate_max=True)


def source_initial(document: Document) -> list[dict[str, Any]]:
    rows = []
    for source in document.sources.all():
        english = (source.translations or {}).get("en", {})
        row: dict[str, Any] = {"country": source.country_id, "source_url": source.source_url}
        for name, _label, _long in SOURCE_TEXTS:
            row[f"{name}_es"] = getattr(source, name)
            row[f"{name}_en"] = english.get(name, "")
        rows.append(row)
    return rows


class WhereToApplyForm(forms.Form):
    services = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    locations = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, choices: list[tuple[Any, list[Any]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = self.fields["services"]
        locations = self.fields["locations"]
        assert isinstance(services, forms.MultipleChoiceField)
        assert isinstance(locations, forms.MultipleChoiceField)
        services.choices = [(str(service.pk), str(service)) for service, _places in choices]
        locations.choices = [
            (str(place.pk), str(place)) for _service, places in choices for place in places
        ]
