"""Follow-up tasks: by hand, from the rules, and who may do what (``actions.tasks``)."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions import tasks as actions
from senda.casework.models import (
    FollowUp,
    FollowUpRule,
    FollowUpStatus,
    FollowUpTrigger,
    Person,
    ReferralReason,
    Topic,
    TopicUse,
)
from senda.casework.tests.factories import (
    FollowUpFactory,
    PersonFactory,
    ReferralFactory,
    TeamFactory,
)
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _today() -> datetime.date:
    return timezone.localdate()


def test_the_default_lists_are_loaded_in_spanish_with_english_translations() -> None:
    orientation = Topic.objects.filter(use=TopicUse.ORIENTATION)
    training = Topic.objects.filter(use=TopicUse.TRAINING)
    assert orientation.count() == 9
    assert training.count() == 10
    vaccination = orientation.get(slug="vaccination")
    assert vaccination.name == "Vacunación"
    assert vaccination.tr("name", "en") == "Vaccination"
    assert training.filter(slug="psychological-first-aid").exists()
    rules = FollowUpRule.objects.filter(organisation__isnull=True)
    check = rules.get(trigger=FollowUpTrigger.REFERRAL_SENT)
    assert (check.days_after, check.requires_contact) == (7, False)
    assert check.tr("title", "en") == "Check attendance"
    assert rules.get(trigger=FollowUpTrigger.REFERRAL_ATTENDED).days_after == 2
    assert rules.get(trigger=FollowUpTrigger.PERSON_REGISTERED).requires_contact


def test_a_worker_creates_a_task_for_themselves_by_default(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    due = _today() + datetime.timedelta(days=3)

    task = actions.followup_create(actor=promoter, person=person, title="Llamar", due_on=due)

    assert (task.assigned_to, task.created_by, task.due_on) == (promoter, promoter, due)
    assert task.organisation == org_a and task.status == FollowUpStatus.OPEN
    entry = AuditEntry.objects.get(action="casework.followup_create", object_id=str(task.pk))
    assert entry.details["person"] == str(person.pk)
    assert "Llamar" not in str(entry.details)


def test_a_task_goes_to_a_case_worker_of_the_organisation_only(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    due = _today()
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    task = actions.followup_create(
        actor=promoter, person=person, title="x", due_on=due, assignee=volunteer
    )
    assert task.assigned_to == users_a[Role.COMMUNITY_VOLUNTEER]
    for outsider in (
        users_a[Role.FOCAL_POINT],
        users_a[Role.VIEWER],
        users_b[Role.HEALTH_PROMOTER],
    ):
        with pytest.raises(ValidationError) as error:
            actions.followup_create(
                actor=promoter, person=person, title="x", due_on=due, assignee=outsider
            )
        assert "assignee" in error.value.errors
    assert FollowUp.objects.count() == 1


def test_bad_input_saves_nothing_and_says_what_is_wrong(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    with pytest.raises(ValidationError) as error:
        actions.followup_create(
            actor=promoter,
            person=person,
            title="  ",
            due_on=_today() - datetime.timedelta(days=1),
            note="a\x00b",
        )
    assert set(error.value.errors) == {"title", "due_on", "note"}
    with pytest.raises(ValidationError) as error:
        actions.followup_create(
            actor=promoter, person=person, title="x", due_on=_today() + datetime.timedelta(days=900)
        )
    assert "due_on" in error.value.errors
    assert not FollowUp.objects.exists()


def test_only_workers_who_work_with_the_person_create_tasks(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation
) -> None:
    person = PersonFactory.create(organisation=org_a, registered_by=users_a[Role.HEALTH_PROMOTER])
    with pytest.raises(PermissionDeniedError):  # sees, reads only
        actions.followup_create(
            actor=users_a[Role.PROGRAMME_OFFICER], person=person, title="x", due_on=_today()
        )
    for outsider in (users_a[Role.COMMUNITY_VOLUNTEER], users_b[Role.HEALTH_PROMOTER]):
        with pytest.raises(NotFoundError):
            actions.followup_create(actor=outsider, person=person, title="x", due_on=_today())
    assert not FollowUp.objects.exists()


def test_a_repeated_create_with_the_same_client_uuid_returns_the_first(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    client_uuid = uuid.uuid4()
    first = actions.followup_create(
        actor=promoter, person=person, title="x", due_on=_today(), client_uuid=client_uuid
    )
    again = actions.followup_create(
        actor=promoter, person=person, title="y", due_on=_today(), client_uuid=client_uuid
    )
    assert again.pk == first.pk and FollowUp.objects.count() == 1


def test_complete_needs_a_note_and_happens_once(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    long_ago = timezone.now() - datetime.timedelta(days=400)
    person = PersonFactory.create(
        organisation=org_a, registered_by=promoter, last_activity_at=long_ago
    )
    task = FollowUpFactory.create(person=person)
    with pytest.raises(ValidationError):
        actions.followup_complete(actor=promoter, follow_up=task, note="")
    assert Person.objects.get(pk=person.pk).last_activity_at == long_ago

    done = actions.followup_complete(actor=promoter, follow_up=task, note="Asistió")

    assert done.status == FollowUpStatus.DONE and done.completed_by == promoter
    assert FollowUp.objects.get(pk=task.pk).note == "Asistió"
    # Following up is activity: the retention clock restarts.
    assert Person.objects.get(pk=person.pk).last_activity_at > long_ago
    with pytest.raises(ValidationError):
        actions.followup_cancel(actor=promoter, follow_up=task)
    entry = AuditEntry.objects.get(action="casework.followup_complete")
    assert "Asistió" not in str(entry.details)


def test_cancel_and_who_may_work_on_a_task(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation
) -> None:
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    task = FollowUpFactory.create(
        person=PersonFactory.create(organisation=org_a, registered_by=volunteer)
    )
    with pytest.raises(PermissionDeniedError):  # sees the organisation's tasks, reads only
        actions.followup_cancel(actor=users_a[Role.PROGRAMME_OFFICER], follow_up=task)
    for outsider in (users_a[Role.FOCAL_POINT], users_b[Role.SUPERVISOR], users_a[Role.VIEWER]):
        with pytest.raises(NotFoundError):
            actions.followup_cancel(actor=outsider, follow_up=task)
    assert FollowUp.objects.get(pk=task.pk).status == FollowUpStatus.OPEN

    actions.followup_cancel(actor=volunteer, follow_up=task, note="Se mudó")
    assert FollowUp.objects.get(pk=task.pk).status == FollowUpStatus.CANCELLED


def test_a_supervisor_reassigns_within_their_team_only(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    promoter = users_a[Role.HEALTH_PROMOTER]
    TeamFactory.create(organisation=org_a, supervisor=supervisor, members=[volunteer])
    task = FollowUpFactory.create(
        person=PersonFactory.create(organisation=org_a, registered_by=volunteer)
    )

    actions.followup_reassign(actor=supervisor, follow_up=task, assignee=supervisor)
    assert FollowUp.objects.get(pk=task.pk).assigned_to == supervisor

    with pytest.raises(ValidationError):  # not in the team
        actions.followup_reassign(actor=supervisor, follow_up=task, assignee=promoter)
    with pytest.raises(PermissionDeniedError):  # not a supervisor
        actions.followup_reassign(actor=promoter, follow_up=task, assignee=promoter)
    outside = FollowUpFactory.create(
        person=PersonFactory.create(organisation=org_a, registered_by=promoter)
    )
    with pytest.raises(NotFoundError):  # another worker's task: not even seen
        actions.followup_reassign(actor=supervisor, follow_up=outside, assignee=supervisor)
    assert FollowUp.objects.get(pk=outside.pk).assigned_to == promoter


# ---------------------------------------------------------------------------------------------
# From the rules


def test_rules_create_tasks_once_for_the_registering_worker(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    referral = ReferralFactory.create(person=person)
    focal = users_b[Role.FOCAL_POINT]

    created = actions.follow_ups_from_rules(
        trigger=FollowUpTrigger.REFERRAL_SENT, person=person, referral=referral, actor=focal
    )
    again = actions.follow_ups_from_rules(
        trigger=FollowUpTrigger.REFERRAL_SENT, person=person, referral=referral, actor=focal
    )

    assert len(created) == 1 and again == []
    task = created[0]
    assert task.assigned_to == promoter and task.referral == referral
    assert task.due_on == timezone.localdate(referral.sent_at) + datetime.timedelta(days=7)
    assert task.title == "Comprobar si asistió a la referencia"
    assert AuditEntry.objects.filter(action="casework.followup_create_by_rule").count() == 1


def test_rules_of_the_organisation_and_by_reason(
    users_a: dict[str, User], org_a: Organisation, org_b: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    FollowUpRule.objects.create(
        organisation=org_a,
        trigger=FollowUpTrigger.REFERRAL_SENT,
        reason=ReferralReason.SUSPECTED_COVID,
        days_after=1,
        title="Preguntar por el resultado de la prueba",
    )
    FollowUpRule.objects.create(
        organisation=org_b, trigger=FollowUpTrigger.REFERRAL_SENT, days_after=1, title="Otra org"
    )
    vaccination = ReferralFactory.create(person=person, reason=ReferralReason.VACCINATION)
    covid = ReferralFactory.create(person=person, reason=ReferralReason.SUSPECTED_COVID)

    for_vaccination = actions.follow_ups_from_rules(
        trigger=FollowUpTrigger.REFERRAL_SENT, person=person, referral=vaccination, actor=promoter
    )
    for_covid = actions.follow_ups_from_rules(
        trigger=FollowUpTrigger.REFERRAL_SENT, person=person, referral=covid, actor=promoter
    )

    assert [task.rule.days_after for task in for_vaccination if task.rule] == [7]
    assert sorted(task.title for task in for_covid) == [
        "Comprobar si asistió a la referencia",
        "Preguntar por el resultado de la prueba",
    ]


def test_no_contact_task_without_consent_and_none_for_erased_people(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    silent = PersonFactory.create(
        organisation=org_a, registered_by=promoter, consents_to_contact=False
    )
    assert (
        actions.follow_ups_from_rules(
            trigger=FollowUpTrigger.PERSON_REGISTERED, person=silent, actor=promoter
        )
        == []
    )
    # A rule that does not mean contacting them still applies.
    referral = ReferralFactory.create(person=silent)
    assert (
        len(
            actions.follow_ups_from_rules(
                trigger=FollowUpTrigger.REFERRAL_SENT,
                person=silent,
                referral=referral,
                actor=promoter,
            )
        )
        == 1
    )
    erased = PersonFactory.create(
        organisation=org_a, registered_by=promoter, erased_at=timezone.now()
    )
    merged = PersonFactory.create(organisation=org_a, registered_by=promoter, merged_into=silent)
    for person in (erased, merged):
        assert (
            actions.follow_ups_from_rules(
                trigger=FollowUpTrigger.PERSON_REGISTERED, person=person, actor=promoter
            )
            == []
        )
    assert FollowUp.objects.count() == 1


def test_a_task_goes_to_the_actor_when_the_registering_worker_left(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation
) -> None:
    left = users_a[Role.COMMUNITY_VOLUNTEER]
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=left)
    Membership.objects.filter(user=left).update(is_active=False)

    tasks = actions.follow_ups_from_rules(
        trigger=FollowUpTrigger.PERSON_REGISTERED, person=person, actor=promoter
    )
    assert [task.assigned_to for task in tasks] == [promoter]

    # The receiving centre's staff never get the referring side's tasks: then nobody (the
    # supervisor and the organisation see it) or the referring worker.
    referral = ReferralFactory.create(person=person, referred_by=None)
    tasks = actions.follow_ups_from_rules(
        trigger=FollowUpTrigger.REFERRAL_ATTENDED,
        person=person,
        referral=referral,
        actor=users_b[Role.FOCAL_POINT],
    )
    assert [task.assigned_to for task in tasks] == [None]


def test_withdrawn_contact_cancels_the_open_contact_tasks(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    by_rule = actions.follow_ups_from_rules(
        trigger=FollowUpTrigger.PERSON_REGISTERED, person=person, actor=promoter
    )
    by_hand = FollowUpFactory.create(person=person)

    assert actions.follow_ups_cancel_contact(person=person, actor=promoter) == 1

    assert FollowUp.objects.get(pk=by_rule[0].pk).status == FollowUpStatus.CANCELLED
    assert FollowUp.objects.get(pk=by_hand.pk).status == FollowUpStatus.OPEN
