"""Field work API: outreach activities, vaccination sessions, trainings, teams and centres.

Handlers are thin: check the input's shape (schemas), turn ids into objects the caller may use
(through the queries), call one action, and read the result back through the queries. Another
organisation's records answer 404, as if they did not exist. Outreach and vaccination carry
tallies only, never a person.
"""

# No "from __future__ import annotations": Ninja reads annotations at run time.

import datetime
import uuid
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator, ConfigDict

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.casework.actions import activities as activity_actions
from senda.casework.actions import teams as team_actions
from senda.casework.actions import trainings as training_actions
from senda.casework.models import (
    CentreAssignment,
    OutreachActivity,
    Team,
    TrainingEvent,
    TrainingParticipant,
    VaccinationSession,
)
from senda.casework.queries import activities as activity_queries
from senda.casework.queries import teams as team_queries
from senda.casework.queries import trainings as training_queries
from senda.core.api_auth import request_user
from senda.core.api_common import MAX_PAGE_SIZE, READ_ERRORS, WRITE_ERRORS, Pages, no_nul
from senda.core.errors import ValidationError
from senda.geo.models import AdminArea
from senda.geo.queries import area_get

router = Router(tags=["field work: activities"])

PAGE_SIZE = 20


Code = Annotated[str, Field(max_length=20), AfterValidator(no_nul)]
Text200 = Annotated[str, Field(max_length=200), AfterValidator(no_nul)]
Text2000 = Annotated[str, Field(max_length=2000), AfterValidator(no_nul)]
Count = Annotated[int, Field(ge=0, le=activity_actions.MAX_CELL)]


class InputSchema(Schema):
    # A misspelt field is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid")


def _area(pcode: str | None, *, required: bool = True) -> AdminArea | None:
    if not pcode:
        if required:
            raise ValidationError({"area": [_("Choose the area.")]})
        return None
    area = area_get(pcode=pcode)
    if area is None:
        raise ValidationError({"area": [_("Unknown area code.")]})
    return area


# ---------------------------------------------------------------------------------------------
# Outreach activities


class TallyIn(InputSchema):
    sex: Code = Field(description="female, male or other.")
    age_group: Code = Field(description="0-4, 5-11, 12-17, 18-29, 30-59 or 60+.")
    community: Code = Field(description="migrant or host.")
    count: Count


class TallyOut(Schema):
    sex: str
    age_group: str
    community: str
    count: int


class OutreachIn(InputSchema):
    organisation_id: uuid.UUID | None = Field(
        None, description="Needed only when you record for several organisations."
    )
    client_uuid: uuid.UUID | None = Field(
        None, description="Set by an offline device: the same id twice records once."
    )
    date: datetime.date
    place_type: Code = Field(
        description="metro, supermarket, school, community, health_centre, info_point, online."
    )
    place_name: Text200 = ""
    area: Code = Field(description="The area's p-code, e.g. PA0805.")
    team_id: uuid.UUID | None = None
    tallies: Annotated[list[TallyIn], Field(max_length=100)] = Field(
        description="People reached by sex, age group and community; cells left out are 0."
    )
    materials: Annotated[dict[Code, Count], Field(max_length=20)] = Field(
        default_factory=dict,
        description="Material given by kind: leaflet, poster, condoms, masks, hygiene_kit, other.",
    )
    note: Text2000 = ""


class OutreachOut(Schema):
    id: uuid.UUID
    organisation_id: uuid.UUID
    team_id: uuid.UUID | None
    recorded_by_id: int | None
    date: datetime.date
    place_type: str
    place_name: str
    area: str = Field(description="p-code")
    materials: dict[str, int]
    note: str
    people_reached: int
    tallies: list[TallyOut]
    created_at: datetime.datetime
    client_uuid: uuid.UUID | None

    @staticmethod
    def resolve_area(obj: OutreachActivity) -> str:
        return obj.area_id

    @staticmethod
    def resolve_people_reached(obj: OutreachActivity) -> int:
        return sum(t.count for t in obj.tallies.all())

    @staticmethod
    def resolve_tallies(obj: OutreachActivity) -> list[Any]:
        return list(obj.tallies.all())


