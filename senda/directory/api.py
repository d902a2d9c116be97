"""Senda's own JSON API for the directory, for staff: services, locations, provider
organisations, and the taxonomy.

Handlers are thin: validate the input (Pydantic schemas), turn ids and codes into objects the
user may use, call one action from ``senda.directory.actions`` (every write goes through it), and
read the result back through ``senda.directory.queries``. Another organisation's objects answer
404, as if they did not exist.
"""

# No "from __future__ import annotations": Ninja reads these annotations at run time.

import datetime
import decimal
import re
import uuid
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator, ConfigDict

from senda.accounts.models import Organisation, User
from senda.core.api_auth import error_responses, request_user
from senda.core.api_common import MAX_PAGE_SIZE, Pages, no_nul
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.text import tokens
from senda.directory import actions, queries
from senda.directory.actions import (
    AccessibilityInput,
    AddressInput,
    CostOptionInput,
    OpeningHours,
    PhoneInput,
    RequiredDocumentInput,
)
from senda.directory.models import (
    Accessibility,
    Address,
    CostOption,
    Location,
    LocationType,
    Organization,
    Phone,
    PublicationStatus,
    RequiredDocument,
    Schedule,
    Service,
    ServiceStatus,
    TaxonomyTerm,
)
from senda.geo.models import AdminArea, Country
from senda.geo.queries import area_get

router = Router(tags=["directory"])

PAGE_SIZE = 20
MAX_TEXT = 20_000
MAX_LIST = 200

READ_ERRORS = error_responses(401, 404, 422)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 422)


# Input types: every text is checked here so that nothing the database would refuse (a NUL
# character, a value longer than its column) reaches it and turns into a server error.


def _url(value: str) -> str:
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError as exc:
            raise ValueError(_("Enter a valid web address (http:// or https://).")) from exc
    return value


def _email(value: str) -> str:
    if value:
        try:
            EmailValidator()(value)
        except DjangoValidationError as exc:
            raise ValueError(_("Enter a valid email address.")) from exc
    return value


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _language(value: str) -> str:
    if not _LANGUAGE_CODE.match(value):
        raise ValueError(_("Enter a language code such as es, en or mam."))
    return value


def _translatable(*fields: str) -> AfterValidator:
    """Check a ``{"en": {"name": ...}}`` dict: known languages codes and translatable fields."""

    def check(value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        cleaned: dict[str, dict[str, str]] = {}
        for language, texts in value.items():
            _language(language)
            for field, text in texts.items():
                if field not in fields:
                    raise ValueError(
                        _("%(field)s cannot be translated; translatable fields: %(fields)s.")
                        % {"field": field, "fields": ", ".join(fields)}
                    )
                no_nul(text)
                if len(text) > MAX_TEXT:
                    raise ValueError(_("A translation is too long."))
            kept = {field: text for field, text in texts.items() if text.strip()}
            if kept:
                cleaned[language] = kept
        return cleaned

    return AfterValidator(check)


Name = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(no_nul)]
Text20 = Annotated[str, Field(max_length=20), AfterValidator(no_nul)]
Text100 = Annotated[str, Field(max_length=100), AfterValidator(no_nul)]
Text150 = Annotated[str, Field(max_length=150), AfterValidator(no_nul)]
Text200 = Annotated[str, Field(max_length=200), AfterValidator(no_nul)]
Short = Annotated[str, Field(max_length=300), AfterValidator(no_nul)]
Text500 = Annotated[str, Field(max_length=500), AfterValidator(no_nul)]
Text2000 = Annotated[str, Field(max_length=2000), AfterValidator(no_nul)]
LongText = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(no_nul)]
Url = Annotated[str, Field(max_length=500), AfterValidator(no_nul), AfterValidator(_url)]
Email = Annotated[str, Field(max_length=254), AfterValidator(no_nul), AfterValidator(_email)]
LanguageCode = Annotated[str, Field(max_length=12), AfterValidator(_language)]
Age = Annotated[int, Field(ge=0, le=150)]
CategoryRef = Annotated[
    str,
    Field(max_length=100, description='A category code ("health.vaccination") or its id.'),
    AfterValidator(no_nul),
]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]

ServiceStatusValue = Literal["active", "inactive", "defunct", "temporarily closed"]
PublicationStatusValue = Literal["draft", "pending_review", "published", "archived"]
LocationTypeValue = Literal["physical", "postal", "virtual"]

