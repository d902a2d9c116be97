"""Trainings, participants, completion and "who is trained on what"; teams and centres."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.actions.teams import centre_assign, team_create, team_member_add
from senda.casework.actions.trainings import (
    ParticipantInput,
    TrainingInput,
    training_create,
    training_participant_add,
    training_participant_set_status,
)
from senda.casework.models import Team
from senda.casework.queries.trainings import MatrixFilters, trained_matrix
from senda.casework.tests.factories import TopicFactory
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.directory.tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_matrix_shows_last_completion_per_topic(
    users_a: dict[str, User], org_a: Organisation, users_b: dict[str, User]
) -> None:
    officer = users_a[Role.PROGRAMME_OFFICER]
    mental = TopicFactory.create(use="training", slug="mental-health", name="Salud mental")
    vaccines = TopicFactory.create(use="training", slug="vaccination", name="Vacunación")
    today = timezone.localdate()
    training = training_create(
        actor=officer,
        organisation=org_a,
        data=TrainingInput(
            title="Taller",
            topics=[mental, vaccines],
            mode="in_person",
            starts_on=today - datetime.timedelta(days=2),
        ),
    )
    promoter = users_a[Role.HEALTH_PROMOTER]
    mine = training_participant_add(
        actor=officer, training=training, data=ParticipantInput(user=promoter)
    )
    partner = training_participant_add(
        actor=officer,
        training=training,
        data=ParticipantInput(name="Ana Ruiz", participant_organisation="Cruz Roja"),
    )
    with pytest.raises(ValidationError):
        training_participant_add(
            actor=officer, training=training, data=ParticipantInput(user=promoter)
        )
    with pytest.raises(ValidationError):
        training_participant_add(
            actor=officer,
            training=training,
            data=ParticipantInput(user=users_b[Role.HEALTH_PROMOTER]),
        )
    with pytest.raises(PermissionDeniedError):
        training_participant_add(
            actor=users_a[Role.HEALTH_PROMOTER], training=training, data=ParticipantInput(name="X")
        )
    training_participant_set_status(
        actor=officer, participant=mine, status="completed", completed_on=today
    )
    training_participant_set_status(actor=officer, participant=partner, status="incomplete")
    matrix = trained_matrix(user=users_a[Role.SUPERVISOR], filters=MatrixFilters())
    assert [row.label for row in matrix.rows] == [promoter.username]
    assert matrix.rows[0].completed == {mental.pk: today, vaccines.pk: today}
    assert (
        trained_matrix(
            user=users_a[Role.SUPERVISOR], filters=MatrixFilters(role="partner_staff")
        ).rows
        == []
    )
    # Another organisation's supervisor sees none of it; a promoter is refused.
    assert trained_matrix(user=users_b[Role.SUPERVISOR], filters=MatrixFilters()).rows == []
    with pytest.raises(PermissionDeniedError):
        trained_matrix(user=promoter, filters=MatrixFilters())
    with pytest.raises(ValidationError):
        training_participant_set_status(
            actor=officer,
            participant=mine,
            status="completed",
            completed_on=today - datetime.timedelta(days=30),
        )


def test_training_needs_topics_of_trainings(users_a: dict[str, User], org_a: Organisation) -> None:
    with pytest.raises(ValidationError) as error:
        training_create(
            actor=users_a[Role.ORG_ADMIN],
            organisation=org_a,
            data=TrainingInput(
                title="",
                topics=[TopicFactory.create(use="orientation")],
                mode="x",
                starts_on=timezone.localdate(),
                ends_on=timezone.localdate() - datetime.timedelta(days=1),
            ),
        )
    assert set(error.value.errors) == {"title", "topics", "mode", "ends_on"}


def test_teams_decide_what_a_supervisor_may_be_given(
    users_a: dict[str, User], org_a: Organisation, users_b: dict[str, User]
) -> None:
    admin = users_a[Role.ORG_ADMIN]
    with pytest.raises(ValidationError):
        team_create(
            actor=admin, organisation=org_a, name="Norte", supervisor=users_a[Role.HEALTH_PROMOTER]
        )
    with pytest.raises(ValidationError):
        team_create(actor=admin, organisation=org_a, name="Norte", members=[users_a[Role.VIEWER]])
    with pytest.raises(PermissionDeniedError):
        team_create(actor=users_a[Role.SUPERVISOR], organisation=org_a, name="Norte")
    team = team_create(
        actor=admin, organisation=org_a, name="Norte", supervisor=users_a[Role.SUPERVISOR]
    )
    team_member_add(actor=admin, team=team, member=users_a[Role.COMMUNITY_VOLUNTEER])
    with pytest.raises(ValidationError):
        team_member_add(actor=admin, team=team, member=users_b[Role.COMMUNITY_VOLUNTEER])
    assert list(Team.objects.get().members.all()) == [users_a[Role.COMMUNITY_VOLUNTEER]]
    with pytest.raises(ValidationError):
        team_create(actor=admin, organisation=org_a, name="norte")
    with pytest.raises(ValidationError) as elsewhere:
        centre_assign(
            actor=admin,
            organisation=org_a,
            user=users_a[Role.FOCAL_POINT],
            location=LocationFactory.create(),
        )
    assert "location" in elsewhere.value.errors


def test_training_and_team_pages_render(users_a: dict[str, User], org_a: Organisation) -> None:
    TopicFactory.create(use="training", slug="trafficking")
    officer = login_verified(Client(), users_a[Role.PROGRAMME_OFFICER])
    for path in ("trainings/", "trainings/new/", "trainings/who-is-trained/"):
        assert officer.get(f"/staff/field/{path}").status_code == 200, path
    admin = login_verified(Client(), users_a[Role.ORG_ADMIN])
    for path in ("teams/", "teams/new/", "centres/"):
        assert admin.get(f"/staff/field/{path}").status_code == 200, path
    created = admin.post(
        "/staff/field/teams/new/", {"name": "Equipo Sur", "supervisor": users_a[Role.SUPERVISOR].pk}
    )
    assert created.status_code == 302
    assert Team.objects.get().supervisor == users_a[Role.SUPERVISOR]