class OutreachFiltersIn(Schema):
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    area: Code | None = None
    team_id: uuid.UUID | None = None
    place_type: Code | None = None

    def filters(self) -> activity_queries.OutreachFilters:
        return activity_queries.OutreachFilters(
            date_from=self.date_from,
            date_to=self.date_to,
            area=self.area,
            team_id=self.team_id,
            place_type=self.place_type,
        )


class TotalsOut(Schema):
    activities: int
    total: int
    by_sex: dict[str, int]
    by_age_group: dict[str, int]
    by_community: dict[str, int]


def _team(user: User, organisation: Organisation, team_id: uuid.UUID | None) -> Team | None:
    if team_id is None:
        return None
    team = (
        activity_queries.teams_for_activities(user=user, organisations=[organisation])
        .filter(pk=team_id)
        .first()
    )
    if team is None:
        raise ValidationError({"team_id": [_("Choose a team of the organisation.")]})
    return team


def _outreach_input(
    user: User, organisation: Organisation, payload: OutreachIn
) -> activity_actions.OutreachInput:
    return activity_actions.OutreachInput(
        date=payload.date,
        place_type=payload.place_type,
        place_name=payload.place_name,
        area=_area(payload.area),
        team=_team(user, organisation, payload.team_id),
        tallies={(t.sex, t.age_group, t.community): t.count for t in payload.tallies},
        materials=dict(payload.materials),
        note=payload.note,
    )


def _outreach_refusal() -> str:
    return _("Your role does not include recording outreach or vaccination sessions.")