assert set(ServiceStatusValue.__args__) == set(ServiceStatus.values)  # type: ignore[attr-defined]
assert set(PublicationStatusValue.__args__) == set(PublicationStatus.values)  # type: ignore[attr-defined]
assert set(LocationTypeValue.__args__) == set(LocationType.values)  # type: ignore[attr-defined]


# The default of a field a PATCH may leave out. Pydantic never validates a default, so a
# field typed without "| None" still refuses an explicit null; ``model_dump(exclude_unset=True)``
# then gives only what was sent. (Typed Any so that type checkers accept it for any field.)
OMITTED: Any = None


class InputSchema(Schema):
    # A misspelt field is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid")


PhoneTypeValue = Literal["", "text", "voice", "fax", "cell", "video", "pager", "textphone"]
AddressTypeValue = Literal["physical", "postal", "virtual"]
assert set(PhoneTypeValue.__args__) == {"", *Phone.PhoneType.values}  # type: ignore[attr-defined]
assert set(AddressTypeValue.__args__) == set(Address.AddressType.values)  # type: ignore[attr-defined]


# Child rows. A list replaces the current rows; an item with the ``id`` of an existing row
# updates that row (an optional text left out keeps its value), one without creates a row.


class PhoneIn(InputSchema):
    id: uuid.UUID | None = Field(OMITTED, description="An existing phone of the same parent.")
    number: Annotated[str, Field(min_length=1, max_length=50), AfterValidator(no_nul)]
    type: PhoneTypeValue = ""
    whatsapp: bool = Field(False, description="The number takes WhatsApp messages.")
    extension: Text20 | None = None
    description: LongText | None = None
    translations: Annotated[
        dict[str, dict[str, str]], _translatable(*Phone.translatable_fields)
    ] = Field(default_factory=dict)


class CostOptionIn(InputSchema):
    id: uuid.UUID | None = None
    option: Short = Field("", description="What the cost is for.")
    amount: (
        Annotated[
            decimal.Decimal, Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False)
        ]
        | None
    ) = Field(OMITTED, description="0 means free.")
    currency: Annotated[str, Field(pattern=r"^([A-Z]{3})?$")] = Field(
        "", description="ISO 4217, e.g. USD, MXN."
    )
    amount_description: LongText | None = None
    translations: Annotated[
        dict[str, dict[str, str]], _translatable(*CostOption.translatable_fields)
    ] = Field(default_factory=dict)


class RequiredDocumentIn(InputSchema):
    id: uuid.UUID | None = None
    document: Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(no_nul)]
    uri: Url | None = None
    translations: Annotated[
        dict[str, dict[str, str]], _translatable(*RequiredDocument.translatable_fields)
    ] = Field(default_factory=dict)


class OpeningHoursIn(InputSchema):
    weekday: Annotated[int, Field(ge=0, le=6, description="0 = Monday.")]
    opens_at: datetime.time
    closes_at: datetime.time = Field(description="00:00 means midnight.")


class AddressIn(InputSchema):
    id: uuid.UUID | None = None
    address_1: Annotated[str, Field(min_length=1, max_length=300), AfterValidator(no_nul)]
    address_2: Short = ""
    city: Annotated[str, Field(min_length=1, max_length=150), AfterValidator(no_nul)]
    region: Text150 = ""
    state_province: Annotated[str, Field(min_length=1, max_length=150), AfterValidator(no_nul)]
    postal_code: Text20 = ""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = Field(description="ISO code.")
    attention: Text200 = ""
    address_type: AddressTypeValue = "physical"


class AccessibilityIn(InputSchema):
    id: uuid.UUID | None = None
    description: LongText = ""
    details: LongText | None = None
    url: Url | None = None
    translations: Annotated[
        dict[str, dict[str, str]], _translatable(*Accessibility.translatable_fields)
    ] = Field(default_factory=dict)


MAX_CHILDREN = 50


# Patch schemas: every field may be left out (unchanged). A field typed without "| None" refuses
# null; the default None is never validated, it only marks "not sent".


