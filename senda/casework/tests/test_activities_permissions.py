"""Every role of two organisations against every page and API endpoint of activities,
vaccination sessions, trainings, teams and centre assignments.

The objects belong to organisation A. A user whose role may take the step succeeds; any other
is refused (403 when the step is not for their role, 404 when the object is invisible to them)
and the database is left exactly as it was.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import CAPABILITIES, Capability, Role
from senda.accounts.testing import login_verified
from senda.casework.actions.activities import (
    OutreachInput,
    SessionInput,
    outreach_record,
    vaccination_session_record,
)
from senda.casework.actions.teams import centre_assign, team_create
from senda.casework.actions.trainings import TrainingInput, training_create
from senda.casework.models import (
    CentreAssignment,
    DoseTally,
    OutreachActivity,
    OutreachTally,
    Team,
    TrainingEvent,
    TrainingParticipant,
    VaccinationSession,
)
from senda.casework.tests.factories import TopicFactory
from senda.core.models import AuditEntry
from senda.directory.tests.factories import LocationFactory
from senda.geo.models import AdminArea

pytestmark = pytest.mark.django_db

READERS = {Capability.OUTREACH_RECORD, Capability.CASE_SUPERVISE, Capability.CASE_VIEW_ALL}
READERS |= {Capability.AGGREGATES_VIEW}
TRAINING_READERS = {Capability.TRAINING_MANAGE, Capability.CASE_SUPERVISE}


@dataclass
class World:
    org_a: Organisation
    users_a: dict[str, User]
    activity: OutreachActivity
    session: VaccinationSession
    training: TrainingEvent
    team: Team
    assignment: CentreAssignment


def has(role: str, capabilities: set[Capability]) -> bool:
    return bool(CAPABILITIES.get(role, frozenset()) & capabilities)


@dataclass
class Endpoint:
    name: str
    method: str
    url: Callable[[World], str]
    # May a user of ``role`` (in A when ``in_a``) take this step?
    allowed: Callable[[str, bool], bool]
    data: Callable[[World], dict[str, Any]] = lambda world: {}
    api: bool = False


def _page(name: str, *args: Callable[[World], Any]) -> Callable[[World], str]:
    return lambda world: reverse(f"casework:{name}", args=[arg(world) for arg in args])


def _activity(world: World) -> Any:
    return world.activity.pk


def _session(world: World) -> Any:
    return world.session.pk


def _training(world: World) -> Any:
    return world.training.pk


def _team(world: World) -> Any:
    return world.team.pk


def reads(role: str, in_a: bool) -> bool:
    return has(role, READERS)


def reads_a(role: str, in_a: bool) -> bool:
    return in_a and has(role, READERS)


def edits_a(role: str, in_a: bool) -> bool:
    # Recorded by A's health promoter: they and A's supervisor may change it.
    return in_a and role in {Role.HEALTH_PROMOTER, Role.SUPERVISOR}


def trains(role: str, in_a: bool) -> bool:
    return has(role, TRAINING_READERS)


def trains_a(role: str, in_a: bool) -> bool:
    return in_a and has(role, TRAINING_READERS)


def manages_training_a(role: str, in_a: bool) -> bool:
    return in_a and has(role, {Capability.TRAINING_MANAGE})


def admin(role: str, in_a: bool) -> bool:
    return has(role, {Capability.ORG_MANAGE})


def admin_a(role: str, in_a: bool) -> bool:
    return in_a and has(role, {Capability.ORG_MANAGE})


def _session_form(world: World) -> dict[str, Any]:
    return {
        "date": timezone.localdate().isoformat(),
        "place_name": "Feria",
        "area": "PA0805",
        "d_polio_0_4": "3",
    }


ENDPOINTS = [
    Endpoint("outreach_list", "GET", _page("outreach_list"), reads),
    Endpoint("outreach_detail", "GET", _page("outreach_detail", _activity), reads_a),
    Endpoint("outreach_edit", "GET", _page("outreach_edit", _activity), edits_a),
    Endpoint("outreach_delete", "POST", _page("outreach_delete", _activity), edits_a),
    Endpoint("session_list", "GET", _page("session_list"), reads),
    Endpoint("session_detail", "GET", _page("session_detail", _session), reads_a),
    Endpoint("session_edit", "POST", _page("session_edit", _session), edits_a, _session_form),
    Endpoint("session_delete", "POST", _page("session_delete", _session), edits_a),
    Endpoint("training_list", "GET", _page("training_list"), trains),
    Endpoint("training_matrix", "GET", _page("training_matrix"), trains),
    Endpoint("training_detail", "GET", _page("training_detail", _training), trains_a),
    Endpoint(
        "training_participant_add",
        "POST",
        _page("training_participant_add", _training),
        manages_training_a,
        lambda world: {"name": "Ana Partner", "participant_organisation": "Cruz Roja"},
    ),
    Endpoint("training_delete", "POST", _page("training_delete", _training), manages_training_a),
    Endpoint("team_list", "GET", _page("team_list"), admin),
    Endpoint("team_detail", "GET", _page("team_detail", _team), admin_a),
    Endpoint(
        "team_member_add",
        "POST",
        _page("team_member_add", _team),
        admin_a,
        lambda world: {"member": world.users_a[Role.COMMUNITY_VOLUNTEER].pk},
    ),
    Endpoint("team_delete", "POST", _page("team_delete", _team), admin_a),
    Endpoint("centre_list", "GET", _page("centre_list"), admin),
    Endpoint(
        "centre_unassign",
        "POST",
        lambda world: reverse("casework:centre_unassign", args=[world.assignment.pk]),
        admin_a,
    ),
    Endpoint("api_outreach_list", "GET", lambda w: "/api/outreach-activities", reads, api=True),
    Endpoint(
        "api_outreach_delete",
        "DELETE",
        lambda w: f"/api/outreach-activities/{w.activity.pk}",
        edits_a,
        api=True,
    ),
    Endpoint(
        "api_session_get",
        "GET",
        lambda w: f"/api/vaccination-sessions/{w.session.pk}",
        reads_a,
        api=True,
    ),
    Endpoint("api_training_matrix", "GET", lambda w: "/api/training-matrix", trains, api=True),
    Endpoint(
        "api_training_participant_add",
        "POST",
        lambda w: f"/api/trainings/{w.training.pk}/participants",
        manages_training_a,
        lambda world: {"name": "Ana Partner", "participant_organisation": "Cruz Roja"},
        api=True,
    ),
    Endpoint("api_team_list", "GET", lambda w: "/api/teams", admin, api=True),
    Endpoint("api_team_delete", "DELETE", lambda w: f"/api/teams/{w.team.pk}", admin_a, api=True),
    Endpoint(
        "api_centre_unassign",
        "DELETE",
        lambda w: f"/api/centre-assignments/{w.assignment.pk}",
        admin_a,
        api=True,
    ),
]


@pytest.fixture
def world(org_a: Organisation, users_a: dict[str, User]) -> World:
    promoter = users_a[Role.HEALTH_PROMOTER]
    area = AdminArea.objects.get(pcode="PA0805")
    activity = outreach_record(
        actor=promoter,
        organisation=org_a,
        data=OutreachInput(
            date=timezone.localdate(),
            place_type="metro",
            area=area,
            tallies={("female", "18-29", "migrant"): 5},
        ),
    )
    session = vaccination_session_record(
        actor=promoter,
        organisation=org_a,
        data=SessionInput(
            date=timezone.localdate(), area=area, place_name="Parque", doses={("mmr", "0-4"): 4}
        ),
    )
    training = training_create(
        actor=users_a[Role.PROGRAMME_OFFICER],
        organisation=org_a,
        data=TrainingInput(
            title="Salud mental",
            topics=[TopicFactory.create(use="training", slug="mental-health")],
            mode="virtual",
            starts_on=timezone.localdate() - datetime.timedelta(days=3),
        ),
    )
    admin_user = users_a[Role.ORG_ADMIN]
    team = team_create(
        actor=admin_user,
        organisation=org_a,
        name="Equipo San Miguelito",
        supervisor=users_a[Role.SUPERVISOR],
        members=[promoter],
    )
    assignment = centre_assign(
        actor=admin_user,
        organisation=org_a,
        user=users_a[Role.FOCAL_POINT],
        location=LocationFactory.create(owner=org_a),
    )
    return World(org_a, users_a, activity, session, training, team, assignment)


def snapshot() -> tuple[Any, ...]:
    return (
        list(OutreachActivity.objects.values_list("pk", "date", "place_name").order_by("pk")),
        list(OutreachTally.objects.values_list("pk", "count").order_by("pk")),
        list(VaccinationSession.objects.values_list("pk", "place_name").order_by("pk")),
        list(DoseTally.objects.values_list("pk", "count").order_by("pk")),
        list(TrainingEvent.objects.values_list("pk", "title").order_by("pk")),
        list(TrainingParticipant.objects.values_list("pk", "status").order_by("pk")),
        list(Team.objects.values_list("pk", "name", "supervisor").order_by("pk")),
        list(Team.members.through.objects.values_list("team", "user").order_by("pk")),
        list(CentreAssignment.objects.values_list("pk").order_by("pk")),
        AuditEntry.objects.filter(action__startswith="casework.").count(),
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_role_of_both_organisations(
    endpoint: Endpoint, world: World, users_b: dict[str, User]
) -> None:
    people = [(role, user, True) for role, user in world.users_a.items()]
    people += [(role, user, False) for role, user in users_b.items()]
    # Those who may take the step go last: a delete by them would hide later refusals.
    people.sort(key=lambda person: endpoint.allowed(person[0], person[2]))
    done = False
    for role, user, in_a in people:
        client = login_verified(Client(), user)
        before = snapshot()
        url = endpoint.url(world)
        data = endpoint.data(world)
        if endpoint.api:
            response = client.generic(
                endpoint.method,
                url,
                data=json.dumps(data) if data else "",
                content_type="application/json",
            )
        elif endpoint.method == "POST":
            response = client.post(url, data)
        else:
            response = client.get(url)
        who = f"{role} of {'A' if in_a else 'B'}"
        if endpoint.allowed(role, in_a):
            # A step that deletes or adds once can succeed only for the first allowed user.
            if not (done and endpoint.method != "GET"):
                assert response.status_code in {200, 201, 204, 302}, who
            done = True
            continue
        assert response.status_code in {403, 404}, who
        if endpoint.api:
            assert response.json()["detail"], who
        assert snapshot() == before, who
