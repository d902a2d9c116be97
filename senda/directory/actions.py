"""Every write to the directory. Each action is atomic, checks permission and writes audit.

The staff pages, Senda's API, the HSDS importer and the demo loader all come through here.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.core.audit import audit
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.directory import queries
from senda.directory.derived import (
    location_refresh_derived,
    service_refresh_derived,
    service_reindex,
)
from senda.directory.models import (
    Accessibility,
    Address,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    PublicationStatus,
    RequiredDocument,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    TaxonomyTerm,
)

SERVICE_FIELDS = frozenset(
    {
        "name",
        "alternate_name",
        "description",
        "url",
        "email",
        "status",
        "interpretation_services",
        "application_process",
        "fees_description",
        "wait_time",
        "fees",
        "accreditations",
        "eligibility_description",
        "minimum_age",
        "maximum_age",
        "licenses",
        "alert",
        "source",
        "language",
    }
)
LOCATION_FIELDS = frozenset(
    {
        "name",
        "alternate_name",
        "description",
        "transportation",
        "location_type",
        "url",
        "latitude",
        "longitude",
        "external_identifier",
        "external_identifier_type",
        "admin_area",
        "country",
        "organization",
        "language",
    }
)
ORGANIZATION_FIELDS = frozenset(
    {
        "name",
        "alternate_name",
        "description",
        "email",
        "website",
        "tax_status",
        "tax_id",
        "year_incorporated",
        "legal_status",
        "logo",
        "uri",
        "language",
    }
)

# Which publication states each transition may start from.
TRANSITIONS: dict[str, frozenset[str]] = {
    PublicationStatus.PENDING_REVIEW: frozenset({PublicationStatus.DRAFT}),
    PublicationStatus.PUBLISHED: frozenset(
        {PublicationStatus.DRAFT, PublicationStatus.PENDING_REVIEW, PublicationStatus.ARCHIVED}
    ),
    PublicationStatus.ARCHIVED: frozenset(
        {PublicationStatus.DRAFT, PublicationStatus.PENDING_REVIEW, PublicationStatus.PUBLISHED}
    ),
    PublicationStatus.DRAFT: frozenset(
        {PublicationStatus.PENDING_REVIEW, PublicationStatus.ARCHIVED}
    ),
}


def _check_owner(actor: User, owner: Organisation) -> None:
    if not (actor.can(Capability.DIRECTORY_EDIT, owner) or queries.is_network_editor(actor)):
        raise PermissionDeniedError(_("You cannot edit the directory for this organisation."))


def _apply(obj: Any, fields: dict[str, Any], allowed: frozenset[str]) -> list[str]:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    changed = []
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


# Child collections. Each input is plain data, so the staff pages, the API and the importer
# build them the same way. A list given to an action replaces the collection; an input with
# the ``id`` of an existing row updates that row in place, so what the input does not carry
# (a phone's languages, a document's link) is kept. ``None`` in an optional text means "keep"
# for an existing row and "empty" for a new one. ``translations`` of a row are merged into the
# row's own: ``{"en": {"document": "ID card"}}`` sets one text, an empty string removes it.

Translations = dict[str, dict[str, str]]
WEEKDAY_CODES = queries.WEEKDAY_CODES
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
PHONE_NUMBER = re.compile(r"^\+?[0-9][0-9 ().\-/]*$")
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
MIDNIGHT = datetime.time(0, 0)
MAX_AMOUNT = Decimal("9999999999.99")
# Autonyms for the languages the staff pages offer; any other ISO 639 code is stored as given.
LANGUAGE_NAMES = {
    "es": "Español",
    "en": "English",
    "fr": "Français",
    "pt": "Português",
    "ht": "Kreyòl ayisyen",
}


@dataclass(frozen=True)
class PhoneInput:
    number: str
    type: str = ""
    whatsapp: bool = False
    extension: str | None = None
    description: str | None = None
    translations: Translations = field(default_factory=dict)
    id: uuid.UUID | None = None


@dataclass(frozen=True)
class CostOptionInput:
    option: str = ""
    amount: Decimal | None = None
    currency: str = ""
    amount_description: str | None = None
    translations: Translations = field(default_factory=dict)
    id: uuid.UUID | None = None


@dataclass(frozen=True)
class RequiredDocumentInput:
    document: str
    uri: str | None = None
    translations: Translations = field(default_factory=dict)
    id: uuid.UUID | None = None


@dataclass(frozen=True)
class OpeningHours:
    """One opening interval on a weekday (0 = Monday); ``closes_at`` 00:00 means midnight."""

    weekday: int
    opens_at: datetime.time
    closes_at: datetime.time


@dataclass(frozen=True)
class AddressInput:
    address_1: str
    city: str
    state_province: str
    country: str
    address_2: str = ""
    region: str = ""
    postal_code: str = ""
    attention: str = ""
    address_type: str = Address.AddressType.PHYSICAL
    id: uuid.UUID | None = None


@dataclass(frozen=True)
class AccessibilityInput:
    description: str = ""
    details: str | None = None
    url: str | None = None
    translations: Translations = field(default_factory=dict)
    id: uuid.UUID | None = None


@dataclass(frozen=True)
class NewLocation:
    """What ``location_create`` takes, for actions that create a location on the way."""

    fields: dict[str, Any]
    translations: Translations = field(default_factory=dict)
    addresses: list[AddressInput] = field(default_factory=list)
    accessibility: list[AccessibilityInput] = field(default_factory=list)
    phones: list[PhoneInput] = field(default_factory=list)


def _check_lengths(obj: models.Model, errors: dict[str, list[str]], prefix: str = "") -> None:
    """Text longer than its column holds (PostgreSQL would refuse it with a server error)."""
    for model_field in obj._meta.concrete_fields:
        limit = getattr(model_field, "max_length", None)
        value = getattr(obj, model_field.attname, None)
        if limit and isinstance(value, str) and len(value) > limit:
            errors.setdefault(f"{prefix}{model_field.name}", []).append(
                _("Use at most %(limit)d characters.") % {"limit": limit}
            )


def _clean_translations(
    translations: Translations | None, allowed: Sequence[str], key: str = "translations"
) -> Translations:
    """Drop empty texts; refuse unknown languages or fields. ``{}`` when nothing is left."""
    cleaned: Translations = {}
    for language, texts in (translations or {}).items():
        code = str(language).strip().lower()
        if not LANGUAGE_CODE.fullmatch(code):
            raise ValidationError(
                {key: [_("“%(code)s” is not an ISO 639 language code.") % {"code": language}]}
            )
        if not isinstance(texts, dict):
            raise ValidationError({key: [_("Each language needs a set of texts.")]})
        for name, value in texts.items():
            if name not in allowed:
                raise ValidationError(
                    {key: [_("“%(field)s” cannot be translated.") % {"field": name}]}
                )
            text = str(value or "").strip()
            if text:
                cleaned.setdefault(code, {})[name] = text
    return cleaned


def _merge_translations(
    current: Translations | None, changes: Translations, allowed: Sequence[str], key: str
) -> Translations:
    """``current`` with the texts in ``changes`` set (or removed when empty)."""
    for language, texts in changes.items():
        for name in texts:
            if name not in allowed:
                raise ValidationError(
                    {key: [_("“%(field)s” cannot be translated.") % {"field": name}]}
                )
        if not LANGUAGE_CODE.fullmatch(language):
            raise ValidationError(
                {key: [_("“%(code)s” is not an ISO 639 language code.") % {"code": language}]}
            )
    merged = {language: dict(texts) for language, texts in (current or {}).items()}
    for language, texts in changes.items():
        for name, value in texts.items():
            text = str(value or "").strip()
            if text:
                merged.setdefault(language, {})[name] = text
            else:
                merged.get(language, {}).pop(name, None)
    return {language: texts for language, texts in merged.items() if texts}


def _rows_by_id(
    existing: models.QuerySet[Any], inputs: Sequence[Any], key: str
) -> dict[uuid.UUID, Any]:
    """The existing rows the inputs name by id; an id of another parent's row is refused."""
    rows = {row.pk: row for row in existing}
    for index, item in enumerate(inputs):
        if item.id is not None and item.id not in rows:
            raise ValidationError(
                {f"{key}.{index}": [_("This row no longer exists; reload the page.")]}
            )
    return rows