@router.get(
    "/outreach-activities",
    response={200: list[OutreachOut], **READ_ERRORS},
    summary="List outreach activities",
)
@paginate(Pages, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def outreach_list(
    request: HttpRequest, filters: Query[OutreachFiltersIn]
) -> QuerySet[OutreachActivity]:
    """Your organisations' outreach activities, newest first, with their tallies."""
    return activity_queries.outreach_list(
        user=request_user(request), filters=filters.filters()
    ).prefetch_related("tallies")


@router.get(
    "/outreach-activities/totals",
    response={200: TotalsOut, **READ_ERRORS},
    summary="People reached by sex, age group and community",
)
def outreach_totals(
    request: HttpRequest, filters: Query[OutreachFiltersIn]
) -> activity_queries.TallyTotals:
    return activity_queries.outreach_totals(user=request_user(request), filters=filters.filters())


@router.post(
    "/outreach-activities",
    response={201: OutreachOut, 200: OutreachOut, **WRITE_ERRORS},
    summary="Record an outreach activity",
    description="Answers 200 with the first record when `client_uuid` was already recorded.",
)
def outreach_record(request: HttpRequest, payload: OutreachIn) -> Status:
    user = request_user(request)
    organisation = activity_queries.acting_organisation(
        user=user,
        capability=Capability.OUTREACH_RECORD,
        organisation_id=payload.organisation_id,
        refusal=_outreach_refusal(),
    )
    already = (
        payload.client_uuid is not None
        and activity_queries.outreach_visible_to(user=user)
        .filter(client_uuid=payload.client_uuid)
        .exists()
    )
    activity = activity_actions.outreach_record(
        actor=user,
        organisation=organisation,
        data=_outreach_input(user, organisation, payload),
        client_uuid=payload.client_uuid,
    )
    return Status(
        200 if already else 201,
        activity_queries.outreach_get(user=user, activity_id=activity.pk),
    )


@router.get(
    "/outreach-activities/{activity_id}",
    response={200: OutreachOut, **READ_ERRORS},
    summary="Get an outreach activity",
)
def outreach_get(request: HttpRequest, activity_id: uuid.UUID) -> OutreachActivity:
    return activity_queries.outreach_get(user=request_user(request), activity_id=activity_id)


@router.put(
    "/outreach-activities/{activity_id}",
    response={200: OutreachOut, **WRITE_ERRORS},
    summary="Correct an outreach activity (every field and the whole grid)",
)
def outreach_update(
    request: HttpRequest, activity_id: uuid.UUID, payload: OutreachIn
) -> OutreachActivity:
    user = request_user(request)
    activity = activity_queries.outreach_get(user=user, activity_id=activity_id)
    activity_actions.outreach_update(
        actor=user,
        activity=activity,
        data=_outreach_input(user, activity.organisation, payload),
    )
    return activity_queries.outreach_get(user=user, activity_id=activity.pk)


@router.delete(
    "/outreach-activities/{activity_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete an outreach activity recorded by mistake",
)
def outreach_delete(request: HttpRequest, activity_id: uuid.UUID) -> Status:
    user = request_user(request)
    activity = activity_queries.outreach_get(user=user, activity_id=activity_id)
    activity_actions.outreach_delete(actor=user, activity=activity)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Vaccination sessions


class DoseIn(InputSchema):
    vaccine: Code = Field(
        description="covid19, influenza, mmr, td, hpv, hepatitis_b, polio, yellow_fever."
    )
    age_group: Code
    count: Count


class DoseOut(Schema):
    vaccine: str
    age_group: str
    count: int


class SessionIn(InputSchema):
    organisation_id: uuid.UUID | None = None
    client_uuid: uuid.UUID | None = None
    date: datetime.date
    location_id: uuid.UUID | None = Field(
        None, description="A directory location your organisation maintains."
    )
    place_name: Text200 = Field("", description="Where, when it is not a directory location.")
    area: Code | None = Field(None, description="p-code; defaults to the location's area.")
    doses: Annotated[list[DoseIn], Field(max_length=100)]
    people_referred: Count = 0
    note: Text2000 = ""


class SessionOut(Schema):
    id: uuid.UUID
    organisation_id: uuid.UUID
    recorded_by_id: int | None
    date: datetime.date
    location_id: uuid.UUID | None
    place_name: str
    area: str
    people_referred: int
    doses_given: int
    doses: list[DoseOut]
    note: str
    created_at: datetime.datetime
    client_uuid: uuid.UUID | None

    @staticmethod
    def resolve_area(obj: VaccinationSession) -> str:
        return obj.area_id

    @staticmethod
    def resolve_doses_given(obj: VaccinationSession) -> int:
        return sum(d.count for d in obj.doses.all())

    @staticmethod
    def resolve_doses(obj: VaccinationSession) -> list[Any]:
        return list(obj.doses.all())


class SessionFiltersIn(Schema):
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    area: Code | None = None
    location_id: uuid.UUID | None = None

    def filters(self) -> activity_queries.SessionFilters:
        return activity_queries.SessionFilters(
            date_from=self.date_from,
            date_to=self.date_to,
            area=self.area,
            location_id=self.location_id,
        )


class DoseTotalsOut(Schema):
    sessions: int
    doses: int
    people_referred: int
    by_vaccine: dict[str, int]
    by_age_group: dict[str, int]


def _session_input(organisation: Organisation, payload: SessionIn) -> activity_actions.SessionInput:
    location = None
    if payload.location_id is not None:
        location = (
            activity_queries.session_locations(organisations=[organisation])
            .filter(pk=payload.location_id)
            .select_related("admin_area")
            .first()
        )
        if location is None:
            raise ValidationError(
                {"location_id": [_("Choose a place that the organisation keeps in the directory.")]}
            )
    return activity_actions.SessionInput(
        date=payload.date,
        location=location,
        place_name=payload.place_name,
        area=_area(payload.area, required=False),
        doses={(d.vaccine, d.age_group): d.count for d in payload.doses},
        people_referred=payload.people_referred,
        note=payload.note,
    )


@router.get(
    "/vaccination-sessions",
    response={200: list[SessionOut], **READ_ERRORS},
    summary="List vaccination sessions",
)
@paginate(Pages, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def vaccination_session_list(
    request: HttpRequest, filters: Query[SessionFiltersIn]
) -> QuerySet[VaccinationSession]:
    return activity_queries.session_list(
        user=request_user(request), filters=filters.filters()
    ).prefetch_related("doses")


@router.get(
    "/vaccination-sessions/totals",
    response={200: DoseTotalsOut, **READ_ERRORS},
    summary="Doses by vaccine and age group, and people referred onwards",
)
def vaccination_session_totals(
    request: HttpRequest, filters: Query[SessionFiltersIn]
) -> activity_queries.DoseTotals:
    return activity_queries.session_totals(user=request_user(request), filters=filters.filters())


@router.post(
    "/vaccination-sessions",
    response={201: SessionOut, 200: SessionOut, **WRITE_ERRORS},
    summary="Record a vaccination session",
    description="Answers 200 with the first record when `client_uuid` was already recorded.",
)
def vaccination_session_record(request: HttpRequest, payload: SessionIn) -> Status:
    user = request_user(request)
    organisation = activity_queries.acting_organisation(
        user=user,
        capability=Capability.OUTREACH_RECORD,
        organisation_id=payload.organisation_id,
        refusal=_outreach_refusal(),
    )
    already = (
        payload.client_uuid is not None
        and activity_queries.sessions_visible_to(user=user)
        .filter(client_uuid=payload.client_uuid)
        .exists()
    )
    session = activity_actions.vaccination_session_record(
        actor=user,
        organisation=organisation,
        data=_session_input(organisation, payload),
        client_uuid=payload.client_uuid,
    )
    return Status(
        200 if already else 201, activity_queries.session_get(user=user, session_id=session.pk)
    )


@router.get(
    "/vaccination-sessions/{session_id}",
    response={200: SessionOut, **READ_ERRORS},
    summary="Get a vaccination session",
)
def vaccination_session_get(request: HttpRequest, session_id: uuid.UUID) -> VaccinationSession:
    return activity_queries.session_get(user=request_user(request), session_id=session_id)


@router.put(
    "/vaccination-sessions/{session_id}",
    response={200: SessionOut, **WRITE_ERRORS},
    summary="Correct a vaccination session (every field and the whole dose grid)",
)
def vaccination_session_update(
    request: HttpRequest, session_id: uuid.UUID, payload: SessionIn
) -> VaccinationSession:
    user = request_user(request)
    session = activity_queries.session_get(user=user, session_id=session_id)
    activity_actions.vaccination_session_update(
        actor=user, session=session, data=_session_input(session.organisation, payload)
    )
    return activity_queries.session_get(user=user, session_id=session.pk)


@router.delete(
    "/vaccination-sessions/{session_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a vaccination session recorded by mistake",
)
def vaccination_session_delete(request: HttpRequest, session_id: uuid.UUID) -> Status:
    user = request_user(request)
    session = activity_queries.session_get(user=user, session_id=session_id)
    activity_actions.vaccination_session_delete(actor=user, session=session)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Trainings


class TopicOut(Schema):
    id: int
    slug: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class ParticipantOut(Schema):
    id: int
    user_id: int | None
    name: str = Field(description="The user's full name, or the name typed for partner staff.")
    participant_organisation: str
    role: str
    status: str
    completed_on: datetime.date | None

    @staticmethod
    def resolve_name(obj: TrainingParticipant) -> str:
        return training_queries.participant_label(obj)


class TrainingIn(InputSchema):
    organisation_id: uuid.UUID | None = None
    title: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(no_nul)]
    topic_ids: Annotated[list[int], Field(min_length=1, max_length=50)]
    mode: Code = Field(description="in_person or virtual.")
    starts_on: datetime.date
    ends_on: datetime.date | None = None
    facilitator: Text200 = ""
    area: Code | None = None


class TrainingOut(Schema):
    id: uuid.UUID
    organisation_id: uuid.UUID
    title: str
    topics: list[TopicOut]
    mode: str
    starts_on: datetime.date
    ends_on: datetime.date
    facilitator: str
    area: str | None
    participants: list[ParticipantOut]

    @staticmethod
    def resolve_area(obj: TrainingEvent) -> str | None:
        return obj.area_id

    @staticmethod
    def resolve_topics(obj: TrainingEvent) -> list[Any]:
        return list(obj.topics.all())

    @staticmethod
    def resolve_participants(obj: TrainingEvent) -> list[Any]:
        return list(obj.participants.all())


class TrainingSummaryOut(Schema):
    id: uuid.UUID
    organisation_id: uuid.UUID
    title: str
    topics: list[TopicOut]
    mode: str
    starts_on: datetime.date
    ends_on: datetime.date
    facilitator: str
    participant_count: int
    completed_count: int

    @staticmethod
    def resolve_topics(obj: TrainingEvent) -> list[Any]:
        return list(obj.topics.all())


class TrainingFiltersIn(Schema):
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    topic_id: int | None = Field(None, ge=1, le=2**31 - 1)


class ParticipantIn(InputSchema):
    user_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="A member of the training's organisation."
    )
    name: Text200 = Field("", description="A partner's staff member (without user_id).")
    participant_organisation: Text200 = ""
    role: Code = Field("", description="promoter, volunteer or partner_staff.")