class ServicePatch(InputSchema):
    """Fields of a service; in a PATCH, only those sent change. Lists replace the current ones."""

    name: Name = OMITTED
    alternate_name: Short = OMITTED
    description: LongText = Field(OMITTED, description="What it offers.")
    url: Url = OMITTED
    email: Email = OMITTED
    status: ServiceStatusValue = Field(OMITTED, description="HSDS operating status.")
    interpretation_services: LongText = OMITTED
    application_process: LongText = OMITTED
    fees_description: LongText = Field(OMITTED, description="What it costs, in words.")
    wait_time: Short = OMITTED
    fees: LongText = OMITTED
    accreditations: LongText = OMITTED
    eligibility_description: LongText = Field(OMITTED, description="Who can use it.")
    minimum_age: Age | None = OMITTED
    maximum_age: Age | None = OMITTED
    licenses: LongText = OMITTED
    alert: LongText = OMITTED
    source: Short = Field(OMITTED, description="Where this information comes from.")
    language: LanguageCode = Field(OMITTED, description="Language of the text fields.")
    translations: Annotated[
        dict[str, dict[str, str]], _translatable(*Service.translatable_fields)
    ] = Field(OMITTED, description='Other languages: {"en": {"name": "...", ...}}.')
    categories: list[CategoryRef] = Field(OMITTED, max_length=MAX_LIST)
    location_ids: list[uuid.UUID] = Field(OMITTED, max_length=MAX_LIST)
    organization_id: uuid.UUID = Field(OMITTED, description="The provider organisation.")
    phones: list[PhoneIn] = Field(OMITTED, max_length=MAX_CHILDREN)
    cost_options: list[CostOptionIn] = Field(OMITTED, max_length=MAX_CHILDREN)
    required_documents: list[RequiredDocumentIn] = Field(OMITTED, max_length=MAX_CHILDREN)
    languages: list[LanguageCode] = Field(
        OMITTED, max_length=MAX_CHILDREN, description="Languages spoken (ISO 639 codes)."
    )
    hours: list[OpeningHoursIn] = Field(
        OMITTED, max_length=7 * 8, description="The service's own regular weekly opening hours."
    )


class ServiceIn(ServicePatch):
    """A new service (always a draft)."""

    name: Name
    organization_id: uuid.UUID = Field(description="The provider organisation.")
    owner_id: uuid.UUID | None = Field(
        None,
        description=(
            "The partner organisation that maintains it; one of yours, by default the one "
            "you work under."
        ),
    )


class LocationPatch(InputSchema):
    name: Short = OMITTED
    alternate_name: Short = OMITTED
    description: LongText = OMITTED
    transportation: LongText = Field(OMITTED, description="How to get there.")
    location_type: LocationTypeValue = OMITTED
    url: Url = OMITTED
    latitude: Latitude | None = Field(OMITTED, description="Give both coordinates, or neither.")
    longitude: Longitude | None = OMITTED
    external_identifier: Text200 = OMITTED
    external_identifier_type: Text200 = OMITTED
    country: Annotated[str, Field(max_length=2)] | None = Field(
        None, description="ISO 3166-1 alpha-2 code, e.g. PA."
    )
    admin_area: Annotated[str, Field(max_length=20)] | None = Field(
        None, description="P-code of the administrative area, e.g. PA0805."
    )
    organization_id: uuid.UUID | None = Field(OMITTED, description="The provider organisation.")
    language: LanguageCode = OMITTED
    translations: Annotated[
        dict[str, dict[str, str]], _translatable(*Location.translatable_fields)
    ] = OMITTED
    addresses: list[AddressIn] = Field(OMITTED, max_length=MAX_CHILDREN)
    accessibility: list[AccessibilityIn] = Field(OMITTED, max_length=MAX_CHILDREN)
    phones: list[PhoneIn] = Field(OMITTED, max_length=MAX_CHILDREN)


class LocationIn(LocationPatch):
    owner_id: uuid.UUID | None = Field(OMITTED, description="One of your organisations.")


class OrganizationIn(InputSchema):
    name: Name
    alternate_name: Short = OMITTED
    description: LongText = OMITTED
    email: Email = OMITTED
    website: Url = OMITTED
    tax_status: Text100 = OMITTED
    tax_id: Text100 = OMITTED
    year_incorporated: Annotated[int, Field(ge=1000, le=2200)] | None = OMITTED
    legal_status: Text100 = OMITTED
    logo: Url = OMITTED
    uri: Url = OMITTED
    language: LanguageCode = OMITTED
    translations: Annotated[
        dict[str, dict[str, str]], _translatable(*Organization.translatable_fields)
    ] = OMITTED
    owner_id: uuid.UUID | None = Field(OMITTED, description="One of your organisations.")


