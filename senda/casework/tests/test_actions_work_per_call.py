"""How much the casework actions read per call: the demo, the sync and a busy day run thousands
of them, so a row the action has just created or locked is not read again, the follow-up rules
are read before the person, and the rule's assignee takes at most one query. What they write is
checked as well."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions import referrals as referral_actions
from senda.casework.actions import tasks as task_actions
from senda.casework.actions.people import person_register
from senda.casework.models import (
    AgeGroup,
    Community,
    FollowUp,
    FollowUpRule,
    FollowUpTrigger,
    Person,
    ReferralReason,
    ReferralStatus,
    Sex,
)
from senda.casework.tests.factories import PersonFactory, ReferralFactory, health_service

pytestmark = pytest.mark.django_db

QueryBudget = Callable[..., AbstractContextManager[Any]]


@pytest.fixture
def promoter(users_a: dict[str, User]) -> User:
    return users_a[Role.HEALTH_PROMOTER]


def _register(promoter: User, organisation: Organisation) -> Person:
    return person_register(
        actor=promoter,
        organisation=organisation,
        consent_record=True,
        consent_contact=True,
        consent_share=True,
        given_name="Ana",
        family_name="Ejemplo",
        sex=Sex.FEMALE,
        community=Community.MIGRANT,
        age_group=AgeGroup.ADULT,
        confirm_new=True,
    )


def test_registering_gives_the_rule_task_to_the_worker_without_reading_the_person_again(
    promoter: User, org_a: Organisation, django_assert_max_num_queries: QueryBudget
) -> None:
    _register(promoter, org_a)  # the worker's memberships are read once per request

    with django_assert_max_num_queries(13):
        person = _register(promoter, org_a)

    task = FollowUp.objects.get(person=person)
    assert task.assigned_to == promoter
    assert task.rule is not None and task.rule.trigger == FollowUpTrigger.PERSON_REGISTERED


def test_sending_gives_the_rule_task_to_the_worker_without_reading_the_person_again(
    promoter: User,
    org_a: Organisation,
    org_b: Organisation,
    django_assert_max_num_queries: QueryBudget,
) -> None:
    person = _register(promoter, org_a)
    place = health_service(org_b)

    with django_assert_max_num_queries(14):
        referral = referral_actions.referral_create(
            actor=promoter,
            person=person,
            service_at_location=place,
            reason=ReferralReason.VACCINATION,
        )

    task = FollowUp.objects.get(referral=referral)
    assert task.assigned_to == promoter and task.person == person
    assert task.rule is not None and task.rule.trigger == FollowUpTrigger.REFERRAL_SENT


def test_a_trigger_without_rules_reads_only_the_rules(
    promoter: User, org_a: Organisation, django_assert_num_queries: QueryBudget
) -> None:
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    referral = ReferralFactory.create(person=person, status=ReferralStatus.ATTENDED)
    assert not FollowUpRule.objects.filter(trigger=FollowUpTrigger.REFERRAL_CLOSED).exists()

    # The savepoint, the rules, the release: the person is not locked for nothing.
    with django_assert_num_queries(3):
        created = task_actions.follow_ups_from_rules(
            trigger=FollowUpTrigger.REFERRAL_CLOSED,
            person=person,
            referral=referral,
            actor=promoter,
        )
    assert created == []


def test_the_referring_worker_gets_the_task_when_the_registering_worker_left(
    users_a: dict[str, User],
    users_b: dict[str, User],
    org_a: Organisation,
    django_assert_max_num_queries: QueryBudget,
) -> None:
    left = users_a[Role.COMMUNITY_VOLUNTEER]
    referring = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=left)
    Membership.objects.filter(user=left).update(is_active=False)
    referral = ReferralFactory.create(person=person, referred_by=referring)

    with django_assert_max_num_queries(10) as captured:
        tasks = task_actions.follow_ups_from_rules(
            trigger=FollowUpTrigger.REFERRAL_ATTENDED,
            person=person,
            referral=referral,
            actor=users_b[Role.FOCAL_POINT],
        )
    assignee_queries = [
        query for query in captured.captured_queries if "accounts_membership" in query["sql"]
    ]

    assert [task.assigned_to for task in tasks] == [referring]
    # One membership query for every candidate, not one per candidate.
    assert len(assignee_queries) == 1
