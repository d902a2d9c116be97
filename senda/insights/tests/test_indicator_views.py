"""The indicator and programme management pages through the HTTP client, and the actions'
validation and permissions behind them (every role of two organisations; refused writes
change nothing)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.insights.actions import (
    IndicatorInput,
    indicator_create,
    indicator_update,
    indicators_install_defaults,
)
from senda.insights.defaults import DEFAULT_INDICATORS
from senda.insights.models import Indicator, Measure, Programme
from senda.insights.tests.indicator_factories import IndicatorFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(org_a: Organisation, org_b: Organisation) -> Programme:
    return ProgrammeFactory.create(lead=org_a, partners=[org_a], viewers=[org_b])


def client_for(user: User) -> Client:
    return login_verified(Client(), user)


def valid_post(programme: Programme, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "women-referred",
        "name": "Mujeres referidas",
        "name_en": "Women referred",
        "programme": programme.pk,
        "source": "referrals",
        "measure": "people",
        "unit": "count",
        "filters": "sex: female\nreason: vaccination, prenatal_care",
        "allowed_dimensions": ["area", "month", "reason"],
        "default_dimension": "reason",
        "position": "5",
        "show_on_dashboard": "on",
    }
    data.update(overrides)
    return data


def test_the_default_indicators_are_installed_and_all_compute(
    programme: Programme, users_a: dict[str, User]
) -> None:
    Indicator.objects.all().delete()
    created = indicators_install_defaults(actor=None)
    assert {i.code for i in created} == {spec["code"] for spec in DEFAULT_INDICATORS}
    assert indicators_install_defaults(actor=None) == []  # idempotent
    from senda.insights.engine import Filters, indicator_table

    officer = users_a[Role.PROGRAMME_OFFICER]
    for indicator in Indicator.objects.all():
        table = indicator_table(
            user=officer,
            indicator=indicator,
            filters=Filters.default(programme),
            by=[indicator.default_dimension],
        )
        assert table.total is not None
    assert Indicator.objects.get(code="people-reached").tr("name", "en") == "People reached"


def test_an_officer_creates_an_indicator_from_the_form(
    programme: Programme, users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    response = client.post(reverse("insights:indicator_create"), valid_post(programme))
    assert response.status_code == 302
    indicator = Indicator.objects.get(code="women-referred")
    assert indicator.filters == {"sex": ["female"], "reason": ["vaccination", "prenatal_care"]}
    assert indicator.programme == programme
    assert indicator.tr("name", "en") == "Women referred"
    assert AuditEntry.objects.filter(action="insights.indicator_create").count() == 1
    page = client.get(reverse("insights:indicator_edit", args=[indicator.pk]))
    assert page.status_code == 200
    assert "Vista previa" in page.content.decode() or "Preview" in page.content.decode()


def test_a_wrong_indicator_keeps_what_was_typed_and_saves_nothing(
    programme: Programme, users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    data = valid_post(
        programme,
        filters="sex: female\ncolour: blue",
        allowed_dimensions=["area", "placement"],
        measure="sum",
    )
    response = client.post(reverse("insights:indicator_create"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "colour: blue" in body  # kept as typed
    assert "Mujeres referidas" in body
    errors = response.context["form"].errors
    assert {"filters", "allowed_dimensions", "measure"} <= set(errors)
    assert not Indicator.objects.filter(code="women-referred").exists()


def test_validation_messages_per_field() -> None:
    def errors(**fields: Any) -> dict[str, list[str]]:
        with pytest.raises(ValidationError) as caught:
            from senda.insights.actions import indicator_errors

            problems = indicator_errors(IndicatorInput(**fields))
            raise ValidationError(problems)
        return caught.value.errors

    assert "code" in errors(code="Bad Code", name="x", source="people", measure="people")
    share = errors(code="s", name="x", source="referrals", measure="share", unit="percent")
    assert "numerator_filters" in share
    assert "duration" in errors(
        code="m", name="x", source="referrals", measure="median_days", unit="days"
    )
    assert "unit" in errors(
        code="u",
        name="x",
        source="referrals",
        measure="share",
        numerator_filters={"attended": ["yes"]},
    )
    assert "parts" in errors(code="p", name="x", measure="parts", parts=[{"source": "nowhere"}])
    assert "default_dimension" in errors(
        code="d",
        name="x",
        source="people",
        measure="people",
        allowed_dimensions=["sex"],
        default_dimension="area",
    )


@pytest.mark.parametrize("organisation", ["a", "b"])
@pytest.mark.parametrize("role", Role.values)
def test_matrix_who_may_manage_the_programmes_indicators(
    programme: Programme,
    users_a: dict[str, User],
    users_b: dict[str, User],
    organisation: str,
    role: str,
) -> None:
    user = (users_a if organisation == "a" else users_b)[role]
    existing = IndicatorFactory.create(programme=programme, name="Antes")
    client = client_for(user)
    allowed = organisation == "a" and role == Role.PROGRAMME_OFFICER
    before = Indicator.objects.count()

    create = client.post(reverse("insights:indicator_create"), valid_post(programme))
    edit = client.post(
        reverse("insights:indicator_edit", args=[existing.pk]),
        valid_post(programme, code=existing.code, name="Después"),
    )
    archive = client.post(reverse("insights:indicator_archive", args=[existing.pk]))
    listing = client.get(reverse("insights:indicator_list"))
    existing.refresh_from_db()
    if allowed:
        assert (create.status_code, edit.status_code, archive.status_code) == (302, 302, 302)
        assert listing.status_code == 200
        assert Indicator.objects.count() == before + 1
        assert existing.name == "Después" and not existing.is_active
        return
    if role == Role.PROGRAMME_OFFICER:  # of B: may manage B's programmes, not A's
        assert create.status_code == 200  # the programme is not among the choices
        assert edit.status_code == 404 and archive.status_code == 404
    else:
        assert {create.status_code, edit.status_code, archive.status_code, listing.status_code} == {
            403
        }
    assert Indicator.objects.count() == before
    assert existing.name == "Antes" and existing.is_active


def test_shared_indicators_are_for_the_coordinations_officers(
    programme: Programme, users_a: dict[str, User], org_a: Organisation
) -> None:
    officer = users_a[Role.PROGRAMME_OFFICER]
    fields = IndicatorInput(code="shared-one", name="Compartido", source="people", measure="people")
    with pytest.raises(PermissionDeniedError):
        indicator_create(actor=officer, fields=fields)
    assert not Indicator.objects.filter(code="shared-one").exists()
    shared = IndicatorFactory.create(programme=None)
    with pytest.raises(NotFoundError):
        indicator_update(actor=officer, indicator=shared, fields=fields)
    org_a.is_network_editor = True
    org_a.save()
    assert indicator_create(actor=officer, fields=fields).programme is None


def test_the_list_page_reads_a_bounded_number_of_queries(
    programme: Programme, users_a: dict[str, User], django_assert_max_num_queries: Any
) -> None:
    IndicatorFactory.create_batch(15, programme=programme)
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    with django_assert_max_num_queries(14):
        assert client.get(reverse("insights:indicator_list")).status_code == 200


def test_programme_pages_create_and_edit(
    users_a: dict[str, User], org_a: Organisation, org_b: Organisation
) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    data = {
        "lead": str(org_a.pk),
        "slug": "salud-frontera",
        "name": "Salud en la frontera",
        "partners": [str(org_a.pk)],
        "viewers": [str(org_b.pk)],
        "countries": ["PA"],
        "period_start": "2026-01-01",
        "period_end": "2025-01-01",
    }
    refused = client.post(reverse("insights:programme_manage_create"), data)
    assert refused.status_code == 200
    assert "period_end" in refused.context["form"].errors
    assert "salud-frontera" in refused.content.decode()
    assert not Programme.objects.filter(slug="salud-frontera").exists()
    data["period_end"] = "2026-12-31"
    assert client.post(reverse("insights:programme_manage_create"), data).status_code == 302
    programme = Programme.objects.get(slug="salud-frontera")
    assert list(programme.viewer_organisations.all()) == [org_b]
    data["name"] = "Salud en las fronteras"
    edit_url = reverse("insights:programme_manage_edit", args=[programme.pk])
    assert client.post(edit_url, data).status_code == 302
    programme.refresh_from_db()
    assert programme.name == "Salud en las fronteras"
    assert client.get(reverse("insights:programme_manage_list")).status_code == 200


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.PROGRAMME_OFFICER])
def test_programme_pages_refuse_other_roles_and_change_nothing(
    programme: Programme, users_a: dict[str, User], role: str
) -> None:
    client = client_for(users_a[role])
    edit_url = reverse("insights:programme_manage_edit", args=[programme.pk])
    response = client.post(edit_url, {"name": "Cambiado", "slug": "otro"})
    assert response.status_code == 403
    programme.refresh_from_db()
    assert programme.name != "Cambiado"
    assert client.get(reverse("insights:programme_manage_list")).status_code == 403


def test_an_unknown_measure_value_in_the_form_is_a_form_error(
    programme: Programme, users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    response = client.post(
        reverse("insights:indicator_create"), valid_post(programme, measure=Measure.SHARE)
    )
    assert response.status_code == 200
    assert "numerator_filters" in response.context["form"].errors