class EmptyIn(InputSchema):
    """No fields: send no body, or {}."""


class ReturnToDraftIn(InputSchema):
    note: Text2000 = Field("", description="What the authors should change.")


class VerifyIn(InputSchema):
    verified_on: datetime.date | None = Field(OMITTED, description="Default: today.")
    source: Text500 | None = Field(OMITTED, description="Where the information was checked.")


class ServiceFilters(Schema):
    publication_status: PublicationStatusValue | None = None
    q: Text200 | None = Field(
        None, description="Words of the name (accents and case do not matter)."
    )


class LocationFilters(Schema):
    organization_id: uuid.UUID | None = None


class TaxonomyFilters(Schema):
    parent: Text100 | None = Field(OMITTED, description="Only the children of this code.")


# Output.


class CategoryOut(Schema):
    id: uuid.UUID
    code: str
    name: str

    @staticmethod
    def resolve_name(obj: TaxonomyTerm) -> str:
        return str(obj.tr("name"))


class TaxonomyTermOut(CategoryOut):
    description: str
    parent_code: str | None
    language: str
    translations: dict[str, dict[str, str]]

    @staticmethod
    def resolve_description(obj: TaxonomyTerm) -> str:
        return str(obj.tr("description"))

    @staticmethod
    def resolve_parent_code(obj: TaxonomyTerm) -> str | None:
        return obj.parent.code if obj.parent is not None else None


class PhoneOut(Schema):
    id: uuid.UUID
    number: str
    extension: str
    type: str
    whatsapp: bool
    description: str
    translations: dict[str, dict[str, str]]


class CostOptionOut(Schema):
    id: uuid.UUID
    option: str
    amount: decimal.Decimal | None
    currency: str
    amount_description: str
    translations: dict[str, dict[str, str]]


class RequiredDocumentOut(Schema):
    id: uuid.UUID
    document: str
    uri: str
    translations: dict[str, dict[str, str]]


class OpeningHoursOut(Schema):
    weekday: int = Field(description="0 = Monday.")
    opens_at: datetime.time
    closes_at: datetime.time


class AddressOut(Schema):
    id: uuid.UUID
    address_1: str
    address_2: str
    city: str
    region: str
    state_province: str
    postal_code: str
    country: str
    attention: str
    address_type: str


class AccessibilityOut(Schema):
    id: uuid.UUID
    description: str
    details: str
    url: str
    translations: dict[str, dict[str, str]]


class ServiceOut(Schema):
    id: uuid.UUID
    owner_id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    name: str
    alternate_name: str
    description: str
    url: str
    email: str
    status: str
    interpretation_services: str
    application_process: str
    fees_description: str
    wait_time: str
    fees: str
    accreditations: str
    eligibility_description: str
    minimum_age: int | None
    maximum_age: int | None
    licenses: str
    alert: str
    source: str
    language: str
    translations: dict[str, dict[str, str]]
    publication_status: PublicationStatusValue
    assured_date: datetime.date | None = Field(description="Last verified on.")
    assurer_email: str
    verified_by: str | None = Field(description="User name of who verified it last.")
    is_free: bool
    last_modified: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    categories: list[CategoryOut]
    location_ids: list[uuid.UUID]
    phones: list[PhoneOut]
    cost_options: list[CostOptionOut]
    required_documents: list[RequiredDocumentOut]
    languages: list[str] = Field(description="Languages spoken (ISO 639 codes).")
    hours: list[OpeningHoursOut] = Field(description="Regular weekly hours of the service.")
    other_schedules: int = Field(
        description="How many other schedules (seasonal, monthly, dated) it has; kept as they are."
    )

    @staticmethod
    def resolve_languages(obj: Service) -> list[str]:
        return [language.code for language in obj.languages.all() if language.code]

    @staticmethod
    def resolve_hours(obj: Service) -> list[dict[str, Any]]:
        by_day = queries.regular_hours(obj.own_schedules)  # type: ignore[attr-defined]
        return [
            {"weekday": weekday, "opens_at": opens_at, "closes_at": closes_at}
            for weekday, intervals in by_day.items()
            for opens_at, closes_at in intervals
        ]

    @staticmethod
    def resolve_other_schedules(obj: Service) -> int:
        return len(queries.other_schedules(obj.own_schedules))  # type: ignore[attr-defined]

    @staticmethod
    def resolve_organization_name(obj: Service) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_verified_by(obj: Service) -> str | None:
        return obj.verified_by.username if obj.verified_by is not None else None

    @staticmethod
    def resolve_categories(obj: Service) -> list[TaxonomyTerm]:
        return list(obj.categories.all())

    @staticmethod
    def resolve_location_ids(obj: Service) -> list[uuid.UUID]:
        return [link.location_id for link in obj.service_at_locations.all()]


