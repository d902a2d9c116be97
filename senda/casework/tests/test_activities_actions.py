"""Outreach activities and vaccination sessions: the actions against the database."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

import pytest
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions.activities import (
    OutreachInput,
    SessionInput,
    outreach_delete,
    outreach_record,
    outreach_update,
    vaccination_session_record,
    vaccination_session_update,
)
from senda.casework.models import OutreachActivity, OutreachTally, VaccinationSession
from senda.casework.queries.activities import (
    OutreachFilters,
    SessionFilters,
    outreach_list,
    outreach_totals,
    session_totals,
)
from senda.casework.tests.factories import TeamFactory
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.directory.tests.factories import LocationFactory
from senda.geo.models import AdminArea

pytestmark = pytest.mark.django_db


def outreach(**overrides: object) -> OutreachInput:
    fields: dict[str, object] = {
        "date": timezone.localdate(),
        "place_type": "metro",
        "place_name": "Estación San Miguelito",
        "area": AdminArea.objects.get(pcode="PA0805"),
        "tallies": {("female", "18-29", "migrant"): 12, ("male", "30-59", "host"): 5},
        "materials": {"leaflet": 40, "condoms": 0},
        **overrides,
    }
    return OutreachInput(**fields)  # type: ignore[arg-type]


def test_record_keeps_cells_materials_and_audits(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    activity = outreach_record(actor=promoter, organisation=org_a, data=outreach())
    cells = {(t.sex, t.age_group, t.community): t.count for t in activity.tallies.all()}
    assert cells == {("female", "18-29", "migrant"): 12, ("male", "30-59", "host"): 5}
    # A material given 0 times is not kept.
    assert activity.materials == {"leaflet": 40}
    entry = AuditEntry.objects.get(action="casework.outreach_record")
    assert entry.details["people_reached"] == 17
    assert entry.actor == promoter


def test_record_needs_one_person_and_valid_cells(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    with pytest.raises(ValidationError) as empty:
        outreach_record(actor=promoter, organisation=org_a, data=outreach(tallies={}))
    assert "tallies" in empty.value.errors
    with pytest.raises(ValidationError) as bad:
        outreach_record(
            actor=promoter,
            organisation=org_a,
            data=outreach(
                tallies={("alien", "18-29", "migrant"): 1},
                materials={"rockets": 2},
                date=timezone.localdate() + datetime.timedelta(days=5),
                area=None,
            ),
        )
    assert set(bad.value.errors) == {"tallies", "materials", "date", "area"}
    assert not OutreachActivity.objects.exists()
    assert not OutreachTally.objects.exists()


def test_record_refuses_roles_without_outreach(
    users_a: dict[str, User], org_a: Organisation, org_b: Organisation
) -> None:
    for role in (Role.FOCAL_POINT, Role.VIEWER, Role.PROGRAMME_OFFICER, Role.ORG_ADMIN):
        with pytest.raises(PermissionDeniedError):
            outreach_record(actor=users_a[role], organisation=org_a, data=outreach())
    with pytest.raises(PermissionDeniedError):
        outreach_record(actor=users_a[Role.HEALTH_PROMOTER], organisation=org_b, data=outreach())
    assert not OutreachActivity.objects.exists()


def test_team_must_be_the_organisations(
    users_a: dict[str, User], org_a: Organisation, org_b: Organisation
) -> None:
    with pytest.raises(ValidationError) as error:
        outreach_record(
            actor=users_a[Role.HEALTH_PROMOTER],
            organisation=org_a,
            data=outreach(team=TeamFactory.create(organisation=org_b)),
        )
    assert "team" in error.value.errors


def test_same_client_uuid_records_once(
    users_a: dict[str, User], org_a: Organisation, users_b: dict[str, User], org_b: Organisation
) -> None:
    client_uuid = uuid.uuid4()
    promoter = users_a[Role.HEALTH_PROMOTER]
    first = outreach_record(
        actor=promoter, organisation=org_a, data=outreach(), client_uuid=client_uuid
    )
    again = outreach_record(
        actor=promoter, organisation=org_a, data=outreach(), client_uuid=client_uuid
    )
    assert again.pk == first.pk
    assert OutreachActivity.objects.count() == 1
    assert OutreachTally.objects.count() == 2
    # Another organisation reusing the id learns nothing about the first record.
    with pytest.raises(ValidationError):
        outreach_record(
            actor=users_b[Role.HEALTH_PROMOTER],
            organisation=org_b,
            data=outreach(),
            client_uuid=client_uuid,
        )


def test_update_and_delete_by_recorder_or_supervisor_within_30_days(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    activity = outreach_record(actor=promoter, organisation=org_a, data=outreach())
    with pytest.raises(PermissionDeniedError):
        outreach_update(
            actor=volunteer, activity=activity, data=outreach(tallies={("other", "60+", "host"): 1})
        )
    outreach_update(
        actor=users_a[Role.SUPERVISOR],
        activity=activity,
        data=outreach(tallies={("other", "60+", "host"): 3}),
    )
    assert [(t.sex, t.count) for t in activity.tallies.all()] == [("other", 3)]
    OutreachActivity.objects.filter(pk=activity.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=31)
    )
    activity.refresh_from_db()
    with pytest.raises(PermissionDeniedError):
        outreach_delete(actor=promoter, activity=activity)
    OutreachActivity.objects.filter(pk=activity.pk).update(created_at=timezone.now())
    activity.refresh_from_db()
    outreach_delete(actor=promoter, activity=activity)
    assert not OutreachActivity.objects.exists()
    assert AuditEntry.objects.filter(action="casework.outreach_delete").count() == 1


def test_list_filters_and_totals(
    users_a: dict[str, User], org_a: Organisation, users_b: dict[str, User], org_b: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    team = TeamFactory.create(organisation=org_a)
    today = timezone.localdate()
    outreach_record(actor=promoter, organisation=org_a, data=outreach(team=team))
    outreach_record(
        actor=promoter,
        organisation=org_a,
        data=outreach(
            date=today - datetime.timedelta(days=10),
            place_type="supermarket",
            area=AdminArea.objects.get(pcode="PA1304"),
            tallies={("female", "0-4", "host"): 7},
        ),
    )
    outreach_record(actor=users_b[Role.HEALTH_PROMOTER], organisation=org_b, data=outreach())
    viewer = users_a[Role.VIEWER]
    everything = list(outreach_list(user=viewer, filters=OutreachFilters()))
    assert reached(everything) == [17, 7]
    assert reached(outreach_list(user=viewer, filters=OutreachFilters(team_id=team.pk))) == [17]
    assert reached(outreach_list(user=viewer, filters=OutreachFilters(area="PA13"))) == [7]
    yesterday = today - datetime.timedelta(days=1)
    supermarkets = OutreachFilters(place_type="supermarket", date_to=yesterday)
    assert reached(outreach_list(user=viewer, filters=supermarkets)) == [7]
    totals = outreach_totals(user=viewer, filters=OutreachFilters())
    assert totals.total == 24 and totals.activities == 2
    assert totals.by_sex == {"female": 19, "male": 5}
    assert totals.by_community == {"migrant": 12, "host": 12}
    assert totals.by_age_group == {"18-29": 12, "30-59": 5, "0-4": 7}
    with pytest.raises(PermissionDeniedError):
        outreach_list(user=users_a[Role.FOCAL_POINT], filters=OutreachFilters())


def reached(activities: Iterable[OutreachActivity]) -> list[int]:
    """The annotated totals of a list of activities, in order."""
    return [activity.people_reached for activity in activities]  # type: ignore[attr-defined]


def session(**overrides: object) -> SessionInput:
    fields: dict[str, object] = {
        "date": timezone.localdate(),
        "area": None,
        "place_name": "",
        "doses": {("covid19", "30-59"): 20, ("influenza", "60+"): 4},
        "people_referred": 3,
        **overrides,
    }
    return SessionInput(**fields)  # type: ignore[arg-type]


def test_session_at_own_location_takes_its_area(
    users_a: dict[str, User], org_a: Organisation, org_b: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    centre = LocationFactory.create(owner=org_a)
    recorded = vaccination_session_record(
        actor=promoter, organisation=org_a, data=session(location=centre)
    )
    assert recorded.area_id == "PA0805"
    assert sorted((d.vaccine, d.count) for d in recorded.doses.all()) == [
        ("covid19", 20),
        ("influenza", 4),
    ]
    with pytest.raises(ValidationError) as elsewhere:
        vaccination_session_record(
            actor=promoter,
            organisation=org_a,
            data=session(location=LocationFactory.create(owner=org_b)),
        )
    assert "location" in elsewhere.value.errors
    with pytest.raises(ValidationError) as nowhere:
        vaccination_session_record(actor=promoter, organisation=org_a, data=session(doses={}))
    assert {"place_name", "area", "doses"} <= set(nowhere.value.errors)
    assert VaccinationSession.objects.count() == 1


def test_session_update_and_totals(users_a: dict[str, User], org_a: Organisation) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    area = AdminArea.objects.get(pcode="PA1304")
    recorded = vaccination_session_record(
        actor=promoter, organisation=org_a, data=session(place_name="Parque central", area=area)
    )
    vaccination_session_record(
        actor=promoter,
        organisation=org_a,
        data=session(place_name="Escuela", area=area, doses={("mmr", "0-4"): 9}, people_referred=1),
    )
    with pytest.raises(PermissionDeniedError):
        vaccination_session_update(
            actor=users_a[Role.COMMUNITY_VOLUNTEER],
            session=recorded,
            data=session(place_name="X", area=area),
        )
    vaccination_session_update(
        actor=promoter,
        session=recorded,
        data=session(place_name="Parque", area=area, doses={("covid19", "18-29"): 2}),
    )
    totals = session_totals(user=users_a[Role.PROGRAMME_OFFICER], filters=SessionFilters())
    assert (totals.sessions, totals.doses, totals.people_referred) == (2, 11, 4)
    assert totals.by_vaccine == {"covid19": 2, "mmr": 9}
    assert totals.by_age_group == {"18-29": 2, "0-4": 9}
