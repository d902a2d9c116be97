"""The indicator engine against hand-counted fixtures: each source and measure, dimensions,
filters, scope and the number of queries a table costs."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.tests.factories import OrganisationFactory
from senda.casework.models import AgeGroup, Community, Sex
from senda.casework.tests.factories import PersonFactory
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.insights.engine import Filters, Table, indicator_table
from senda.insights.models import Measure, Programme
from senda.insights.tests.indicator_factories import (
    IndicatorFactory,
    ProgrammeFactory,
    aware,
    outreach,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def programme(org_a: Organisation, org_b: Organisation) -> Programme:
    return ProgrammeFactory.create(lead=org_a, partners=[org_a], viewers=[org_b])


def filters(programme: Programme, **fields: Any) -> Filters:
    return Filters(
        programme=programme,
        start=fields.pop("start", datetime.date(2026, 1, 1)),
        end=fields.pop("end", datetime.date(2026, 6, 30)),
        **fields,
    )


def values(table: Table) -> dict[tuple[str, ...], float | None]:
    return {cell.key: cell.value for cell in table.cells}


def people(organisation: Organisation, count: int, **fields: Any) -> list[Any]:
    fields.setdefault("registered_at", aware(DAY))
    return [PersonFactory.create(organisation=organisation, **fields) for _ in range(count)]


def test_people_registered_by_sex_and_area_with_level_two_rolled_up(
    programme: Programme, org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    # given: 3 women in San Miguelito (PA0805, level 2 of PA08), 2 men in PA08 itself,
    # 1 woman in Colón; a merged duplicate, someone outside the period, another organisation's
    people(org_a, 3, sex=Sex.FEMALE, area_id="PA0805")
    kept = people(org_a, 2, sex=Sex.MALE, area_id="PA08")
    people(org_a, 1, sex=Sex.FEMALE, area_id="PA03")
    people(org_a, 1, sex=Sex.MALE, area_id="PA08", merged_into=kept[0])
    people(org_a, 1, sex=Sex.MALE, area_id="PA08", registered_at=aware(datetime.date(2025, 5, 1)))
    people(org_b, 4, sex=Sex.MALE, area_id="PA08")
    indicator = IndicatorFactory.create(source="people", measure=Measure.PEOPLE)
    officer = users_a[Role.PROGRAMME_OFFICER]

    # when
    table = indicator_table(
        user=officer, indicator=indicator, filters=filters(programme), by=["area", "sex"]
    )

    # then
    assert values(table) == {("PA03", "female"): 1, ("PA08", "female"): 3, ("PA08", "male"): 2}
    assert {c.key: c.value for c in table.margins["area"]} == {("PA03", ""): 1, ("PA08", ""): 5}
    assert {c.key: c.value for c in table.margins["sex"]} == {("", "female"): 4, ("", "male"): 2}
    assert table.total.value == 6
    assert table.labels["area"] == {"PA03": "Colón", "PA08": "Panamá"}
    assert not table.suppression_applied


def test_outreach_tallies_add_up_and_people_reached_sums_the_parts(
    programme: Programme, org_a: Organisation, users_a: dict[str, User]
) -> None:
    outreach(
        organisation=org_a,
        day=DAY,
        area="PA1304",
        tallies=[
            (Sex.FEMALE, AgeGroup.YOUTH, Community.MIGRANT, 12),
            (Sex.MALE, AgeGroup.YOUTH, Community.HOST, 7),
        ],
    )
    outreach(
        organisation=org_a,
        day=datetime.date(2026, 4, 2),
        area="PA08",
        tallies=[(Sex.FEMALE, AgeGroup.ADULT, Community.MIGRANT, 5)],
    )
    people(org_a, 3, sex=Sex.FEMALE, area_id="PA08")
    tallied = IndicatorFactory.create(source="outreach", measure=Measure.SUM)
    reached = IndicatorFactory.create(
        source="",
        measure=Measure.SUM_OF_PARTS,
        parts=[{"source": "people"}, {"source": "outreach"}],
    )
    officer = users_a[Role.PROGRAMME_OFFICER]

    by_month = indicator_table(
        user=officer, indicator=tallied, filters=filters(programme), by=["month"]
    )
    assert values(by_month) == {("2026-03-01",): 19, ("2026-04-01",): 5}
    assert by_month.total.value == 24

    reach = indicator_table(user=officer, indicator=reached, filters=filters(programme), by=["sex"])
    assert values(reach) == {("female",): 20, ("male",): 7}
    assert reach.total.value == 27

    women = indicator_table(
        user=officer,
        indicator=reached,
        filters=filters(programme, sexes=("female",), areas=("PA13",)),
    )
    assert women.total.value == 12


def test_a_user_outside_the_programme_is_refused(
    programme: Programme, users_a: dict[str, User], org_b: Organisation
) -> None:
    outsider_org = OrganisationFactory.create()
    from senda.accounts.tests.factories import member

    outsider = member(outsider_org, Role.PROGRAMME_OFFICER)
    indicator = IndicatorFactory.create()
    with pytest.raises(PermissionDeniedError):
        indicator_table(user=outsider, indicator=indicator, filters=filters(programme))
    with pytest.raises(ValidationError):
        indicator_table(
            user=users_a[Role.PROGRAMME_OFFICER],
            indicator=IndicatorFactory.create(allowed_dimensions=["sex"]),
            filters=filters(programme),
            by=["area"],
        )