class LocationOut(Schema):
    id: uuid.UUID
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    location_type: str
    name: str
    alternate_name: str
    description: str
    transportation: str
    url: str
    latitude: float | None
    longitude: float | None
    external_identifier: str
    external_identifier_type: str
    country: str | None = Field(description="ISO code.")
    admin_area: str | None = Field(description="P-code.")
    timezone: str
    language: str
    translations: dict[str, dict[str, str]]
    created_at: datetime.datetime
    updated_at: datetime.datetime
    addresses: list[AddressOut]
    accessibility: list[AccessibilityOut]
    phones: list[PhoneOut]

    @staticmethod
    def resolve_country(obj: Location) -> str | None:
        return obj.country_id

    @staticmethod
    def resolve_admin_area(obj: Location) -> str | None:
        return obj.admin_area_id


class OrganizationOut(Schema):
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    alternate_name: str
    description: str
    email: str
    website: str
    tax_status: str
    tax_id: str
    year_incorporated: int | None
    legal_status: str
    logo: str
    uri: str
    language: str
    translations: dict[str, dict[str, str]]
    created_at: datetime.datetime
    updated_at: datetime.datetime


# Turning ids and codes of the input into objects the user may use.


def _owner_for(user: User, owner_id: uuid.UUID | None) -> Organisation:
    """The partner organisation a new row belongs to: one the user edits the directory for."""
    editable = queries.organisations_user_can_edit_for(user=user)
    if not editable:
        raise PermissionDeniedError(_("You cannot edit the directory."))
    if owner_id is None:
        membership = user.active_membership()
        if membership is not None and membership.organisation in editable:
            return membership.organisation
        return editable[0]
    for organisation in editable:
        if organisation.pk == owner_id:
            return organisation
    raise PermissionDeniedError(_("You cannot edit the directory for this organisation."))


def _provider(user: User, organization_id: uuid.UUID, errors: dict[str, list[str]]) -> Any:
    organization = queries.organizations_editable_by(user=user).filter(pk=organization_id).first()
    if organization is None:
        errors["organization_id"] = [
            _("There is no provider organisation with this id that you may use.")
        ]
    return organization


def _categories(references: list[str], errors: dict[str, list[str]]) -> list[TaxonomyTerm]:
    ids, codes = [], []
    for reference in references:
        try:
            ids.append(uuid.UUID(reference))
        except ValueError:
            codes.append(reference)
    terms = list(queries.taxonomy_terms().filter(Q(pk__in=ids) | Q(code__in=codes)))
    known_ids = {term.pk for term in terms}
    known_codes = {term.code for term in terms}
    unknown = [
        reference
        for reference in references
        if reference not in known_codes and _uuid_or_none(reference) not in known_ids
    ]
    if unknown:
        errors["categories"] = [
            _("Unknown category: %(category)s.") % {"category": reference} for reference in unknown
        ]
    return terms


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _service_locations(
    user: User, location_ids: list[uuid.UUID], errors: dict[str, list[str]]
) -> list[Location]:
    locations = list(queries.locations_editable_by(user=user).filter(pk__in=location_ids))
    found = {location.pk for location in locations}
    missing = [str(location_id) for location_id in location_ids if location_id not in found]
    if missing:
        errors["location_ids"] = [
            _("There is no location with id %(id)s that you may use.") % {"id": location_id}
            for location_id in missing
        ]
    return locations


def _service_arguments(user: User, data: dict[str, Any]) -> dict[str, Any]:
    """The input as the arguments of ``service_create``/``service_update``: the plain
    ``fields``, and the objects and child rows; errors for references the user may not use."""
    errors: dict[str, list[str]] = {}
    arguments: dict[str, Any] = {"translations": data.pop("translations", None)}
    if "organization_id" in data:
        arguments["organization"] = _provider(user, data.pop("organization_id"), errors)
    if "categories" in data:
        arguments["categories"] = _categories(data.pop("categories"), errors)
    if "location_ids" in data:
        arguments["locations"] = _service_locations(user, data.pop("location_ids"), errors)
    if errors:
        raise ValidationError(errors)
    rows: dict[str, type] = {
        "phones": PhoneInput,
        "cost_options": CostOptionInput,
        "required_documents": RequiredDocumentInput,
        "hours": OpeningHours,
    }
    for key, row in rows.items():
        if key in data:
            arguments[key] = [row(**item) for item in data.pop(key)]
    if "languages" in data:
        arguments["languages"] = data.pop("languages")
    arguments["fields"] = data
    return arguments


