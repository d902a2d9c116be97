"""Field work API: follow-up tasks (mine, my team's, create, complete, cancel, reassign) and
orientations (the topics, a person's orientations, record one). Same permissions as the staff
pages: the queries and actions decide. A task shows the person's card code and given name, and
the phone only when they agreed to be contacted."""

# No "from __future__ import annotations": Ninja reads annotations at run time.

import datetime
import uuid
from typing import Annotated, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator, ConfigDict

from senda.accounts.models import User
from senda.casework.access import people_visible_to
from senda.casework.actions import orientations as orientation_actions
from senda.casework.actions import tasks as actions
from senda.casework.models import (
    ContactChannel,
    FollowUp,
    FollowUpStatus,
    Orientation,
    OrientationOutcome,
    PlaceType,
    Topic,
)
from senda.casework.queries import orientations as orientation_queries
from senda.casework.queries import tasks as queries
from senda.core.api_auth import request_user
from senda.core.api_common import MAX_PAGE_SIZE, READ_ERRORS, WRITE_ERRORS, Pages, no_nul
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.queries import get_or_not_found
from senda.geo.queries import area_get

router = Router(tags=["field work: tasks"])

PAGE_SIZE = 25


Title = Annotated[str, Field(min_length=1, max_length=actions.TITLE_MAX), AfterValidator(no_nul)]
Note = Annotated[str, Field(max_length=actions.NOTE_MAX), AfterValidator(no_nul)]
RequiredNote = Annotated[
    str, Field(min_length=1, max_length=actions.NOTE_MAX), AfterValidator(no_nul)
]
MineView = Literal["today", "overdue", "upcoming", "done"]
TeamView = Literal["open", "today", "overdue", "upcoming", "done"]
ChannelValue = Literal["in_person", "phone", "whatsapp", "virtual"]
PlaceValue = Literal[
    "metro", "supermarket", "school", "community", "health_centre", "info_point", "online"
]
OutcomeValue = Literal["informed", "referred", "follow_up", "declined"]
assert set(MineView.__args__) == set(queries.SHOWS)  # type: ignore[attr-defined]
assert set(TeamView.__args__) == set(queries.TEAM_SHOWS)  # type: ignore[attr-defined]
assert set(ChannelValue.__args__) == set(ContactChannel.values)  # type: ignore[attr-defined]
assert set(PlaceValue.__args__) == set(PlaceType.values)  # type: ignore[attr-defined]
assert set(OutcomeValue.__args__) == set(OrientationOutcome.values)  # type: ignore[attr-defined]


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------------
# Output


class TaskPersonOut(Schema):
    id: uuid.UUID
    code: str = Field(description="The pseudonymous card code.")
    given_name: str
    consents_to_contact: bool
    phone: str | None = Field(
        description="Only when the person agreed to be contacted; otherwise null."
    )
    phone_has_whatsapp: bool | None


class TaskOut(Schema):
    id: uuid.UUID
    title: str = Field(description="In the caller's language for tasks made by a rule.")
    due_on: datetime.date
    status: str
    status_label: str
    is_overdue: bool
    person: TaskPersonOut
    referral_id: uuid.UUID | None
    rule_id: int | None
    assigned_to_id: int | None
    assigned_to_name: str | None
    completed_at: datetime.datetime | None
    created_at: datetime.datetime

    @staticmethod
    def resolve_title(obj: FollowUp) -> str:
        rule = obj.rule if obj.rule_id is not None else None
        return str(rule.tr("title")) if rule is not None else obj.title

    @staticmethod
    def resolve_status_label(obj: FollowUp) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_is_overdue(obj: FollowUp) -> bool:
        return obj.status == FollowUpStatus.OPEN and obj.due_on < timezone.localdate()

    @staticmethod
    def resolve_person(obj: FollowUp) -> dict[str, object]:
        person = obj.person
        contact = person.consents_to_contact
        return {
            "id": person.pk,
            "code": person.code,
            "given_name": person.given_name,
            "consents_to_contact": contact,
            "phone": person.phone if contact else None,
            "phone_has_whatsapp": person.phone_has_whatsapp if contact else None,
        }

    @staticmethod
    def resolve_assigned_to_name(obj: FollowUp) -> str | None:
        assignee = obj.assigned_to if obj.assigned_to_id is not None else None
        if assignee is None:
            return None
        return assignee.get_full_name() or assignee.get_username()


class TaskDetailOut(TaskOut):
    note: str


class TaskCountsOut(Schema):
    today: int
    overdue: int
    upcoming: int