def _validate_phones(phones: Sequence[PhoneInput], key: str = "phones") -> None:
    errors: dict[str, list[str]] = {}
    for index, phone in enumerate(phones):
        number = phone.number.strip()
        if not number:
            errors[f"{key}.{index}.number"] = [_("Give the phone number.")]
        elif not PHONE_NUMBER.fullmatch(number) or sum(ch.isdigit() for ch in number) < 3:
            errors[f"{key}.{index}.number"] = [
                _("Write the number with digits, spaces or dashes, and + for the country code.")
            ]
        elif len(number) > 50:
            errors[f"{key}.{index}.number"] = [
                _("Use at most %(limit)d characters.") % {"limit": 50}
            ]
        if phone.type and phone.type not in Phone.PhoneType.values:
            errors[f"{key}.{index}.type"] = [_("Choose a type from the list.")]
        if phone.extension is not None and len(phone.extension.strip()) > 20:
            errors[f"{key}.{index}.extension"] = [
                _("Use at most %(limit)d characters.") % {"limit": 20}
            ]
    if errors:
        raise ValidationError(errors)


def _replace_phones(parent: dict[str, Any], phones: Sequence[PhoneInput], key: str) -> None:
    _validate_phones(phones, key)
    existing = Phone.objects.filter(**parent)
    rows = _rows_by_id(existing, phones, key)
    keep = {phone.id for phone in phones if phone.id is not None}
    existing.exclude(pk__in=keep).delete()
    for phone in phones:
        row = rows[phone.id] if phone.id is not None else Phone(**parent)
        row.number = phone.number.strip()
        row.type = phone.type
        row.whatsapp = phone.whatsapp
        if phone.extension is not None or phone.id is None:
            row.extension = (phone.extension or "").strip()
        if phone.description is not None or phone.id is None:
            row.description = (phone.description or "").strip()
        row.translations = _merge_translations(
            row.translations, phone.translations, Phone.translatable_fields, key
        )
        row.save()