def _location_arguments(
    user: User, data: dict[str, Any], current: Location | None = None
) -> dict[str, Any]:
    """The input as the arguments of ``location_create``/``location_update``."""
    arguments: dict[str, Any] = {"translations": data.pop("translations", None)}
    rows: dict[str, type] = {
        "addresses": AddressInput,
        "accessibility": AccessibilityInput,
        "phones": PhoneInput,
    }
    for key, row in rows.items():
        if key in data:
            arguments[key] = [row(**item) for item in data.pop(key)]
    arguments["fields"] = _location_fields(user, data, current)
    return arguments


def _location_fields(
    user: User, data: dict[str, Any], current: Location | None = None
) -> dict[str, Any]:
    """Replace country and area codes and the organisation id with the objects."""
    errors: dict[str, list[str]] = {}
    if "organization_id" in data:
        organization_id = data.pop("organization_id")
        data["organization"] = (
            _provider(user, organization_id, errors) if organization_id is not None else None
        )
    country: Country | None = current.country if current is not None else None
    if "country" in data:
        code = data["country"]
        country = Country.objects.filter(code=code.upper()).first() if code is not None else None
        if code is not None and country is None:
            errors["country"] = [_("Unknown country code: %(code)s.") % {"code": code}]
        data["country"] = country
    area: AdminArea | None = current.admin_area if current is not None else None
    if "admin_area" in data:
        pcode = data["admin_area"]
        area = area_get(pcode=pcode) if pcode is not None else None
        if pcode is not None and area is None:
            errors["admin_area"] = [_("Unknown area p-code: %(pcode)s.") % {"pcode": pcode}]
        data["admin_area"] = area
        if area is not None and "country" not in data:
            country = data["country"] = area.country
    if area is not None and country is not None and area.country_id != country.code:
        errors.setdefault("admin_area", []).append(_("This area is not in the country given."))
    if errors:
        raise ValidationError(errors)
    return data


# Reads for the answers: one query per list, whatever the number of rows.


def _services(user: User) -> QuerySet[Service]:
    return (
        queries.services_editable_by(user=user)
        .select_related("verified_by")
        .prefetch_related(
            "categories",
            "service_at_locations",
            "phones",
            "cost_options",
            "required_documents",
            "languages",
            Prefetch(
                "schedules",
                queryset=Schedule.objects.filter(
                    service_at_location__isnull=True, location__isnull=True
                ),
                to_attr="own_schedules",
            ),
        )
    )


def _locations(user: User) -> QuerySet[Location]:
    return queries.locations_editable_by(user=user).prefetch_related(
        "addresses", "accessibility", "phones"
    )


def _location(user: User, location_id: uuid.UUID) -> Location:
    return queries.get_or_not_found(_locations(user), location_id)


def _service(user: User, service_id: uuid.UUID) -> Service:
    return queries.get_or_not_found(_services(user), service_id)


# A folded letter and the letters that fold to it, for matching without the search index (which
# holds published services only) on SQLite and PostgreSQL alike.
_ACCENTED = {
    "a": "aáàâäãåAÁÀÂÄÃÅ",
    "e": "eéèêëEÉÈÊË",
    "i": "iíìîïIÍÌÎÏ",
    "o": "oóòôöõOÓÒÔÖÕ",
    "u": "uúùûüUÚÙÛÜ",
    "n": "nñNÑ",
    "c": "cçCÇ",
    "y": "yýÿYÝ",
}


def _accent_pattern(word: str) -> str:
    """A regular expression for a folded word: "vacunacion" also finds "Vacunación"."""
    return "".join(f"[{_ACCENTED[ch]}]" if ch in _ACCENTED else ch for ch in word)


