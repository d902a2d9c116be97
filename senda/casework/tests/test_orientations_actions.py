"""Recording orientations (``actions.orientations``)."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions.orientations import orientation_record
from senda.casework.models import (
    ContactChannel,
    Orientation,
    OrientationOutcome,
    Person,
    PlaceType,
    Topic,
    TopicUse,
)
from senda.casework.tests.factories import PersonFactory, TopicFactory
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _topics(*slugs: str) -> list[Topic]:
    return list(Topic.objects.filter(use=TopicUse.ORIENTATION, slug__in=slugs))


def _record(actor: User, person: Person, **overrides: object) -> Orientation:
    arguments: dict[str, object] = {
        "occurred_at": timezone.now(),
        "topics": _topics("vaccination", "documents"),
        "channel": ContactChannel.IN_PERSON,
        "place_type": PlaceType.METRO,
        "area": None,
        "outcome": OrientationOutcome.INFORMED,
        "note": "Embarazada, 7 meses",
    }
    arguments.update(overrides)
    return orientation_record(actor=actor, person=person, **arguments)  # type: ignore[arg-type]


def test_a_worker_records_an_orientation_and_the_retention_clock_restarts(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    long_ago = timezone.now() - datetime.timedelta(days=300)
    person = PersonFactory.create(
        organisation=org_a, registered_by=volunteer, last_activity_at=long_ago
    )

    orientation = _record(volunteer, person)

    assert orientation.worker == volunteer and orientation.organisation == org_a
    assert {topic.slug for topic in orientation.topics.all()} == {"vaccination", "documents"}
    assert Orientation.objects.get(pk=orientation.pk).note == "Embarazada, 7 meses"
    assert Person.objects.get(pk=person.pk).last_activity_at > long_ago
    entry = AuditEntry.objects.get(action="casework.orientation_record")
    assert entry.details["topics"] == ["documents", "vaccination"]
    assert "Embarazada" not in str(entry.details)


def test_topics_must_come_from_the_active_orientation_list(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    training = Topic.objects.get(use=TopicUse.TRAINING, slug="psychological-first-aid")
    retired = TopicFactory.create(is_active=False)
    for topics in ([], [training], [retired]):
        with pytest.raises(ValidationError) as error:
            _record(promoter, person, topics=topics)
        assert "topics" in error.value.errors
    assert not Orientation.objects.exists()


def test_bad_choices_and_dates_are_refused_together(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    with pytest.raises(ValidationError) as error:
        _record(
            promoter,
            person,
            channel="pigeon",
            place_type="moon",
            outcome="?",
            occurred_at=timezone.now() + datetime.timedelta(days=2),
            note="x" * 5000,
        )
    assert set(error.value.errors) == {"channel", "place_type", "outcome", "occurred_at", "note"}
    assert not Orientation.objects.exists()


def test_only_workers_who_work_with_the_person_record(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation
) -> None:
    person = PersonFactory.create(organisation=org_a, registered_by=users_a[Role.HEALTH_PROMOTER])
    with pytest.raises(PermissionDeniedError):
        _record(users_a[Role.PROGRAMME_OFFICER], person)
    for outsider in (
        users_a[Role.COMMUNITY_VOLUNTEER],
        users_a[Role.FOCAL_POINT],
        users_b[Role.HEALTH_PROMOTER],
    ):
        with pytest.raises(NotFoundError):
            _record(outsider, person)
    assert not Orientation.objects.exists()


def test_the_same_client_uuid_twice_records_once(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation, org_b: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    client_uuid = uuid.uuid4()
    first = _record(promoter, person, client_uuid=client_uuid)
    again = _record(promoter, person, client_uuid=client_uuid)
    assert first.pk == again.pk and Orientation.objects.count() == 1
    # Someone else's id is refused, without saying whose.
    other = PersonFactory.create(organisation=org_b, registered_by=users_b[Role.HEALTH_PROMOTER])
    with pytest.raises(ValidationError):
        _record(users_b[Role.HEALTH_PROMOTER], other, client_uuid=client_uuid)
    assert Orientation.objects.count() == 1