def _validate_cost_options(cost_options: Sequence[CostOptionInput]) -> None:
    errors: dict[str, list[str]] = {}
    for index, cost in enumerate(cost_options):
        key = f"cost_options.{index}"
        if cost.amount is not None:
            if cost.amount < 0:
                errors[f"{key}.amount"] = [_("The amount cannot be negative.")]
            elif cost.amount > MAX_AMOUNT:
                errors[f"{key}.amount"] = [_("The amount is too large.")]
            elif cost.amount > 0 and not cost.currency:
                errors[f"{key}.currency"] = [_("Give the currency of the amount, e.g. MXN.")]
        if cost.currency and not CURRENCY_CODE.fullmatch(cost.currency):
            errors[f"{key}.currency"] = [_("Use the three-letter currency code, e.g. USD.")]
        if len(cost.option) > 300:
            errors[f"{key}.option"] = [_("Use at most %(limit)d characters.") % {"limit": 300}]
        if cost.amount is None and not cost.option.strip() and not cost.amount_description:
            errors[f"{key}.option"] = [_("Describe the cost option or give its amount.")]
    if errors:
        raise ValidationError(errors)


def _replace_cost_options(service: Service, cost_options: Sequence[CostOptionInput]) -> None:
    _validate_cost_options(cost_options)
    existing = CostOption.objects.filter(service=service)
    rows = _rows_by_id(existing, cost_options, "cost_options")
    keep = {cost.id for cost in cost_options if cost.id is not None}
    existing.exclude(pk__in=keep).delete()
    for cost in cost_options:
        row = rows[cost.id] if cost.id is not None else CostOption(service=service)
        row.option = cost.option.strip()
        row.amount = cost.amount
        row.currency = cost.currency
        if cost.amount_description is not None or cost.id is None:
            row.amount_description = (cost.amount_description or "").strip()
        row.translations = _merge_translations(
            row.translations, cost.translations, CostOption.translatable_fields, "cost_options"
        )
        row.save()


def _replace_required_documents(
    service: Service, documents: Sequence[RequiredDocumentInput]
) -> None:
    errors: dict[str, list[str]] = {}
    for index, document in enumerate(documents):
        if not document.document.strip():
            errors[f"required_documents.{index}.document"] = [_("Name the document.")]
        if document.uri:
            try:
                URLValidator()(document.uri)
            except DjangoValidationError:
                errors[f"required_documents.{index}.uri"] = [_("Enter a valid web address.")]
    if errors:
        raise ValidationError(errors)
    existing = RequiredDocument.objects.filter(service=service)
    rows = _rows_by_id(existing, documents, "required_documents")
    keep = {document.id for document in documents if document.id is not None}
    existing.exclude(pk__in=keep).delete()
    for document in documents:
        row = rows[document.id] if document.id is not None else RequiredDocument(service=service)
        row.document = document.document.strip()
        if document.uri is not None or document.id is None:
            row.uri = (document.uri or "").strip()
        row.translations = _merge_translations(
            row.translations,
            document.translations,
            RequiredDocument.translatable_fields,
            "required_documents",
        )
        row.save()


def _replace_languages(service: Service, codes: Sequence[str]) -> None:
    wanted: list[str] = []
    for code in codes:
        code = code.strip().lower()
        if not LANGUAGE_CODE.fullmatch(code):
            raise ValidationError(
                {"languages": [_("“%(code)s” is not an ISO 639 language code.") % {"code": code}]}
            )
        if code not in wanted:
            wanted.append(code)
    existing = Language.objects.filter(service=service)
    existing.exclude(code__in=wanted).delete()
    present = set(existing.values_list("code", flat=True))
    Language.objects.bulk_create(
        Language(service=service, code=code, name=LANGUAGE_NAMES.get(code, code))
        for code in wanted
        if code not in present
    )


def _minute(value: datetime.time, *, closing: bool) -> int:
    minute = value.hour * 60 + value.minute
    return 1440 if closing and minute == 0 else minute


