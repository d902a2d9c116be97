"""Field work API: referrals. Send one, list what was sent and what was received, open one
(audited), and each step of its life. Same permissions as the staff pages: the queries and
actions decide; the receiving side only ever gets the shared fields."""

# No "from __future__ import annotations": Ninja reads annotations at run time.

import datetime
import uuid
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import AfterValidator, ConfigDict

from senda.casework.actions import referrals as actions
from senda.casework.models import ReferralOutcome, ReferralReason, ReferralStatus, Urgency
from senda.casework.queries import referrals as queries
from senda.core.api_auth import request_user
from senda.core.api_common import READ_ERRORS, WRITE_ERRORS, no_nul
from senda.core.errors import NotFoundError, ValidationError

router = Router(tags=["field work: referrals"])


Note = Annotated[str, Field(max_length=actions.NOTE_MAX_LENGTH), AfterValidator(no_nul)]
ReasonText = Annotated[
    str, Field(min_length=1, max_length=actions.REASON_MAX_LENGTH), AfterValidator(no_nul)
]
ReasonValue = Literal[
    "vaccination",
    "medical_care",
    "prenatal_care",
    "mental_health",
    "suspected_covid",
    "legal",
    "protection",
    "education",
    "work",
]
UrgencyValue = Literal["routine", "soon", "urgent"]
OutcomeValue = Literal[
    "served",
    "vaccinated",
    "tested_negative",
    "tested_positive",
    "not_tested",
    "referred_on",
    "not_served",
]
StatusValue = Literal[
    "open", "sent", "received", "accepted", "declined", "attended", "closed", "cancelled", "expired"
]
InboxView = Literal["open", "new", "to_attend", "to_close", "overdue", "closed", "all"]
assert set(ReasonValue.__args__) == set(ReferralReason.values)  # type: ignore[attr-defined]
assert set(UrgencyValue.__args__) == set(Urgency.values)  # type: ignore[attr-defined]
assert set(OutcomeValue.__args__) == set(ReferralOutcome.values)  # type: ignore[attr-defined]
assert set(StatusValue.__args__) == {"open", *ReferralStatus.values}  # type: ignore[attr-defined]
assert set(InboxView.__args__) == set(queries.INBOX_VIEWS)  # type: ignore[attr-defined]


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------------
# Output


class HistoryOut(Schema):
    at: datetime.datetime
    from_status: str
    to_status: str
    actor_name: str
    organisation_name: str
    note: str


class StepOut(Schema):
    slug: str = Field(description="The path of the step: POST /api/referrals/{id}/<slug>.")
    label: str


class ReferralSummaryOut(Schema):
    id: uuid.UUID
    person_code: str = Field(description="The pseudonymous card code, never a name.")
    reason: str
    reason_label: str
    urgency: str
    urgency_label: str
    status: str
    status_label: str
    sent_at: datetime.datetime
    receive_by: datetime.datetime
    attend_by: datetime.datetime
    is_overdue: bool
    service_name: str
    location_name: str
    referring_organisation_name: str
    receiving_organisation_name: str
    outcome: str
    outcome_label: str
    decline_reason: str


class InboxItemOut(ReferralSummaryOut):
    steps: list[StepOut] = Field(description="The next steps the receiving side may take.")


class SharedPersonOut(Schema):
    code: str
    shares: bool = Field(
        description="False when the person has not agreed to sharing (or withdrew it): then "
        "no personal field is given."
    )
    given_name: str
    sex_label: str
    age_group_label: str
    phone: str = Field(description="Only when the person agreed to be contacted.")
    phone_has_whatsapp: bool


class ReceivedReferralOut(InboxItemOut):
    person: SharedPersonOut
    note: str
    outcome_note: str
    history: list[HistoryOut]
    outcomes: list[str] = Field(description="The outcomes this referral may close with.")

    @staticmethod
    def resolve_outcomes(obj: queries.ReceivedReferral) -> list[str]:
        return [value for value, _label in obj.outcomes]


class SentReferralOut(ReferralSummaryOut):
    person_id: uuid.UUID | None
    person_given_name: str
    note: str
    outcome_note: str
    history: list[HistoryOut]
    can_cancel: bool