class ParticipantStatusIn(InputSchema):
    status: Code = Field(description="enrolled, completed or incomplete.")
    completed_on: datetime.date | None = None


class MatrixFiltersIn(Schema):
    topic_id: int | None = Field(None, ge=1, le=2**31 - 1)
    role: Code | None = None
    name: Text200 = ""
    completed_since: datetime.date | None = None


class MatrixRowOut(Schema):
    name: str
    organisation: str
    role: str
    completed: dict[str, datetime.date] = Field(description="Topic slug -> last completion.")


class MatrixOut(Schema):
    topics: list[TopicOut]
    rows: list[MatrixRowOut]


def _training_input(payload: TrainingIn) -> training_actions.TrainingInput:
    topics = list(training_queries.training_topics().filter(pk__in=payload.topic_ids))
    if len(topics) != len(set(payload.topic_ids)):
        raise ValidationError({"topic_ids": [_("Choose topics from the list of training topics.")]})
    return training_actions.TrainingInput(
        title=payload.title,
        topics=topics,
        mode=payload.mode,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        facilitator=payload.facilitator,
        area=_area(payload.area, required=False),
    )


@router.get(
    "/training-topics",
    response={200: list[TopicOut], **READ_ERRORS},
    summary="The topics a training can cover",
)
def training_topic_list(request: HttpRequest) -> list[Any]:
    return list(training_queries.training_topics_for(user=request_user(request)))


