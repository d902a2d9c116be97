"""Who sees which programme's figures, and who gets them suppressed: every role of two
organisations (A leads the programme and is its partner, B is a viewer), plus the query cost
of a table and the parsing of the dashboard's filters."""

from __future__ import annotations

import datetime

import pytest
from django.http import QueryDict

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.models import Sex
from senda.casework.tests.factories import PersonFactory
from senda.core.errors import NotFoundError, PermissionDeniedError
from senda.insights.engine import Filters, indicator_table, indicators_for
from senda.insights.models import Measure, Programme
from senda.insights.queries import programme_get, programmes_visible_to
from senda.insights.tests.indicator_factories import IndicatorFactory, ProgrammeFactory, aware

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)
SEE_AGGREGATES = {Role.ORG_ADMIN, Role.SUPERVISOR, Role.PROGRAMME_OFFICER, Role.VIEWER}
# Only a role that sees every person of the partner organisation reads unsuppressed figures.
SEES_PEOPLE_OF_A = {("a", Role.PROGRAMME_OFFICER)}


@pytest.fixture
def programme(org_a: Organisation, org_b: Organisation) -> Programme:
    programme = ProgrammeFactory.create(lead=org_a, partners=[org_a], viewers=[org_b])
    # 3 women and 7 men registered by A: the women are a small number.
    PersonFactory.create_batch(3, organisation=org_a, sex=Sex.FEMALE, registered_at=aware(DAY))
    PersonFactory.create_batch(7, organisation=org_a, sex=Sex.MALE, registered_at=aware(DAY))
    return programme


@pytest.mark.parametrize("organisation", ["a", "b"])
@pytest.mark.parametrize("role", Role.values)
def test_matrix_who_sees_the_programme_and_who_gets_suppressed_figures(
    programme: Programme,
    users_a: dict[str, User],
    users_b: dict[str, User],
    organisation: str,
    role: str,
) -> None:
    user = (users_a if organisation == "a" else users_b)[role]
    indicator = IndicatorFactory.create(source="people", measure=Measure.PEOPLE)
    filters = Filters(
        programme=programme, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 6, 30)
    )
    if role not in SEE_AGGREGATES:
        assert not programmes_visible_to(user=user).exists()
        with pytest.raises(PermissionDeniedError):
            indicator_table(user=user, indicator=indicator, filters=filters, by=["sex"])
        with pytest.raises(PermissionDeniedError):
            indicators_for(user=user, programme=programme)
        return
    assert programme_get(user=user, programme_id=programme.pk) == programme
    table = indicator_table(user=user, indicator=indicator, filters=filters, by=["sex"])
    cells = {cell.key: cell for cell in table.cells}
    if (organisation, role) in SEES_PEOPLE_OF_A:
        assert not table.suppression_applied
        assert cells[("female",)].value == 3
    else:
        assert table.suppression_applied
        assert cells[("female",)].value is None and cells[("female",)].suppressed
        # The complement: the total would give the women back from the men.
        assert cells[("male",)].suppressed or table.total.suppressed
    exported = indicator_table(
        user=user, indicator=indicator, filters=filters, by=["sex"], for_export=True
    )
    assert exported.suppression_applied
    assert {cell.key: cell.value for cell in exported.cells}[("female",)] is None


def test_a_programme_of_another_lead_is_not_visible(
    programme: Programme, users_a: dict[str, User], users_b: dict[str, User], org_b: Organisation
) -> None:
    other = ProgrammeFactory.create(lead=org_b, partners=[org_b])
    assert set(programmes_visible_to(user=users_b[Role.PROGRAMME_OFFICER])) == {other, programme}
    assert set(programmes_visible_to(user=users_a[Role.PROGRAMME_OFFICER])) == {programme}
    with pytest.raises(NotFoundError):
        programme_get(user=users_a[Role.VIEWER], programme_id=other.pk)


def test_indicators_for_lists_shared_and_own_in_dashboard_order(
    programme: Programme, users_a: dict[str, User], org_b: Organisation
) -> None:
    from senda.insights.models import Indicator

    Indicator.objects.all().delete()
    second = IndicatorFactory.create(position=2)
    first = IndicatorFactory.create(position=1, programme=programme)
    IndicatorFactory.create(position=0, programme=ProgrammeFactory.create(lead=org_b))
    IndicatorFactory.create(position=0, is_active=False)
    IndicatorFactory.create(position=0, show_on_dashboard=False)
    officer = users_a[Role.PROGRAMME_OFFICER]
    assert indicators_for(user=officer, programme=programme) == [first, second]
    assert len(indicators_for(user=officer, programme=programme, dashboard_only=False)) == 3


def test_a_two_dimensional_table_costs_a_bounded_number_of_queries(
    programme: Programme,
    users_a: dict[str, User],
    django_assert_max_num_queries: object,
) -> None:
    indicator = IndicatorFactory.create(source="orientations", measure=Measure.PEOPLE)
    officer = users_a[Role.PROGRAMME_OFFICER]
    filters = Filters(
        programme=programme, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 6, 30)
    )
    # Visibility, the membership, the programme's scope, one aggregate query, the labels.
    with django_assert_max_num_queries(7):  # type: ignore[operator]
        indicator_table(user=officer, indicator=indicator, filters=filters, by=["area", "month"])
    # The next table of the same programme for the same user reads only its own figures.
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        indicator_table(user=officer, indicator=indicator, filters=filters, by=["month"])


def test_filters_from_a_query_string_and_back(programme: Programme, org_a: Organisation) -> None:
    query = QueryDict(mutable=True)
    query.setlist("sex", ["female", "nonsense"])
    query["start"] = "2026-02-01"
    query["end"] = "2026-01-01"
    query.setlist("organisation", [str(org_a.pk)])
    query["area"] = "PA08"
    filters, errors = Filters.from_query(programme, query)
    assert filters.sexes == ("female",)
    assert filters.organisations == (str(org_a.pk),)
    assert filters.areas == ("PA08",)
    assert set(errors) == {"sex", "end"}
    again, errors = Filters.from_query(programme, QueryDict(filters.to_query()))
    assert again == filters and not errors
    _, errors = Filters.from_query(programme, QueryDict("start=yesterday"))
    assert "start" in errors