class TopicOut(Schema):
    id: int
    slug: str
    name: str = Field(description="In the caller's language.")

    @staticmethod
    def resolve_name(obj: Topic) -> str:
        return str(obj.tr("name"))


class OrientationOut(Schema):
    id: uuid.UUID
    person_id: uuid.UUID
    occurred_at: datetime.datetime
    topics: list[TopicOut]
    channel: str
    place_type: str
    area: str | None = Field(description="P-code.")
    outcome: str
    note: str
    worker_id: int | None

    @staticmethod
    def resolve_topics(obj: Orientation) -> list[Topic]:
        return list(obj.topics.all())

    @staticmethod
    def resolve_area(obj: Orientation) -> str | None:
        return obj.area_id


# ---------------------------------------------------------------------------------------------
# Input


class TaskIn(InputSchema):
    person_id: uuid.UUID
    title: Title
    due_on: datetime.date
    assignee_id: int | None = Field(
        None, description="One of the organisation's case workers; yourself when left out."
    )
    note: Note = ""
    client_uuid: uuid.UUID | None = Field(
        None, description="Set by offline devices: sending the same task twice creates one."
    )


class CompleteIn(InputSchema):
    note: RequiredNote = Field(description="What happened.")


class CancelIn(InputSchema):
    note: Note = ""


class ReassignIn(InputSchema):
    assignee_id: int


class OrientationIn(InputSchema):
    person_id: uuid.UUID
    occurred_at: datetime.datetime
    topics: list[Annotated[str, Field(max_length=60)]] = Field(
        min_length=1, max_length=20, description="Slugs of active orientation topics."
    )
    channel: ChannelValue
    place_type: PlaceValue
    area: Annotated[str, Field(max_length=20)] | None = Field(None, description="P-code.")
    outcome: OutcomeValue
    note: Note = ""
    client_uuid: uuid.UUID | None = None


class TaskFilters(Schema):
    show: MineView = "today"


class TeamFilters(Schema):
    show: TeamView = "open"
    worker_id: int | None = None


class OrientationFilters(Schema):
    person_id: uuid.UUID


# ---------------------------------------------------------------------------------------------
# Tasks


def _user_by_id(user_id: int, field: str) -> User:
    found = User.objects.filter(pk=user_id, is_active=True).first()
    if found is None:
        raise ValidationError({field: [_("There is no such worker.")]})
    return found