@router.get(
    "/training-matrix",
    response={200: MatrixOut, **READ_ERRORS},
    summary="Who is trained on what: people x training topics, with completion dates",
)
def training_matrix(request: HttpRequest, filters: Query[MatrixFiltersIn]) -> MatrixOut:
    matrix = training_queries.trained_matrix(
        user=request_user(request),
        filters=training_queries.MatrixFilters(
            topic_id=filters.topic_id,
            role=filters.role,
            name=filters.name,
            completed_since=filters.completed_since,
        ),
    )
    slugs = {topic.pk: topic.slug for topic in matrix.topics}
    return MatrixOut(
        topics=matrix.topics,  # type: ignore[arg-type]  # resolved by TopicOut
        rows=[
            MatrixRowOut(
                name=row.label,
                organisation=row.organisation,
                role=row.role,
                completed={slugs[topic_id]: day for topic_id, day in row.completed.items()},
            )
            for row in matrix.rows
        ],
    )


@router.get(
    "/trainings",
    response={200: list[TrainingSummaryOut], **READ_ERRORS},
    summary="List trainings",
)
@paginate(Pages, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def training_list(
    request: HttpRequest, filters: Query[TrainingFiltersIn]
) -> QuerySet[TrainingEvent]:
    return training_queries.training_list(
        user=request_user(request),
        filters=training_queries.TrainingFilters(
            date_from=filters.date_from, date_to=filters.date_to, topic_id=filters.topic_id
        ),
    )


@router.post(
    "/trainings",
    response={201: TrainingOut, **WRITE_ERRORS},
    summary="Create a training",
)
def training_create(request: HttpRequest, payload: TrainingIn) -> Status:
    user = request_user(request)
    organisation = activity_queries.acting_organisation(
        user=user,
        capability=Capability.TRAINING_MANAGE,
        organisation_id=payload.organisation_id,
        refusal=_("Your role does not include organising trainings."),
    )
    training = training_actions.training_create(
        actor=user, organisation=organisation, data=_training_input(payload)
    )
    return Status(201, training_queries.training_get(user=user, training_id=training.pk))


@router.get(
    "/trainings/{training_id}",
    response={200: TrainingOut, **READ_ERRORS},
    summary="Get a training with its participants",
)
def training_get(request: HttpRequest, training_id: uuid.UUID) -> TrainingEvent:
    return training_queries.training_get(user=request_user(request), training_id=training_id)


@router.put(
    "/trainings/{training_id}",
    response={200: TrainingOut, **WRITE_ERRORS},
    summary="Change a training",
)
def training_update(
    request: HttpRequest, training_id: uuid.UUID, payload: TrainingIn
) -> TrainingEvent:
    user = request_user(request)
    training = training_queries.training_get(user=user, training_id=training_id)
    training_actions.training_update(actor=user, training=training, data=_training_input(payload))
    return training_queries.training_get(user=user, training_id=training.pk)


@router.delete(
    "/trainings/{training_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a training",
)
def training_delete(request: HttpRequest, training_id: uuid.UUID) -> Status:
    user = request_user(request)
    training = training_queries.training_get(user=user, training_id=training_id)
    training_actions.training_delete(actor=user, training=training)
    return Status(204, None)


@router.post(
    "/trainings/{training_id}/participants",
    response={201: ParticipantOut, **WRITE_ERRORS},
    summary="Add a participant: a member of the organisation, or a partner's staff by name",
)
def training_participant_add(
    request: HttpRequest, training_id: uuid.UUID, payload: ParticipantIn
) -> Status:
    user = request_user(request)
    training = training_queries.training_get(user=user, training_id=training_id)
    member: User | None = None
    if payload.user_id is not None:
        member = (
            training_queries.participant_candidates(organisation=training.organisation)
            .filter(pk=payload.user_id)
            .first()
        )
        if member is None:
            raise ValidationError({"user_id": [_("Choose a member of the organisation.")]})
    participant = training_actions.training_participant_add(
        actor=user,
        training=training,
        data=training_actions.ParticipantInput(
            user=member,
            name=payload.name,
            participant_organisation=payload.participant_organisation,
            role=payload.role,
        ),
    )
    return Status(201, participant)


@router.patch(
    "/trainings/{training_id}/participants/{participant_id}",
    response={200: ParticipantOut, **WRITE_ERRORS},
    summary="Mark a participant completed, did not complete, or enrolled",
)
def training_participant_status(
    request: HttpRequest,
    training_id: uuid.UUID,
    participant_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    payload: ParticipantStatusIn,
) -> TrainingParticipant:
    user = request_user(request)
    training = training_queries.training_get(user=user, training_id=training_id)
    participant = training_queries.participant_get(training=training, participant_id=participant_id)
    return training_actions.training_participant_set_status(
        actor=user,
        participant=participant,
        status=payload.status,
        completed_on=payload.completed_on,
    )


@router.delete(
    "/trainings/{training_id}/participants/{participant_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a participant",
)
def training_participant_remove(
    request: HttpRequest,
    training_id: uuid.UUID,
    participant_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> Status:
    user = request_user(request)
    training = training_queries.training_get(user=user, training_id=training_id)
    participant = training_queries.participant_get(training=training, participant_id=participant_id)
    training_actions.training_participant_remove(actor=user, participant=participant)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Teams and centre assignments


class UserRefOut(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


class TeamOut(Schema):
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    supervisor: UserRefOut | None
    members: list[UserRefOut]

    @staticmethod
    def resolve_members(obj: Team) -> list[Any]:
        return list(obj.members.all())


class TeamIn(InputSchema):
    organisation_id: uuid.UUID | None = None
    name: Annotated[str, Field(min_length=1, max_length=120), AfterValidator(no_nul)]
    supervisor_id: int | None = Field(None, ge=1, le=2**31 - 1)
    member_ids: Annotated[
        list[Annotated[int, Field(ge=1, le=2**31 - 1)]], Field(max_length=500)
    ] = Field(default_factory=list)


class TeamChangeIn(InputSchema):
    name: Annotated[str, Field(min_length=1, max_length=120), AfterValidator(no_nul)]
    supervisor_id: int | None = Field(None, ge=1, le=2**31 - 1)


class MemberIn(InputSchema):
    user_id: int = Field(ge=1, le=2**31 - 1)


class CentreAssignmentOut(Schema):
    id: int
    organisation_id: uuid.UUID
    user: UserRefOut
    location_id: uuid.UUID
    location_name: str

    @staticmethod
    def resolve_location_name(obj: CentreAssignment) -> str:
        return obj.location.name


class CentreAssignmentIn(InputSchema):
    organisation_id: uuid.UUID | None = None
    user_id: int = Field(ge=1, le=2**31 - 1)
    location_id: uuid.UUID


def _admin_organisation(user: User, organisation_id: uuid.UUID | None) -> Organisation:
    return activity_queries.acting_organisation(
        user=user,
        capability=Capability.ORG_MANAGE,
        organisation_id=organisation_id,
        refusal=_("Only organisation admins set up teams and centres."),
    )


def _supervisor(organisation: Organisation, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    supervisor = team_queries.supervisor_candidates(organisation=organisation).filter(pk=user_id)
    found = supervisor.first()
    if found is None:
        raise ValidationError(
            {"supervisor_id": [_("Choose a member of the organisation whose role is supervisor.")]}
        )
    return found


def _members(organisation: Organisation, user_ids: list[int]) -> list[User]:
    members = list(
        team_queries.member_candidates(organisation=organisation).filter(pk__in=user_ids)
    )
    if len(members) != len(set(user_ids)):
        raise ValidationError(
            {"member_ids": [_("Choose case workers of the organisation (promoters, volunteers…).")]}
        )
    return members


@router.get("/teams", response={200: list[TeamOut], **READ_ERRORS}, summary="List teams")
def team_list(request: HttpRequest) -> list[Team]:
    return list(team_queries.teams_managed_by(user=request_user(request)))


@router.post("/teams", response={201: TeamOut, **WRITE_ERRORS}, summary="Create a team")
def team_create(request: HttpRequest, payload: TeamIn) -> Status:
    user = request_user(request)
    organisation = _admin_organisation(user, payload.organisation_id)
    team = team_actions.team_create(
        actor=user,
        organisation=organisation,
        name=payload.name,
        supervisor=_supervisor(organisation, payload.supervisor_id),
        members=_members(organisation, payload.member_ids),
    )
    return Status(201, team_queries.team_get(user=user, team_id=team.pk))


@router.get("/teams/{team_id}", response={200: TeamOut, **READ_ERRORS}, summary="Get a team")
def team_get(request: HttpRequest, team_id: uuid.UUID) -> Team:
    return team_queries.team_get(user=request_user(request), team_id=team_id)


@router.put(
    "/teams/{team_id}",
    response={200: TeamOut, **WRITE_ERRORS},
    summary="Rename a team or change its supervisor",
)
def team_update(request: HttpRequest, team_id: uuid.UUID, payload: TeamChangeIn) -> Team:
    user = request_user(request)
    team = team_queries.team_get(user=user, team_id=team_id)
    team_actions.team_update(
        actor=user,
        team=team,
        name=payload.name,
        supervisor=_supervisor(team.organisation, payload.supervisor_id),
    )
    return team_queries.team_get(user=user, team_id=team.pk)


@router.delete("/teams/{team_id}", response={204: None, **WRITE_ERRORS}, summary="Delete a team")
def team_delete(request: HttpRequest, team_id: uuid.UUID) -> Status:
    user = request_user(request)
    team_actions.team_delete(actor=user, team=team_queries.team_get(user=user, team_id=team_id))
    return Status(204, None)


@router.post(
    "/teams/{team_id}/members",
    response={200: TeamOut, **WRITE_ERRORS},
    summary="Add a case worker to a team",
)
def team_member_add(request: HttpRequest, team_id: uuid.UUID, payload: MemberIn) -> Team:
    user = request_user(request)
    team = team_queries.team_get(user=user, team_id=team_id)
    (member,) = _members(team.organisation, [payload.user_id])
    team_actions.team_member_add(actor=user, team=team, member=member)
    return team_queries.team_get(user=user, team_id=team.pk)


@router.delete(
    "/teams/{team_id}/members/{user_id}",
    response={200: TeamOut, **WRITE_ERRORS},
    summary="Take a member out of a team",
)
def team_member_remove(
    request: HttpRequest, team_id: uuid.UUID, user_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Team:
    user = request_user(request)
    team = team_queries.team_get(user=user, team_id=team_id)
    member = next((m for m in team.members.all() if m.pk == user_id), None)
    if member is None:
        raise ValidationError({"user_id": [_("This person is not in the team.")]})
    team_actions.team_member_remove(actor=user, team=team, member=member)
    return team_queries.team_get(user=user, team_id=team.pk)


@router.get(
    "/centre-assignments",
    response={200: list[CentreAssignmentOut], **READ_ERRORS},
    summary="List which focal points work at which centres",
)
def centre_assignment_list(request: HttpRequest) -> list[CentreAssignment]:
    return list(team_queries.centre_assignments_managed_by(user=request_user(request)))


@router.post(
    "/centre-assignments",
    response={201: CentreAssignmentOut, **WRITE_ERRORS},
    summary="Assign a focal point to a centre",
)
def centre_assign(request: HttpRequest, payload: CentreAssignmentIn) -> Status:
    user = request_user(request)
    organisation = _admin_organisation(user, payload.organisation_id)
    focal_point = team_queries.centre_candidates(organisation=organisation).filter(
        pk=payload.user_id
    )
    location = team_queries.centre_locations(organisation=organisation).filter(
        pk=payload.location_id
    )
    found_user, found_location = focal_point.first(), location.first()
    errors: dict[str, list[str]] = {}
    if found_user is None:
        errors["user_id"] = [_("Choose a member of the organisation who receives referrals.")]
    if found_location is None:
        errors["location_id"] = [_("Choose a place that the organisation keeps in the directory.")]
    if found_user is None or found_location is None:
        raise ValidationError(errors)
    assignment = team_actions.centre_assign(
        actor=user, organisation=organisation, user=found_user, location=found_location
    )
    return Status(201, team_queries.centre_assignment_get(user=user, assignment_id=assignment.pk))


@router.delete(
    "/centre-assignments/{assignment_id}",
    response={204: None, **WRITE_ERRORS},
    summary="End a centre assignment",
)
def centre_unassign(
    request: HttpRequest, assignment_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> Status:
    user = request_user(request)
    assignment = team_queries.centre_assignment_get(user=user, assignment_id=assignment_id)
    team_actions.centre_unassign(actor=user, assignment=assignment)
    return Status(204, None)
