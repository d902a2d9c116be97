"""Reads of trainings, their participants, and "who is trained on what".

Trainings are organised by roles holding TRAINING_MANAGE; supervisors (CASE_SUPERVISE) also
see them, to know what their team has been trained on.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.casework.models import (
    ParticipationStatus,
    Topic,
    TopicUse,
    TrainingEvent,
    TrainingParticipant,
)
from senda.casework.queries.activities import holds, organisations_with_any
from senda.core.errors import PermissionDeniedError
from senda.core.queries import get_or_not_found

READ_CAPABILITIES = frozenset({Capability.TRAINING_MANAGE, Capability.CASE_SUPERVISE})


def _readable_organisations(user: User) -> list[Organisation]:
    return organisations_with_any(user, READ_CAPABILITIES)


def _require_readable(user: User) -> list[Organisation]:
    organisations = _readable_organisations(user)
    if not organisations:
        raise PermissionDeniedError(_("Your role does not include trainings."))
    return organisations


def may_read_trainings(user: User) -> bool:
    return bool(_readable_organisations(user))


def training_may_manage(*, user: User, training: TrainingEvent) -> bool:
    return holds(user, Capability.TRAINING_MANAGE, training.organisation_id)


def training_topics() -> QuerySet[Topic]:
    """The topics a training can cover (the configurable list, active entries)."""
    return Topic.objects.filter(use=TopicUse.TRAINING, is_active=True)


def training_topics_for(*, user: User) -> QuerySet[Topic]:
    """The training topics, for a user who sees trainings (refused to anyone else)."""
    _require_readable(user)
    return training_topics()


@dataclass(frozen=True)
class TrainingFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    topic_id: int | None = None


def trainings_visible_to(*, user: User) -> QuerySet[TrainingEvent]:
    """The trainings of the organisations where the user organises or supervises."""
    return TrainingEvent.objects.filter(organisation__in=_readable_organisations(user))


def training_list(*, user: User, filters: TrainingFilters) -> QuerySet[TrainingEvent]:
    """Trainings the user may see, newest first, with topics and participant counts."""
    _require_readable(user)
    trainings = trainings_visible_to(user=user)
    if filters.date_from:
        trainings = trainings.filter(ends_on__gte=filters.date_from)
    if filters.date_to:
        trainings = trainings.filter(starts_on__lte=filters.date_to)
    if filters.topic_id:
        trainings = trainings.filter(topics__id=filters.topic_id)
    return (
        trainings.select_related("organisation", "area")
        .prefetch_related("topics")
        .annotate(
            participant_count=Count("participants", distinct=True),
            completed_count=Count(
                "participants",
                filter=Q(participants__status=ParticipationStatus.COMPLETED),
                distinct=True,
            ),
        )
        .order_by("-starts_on", "title")
    )


def training_get(*, user: User, training_id: object) -> TrainingEvent:
    """One training the user may see, with topics and participants; NotFoundError otherwise."""
    _require_readable(user)
    trainings = (
        trainings_visible_to(user=user)
        .select_related("organisation", "area", "created_by")
        .prefetch_related(
            "topics",
            Prefetch(
                "participants",
                queryset=TrainingParticipant.objects.select_related("user").order_by(
                    "user__last_name", "user__first_name", "name", "id"
                ),
            ),
        )
    )
    return get_or_not_found(trainings, training_id)


def participant_get(*, training: TrainingEvent, participant_id: object) -> TrainingParticipant:
    """A participant of ``training`` (already checked with ``training_get``)."""
    return get_or_not_found(
        TrainingParticipant.objects.filter(event=training).select_related("user"), participant_id
    )


def participant_candidates(*, organisation: Organisation) -> QuerySet[User]:
    """The organisation's active members: who can be enrolled as a Senda user."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__organisation=organisation,
            memberships__is_active=True,
        )
        .order_by("last_name", "first_name", "username")
        .distinct()
    )


def participant_label(participant: TrainingParticipant) -> str:
    """How a participant is shown: a user's full name (or username), or the name typed."""
    if participant.user is not None:
        return participant.user.get_full_name() or participant.user.get_username()
    return participant.name


# ---------------------------------------------------------------------------------------------
# Who is trained on what


@dataclass(frozen=True)
class MatrixFilters:
    topic_id: int | None = None
    role: str | None = None
    name: str = ""
    completed_since: datetime.date | None = None


@dataclass
class MatrixRow:
    label: str
    organisation: str
    role: str
    # topic id -> the latest completion date on that topic.
    completed: dict[int, datetime.date] = field(default_factory=dict)

    def cells(self, topics: list[Topic]) -> list[datetime.date | None]:
        return [self.completed.get(topic.pk) for topic in topics]


@dataclass
class TrainedMatrix:
    topics: list[Topic]
    rows: list[MatrixRow]


def trained_matrix(*, user: User, filters: MatrixFilters) -> TrainedMatrix:
    """People trained by the user's organisations x training topics: the latest completion
    date of each person on each topic. Only supervisors and training organisers see it."""
    organisations = _require_readable(user)
    topics = list(training_topics())
    if filters.topic_id:
        topics = [topic for topic in topics if topic.pk == filters.topic_id]
    completed = TrainingParticipant.objects.filter(
        event__organisation__in=organisations, status=ParticipationStatus.COMPLETED
    )
    if filters.role:
        completed = completed.filter(role=filters.role)
    if filters.completed_since:
        completed = completed.filter(completed_on__gte=filters.completed_since)
    if filters.name.strip():
        words = filters.name.strip()
        completed = completed.filter(
            Q(name__icontains=words)
            | Q(user__first_name__icontains=words)
            | Q(user__last_name__icontains=words)
            | Q(user__username__icontains=words)
        )
    records = completed.filter(event__topics__in=topics).values_list(
        "user_id",
        "user__first_name",
        "user__last_name",
        "user__username",
        "name",
        "participant_organisation",
        "role",
        "event__organisation__name",
        "event__topics__id",
        "completed_on",
    )
    rows: dict[tuple[object, ...], MatrixRow] = {}
    roles = dict(TrainingParticipant._meta.get_field("role").choices or [])
    for (
        user_id,
        first_name,
        last_name,
        username,
        name,
        participant_organisation,
        role,
        organisation_name,
        topic_id,
        completed_on,
    ) in records.iterator():
        if user_id is not None:
            key: tuple[object, ...] = ("user", user_id)
            label = f"{first_name} {last_name}".strip() or username
            organisation_label = organisation_name
        else:
            # A partner's staff member: the same name at the same organisation is one person.
            key = ("named", name.strip().casefold(), participant_organisation.strip().casefold())
            label = name
            organisation_label = participant_organisation
        row = rows.get(key)
        if row is None:
            row = rows[key] = MatrixRow(
                label=label, organisation=organisation_label, role=str(roles.get(role, role))
            )
        if completed_on is not None:
            previous = row.completed.get(topic_id)
            if previous is None or completed_on > previous:
                row.completed[topic_id] = completed_on
    ordered = sorted(rows.values(), key=lambda row: (row.label.casefold(), row.organisation))
    return TrainedMatrix(topics=topics, rows=ordered)