def _validate_hours(hours: Sequence[OpeningHours]) -> None:
    errors: dict[str, list[str]] = {}
    by_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for index, interval in enumerate(hours):
        if interval.weekday not in range(7):
            errors[f"hours.{index}"] = [_("Choose a day of the week.")]
            continue
        opens = _minute(interval.opens_at, closing=False)
        closes = _minute(interval.closes_at, closing=True)
        if closes <= opens:
            errors[f"hours.{interval.weekday}"] = [_("The closing time is before the opening.")]
            continue
        by_day[interval.weekday].append((opens, closes))
    for weekday, intervals in by_day.items():
        intervals.sort()
        for (_opens, closes), (next_opens, _closes) in pairwise(intervals):
            if next_opens < closes:
                errors[f"hours.{weekday}"] = [_("The opening times of this day overlap.")]
    if errors:
        raise ValidationError(errors)


def _replace_regular_hours(
    hours: Sequence[OpeningHours],
    *,
    service: Service | None = None,
    sal: ServiceAtLocation | None = None,
) -> None:
    """Replace the regular weekly hours of a service or service-at-location.

    One Schedule row per distinct interval, with the days it applies to in ``byday`` (HSDS).
    Other schedules (monthly, seasonal, dated) came from elsewhere and are kept.
    """
    _validate_hours(hours)
    # A service's own hours are those tied to neither a location nor a service-at-location.
    parent: dict[str, Any] = {"service": service} if sal is None else {"service_at_location": sal}
    existing = Schedule.objects.filter(**parent)
    if sal is None:
        existing = existing.filter(service_at_location__isnull=True, location__isnull=True)
    for schedule in existing:
        if queries.is_regular_weekly(schedule):
            schedule.delete()
    days_by_interval: dict[tuple[datetime.time, datetime.time], set[int]] = defaultdict(set)
    for interval in hours:
        days_by_interval[(interval.opens_at, interval.closes_at)].add(interval.weekday)
    ordered = sorted(days_by_interval.items(), key=lambda item: (min(item[1]), item[0][0]))
    Schedule.objects.bulk_create(
        Schedule(
            **parent,
            freq="WEEKLY",
            byday=",".join(WEEKDAY_CODES[day] for day in sorted(days)),
            opens_at=opens_at,
            closes_at=closes_at,
        )
        for (opens_at, closes_at), days in ordered
    )


def _set_service_children(
    service: Service,
    *,
    phones: Sequence[PhoneInput] | None,
    cost_options: Sequence[CostOptionInput] | None,
    required_documents: Sequence[RequiredDocumentInput] | None,
    languages: Sequence[str] | None,
    hours: Sequence[OpeningHours] | None,
) -> list[str]:
    """Replace the collections given (None leaves one as it is); returns what changed."""
    changed = []
    if phones is not None:
        _replace_phones({"service": service}, phones, "phones")
        changed.append("phones")
    if cost_options is not None:
        _replace_cost_options(service, cost_options)
        changed.append("cost_options")
    if required_documents is not None:
        _replace_required_documents(service, required_documents)
        changed.append("required_documents")
    if languages is not None:
        _replace_languages(service, languages)
        changed.append("languages")
    if hours is not None:
        _replace_regular_hours(hours, service=service)
        changed.append("schedules")
    return changed


def _validate_addresses(addresses: Sequence[AddressInput]) -> None:
    errors: dict[str, list[str]] = {}
    for index, address in enumerate(addresses):
        key = f"addresses.{index}"
        for name, message in (
            ("address_1", _("Give the street and number.")),
            ("city", _("Give the city or town.")),
            ("state_province", _("Give the state, department or province.")),
        ):
            if not getattr(address, name).strip():
                errors[f"{key}.{name}"] = [message]
        if not re.fullmatch(r"[A-Z]{2}", address.country or ""):
            errors[f"{key}.country"] = [_("Choose the country.")]
        if address.address_type not in Address.AddressType.values:
            errors[f"{key}.address_type"] = [_("Choose a type from the list.")]
    if errors:
        raise ValidationError(errors)


