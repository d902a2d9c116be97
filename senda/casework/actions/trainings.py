"""Writes of trainings: the events, who took part, and who completed them.

Only roles holding TRAINING_MANAGE in the training's organisation may change them. Audit
entries name ids and statuses, never a participant's name.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import Capability, Role
from senda.casework.models import (
    ParticipantRole,
    ParticipationStatus,
    Topic,
    TopicUse,
    TrainingEvent,
    TrainingMode,
    TrainingParticipant,
)
from senda.casework.queries.activities import holds
from senda.core import clock
from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.geo.models import AdminArea

MAX_TITLE = 200
# A training longer than this is a typing error (a year in the wrong place).
MAX_DAYS = 366


@dataclass(frozen=True)
class TrainingInput:
    title: str
    topics: Sequence[Topic]
    mode: str
    starts_on: datetime.date
    ends_on: datetime.date | None = None
    facilitator: str = ""
    area: AdminArea | None = None


@dataclass(frozen=True)
class ParticipantInput:
    """A Senda user of the organisation, or a partner's staff member by name."""

    user: User | None = None
    name: str = ""
    participant_organisation: str = ""
    role: str = ""


def _require_manager(actor: User, organisation: Organisation | object) -> None:
    if not holds(actor, Capability.TRAINING_MANAGE, organisation):
        raise PermissionDeniedError(_("Your role does not include organising trainings."))


def _text_errors(name: str, value: str, limit: int, errors: dict[str, list[str]]) -> None:
    if "\x00" in value:
        errors.setdefault(name, []).append(_("The text contains a character that is not allowed."))
    elif len(value) > limit:
        errors.setdefault(name, []).append(
            _("Use at most %(count)d characters.") % {"count": limit}
        )


def _clean_training(data: TrainingInput) -> datetime.date:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("Give the training a title.")]
    _text_errors("title", data.title, MAX_TITLE, errors)
    _text_errors("facilitator", data.facilitator, 200, errors)
    if data.mode not in TrainingMode.values:
        errors["mode"] = [_("Choose in person or virtual.")]
    if not data.topics:
        errors["topics"] = [_("Choose at least one topic.")]
    elif any(topic.use != TopicUse.TRAINING for topic in data.topics):
        errors["topics"] = [_("Choose topics from the list of training topics.")]
    ends_on = data.ends_on or data.starts_on
    if ends_on < data.starts_on:
        errors["ends_on"] = [_("The training cannot end before it starts.")]
    elif (ends_on - data.starts_on).days > MAX_DAYS:
        errors["ends_on"] = [_("A training lasts at most a year.")]
    if errors:
        raise ValidationError(errors)
    return ends_on


@transaction.atomic
def training_create(
    *, actor: User, organisation: Organisation, data: TrainingInput
) -> TrainingEvent:
    """Create a training event of ``organisation`` with its topics."""
    _require_manager(actor, organisation)
    ends_on = _clean_training(data)
    training = TrainingEvent.objects.create(
        organisation=organisation,
        title=data.title.strip(),
        mode=data.mode,
        starts_on=data.starts_on,
        ends_on=ends_on,
        facilitator=data.facilitator.strip(),
        area=data.area,
        created_by=actor,
    )
    training.topics.set(data.topics)
    audit(
        actor=actor,
        action="casework.training_create",
        obj=training,
        organisation=organisation,
        details={"topics": sorted(topic.slug for topic in data.topics)},
    )
    return training


@transaction.atomic
def training_update(*, actor: User, training: TrainingEvent, data: TrainingInput) -> TrainingEvent:
    """Change a training's title, topics, mode, dates, facilitator or area."""
    _require_manager(actor, training.organisation_id)
    ends_on = _clean_training(data)
    training.title = data.title.strip()
    training.mode = data.mode
    training.starts_on = data.starts_on
    training.ends_on = ends_on
    training.facilitator = data.facilitator.strip()
    training.area = data.area
    training.save()
    training.topics.set(data.topics)
    audit(
        actor=actor,
        action="casework.training_update",
        obj=training,
        organisation=training.organisation,
        details={"topics": sorted(topic.slug for topic in data.topics)},
    )
    return training


