"""Who sees which person, referral and task (``senda.casework.access``)."""

from __future__ import annotations

import pytest

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework import access
from senda.casework.models import CentreAssignment
from senda.casework.tests.factories import (
    FollowUpFactory,
    PersonFactory,
    ReferralFactory,
    TeamFactory,
    health_service,
)

pytestmark = pytest.mark.django_db


def test_each_role_sees_the_people_its_scope_allows(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation, org_b: Organisation
) -> None:
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    promoter = users_a[Role.HEALTH_PROMOTER]
    supervisor = users_a[Role.SUPERVISOR]
    TeamFactory.create(organisation=org_a, supervisor=supervisor, members=[volunteer])
    by_volunteer = PersonFactory.create(organisation=org_a, registered_by=volunteer)
    by_promoter = PersonFactory.create(organisation=org_a, registered_by=promoter)
    in_b = PersonFactory.create(organisation=org_b, registered_by=users_b[Role.HEALTH_PROMOTER])

    def seen(user: User) -> set[object]:
        return set(access.people_visible_to(user=user).values_list("pk", flat=True))

    assert seen(volunteer) == {by_volunteer.pk}
    assert seen(promoter) == {by_volunteer.pk, by_promoter.pk}
    assert seen(supervisor) == {by_volunteer.pk}
    assert seen(users_a[Role.PROGRAMME_OFFICER]) == {by_volunteer.pk, by_promoter.pk}
    assert seen(users_a[Role.INFO_POINT_STAFF]) == {by_volunteer.pk, by_promoter.pk}
    for role in (Role.VIEWER, Role.FOCAL_POINT, Role.ORG_ADMIN, Role.CONTENT_EDITOR):
        assert seen(users_a[role]) == set(), role
    assert seen(users_b[Role.HEALTH_PROMOTER]) == {in_b.pk}
    # Seeing is not working with: the programme officer reads only.
    assert not access.people_workable_by(user=users_a[Role.PROGRAMME_OFFICER]).exists()
    assert set(access.people_workable_by(user=promoter).values_list("pk", flat=True)) == {
        by_volunteer.pk,
        by_promoter.pk,
    }


def test_a_focal_point_receives_referrals_to_their_centres_only(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation, org_b: Organisation
) -> None:
    focal = users_b[Role.FOCAL_POINT]
    centre_1 = health_service(org_b)
    centre_2 = health_service(org_b)
    person = PersonFactory.create(organisation=org_a, registered_by=users_a[Role.HEALTH_PROMOTER])
    to_1 = ReferralFactory.create(person=person, at=centre_1)
    to_2 = ReferralFactory.create(person=person, at=centre_2)

    def received(user: User) -> set[object]:
        return set(access.referrals_received_by(user=user).values_list("pk", flat=True))

    assert received(focal) == {to_1.pk, to_2.pk}
    CentreAssignment.objects.create(organisation=org_b, user=focal, location=centre_1.location)
    focal = User.objects.get(pk=focal.pk)  # memberships are cached per user object
    assert received(focal) == {to_1.pk}
    assert received(users_a[Role.FOCAL_POINT]) == set()
    assert received(users_b[Role.VIEWER]) == set()
    sent = set(
        access.referrals_sent_visible_to(user=users_a[Role.HEALTH_PROMOTER]).values_list(
            "pk", flat=True
        )
    )
    assert sent == {to_1.pk, to_2.pk}
    assert not access.referrals_sent_visible_to(user=focal).exists()


def test_tasks_are_seen_by_the_worker_their_supervisor_and_not_others(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation
) -> None:
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    supervisor = users_a[Role.SUPERVISOR]
    task = FollowUpFactory.create(
        person=PersonFactory.create(organisation=org_a, registered_by=volunteer)
    )

    def tasks(user: User) -> set[object]:
        return set(access.follow_ups_visible_to(user=user).values_list("pk", flat=True))

    assert tasks(volunteer) == {task.pk}
    assert tasks(supervisor) == set()
    TeamFactory.create(organisation=org_a, supervisor=supervisor, members=[volunteer])
    assert tasks(User.objects.get(pk=supervisor.pk)) == {task.pk}
    assert tasks(users_a[Role.HEALTH_PROMOTER]) == {task.pk}
    assert tasks(users_a[Role.VIEWER]) == set()
    assert tasks(users_b[Role.HEALTH_PROMOTER]) == set()