def _set_location_children(
    location: Location,
    *,
    addresses: Sequence[AddressInput] | None,
    accessibility: Sequence[AccessibilityInput] | None,
    phones: Sequence[PhoneInput] | None,
) -> list[str]:
    changed = []
    if addresses is not None:
        _validate_addresses(addresses)
        existing_addresses = Address.objects.filter(location=location)
        rows = _rows_by_id(existing_addresses, addresses, "addresses")
        keep = {address.id for address in addresses if address.id is not None}
        existing_addresses.exclude(pk__in=keep).delete()
        for index, address in enumerate(addresses):
            row = rows[address.id] if address.id is not None else Address(location=location)
            for name in (
                "address_1",
                "address_2",
                "city",
                "region",
                "state_province",
                "postal_code",
                "attention",
            ):
                setattr(row, name, getattr(address, name).strip())
            row.country = address.country
            row.address_type = address.address_type
            errors: dict[str, list[str]] = {}
            _check_lengths(row, errors, prefix=f"addresses.{index}.")
            if errors:
                raise ValidationError(errors)
            row.save()
        changed.append("addresses")
    if accessibility is not None:
        existing_accessibility = Accessibility.objects.filter(location=location)
        rows = _rows_by_id(existing_accessibility, accessibility, "accessibility")
        keep = {item.id for item in accessibility if item.id is not None}
        existing_accessibility.exclude(pk__in=keep).delete()
        for item in accessibility:
            row = rows[item.id] if item.id is not None else Accessibility(location=location)
            row.description = item.description.strip()
            if item.details is not None or item.id is None:
                row.details = (item.details or "").strip()
            if item.url is not None or item.id is None:
                row.url = (item.url or "").strip()
            row.translations = _merge_translations(
                row.translations,
                item.translations,
                Accessibility.translatable_fields,
                "accessibility",
            )
            row.save()
        changed.append("accessibility")
    if phones is not None:
        _replace_phones({"location": location}, phones, "phones")
        changed.append("phones")
    return changed


def _validate_service(service: Service) -> None:
    errors: dict[str, list[str]] = {}
    if not (service.name or "").strip():
        errors["name"] = [_("Give the service a name.")]
    if (
        service.minimum_age is not None
        and service.maximum_age is not None
        and service.minimum_age > service.maximum_age
    ):
        errors["maximum_age"] = [_("The maximum age is lower than the minimum age.")]
    if service.status not in ServiceStatus.values:
        errors["status"] = [_("Choose an operating status from the list.")]
    _check_lengths(service, errors)
    if errors:
        raise ValidationError(errors)


def _validate_location(location: Location) -> None:
    errors: dict[str, list[str]] = {}
    if location.latitude is not None and not -90 <= location.latitude <= 90:
        errors["latitude"] = [_("Latitude must be between -90 and 90.")]
    if location.longitude is not None and not -180 <= location.longitude <= 180:
        errors["longitude"] = [_("Longitude must be between -180 and 180.")]
    if (location.latitude is None) != (location.longitude is None):
        errors["longitude"] = [_("Give both latitude and longitude, or neither.")]
    area = location.admin_area
    if (
        area is not None
        and location.country_id is not None
        and area.country_id != location.country_id
    ):
        errors["admin_area"] = [_("This area is not in the country chosen.")]
    _check_lengths(location, errors)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def organization_create(
    *,
    actor: User,
    owner: Organisation,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
) -> Organization:
    """Create a provider organisation maintained by ``owner``."""
    _check_owner(actor, owner)
    organization = Organization(owner=owner)
    _apply(organization, fields, ORGANIZATION_FIELDS)
    organization.translations = _clean_translations(translations, Organization.translatable_fields)
    errors: dict[str, list[str]] = {}
    if not (organization.name or "").strip():
        errors["name"] = [_("Give the organisation a name.")]
    _check_lengths(organization, errors)
    if errors:
        raise ValidationError(errors)
    organization.save()
    audit(actor=actor, action="directory.organization_create", obj=organization, organisation=owner)
    return organization


@transaction.atomic
def organization_update(
    *,
    actor: User,
    organization: Organization,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
) -> Organization:
    """Change a provider organisation the actor may edit."""
    organization = queries.get_or_not_found(
        queries.organizations_editable_by(user=actor).select_for_update(), organization.pk
    )
    changed = _apply(organization, fields, ORGANIZATION_FIELDS)
    if translations is not None:
        organization.translations = _clean_translations(
            translations, Organization.translatable_fields
        )
        changed.append("translations")
    errors: dict[str, list[str]] = {}
    if not (organization.name or "").strip():
        errors["name"] = [_("Give the organisation a name.")]
    _check_lengths(organization, errors)
    if errors:
        raise ValidationError(errors)
    organization.save()
    for service in organization.services.all():
        service_refresh_derived(service)
    audit(
        actor=actor,
        action="directory.organization_update",
        obj=organization,
        organisation=organization.owner,
        details={"fields": changed},
    )
    return organization


def _check_provider(service: Service) -> None:
    if service.organization.owner_id != service.owner_id:
        raise ValidationError(
            {
                "organization": [
                    _("Choose a provider organisation maintained by the same organisation.")
                ]
            }
        )