class SentPageOut(Schema):
    items: list[ReferralSummaryOut]
    count: int
    page: int
    page_size: int


class InboxPageOut(Schema):
    items: list[InboxItemOut]
    count: int
    page: int
    page_size: int
    counts: dict[str, int] = Field(
        description="How many referrals each open view holds (finished ones are not counted)."
    )


# ---------------------------------------------------------------------------------------------
# Input


class ReferralIn(InputSchema):
    person_id: uuid.UUID
    service_at_location_id: uuid.UUID | None = Field(
        None, description="The directory's service-at-location; or give service_id and location_id."
    )
    service_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    reason: ReasonValue
    urgency: UrgencyValue = "routine"
    note: Note = ""
    client_uuid: uuid.UUID | None = Field(
        None, description="Set by an offline device: sending twice creates one referral."
    )


class NoteIn(InputSchema):
    note: Note = ""


class ReasonIn(InputSchema):
    reason: ReasonText


class CloseIn(InputSchema):
    outcome: OutcomeValue
    outcome_note: Note = ""


class SentFilters(Schema):
    scope: Literal["mine", "organisation"] = "organisation"
    status: StatusValue | None = None
    overdue: bool = False
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(queries.PAGE_SIZE, ge=1, le=100)


class InboxFilters(Schema):
    view: InboxView = "open"
    centre: uuid.UUID | None = Field(None, description="Only referrals to this location.")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(queries.PAGE_SIZE, ge=1, le=100)


# ---------------------------------------------------------------------------------------------
# Handlers


def _place(payload: ReferralIn) -> dict[str, Any]:
    """The service and place the payload names (an unknown one is a field error)."""
    if payload.service_at_location_id is not None:
        try:
            place = queries.service_at_location_get(option_id=payload.service_at_location_id)
        except NotFoundError:
            raise ValidationError(
                {"service_at_location_id": [_("There is no such service at a place.")]}
            ) from None
        return {"service_at_location": place}
    if payload.service_id is None or payload.location_id is None:
        raise ValidationError(
            {"service_at_location_id": [_("Choose a service and where it is offered.")]}
        )
    found = queries.service_at_location_find(
        service_id=payload.service_id, location_id=payload.location_id
    )
    if found is None:
        raise ValidationError(
            {"service": [_("This service is not published or is not offered at this place.")]}
        )
    return {"service_at_location": found}


@router.post(
    "/referrals",
    response={201: SentReferralOut, 200: SentReferralOut, **WRITE_ERRORS},
    summary="Refer a person to a service at a place (their consent to share is required)",
)
def referral_create(request: HttpRequest, payload: ReferralIn) -> tuple[int, Any]:
    user = request_user(request)
    person = queries.referral_person_get(user=user, person_id=payload.person_id)
    place = _place(payload)
    existed = payload.client_uuid is not None and queries.referral_client_uuid_used(
        client_uuid=payload.client_uuid
    )
    referral = actions.referral_create(
        actor=user,
        person=person,
        reason=payload.reason,
        urgency=payload.urgency,
        note=payload.note,
        client_uuid=payload.client_uuid,
        **place,
    )
    return (200 if existed else 201), queries.referral_get_sent(user=user, referral_id=referral.pk)


@router.get(
    "/referrals",
    response={200: SentPageOut, **READ_ERRORS},
    summary="Referrals sent: of the people you see, or only yours",
)
def referral_list_sent(request: HttpRequest, filters: Query[SentFilters]) -> SentPageOut:
    page = queries.referrals_sent(
        user=request_user(request),
        scope=filters.scope,
        status=filters.status or "",
        overdue=filters.overdue,
        page=filters.page,
        per_page=filters.page_size,
    )
    return SentPageOut(
        items=page.items,  # presenters, read by attribute
        count=page.total,
        page=page.page,
        page_size=page.per_page,
    )


