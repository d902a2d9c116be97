"""Reading orientations and the orientation topics."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet

from senda.accounts.models import User
from senda.casework.access import people_visible_to, people_workable_by
from senda.casework.models import Orientation, Person, Topic, TopicUse
from senda.core.audit import audit_read
from senda.core.queries import get_or_not_found


def orientation_topics() -> QuerySet[Topic]:
    """The active orientation topics, in their configured order."""
    return Topic.objects.filter(use=TopicUse.ORIENTATION, is_active=True).order_by(
        "position", "slug"
    )


def person_for_orientation(*, user: User, person_id: uuid.UUID | str) -> Person:
    """A person the user may record an orientation with (NotFound otherwise)."""
    return get_or_not_found(
        people_workable_by(user=user).select_related("area", "organisation"), person_id
    )


def may_record_with(*, user: User, person: Person) -> bool:
    return people_workable_by(user=user).filter(pk=person.pk).exists()


def orientations_for_person(*, user: User, person_id: uuid.UUID | str) -> QuerySet[Orientation]:
    """The orientations of a person the user sees (none for anyone else), newest first,
    with their topics and worker in two more queries whatever their number. The caller has
    audited the read of the person's record (the person page does)."""
    visible = people_visible_to(user=user).filter(pk=person_id)
    return (
        Orientation.objects.filter(person__in=visible)
        .select_related("worker", "area")
        .prefetch_related(Prefetch("topics", queryset=Topic.objects.order_by("position", "slug")))
        .order_by("-occurred_at")
    )


def orientations_read(*, user: User, person_id: uuid.UUID | str) -> QuerySet[Orientation]:
    """A person's orientations for the API: NotFound for someone the user does not see, and
    the read of the person's record (their orientations) audited."""
    person = get_or_not_found(
        people_visible_to(user=user).select_related("organisation"), person_id
    )
    audit_read(
        actor=user,
        obj=person,
        organisation=person.organisation,
        details={"via": "orientations"},
    )
    return orientations_for_person(user=user, person_id=person.pk)