@transaction.atomic
def service_create(
    *,
    actor: User,
    owner: Organisation,
    organization: Organization,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
    categories: list[TaxonomyTerm] | None = None,
    locations: list[Location] | None = None,
    phones: Sequence[PhoneInput] | None = None,
    cost_options: Sequence[CostOptionInput] | None = None,
    required_documents: Sequence[RequiredDocumentInput] | None = None,
    languages: Sequence[str] | None = None,
    hours: Sequence[OpeningHours] | None = None,
) -> Service:
    """Create a service as a draft, maintained by ``owner``, with the collections given."""
    _check_owner(actor, owner)
    service = Service(owner=owner, organization=organization)
    _apply(service, fields, SERVICE_FIELDS)
    service.translations = _clean_translations(translations, Service.translatable_fields)
    service.last_modified = timezone.now()
    _validate_service(service)
    _check_provider(service)
    service.save()
    if categories:
        service.categories.set(categories)
    for location in locations or []:
        ServiceAtLocation.objects.create(service=service, location=location)
    _set_service_children(
        service,
        phones=phones,
        cost_options=cost_options,
        required_documents=required_documents,
        languages=languages,
        hours=hours,
    )
    service_refresh_derived(service)
    audit(actor=actor, action="directory.service_create", obj=service, organisation=owner)
    return service


@transaction.atomic
def service_update(
    *,
    actor: User,
    service: Service,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
    categories: list[TaxonomyTerm] | None = None,
    locations: list[Location] | None = None,
    organization: Organization | None = None,
    phones: Sequence[PhoneInput] | None = None,
    cost_options: Sequence[CostOptionInput] | None = None,
    required_documents: Sequence[RequiredDocumentInput] | None = None,
    languages: Sequence[str] | None = None,
    hours: Sequence[OpeningHours] | None = None,
) -> Service:
    """Change a service the actor may edit; lists given replace the current ones."""
    service = queries.get_or_not_found(
        queries.services_editable_by(user=actor).select_for_update(of=("self",)), service.pk
    )
    changed = _apply(service, fields, SERVICE_FIELDS)
    if organization is not None and organization.pk != service.organization_id:
        service.organization = organization
        changed.append("organization")
    if translations is not None:
        cleaned = _clean_translations(translations, Service.translatable_fields)
        if cleaned != service.translations:
            service.translations = cleaned
            changed.append("translations")
    _validate_service(service)
    _check_provider(service)
    service.last_modified = timezone.now()
    service.save()
    if categories is not None:
        service.categories.set(categories)
        changed.append("categories")
    if locations is not None:
        wanted = {location.pk for location in locations}
        service.service_at_locations.exclude(location_id__in=wanted).delete()
        present = set(service.service_at_locations.values_list("location_id", flat=True))
        for location in locations:
            if location.pk not in present:
                ServiceAtLocation.objects.create(service=service, location=location)
        changed.append("locations")
    changed += _set_service_children(
        service,
        phones=phones,
        cost_options=cost_options,
        required_documents=required_documents,
        languages=languages,
        hours=hours,
    )
    service_refresh_derived(service)
    audit(
        actor=actor,
        action="directory.service_update",
        obj=service,
        organisation=service.owner,
        details={"fields": changed},
    )
    return service


@transaction.atomic
def service_set_details(
    *,
    actor: User,
    service: Service,
    phones: Sequence[PhoneInput] | None = None,
    cost_options: Sequence[CostOptionInput] | None = None,
    required_documents: Sequence[RequiredDocumentInput] | None = None,
    languages: Sequence[str] | None = None,
    schedules: Sequence[OpeningHours] | None = None,
) -> Service:
    """Replace a service's phones, costs, documents, languages spoken or its own weekly hours.

    A collection left as None is not touched; ``schedules`` are the service's own hours (for
    the hours at one location see ``service_set_hours``).
    """
    service = queries.get_or_not_found(
        queries.services_editable_by(user=actor).select_for_update(of=("self",)), service.pk
    )
    changed = _set_service_children(
        service,
        phones=phones,
        cost_options=cost_options,
        required_documents=required_documents,
        languages=languages,
        hours=schedules,
    )
    service.last_modified = timezone.now()
    service.save(update_fields=["last_modified", "updated_at"])
    service_refresh_derived(service)
    audit(
        actor=actor,
        action="directory.service_set_details",
        obj=service,
        organisation=service.owner,
        details={"fields": changed},
    )
    return service


def _service_at(service: Service, location: Location) -> ServiceAtLocation:
    sal = service.service_at_locations.filter(location_id=location.pk).first()
    if sal is None:
        raise NotFoundError(str(location.pk))
    return sal


