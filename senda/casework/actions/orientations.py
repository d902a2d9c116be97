"""Orientations: a session with a person, recorded by the worker who held it."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import User
from senda.casework.access import people_visible_to, people_workable_by
from senda.casework.actions.people import person_touch
from senda.casework.models import (
    ContactChannel,
    Orientation,
    OrientationOutcome,
    Person,
    PlaceType,
    Topic,
    TopicUse,
)
from senda.core import clock
from senda.core.audit import audit
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.geo.models import AdminArea

NOTE_MAX = 4000
# Devices' clocks drift: a session "a few minutes in the future" is still accepted.
CLOCK_SKEW = datetime.timedelta(minutes=10)


def orientation_checked(
    *,
    person: Person,
    topic_ids: set[int],
    allowed: list[Topic],
    occurred_at: datetime.datetime,
    channel: str,
    place_type: str,
    outcome: str,
    note: str,
    now: datetime.datetime,
) -> tuple[datetime.datetime, str]:
    """The checks of a new orientation (shared with the sync's batch writer): its time made
    aware and its note cleaned, or ``ValidationError`` with a message per field. ``allowed``
    are the active orientation topics among ``topic_ids``."""
    errors: dict[str, list[str]] = {}
    if not topic_ids:
        errors["topics"] = [_("Choose at least one topic.")]
    elif len(allowed) != len(topic_ids):
        errors["topics"] = [_("Choose topics from the list of orientation topics.")]
    if channel not in ContactChannel.values:
        errors["channel"] = [_("Choose how the orientation took place.")]
    if place_type not in PlaceType.values:
        errors["place_type"] = [_("Choose where the orientation took place.")]
    if outcome not in OrientationOutcome.values:
        errors["outcome"] = [_("Choose how the orientation ended.")]
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    if occurred_at > now + CLOCK_SKEW:
        errors["occurred_at"] = [_("The orientation cannot be in the future.")]
    elif occurred_at < person.registered_at - datetime.timedelta(days=1):
        errors["occurred_at"] = [_("The orientation cannot be before the person was registered.")]
    note = (note or "").strip()
    if "\x00" in note:
        errors["note"] = [_("The text contains a character that is not allowed.")]
    elif len(note) > NOTE_MAX:
        errors["note"] = [_("Use at most %(count)d characters.") % {"count": NOTE_MAX}]
    if errors:
        raise ValidationError(errors)
    return occurred_at, note


def orientation_audit_details(orientation: Orientation, topics: list[Topic]) -> dict[str, Any]:
    """The audit details of a new orientation (shared with the sync's batch writer)."""
    return {
        "person": str(orientation.person_id),
        "topics": sorted(topic.slug for topic in topics),
        "channel": orientation.channel,
        "outcome": orientation.outcome,
    }


@transaction.atomic
def orientation_record(
    *,
    actor: User,
    person: Person,
    occurred_at: datetime.datetime,
    topics: Sequence[Topic],
    channel: str,
    place_type: str,
    area: AdminArea | None,
    outcome: str,
    note: str = "",
    client_uuid: uuid.UUID | None = None,
) -> Orientation:
    """Record an orientation session with a person the actor works with: topics from the
    active orientation list, channel, place and outcome. Idempotent by ``client_uuid``."""
    if client_uuid is not None:
        existing = Orientation.objects.filter(client_uuid=client_uuid).first()
        if existing is not None:
            if people_visible_to(user=actor).filter(pk=existing.person_id).exists():
                return existing
            raise ValidationError({"client_uuid": [_("This id is already used.")]})
    # The organisation in the same query: the audit entry names it.
    workable = (
        people_workable_by(user=actor).select_related("organisation").filter(pk=person.pk).first()
    )
    if workable is None:
        if people_visible_to(user=actor).filter(pk=person.pk).exists():
            raise PermissionDeniedError(
                _("Your role does not include recording orientations with this person.")
            )
        raise NotFoundError(str(person.pk))
    person = workable

    topic_ids = {topic.pk for topic in topics}
    allowed = list(Topic.objects.filter(pk__in=topic_ids, use=TopicUse.ORIENTATION, is_active=True))
    now = clock.now()
    occurred_at, note = orientation_checked(
        person=person,
        topic_ids=topic_ids,
        allowed=allowed,
        occurred_at=occurred_at,
        channel=channel,
        place_type=place_type,
        outcome=outcome,
        note=note,
        now=now,
    )

    orientation = Orientation.objects.create(
        organisation_id=person.organisation_id,
        person=person,
        worker=actor,
        occurred_at=occurred_at,
        channel=channel,
        place_type=place_type,
        area=area,
        outcome=outcome,
        note=note,
        client_uuid=client_uuid,
    )
    orientation.topics.add(*allowed)  # a new orientation: nothing to replace
    person_touch(person, at=now)
    audit(
        actor=actor,
        action="casework.orientation_record",
        obj=orientation,
        organisation=person.organisation,
        details=orientation_audit_details(orientation, allowed),
    )
    return orientation