@router.get(
    "/referrals/inbox",
    response={200: InboxPageOut, **READ_ERRORS},
    summary="Referrals received by your organisation (your centres, if assigned)",
)
def referral_list_inbox(request: HttpRequest, filters: Query[InboxFilters]) -> InboxPageOut:
    user = request_user(request)
    page = queries.referral_inbox(
        user=user,
        view=filters.view,
        location_id=filters.centre,
        page=filters.page,
        per_page=filters.page_size,
    )
    return InboxPageOut(
        items=page.items,
        count=page.total,
        page=page.page,
        page_size=page.per_page,
        counts=queries.referral_inbox_counts(user=user, location_id=filters.centre),
    )


@router.get(
    "/referrals/inbox/{uuid:referral_id}",
    response={200: ReceivedReferralOut, **READ_ERRORS},
    summary="A referral received, with only the fields shared with you (the read is audited)",
)
def referral_get_received(request: HttpRequest, referral_id: uuid.UUID) -> Any:
    return queries.referral_get_received(user=request_user(request), referral_id=referral_id)


@router.get(
    "/referrals/{uuid:referral_id}",
    response={200: SentReferralOut, **READ_ERRORS},
    summary="A referral sent, with its history and feedback (the read is audited)",
)
def referral_get_sent(request: HttpRequest, referral_id: uuid.UUID) -> Any:
    return queries.referral_get_sent(user=request_user(request), referral_id=referral_id)


def _received(request: HttpRequest, referral_id: uuid.UUID) -> Any:
    return queries.referral_get_received(user=request_user(request), referral_id=referral_id)


@router.post(
    "/referrals/{uuid:referral_id}/receive",
    response={200: ReceivedReferralOut, **WRITE_ERRORS},
    summary="Receiving side: mark the referral received",
)
def referral_receive(request: HttpRequest, referral_id: uuid.UUID) -> Any:
    actions.referral_mark_received(actor=request_user(request), referral_id=referral_id)
    return _received(request, referral_id)


@router.post(
    "/referrals/{uuid:referral_id}/accept",
    response={200: ReceivedReferralOut, **WRITE_ERRORS},
    summary="Receiving side: accept the referral",
)
def referral_accept(request: HttpRequest, referral_id: uuid.UUID, payload: NoteIn) -> Any:
    actions.referral_accept(actor=request_user(request), referral_id=referral_id, note=payload.note)
    return _received(request, referral_id)


@router.post(
    "/referrals/{uuid:referral_id}/decline",
    response={200: ReceivedReferralOut, **WRITE_ERRORS},
    summary="Receiving side: decline the referral, saying why",
)
def referral_decline(request: HttpRequest, referral_id: uuid.UUID, payload: ReasonIn) -> Any:
    actions.referral_decline(
        actor=request_user(request), referral_id=referral_id, reason=payload.reason
    )
    return _received(request, referral_id)


@router.post(
    "/referrals/{uuid:referral_id}/attend",
    response={200: ReceivedReferralOut, **WRITE_ERRORS},
    summary="Receiving side: the person came",
)
def referral_attend(request: HttpRequest, referral_id: uuid.UUID, payload: NoteIn) -> Any:
    actions.referral_mark_attended(
        actor=request_user(request), referral_id=referral_id, note=payload.note
    )
    return _received(request, referral_id)


@router.post(
    "/referrals/{uuid:referral_id}/close",
    response={200: ReceivedReferralOut, **WRITE_ERRORS},
    summary="Receiving side: close with an outcome (a suspected COVID-19 case: the test result)",
)
def referral_close(request: HttpRequest, referral_id: uuid.UUID, payload: CloseIn) -> Any:
    actions.referral_close(
        actor=request_user(request),
        referral_id=referral_id,
        outcome=payload.outcome,
        outcome_note=payload.outcome_note,
    )
    return _received(request, referral_id)


@router.post(
    "/referrals/{uuid:referral_id}/cancel",
    response={200: SentReferralOut, **WRITE_ERRORS},
    summary="Referring side: cancel the referral, saying why",
)
def referral_cancel(request: HttpRequest, referral_id: uuid.UUID, payload: ReasonIn) -> Any:
    user = request_user(request)
    actions.referral_cancel(actor=user, referral_id=referral_id, reason=payload.reason)
    return queries.referral_get_sent(user=user, referral_id=referral_id)