@transaction.atomic
def service_set_hours(
    *,
    actor: User,
    service: Service,
    hours: Sequence[OpeningHours],
    location: Location | None = None,
) -> Service:
    """Replace the regular weekly hours of a service at one of its locations (or its own)."""
    service = queries.get_or_not_found(
        queries.services_editable_by(user=actor).select_for_update(of=("self",)), service.pk
    )
    if location is None:
        _replace_regular_hours(hours, service=service)
    else:
        _replace_regular_hours(hours, sal=_service_at(service, location))
    service.last_modified = timezone.now()
    service.save(update_fields=["last_modified", "updated_at"])
    service_refresh_derived(service)
    audit(
        actor=actor,
        action="directory.service_set_hours",
        obj=service,
        organisation=service.owner,
        details={"location": str(location.pk) if location else ""},
    )
    return service


@transaction.atomic
def service_add_location(
    *,
    actor: User,
    service: Service,
    location: Location | None = None,
    new_location: NewLocation | None = None,
    hours: Sequence[OpeningHours] | None = None,
) -> ServiceAtLocation:
    """Offer the service at an existing location of its organisation, or at a new one."""
    service = queries.get_or_not_found(
        queries.services_editable_by(user=actor).select_for_update(of=("self",)), service.pk
    )
    if (location is None) == (new_location is None):
        raise ValidationError(
            {"location": [_("Choose an existing location or describe a new one.")]}
        )
    if new_location is not None:
        location = location_create(
            actor=actor,
            owner=service.owner,
            fields={"organization": service.organization, **new_location.fields},
            translations=new_location.translations,
            addresses=new_location.addresses,
            accessibility=new_location.accessibility,
            phones=new_location.phones,
        )
    else:
        assert location is not None
        location = queries.get_or_not_found(queries.locations_editable_by(user=actor), location.pk)
        if location.owner_id != service.owner_id:
            raise ValidationError(
                {"location": [_("Choose a location of the organisation that keeps the service.")]}
            )
    if service.service_at_locations.filter(location=location).exists():
        raise ValidationError({"location": [_("The service is already offered there.")]})
    sal = ServiceAtLocation.objects.create(service=service, location=location)
    if hours:
        _replace_regular_hours(hours, sal=sal)
    service.last_modified = timezone.now()
    service.save(update_fields=["last_modified", "updated_at"])
    service_refresh_derived(service)
    audit(
        actor=actor,
        action="directory.service_add_location",
        obj=service,
        organisation=service.owner,
        details={"location": str(location.pk)},
    )
    return sal


@transaction.atomic
def service_remove_location(*, actor: User, service: Service, location: Location) -> Service:
    """Stop offering the service at a location (the location itself stays)."""
    service = queries.get_or_not_found(
        queries.services_editable_by(user=actor).select_for_update(of=("self",)), service.pk
    )
    _service_at(service, location).delete()
    service.last_modified = timezone.now()
    service.save(update_fields=["last_modified", "updated_at"])
    service_refresh_derived(service)
    audit(
        actor=actor,
        action="directory.service_remove_location",
        obj=service,
        organisation=service.owner,
        details={"location": str(location.pk)},
    )
    return service


def _transition(
    actor: User, service: Service, target: str, *, needs_publish_right: bool, note: str = ""
) -> Service:
    base = (
        queries.services_reviewable_by(user=actor)
        if needs_publish_right
        else queries.services_editable_by(user=actor)
    )
    found = base.select_for_update(of=("self",)).filter(pk=service.pk).first()
    if found is None:
        if (
            needs_publish_right
            and queries.services_editable_by(user=actor).filter(pk=service.pk).exists()
        ):
            raise PermissionDeniedError(_("Only a content editor can do this."))
        raise NotFoundError(str(service.pk))
    service = found
    if service.publication_status not in TRANSITIONS[target]:
        raise ValidationError(
            _("A service that is %(current)s cannot become %(target)s.")
            % {
                "current": service.get_publication_status_display(),
                "target": PublicationStatus(target).label,
            }
        )
    previous = service.publication_status
    service.publication_status = target
    service.save(update_fields=["publication_status", "updated_at"])
    service_reindex(service)  # only published services are in search and on the map
    audit(
        actor=actor,
        action=f"directory.service_{target}",
        obj=service,
        organisation=service.owner,
        details={"from": previous, "to": target, **({"note": note} if note else {})},
    )
    return service


@transaction.atomic
def service_submit_for_review(*, actor: User, service: Service) -> Service:
    """Ask a content editor to review a draft."""
    return _transition(actor, service, PublicationStatus.PENDING_REVIEW, needs_publish_right=False)


@transaction.atomic
def service_publish(*, actor: User, service: Service) -> Service:
    """Make a service public (content editors)."""
    return _transition(actor, service, PublicationStatus.PUBLISHED, needs_publish_right=True)


@transaction.atomic
def service_return_to_draft(*, actor: User, service: Service, note: str = "") -> Service:
    """Send a service back to its authors, with a note saying what to change."""
    note = note.strip()
    if len(note) > 2000:
        raise ValidationError({"note": [_("Use at most %(limit)d characters.") % {"limit": 2000}]})
    return _transition(actor, service, PublicationStatus.DRAFT, needs_publish_right=True, note=note)