@router.get(
    "/tasks",
    response={200: list[TaskOut], **READ_ERRORS},
    summary="My follow-up tasks",
    description="Due today (default), overdue, upcoming or done.",
)
@paginate(Pages, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def followup_list_mine(request: HttpRequest, filters: Query[TaskFilters]) -> QuerySet[FollowUp]:
    return queries.my_tasks(user=request_user(request), show=filters.show)


@router.get(
    "/tasks/counts",
    response={200: TaskCountsOut, **READ_ERRORS},
    summary="How many of my open tasks are due today, overdue and upcoming",
)
def followup_counts_mine(request: HttpRequest) -> TaskCountsOut:
    counts = queries.my_task_counts(user=request_user(request))
    return TaskCountsOut(today=counts.today, overdue=counts.overdue, upcoming=counts.upcoming)


@router.get(
    "/tasks/team",
    response={200: list[TaskOut], **READ_ERRORS},
    summary="My team's follow-up tasks (supervisors)",
)
@paginate(Pages, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def followup_list_team(request: HttpRequest, filters: Query[TeamFilters]) -> QuerySet[FollowUp]:
    return queries.team_tasks(
        user=request_user(request), show=filters.show, worker_id=filters.worker_id
    )


@router.get(
    "/tasks/{follow_up_id}",
    response={200: TaskDetailOut, **READ_ERRORS},
    summary="Get a follow-up task (audited: it shows part of the person's record)",
)
def followup_detail(request: HttpRequest, follow_up_id: uuid.UUID) -> FollowUp:
    return queries.followup_get(user=request_user(request), follow_up_id=follow_up_id)


def _detail_after_write(user: User, task: FollowUp) -> FollowUp:
    return queries.followup_get(user=user, follow_up_id=task.pk, record_read=False)


@router.post(
    "/tasks",
    response={201: TaskDetailOut, 200: TaskDetailOut, **WRITE_ERRORS},
    summary="Create a follow-up task about a person",
)
def followup_create(request: HttpRequest, payload: TaskIn) -> Status:
    user = request_user(request)
    person = get_or_not_found(people_visible_to(user=user), payload.person_id)
    assignee = (
        _user_by_id(payload.assignee_id, "assignee_id") if payload.assignee_id is not None else None
    )
    task = actions.followup_create(
        actor=user,
        person=person,
        title=payload.title,
        due_on=payload.due_on,
        assignee=assignee,
        note=payload.note,
        client_uuid=payload.client_uuid,
    )
    return Status(201, _detail_after_write(user, task))


def _task_for_write(user: User, follow_up_id: uuid.UUID) -> FollowUp:
    return queries.followup_get(user=user, follow_up_id=follow_up_id, record_read=False)


@router.post(
    "/tasks/{follow_up_id}/complete",
    response={200: TaskDetailOut, **WRITE_ERRORS},
    summary="Mark a task done, with what happened",
)
def followup_complete(
    request: HttpRequest, follow_up_id: uuid.UUID, payload: CompleteIn
) -> FollowUp:
    user = request_user(request)
    task = _task_for_write(user, follow_up_id)
    actions.followup_complete(actor=user, follow_up=task, note=payload.note)
    return _detail_after_write(user, task)


@router.post(
    "/tasks/{follow_up_id}/cancel",
    response={200: TaskDetailOut, **WRITE_ERRORS},
    summary="Cancel a task that is no longer needed",
)
def followup_cancel(
    request: HttpRequest, follow_up_id: uuid.UUID, payload: CancelIn | None = None
) -> FollowUp:
    user = request_user(request)
    task = _task_for_write(user, follow_up_id)
    actions.followup_cancel(actor=user, follow_up=task, note=payload.note if payload else "")
    return _detail_after_write(user, task)


@router.post(
    "/tasks/{follow_up_id}/reassign",
    response={200: TaskDetailOut, **WRITE_ERRORS},
    summary="Give a task to another member of your team (supervisors)",
)
def followup_reassign(
    request: HttpRequest, follow_up_id: uuid.UUID, payload: ReassignIn
) -> FollowUp:
    user = request_user(request)
    task = _task_for_write(user, follow_up_id)
    if not queries.may_reassign(user=user, task=task):
        raise PermissionDeniedError(_("Only a supervisor can reassign tasks of their team."))
    assignee = _user_by_id(payload.assignee_id, "assignee_id")
    actions.followup_reassign(actor=user, follow_up=task, assignee=assignee)
    return _detail_after_write(user, task)


# ---------------------------------------------------------------------------------------------
# Orientations


@router.get(
    "/orientation-topics",
    response={200: list[TopicOut], **READ_ERRORS},
    summary="The active orientation topics",
)
def orientation_topic_list(request: HttpRequest) -> QuerySet[Topic]:
    request_user(request)
    return orientation_queries.orientation_topics()


@router.get(
    "/orientations",
    response={200: list[OrientationOut], **READ_ERRORS},
    summary="A person's orientations",
)
@paginate(Pages, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def orientation_list(
    request: HttpRequest, filters: Query[OrientationFilters]
) -> QuerySet[Orientation]:
    return orientation_queries.orientations_read(
        user=request_user(request), person_id=filters.person_id
    )


@router.post(
    "/orientations",
    response={201: OrientationOut, **WRITE_ERRORS},
    summary="Record an orientation with a person",
)
def orientation_create(request: HttpRequest, payload: OrientationIn) -> Status:
    user = request_user(request)
    person = get_or_not_found(people_visible_to(user=user), payload.person_id)
    topics = list(orientation_queries.orientation_topics().filter(slug__in=payload.topics))
    unknown = sorted(set(payload.topics) - {topic.slug for topic in topics})
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["topics"] = [
            _("Unknown orientation topic: %(topic)s.") % {"topic": slug} for slug in unknown
        ]
    area = None
    if payload.area:
        area = area_get(pcode=payload.area)
        if area is None:
            errors["area"] = [_("Unknown area p-code: %(pcode)s.") % {"pcode": payload.area}]
    if errors:
        raise ValidationError(errors)
    orientation = orientation_actions.orientation_record(
        actor=user,
        person=person,
        occurred_at=payload.occurred_at,
        topics=topics,
        channel=payload.channel,
        place_type=payload.place_type,
        area=area,
        outcome=payload.outcome,
        note=payload.note,
        client_uuid=payload.client_uuid,
    )
    found = orientation_queries.orientations_for_person(user=user, person_id=person.pk).filter(
        pk=orientation.pk
    )
    try:
        return Status(201, found.get())
    except Orientation.DoesNotExist as exc:
        raise NotFoundError(str(orientation.pk)) from exc
