"""Field work API: people. Search, the record (every read audited), registration (possible
duplicates answer 409 unless ``confirm_new``), changes, consent, merge and erasure. The same
actions and queries as the staff pages; a person the caller may not see answers 404."""

# No "from __future__ import annotations": Ninja reads annotations at run time.

import datetime
import uuid
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator, ConfigDict

from senda.accounts.models import Organisation, User
from senda.casework.actions import people as actions
from senda.casework.models import Person
from senda.casework.queries import people as queries
from senda.core.api_auth import ErrorOut, request_user
from senda.core.api_common import READ_ERRORS, WRITE_ERRORS, Pages, no_nul
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.geo.models import AdminArea, Country
from senda.inquiries.queries import inquiry_get

router = Router(tags=["field work: people"])

OMITTED: Any = None


Name = Annotated[str, Field(max_length=100), AfterValidator(no_nul)]
PhoneText = Annotated[str, Field(max_length=30), AfterValidator(no_nul)]
Notes = Annotated[str, Field(max_length=2000), AfterValidator(no_nul)]
SexValue = Literal["female", "male", "other"]
CommunityValue = Literal["migrant", "host"]
AgeGroupValue = Literal["", "0-4", "5-11", "12-17", "18-29", "30-59", "60+"]
ScopeValue = Literal["record", "contact", "share"]
ReasonValue = Literal["request", "consent_withdrawn", "mistake"]


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class PersonListOut(Schema):
    id: uuid.UUID
    code: str = Field(description="The card code.")
    given_name: str
    year_of_birth: int | None
    age_group: str
    sex: str
    community: str
    registered_at: datetime.datetime


class PersonOut(PersonListOut):
    organisation_id: uuid.UUID
    family_name: str
    phone: str
    phone_has_whatsapp: bool
    nationality: str | None = Field(None, description="ISO country code.")
    area: str | None = Field(None, description="Area p-code.")
    notes: str
    consents_to_contact: bool
    consents_to_share: bool
    last_activity_at: datetime.datetime
    merged_into_id: uuid.UUID | None
    erased_at: datetime.datetime | None
    inquiry_id: uuid.UUID | None

    @staticmethod
    def resolve_nationality(obj: Person) -> str | None:
        return obj.nationality_id

    @staticmethod
    def resolve_area(obj: Person) -> str | None:
        return obj.area_id


class CandidateOut(Schema):
    """What a possible duplicate shows: enough to ask the person, nothing more."""

    id: uuid.UUID
    code: str
    given_name: str
    year_of_birth: int | None
    age_group: str


class DuplicatesOut(ErrorOut):
    candidates: list[CandidateOut]


class PersonFieldsIn(InputSchema):
    family_name: Name = ""
    phone: PhoneText = ""
    phone_has_whatsapp: bool = False
    year_of_birth: int | None = Field(None, ge=0, le=9999)
    age_group: AgeGroupValue = ""
    nationality: str | None = Field(None, max_length=2, description="ISO country code.")
    area: str | None = Field(None, max_length=20, description="Area p-code.")
    notes: Notes = ""


class PersonIn(PersonFieldsIn):
    organisation_id: uuid.UUID | None = Field(
        None, description="Needed only when you register people in several organisations."
    )
    consent_record: bool = Field(
        description="The person agreed that their data is recorded (required: without it, "
        "count them in an outreach tally)."
    )
    consent_contact: bool = False
    consent_share: bool = False
    given_name: Name
    sex: SexValue
    community: CommunityValue
    confirm_new: bool = Field(
        False, description="Register even though possible duplicates were answered (409)."
    )
    inquiry_id: uuid.UUID | None = Field(None, description="The portal request it comes from.")
    client_uuid: uuid.UUID | None = Field(None, description="Makes a repeated upload idempotent.")


class PersonPatch(InputSchema):
    given_name: Name = OMITTED
    family_name: Name = OMITTED
    phone: PhoneText = OMITTED
    phone_has_whatsapp: bool = OMITTED
    sex: SexValue = OMITTED
    year_of_birth: int | None = Field(OMITTED, ge=0, le=9999)
    age_group: AgeGroupValue = OMITTED
    nationality: str | None = Field(OMITTED, max_length=2)
    area: str | None = Field(OMITTED, max_length=20)
    community: CommunityValue = OMITTED
    notes: Notes = OMITTED


class ConsentIn(InputSchema):
    scope: ScopeValue
    granted: bool = Field(description="true: the person agrees; false: they withdraw.")


class MergeIn(InputSchema):
    duplicate_id: uuid.UUID = Field(description="The record that goes (merged into this one).")


class EraseIn(InputSchema):
    reason: ReasonValue


class SearchFilters(Schema):
    q: str = Field("", max_length=200, description="Card code, name words or phone.")


class DuplicatePairOut(Schema):
    first: CandidateOut
    second: CandidateOut
    same_phone: bool
    shared_name_sounds: int


def _places(data: dict[str, Any]) -> dict[str, Any]:
    """Codes to rows: an unknown code is a field error, not a server error."""
    errors: dict[str, list[str]] = {}
    if data.get("nationality"):
        country = Country.objects.filter(code=str(data["nationality"]).upper()).first()
        if country is None:
            errors["nationality"] = [_("Unknown country code.")]
        data["nationality"] = country
    elif "nationality" in data:
        data["nationality"] = None
    if data.get("area"):
        area = AdminArea.objects.filter(pk=data["area"]).first()
        if area is None:
            errors["area"] = [_("Unknown area code.")]
        data["area"] = area
    elif "area" in data:
        data["area"] = None
    if errors:
        raise ValidationError(errors)
    return data