@transaction.atomic
def training_delete(*, actor: User, training: TrainingEvent) -> None:
    """Delete a training and its participants (one created by mistake)."""
    _require_manager(actor, training.organisation_id)
    audit(
        actor=actor,
        action="casework.training_delete",
        obj=training,
        organisation=training.organisation,
        details={"participants": training.participants.count()},
    )
    training.delete()


def default_participant_role(membership_role: str) -> str:
    """A user's role in a training, from their role in the organisation."""
    if membership_role == Role.COMMUNITY_VOLUNTEER:
        return str(ParticipantRole.VOLUNTEER)
    return str(ParticipantRole.PROMOTER)


@transaction.atomic
def training_participant_add(
    *, actor: User, training: TrainingEvent, data: ParticipantInput
) -> TrainingParticipant:
    """Enrol a user of the training's organisation, or a partner's staff member by name."""
    _require_manager(actor, training.organisation_id)
    errors: dict[str, list[str]] = {}
    role = data.role
    name = data.name.strip()
    participant_organisation = data.participant_organisation.strip()
    if data.user is not None:
        membership = Membership.objects.filter(
            user=data.user, organisation_id=training.organisation_id, is_active=True
        ).first()
        if membership is None or not data.user.is_active:
            errors["user"] = [_("Choose a member of the organisation.")]
        else:
            role = role or default_participant_role(membership.role)
            if TrainingParticipant.objects.filter(event=training, user=data.user).exists():
                errors["user"] = [_("This person is already a participant.")]
        name = participant_organisation = ""
    else:
        if not name:
            errors["name"] = [_("Choose a member or write the participant's name.")]
        _text_errors("name", name, 200, errors)
        _text_errors("participant_organisation", participant_organisation, 200, errors)
        role = role or str(ParticipantRole.PARTNER_STAFF)
        duplicate = TrainingParticipant.objects.filter(
            event=training,
            user__isnull=True,
            name__iexact=name,
            participant_organisation__iexact=participant_organisation,
        )
        if name and duplicate.exists():
            errors["name"] = [_("This person is already a participant.")]
    if role not in ParticipantRole.values:
        errors["role"] = [_("Choose a role.")]
    if errors:
        raise ValidationError(errors)
    participant = TrainingParticipant.objects.create(
        event=training,
        user=data.user,
        name=name,
        participant_organisation=participant_organisation,
        role=role,
    )
    audit(
        actor=actor,
        action="casework.training_participant_add",
        obj=training,
        organisation=training.organisation,
        details={"participant": participant.pk, "user": data.user.pk if data.user else None},
    )
    return participant


@transaction.atomic
def training_participant_set_status(
    *,
    actor: User,
    participant: TrainingParticipant,
    status: str,
    completed_on: datetime.date | None = None,
) -> TrainingParticipant:
    """Mark a participant completed (on a date), did not complete, or enrolled again."""
    training = participant.event
    _require_manager(actor, training.organisation_id)
    if status not in ParticipationStatus.values:
        raise ValidationError({"status": [_("Choose a status.")]})
    if status == ParticipationStatus.COMPLETED:
        completed_on = completed_on or min(training.ends_on, clock.localdate())
        if completed_on < training.starts_on:
            raise ValidationError(
                {"completed_on": [_("The completion date cannot be before the training starts.")]}
            )
        if completed_on > clock.localdate() + datetime.timedelta(days=1):
            raise ValidationError(
                {"completed_on": [_("The completion date cannot be in the future.")]}
            )
    else:
        completed_on = None
    participant.status = status
    participant.completed_on = completed_on
    participant.save(update_fields=["status", "completed_on"])
    audit(
        actor=actor,
        action="casework.training_participant_status",
        obj=training,
        organisation=training.organisation,
        details={"participant": participant.pk, "status": status},
    )
    return participant


@transaction.atomic
def training_participant_remove(*, actor: User, participant: TrainingParticipant) -> None:
    """Take a participant off a training (enrolled by mistake)."""
    training = participant.event
    _require_manager(actor, training.organisation_id)
    audit(
        actor=actor,
        action="casework.training_participant_remove",
        obj=training,
        organisation=training.organisation,
        details={"participant": participant.pk},
    )
    participant.delete()