@transaction.atomic
def service_archive(*, actor: User, service: Service) -> Service:
    """Take a service off the portal and keep it on record (content editors)."""
    return _transition(actor, service, PublicationStatus.ARCHIVED, needs_publish_right=True)


@transaction.atomic
def service_mark_verified(
    *,
    actor: User,
    service: Service,
    verified_on: datetime.date | None = None,
    source: str | None = None,
) -> Service:
    """Record that the actor checked the service's information today (or on ``verified_on``)."""
    service = queries.get_or_not_found(
        queries.services_editable_by(user=actor).select_for_update(of=("self",)), service.pk
    )
    today = timezone.localdate()
    verified_on = verified_on or today
    if verified_on > today:
        raise ValidationError({"assured_date": [_("The verification date is in the future.")]})
    if source is not None:
        source = source.strip()
        if len(source) > 500:
            raise ValidationError(
                {"source": [_("Use at most %(limit)d characters.") % {"limit": 500}]}
            )
    service.assured_date = verified_on
    service.verified_by = actor
    service.assurer_email = actor.email or ""
    if source:
        service.source = source
    service.save(
        update_fields=["assured_date", "verified_by", "assurer_email", "source", "updated_at"]
    )
    audit(
        actor=actor,
        action="directory.service_mark_verified",
        obj=service,
        organisation=service.owner,
        details={"verified_on": verified_on.isoformat(), **({"source": source} if source else {})},
    )
    return service


@transaction.atomic
def location_create(
    *,
    actor: User,
    owner: Organisation,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
    addresses: Sequence[AddressInput] | None = None,
    accessibility: Sequence[AccessibilityInput] | None = None,
    phones: Sequence[PhoneInput] | None = None,
) -> Location:
    """Create a location maintained by ``owner``, with its addresses, accessibility, phones."""
    _check_owner(actor, owner)
    location = Location(owner=owner)
    _apply(location, fields, LOCATION_FIELDS)
    location.translations = _clean_translations(translations, Location.translatable_fields)
    _validate_location(location)
    if location.organization is not None and location.organization.owner_id != owner.pk:
        raise ValidationError({"organization": [_("Choose a provider organisation you maintain.")]})
    location_refresh_derived(location)
    location.save()
    _set_location_children(
        location, addresses=addresses, accessibility=accessibility, phones=phones
    )
    audit(actor=actor, action="directory.location_create", obj=location, organisation=owner)
    return location


@transaction.atomic
def location_update(
    *,
    actor: User,
    location: Location,
    fields: dict[str, Any],
    translations: dict[str, dict[str, str]] | None = None,
    addresses: Sequence[AddressInput] | None = None,
    accessibility: Sequence[AccessibilityInput] | None = None,
    phones: Sequence[PhoneInput] | None = None,
) -> Location:
    """Change a location the actor may edit; its services' derived data follow."""
    location = queries.get_or_not_found(
        queries.locations_editable_by(user=actor).select_for_update(of=("self",)), location.pk
    )
    changed = _apply(location, fields, LOCATION_FIELDS)
    if translations is not None:
        location.translations = _clean_translations(translations, Location.translatable_fields)
    _validate_location(location)
    if location.organization is not None and location.organization.owner_id != location.owner_id:
        raise ValidationError({"organization": [_("Choose a provider organisation you maintain.")]})
    location_refresh_derived(location)
    location.save()
    changed += _set_location_children(
        location, addresses=addresses, accessibility=accessibility, phones=phones
    )
    for sal in location.service_at_locations.select_related("service"):
        service_refresh_derived(sal.service)
    audit(
        actor=actor,
        action="directory.location_update",
        obj=location,
        organisation=location.owner,
        details={"fields": changed},
    )
    return location


@transaction.atomic
def location_set_details(
    *,
    actor: User,
    location: Location,
    addresses: Sequence[AddressInput] | None = None,
    accessibility: Sequence[AccessibilityInput] | None = None,
    phones: Sequence[PhoneInput] | None = None,
) -> Location:
    """Replace a location's addresses, accessibility notes or phones (None leaves one as is)."""
    location = queries.get_or_not_found(
        queries.locations_editable_by(user=actor).select_for_update(of=("self",)), location.pk
    )
    changed = _set_location_children(
        location, addresses=addresses, accessibility=accessibility, phones=phones
    )
    location.save(update_fields=["updated_at"])
    for sal in location.service_at_locations.select_related("service"):
        service_refresh_derived(sal.service)
    audit(
        actor=actor,
        action="directory.location_set_details",
        obj=location,
        organisation=location.owner,
        details={"fields": changed},
    )
    return location