def _matching(services: QuerySet[Service], text: str) -> QuerySet[Service]:
    """Services whose name holds every word of ``text``, accent- and case-insensitive."""
    for word in tokens(text)[:8]:  # folded [a-z0-9] words: nothing to escape
        pattern = _accent_pattern(word)
        services = services.filter(Q(name__iregex=pattern) | Q(alternate_name__iregex=pattern))
    return services


def _require_publish_right(user: User, service: Service) -> None:
    if not queries.user_may_publish(user=user, service=service):
        raise PermissionDeniedError(
            _("Only a content editor can publish, archive or return a service to draft.")
        )


# Services.


@router.get(
    "/services",
    response={200: list[ServiceOut], **READ_ERRORS},
    summary="List the services you may edit",
)
@paginate(Pages, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def service_list(request: HttpRequest, filters: Query[ServiceFilters]) -> QuerySet[Service]:
    """Services of your organisations (every organisation's for network editors), by name."""
    services = _services(request_user(request))
    if filters.publication_status:
        services = services.filter(publication_status=filters.publication_status)
    if filters.q:
        services = _matching(services, filters.q)
    return services.order_by("name", "id")


@router.get(
    "/services/{service_id}",
    response={200: ServiceOut, **READ_ERRORS},
    summary="Get a service",
)
def service_get(request: HttpRequest, service_id: uuid.UUID) -> Service:
    return _service(request_user(request), service_id)


@router.post(
    "/services",
    response={201: ServiceOut, **WRITE_ERRORS},
    summary="Create a service (as a draft)",
    description="Lists (categories, locations, phones, costs, documents, languages, hours) are "
    "optional. The provider organisation must be maintained by the same organisation.",
)
def service_create(request: HttpRequest, payload: ServiceIn) -> Status:
    user = request_user(request)
    owner = _owner_for(user, payload.owner_id)
    data = payload.model_dump(exclude_unset=True)
    data.pop("owner_id", None)
    service = actions.service_create(actor=user, owner=owner, **_service_arguments(user, data))
    return Status(201, _service(user, service.pk))


@router.patch(
    "/services/{service_id}",
    response={200: ServiceOut, **WRITE_ERRORS},
    summary="Change a service",
    description="Only the fields sent change. A list sent replaces the current one; a phone, "
    "cost or document sent with its `id` is updated in place. `translations` replaces every "
    "translation of the service.",
)
def service_update(request: HttpRequest, service_id: uuid.UUID, payload: ServicePatch) -> Service:
    user = request_user(request)
    service = queries.service_get_for_edit(user=user, service_id=service_id)
    data = payload.model_dump(exclude_unset=True)
    actions.service_update(actor=user, service=service, **_service_arguments(user, data))
    return _service(user, service.pk)


@router.post(
    "/services/{service_id}/submit",
    response={200: ServiceOut, **WRITE_ERRORS},
    summary="Submit a draft for review",
)
def service_submit(
    request: HttpRequest, service_id: uuid.UUID, payload: EmptyIn | None = None
) -> Service:
    user = request_user(request)
    service = queries.service_get_for_edit(user=user, service_id=service_id)
    actions.service_submit_for_review(actor=user, service=service)
    return _service(user, service.pk)


@router.post(
    "/services/{service_id}/publish",
    response={200: ServiceOut, **WRITE_ERRORS},
    summary="Publish a service (content editors)",
)
def service_publish(
    request: HttpRequest, service_id: uuid.UUID, payload: EmptyIn | None = None
) -> Service:
    user = request_user(request)
    service = queries.service_get_for_edit(user=user, service_id=service_id)
    _require_publish_right(user, service)
    actions.service_publish(actor=user, service=service)
    return _service(user, service.pk)


@router.post(
    "/services/{service_id}/return-to-draft",
    response={200: ServiceOut, **WRITE_ERRORS},
    summary="Return a service to its authors as a draft, with a note (content editors)",
)
def service_return_to_draft(
    request: HttpRequest, service_id: uuid.UUID, payload: ReturnToDraftIn | None = None
) -> Service:
    user = request_user(request)
    service = queries.service_get_for_edit(user=user, service_id=service_id)
    _require_publish_right(user, service)
    note = payload.note.strip() if payload is not None else ""
    actions.service_return_to_draft(actor=user, service=service, note=note)
    return _service(user, service.pk)


@router.post(
    "/services/{service_id}/archive",
    response={200: ServiceOut, **WRITE_ERRORS},
    summary="Archive a service (content editors)",
)
def service_archive(
    request: HttpRequest, service_id: uuid.UUID, payload: EmptyIn | None = None
) -> Service:
    user = request_user(request)
    service = queries.service_get_for_edit(user=user, service_id=service_id)
    _require_publish_right(user, service)
    actions.service_archive(actor=user, service=service)
    return _service(user, service.pk)


@router.post(
    "/services/{service_id}/verify",
    response={200: ServiceOut, **WRITE_ERRORS},
    summary="Mark a service as verified today (or on a given date)",
)
def service_verify(
    request: HttpRequest, service_id: uuid.UUID, payload: VerifyIn | None = None
) -> Service:
    user = request_user(request)
    service = queries.service_get_for_edit(user=user, service_id=service_id)
    actions.service_mark_verified(
        actor=user,
        service=service,
        verified_on=payload.verified_on if payload is not None else None,
        source=payload.source if payload is not None else None,
    )
    return _service(user, service.pk)


# Locations.


@router.get(
    "/locations",
    response={200: list[LocationOut], **READ_ERRORS},
    summary="List the locations you may edit",
)
@paginate(Pages, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def location_list(request: HttpRequest, filters: Query[LocationFilters]) -> QuerySet[Location]:
    locations = _locations(request_user(request))
    if filters.organization_id:
        locations = locations.filter(organization_id=filters.organization_id)
    return locations.order_by("name", "id")


@router.get(
    "/locations/{location_id}",
    response={200: LocationOut, **READ_ERRORS},
    summary="Get a location",
)
def location_get(request: HttpRequest, location_id: uuid.UUID) -> Location:
    return _location(request_user(request), location_id)


@router.post(
    "/locations",
    response={201: LocationOut, **WRITE_ERRORS},
    summary="Create a location",
    description="Give both coordinates or neither; the country follows from the area.",
)
def location_create(request: HttpRequest, payload: LocationIn) -> Status:
    user = request_user(request)
    owner = _owner_for(user, payload.owner_id)
    data = payload.model_dump(exclude_unset=True)
    data.pop("owner_id", None)
    location = actions.location_create(actor=user, owner=owner, **_location_arguments(user, data))
    return Status(201, _location(user, location.pk))


@router.patch(
    "/locations/{location_id}",
    response={200: LocationOut, **WRITE_ERRORS},
    summary="Change a location",
    description="Only the fields sent change; a list sent replaces the current one; "
    "`translations` replaces every translation of the location.",
)
def location_update(
    request: HttpRequest, location_id: uuid.UUID, payload: LocationPatch
) -> Location:
    user = request_user(request)
    location = queries.location_get_for_edit(user=user, location_id=location_id)
    data = payload.model_dump(exclude_unset=True)
    actions.location_update(
        actor=user, location=location, **_location_arguments(user, data, current=location)
    )
    return _location(user, location.pk)


# Provider organisations.


@router.get(
    "/organizations",
    response={200: list[OrganizationOut], **READ_ERRORS},
    summary="List the provider organisations you may edit",
)
@paginate(Pages, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def organization_list(request: HttpRequest) -> QuerySet[Organization]:
    return queries.organizations_editable_by(user=request_user(request)).order_by("name", "id")


@router.post(
    "/organizations",
    response={201: OrganizationOut, **WRITE_ERRORS},
    summary="Create a provider organisation",
)
def organization_create(request: HttpRequest, payload: OrganizationIn) -> Status:
    user = request_user(request)
    owner = _owner_for(user, payload.owner_id)
    data = payload.model_dump(exclude_unset=True)
    data.pop("owner_id", None)
    translations = data.pop("translations", None)
    organization = actions.organization_create(
        actor=user, owner=owner, fields=data, translations=translations
    )
    return Status(201, organization)


# The taxonomy: public reference data.


@router.get(
    "/taxonomy-terms",
    response={200: list[TaxonomyTermOut], **error_responses(404, 422)},
    auth=None,
    summary="List the service categories",
    description="Public: no sign-in needed. Names in the language of Accept-Language.",
)
def taxonomy_term_list(
    request: HttpRequest, filters: Query[TaxonomyFilters]
) -> QuerySet[TaxonomyTerm]:
    terms = queries.taxonomy_terms()
    if filters.parent:
        parent = terms.filter(code=filters.parent).first()
        if parent is None:
            raise NotFoundError(filters.parent)
        terms = terms.filter(parent=parent)
    return terms