def _organisation(user: User, organisation_id: uuid.UUID | None) -> Organisation:
    organisations = queries.registration_organisations(user=user)
    if not organisations:
        raise PermissionDeniedError(_("Your role does not include registering people."))
    if organisation_id is None:
        if len(organisations) > 1:
            raise ValidationError({"organisation_id": [_("Choose the organisation.")]})
        return organisations[0]
    for organisation in organisations:
        if organisation.pk == organisation_id:
            return organisation
    raise ValidationError({"organisation_id": [_("You cannot register people there.")]})


def _detail(user: User, person_id: uuid.UUID) -> Person:
    return queries.person_open(user=user, person_id=person_id, purpose="api")


@router.get(
    "/people",
    response={200: list[PersonListOut], **READ_ERRORS},
    summary="Search the people you may see",
)
@paginate(Pages, page_size=25)
def person_list(request: HttpRequest, filters: Query[SearchFilters]) -> QuerySet[Person]:
    user = request_user(request)
    if not queries.may_see_people(user=user):
        raise PermissionDeniedError(_("Your role does not include seeing people's records."))
    return queries.people_search(user=user, text=filters.q)


@router.get(
    "/people/duplicates",
    response={200: list[DuplicatePairOut], **READ_ERRORS},
    summary="Possible duplicates among your team's records (supervisors)",
)
def person_duplicates(request: HttpRequest) -> list[queries.DuplicatePair]:
    user = request_user(request)
    if not queries.may_supervise(user=user):
        raise PermissionDeniedError(_("Only a supervisor sees possible duplicates."))
    return queries.duplicate_pairs(user=user)


@router.get(
    "/people/{person_id}",
    response={200: PersonOut, **READ_ERRORS},
    summary="A person's record (the read is audited)",
)
def person_get(request: HttpRequest, person_id: uuid.UUID) -> Person:
    return _detail(request_user(request), person_id)


@router.post(
    "/people",
    response={201: PersonOut, 409: DuplicatesOut, **WRITE_ERRORS},
    summary="Register a person (with their consent)",
    description="Possible duplicates among the people you may see answer 409 with them; "
    "send again with `confirm_new: true` once the person says none is them.",
)
def person_register(request: HttpRequest, payload: PersonIn) -> Status:
    user = request_user(request)
    data = _places(payload.model_dump())
    organisation = _organisation(user, data.pop("organisation_id"))
    inquiry_id = data.pop("inquiry_id")
    inquiry = inquiry_get(user=user, inquiry_id=inquiry_id) if inquiry_id else None
    try:
        person = actions.person_register(
            actor=user, organisation=organisation, inquiry=inquiry, **data
        )
    except actions.PossibleDuplicatesError as exc:
        return Status(
            409,
            {
                "detail": _(
                    "This person may already be registered. If none of these is them, send "
                    "again with confirm_new."
                ),
                "errors": {},
                "candidates": exc.candidates,
            },
        )
    return Status(201, _detail(user, person.pk))


@router.patch(
    "/people/{person_id}",
    response={200: PersonOut, **WRITE_ERRORS},
    summary="Change a person's record (only the fields sent)",
)
def person_update(request: HttpRequest, person_id: uuid.UUID, payload: PersonPatch) -> Person:
    user = request_user(request)
    person = queries.person_get_for_work(user=user, person_id=person_id)
    actions.person_update(
        actor=user, person=person, **_places(payload.model_dump(exclude_unset=True))
    )
    return _detail(user, person.pk)


@router.post(
    "/people/{person_id}/consent",
    response={200: PersonOut, **WRITE_ERRORS},
    summary="Record consent given or withdrawn",
    description="Withdrawing `record` erases the personal data; `contact` cancels open "
    "follow-ups; `share` stops sharing with receiving organisations.",
)
def person_consent(request: HttpRequest, person_id: uuid.UUID, payload: ConsentIn) -> Person:
    user = request_user(request)
    person = queries.person_get_for_work(user=user, person_id=person_id)
    if payload.granted:
        actions.consent_grant(actor=user, person=person, scope=payload.scope)
    else:
        actions.consent_withdraw(actor=user, person=person, scope=payload.scope)
    return _detail(user, person.pk)


@router.post(
    "/people/{person_id}/merge",
    response={200: PersonOut, **WRITE_ERRORS},
    summary="Merge a duplicate into this record (supervisors)",
)
def person_merge(request: HttpRequest, person_id: uuid.UUID, payload: MergeIn) -> Person:
    user = request_user(request)
    keep = queries.person_get(user=user, person_id=person_id)
    try:
        duplicate = queries.person_get(user=user, person_id=payload.duplicate_id)
    except NotFoundError as exc:
        raise ValidationError({"duplicate_id": [_("No record you can see has this id.")]}) from exc
    actions.person_merge(actor=user, keep=keep, duplicate=duplicate)
    return _detail(user, keep.pk)


@router.post(
    "/people/{person_id}/erase",
    response={200: PersonOut, **WRITE_ERRORS},
    summary="Erase a person's data on request",
)
def person_erase(request: HttpRequest, person_id: uuid.UUID, payload: EraseIn) -> Person:
    user = request_user(request)
    person = queries.person_get(user=user, person_id=person_id)
    actions.person_erase(actor=user, person=person, reason=payload.reason)
    return _detail(user, person.pk)
