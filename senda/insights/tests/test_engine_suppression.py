"""Suppression as the engine applies it: what a viewer reads of a 2-D table gives no hidden
figure back (checked by brute force), shares and medians hide small denominators, and every
period dimension computes on both databases."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.models import ReferralStatus, Sex
from senda.casework.tests.factories import PersonFactory, ReferralFactory
from senda.insights.engine import Filters, Table, indicator_table
from senda.insights.models import IndicatorUnit, Measure, Programme
from senda.insights.suppression import Figure, Key
from senda.insights.tests.indicator_factories import IndicatorFactory, ProgrammeFactory, aware
from senda.insights.tests.test_suppression import assert_protected

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def programme(org_a: Organisation, org_b: Organisation) -> Programme:
    return ProgrammeFactory.create(lead=org_a, partners=[org_a], viewers=[org_b])


def filters(programme: Programme) -> Filters:
    return Filters(
        programme=programme, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 6, 30)
    )


def register(organisation: Organisation, count: int, **fields: Any) -> None:
    PersonFactory.create_batch(count, organisation=organisation, registered_at=aware(DAY), **fields)


def everything(table: Table) -> dict[Key, Any]:
    cells = {cell.key: cell for cell in table.cells}
    for margin in table.margins.values():
        cells.update({cell.key: cell for cell in margin})
    cells[table.total.key] = table.total
    return cells


def test_a_viewer_cannot_work_out_a_hidden_cell_of_a_two_way_table(
    programme: Programme, org_a: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    # area x sex: PA08 has 2 women and 9 men, PA13 7 and 8, PA03 6 and 0.
    register(org_a, 2, area_id="PA08", sex=Sex.FEMALE)
    register(org_a, 9, area_id="PA0805", sex=Sex.MALE)
    register(org_a, 7, area_id="PA13", sex=Sex.FEMALE)
    register(org_a, 8, area_id="PA1304", sex=Sex.MALE)
    register(org_a, 6, area_id="PA03", sex=Sex.FEMALE)
    indicator = IndicatorFactory.create(source="people", measure=Measure.PEOPLE)

    truth = indicator_table(
        user=users_a[Role.PROGRAMME_OFFICER],
        indicator=indicator,
        filters=filters(programme),
        by=["area", "sex"],
    )
    viewer = indicator_table(
        user=users_b[Role.VIEWER],
        indicator=indicator,
        filters=filters(programme),
        by=["area", "sex"],
    )
    assert not truth.suppression_applied and viewer.suppression_applied
    shown = everything(viewer)
    assert shown[("PA08", "female")].suppressed
    hidden = {key for key, cell in shown.items() if cell.suppressed}
    assert len(hidden) >= 4
    # Published figures are the true ones; the hidden ones cannot be recomputed from them.
    real = everything(truth)
    for key, cell in shown.items():
        if not cell.suppressed:
            assert cell.value == real[key].value
    figures = {key: Figure(cell.value or 0, cell.contributors or 0) for key, cell in real.items()}
    # Combinations without records are published zeros.
    for area in {key[0] for key in figures}:
        for sex in {key[1] for key in figures}:
            figures.setdefault((area, sex), Figure(0, 0))
    assert_protected(figures, hidden, 2, enumerate_up_to=8)


def test_shares_hide_small_denominators_and_their_counts_follow_the_count_rules(
    programme: Programme, org_a: Organisation, users_b: dict[str, User]
) -> None:
    sent = aware(DAY)
    people = PersonFactory.create_batch(9, organisation=org_a)
    for index, person in enumerate(people):
        attended = index % 3 != 0
        ReferralFactory.create(
            person=person,
            sent_at=sent,
            reason="legal" if index < 3 else "vaccination",
            status=ReferralStatus.ATTENDED if attended else ReferralStatus.SENT,
            attended_at=sent + datetime.timedelta(days=2) if attended else None,
        )
    share = IndicatorFactory.create(
        source="referrals",
        measure=Measure.SHARE,
        unit=IndicatorUnit.PERCENT,
        numerator_filters={"attended": ["yes"]},
    )
    table = indicator_table(
        user=users_b[Role.VIEWER], indicator=share, filters=filters(programme), by=["reason"]
    )
    cells = {cell.key: cell for cell in table.cells}
    # 3 legal referrals (3 people): hidden. 6 vaccination referrals, 4 attended: shown.
    assert cells[("legal",)].suppressed and cells[("legal",)].value is None
    assert cells[("vaccination",)].value == pytest.approx(66.7)
    # The vaccination numerator is 4 people: hidden as a count, so its denominator goes too
    # (a published share and denominator give the numerator back).
    assert cells[("vaccination",)].numerator is None
    assert cells[("vaccination",)].denominator is None
    assert table.total.value == pytest.approx(66.7)
    assert (table.total.numerator, table.total.denominator) == (6, 9)

    median = IndicatorFactory.create(
        source="referrals",
        measure=Measure.MEDIAN_DAYS,
        unit=IndicatorUnit.DAYS,
        duration="sent_to_attended",
    )
    medians = indicator_table(
        user=users_b[Role.VIEWER], indicator=median, filters=filters(programme), by=["reason"]
    )
    by_reason = {cell.key: cell for cell in medians.cells}
    assert by_reason[("legal",)].suppressed  # 2 people attended
    assert medians.total.value == 2 and not medians.total.suppressed


@pytest.mark.parametrize(
    ("dimension", "keys"),
    [
        ("week", {("2026-03-09",): 3, ("2026-04-13",): 2}),
        ("month", {("2026-03-01",): 3, ("2026-04-01",): 2}),
        ("quarter", {("2026-01-01",): 3, ("2026-04-01",): 2}),
    ],
)
def test_periods_truncate_portably(
    programme: Programme,
    org_a: Organisation,
    users_a: dict[str, User],
    dimension: str,
    keys: dict[tuple[str, ...], int],
) -> None:
    PersonFactory.create_batch(3, organisation=org_a, registered_at=aware(DAY, 23))
    PersonFactory.create_batch(
        2, organisation=org_a, registered_at=aware(datetime.date(2026, 4, 15), 0)
    )
    table = indicator_table(
        user=users_a[Role.PROGRAMME_OFFICER],
        indicator=IndicatorFactory.create(source="people", measure=Measure.PEOPLE),
        filters=filters(programme),
        by=[dimension],
    )
    assert {cell.key: cell.value for cell in table.cells} == keys
    assert all(table.labels[dimension][key[0]] for key in keys)
