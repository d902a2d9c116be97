"""Staff pages of outreach activities and vaccination sessions, through the HTTP client."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.actions.activities import OutreachInput, outreach_record
from senda.casework.models import OutreachActivity, OutreachTally, VaccinationSession
from senda.casework.tests.factories import TeamFactory
from senda.directory.tests.factories import LocationFactory
from senda.geo.models import AdminArea

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    return login_verified(Client(), user)


def outreach_form(**fields: Any) -> dict[str, Any]:
    return {
        "date": timezone.localdate().isoformat(),
        "place_type": "metro",
        "place_name": "Estación Los Andes",
        "area": "PA0805",
        "team": "",
        "t_migrant_18_29_female": "9",
        "t_host_60plus_male": "2",
        "m_leaflet": "30",
        "note": "",
        **fields,
    }


def record(user: User, organisation: Organisation, **fields: Any) -> OutreachActivity:
    data: dict[str, Any] = {
        "date": timezone.localdate(),
        "place_type": "supermarket",
        "area": AdminArea.objects.get(pcode="PA0805"),
        "tallies": {("female", "30-59", "migrant"): 4},
        **fields,
    }
    return outreach_record(actor=user, organisation=organisation, data=OutreachInput(**data))


def test_promoter_records_outreach_with_the_grid(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    client = signed_in(promoter)
    page = client.get(reverse("casework:outreach_create"))
    assert page.status_code == 200
    html = page.content.decode()
    # 3 sexes x 6 age groups x 2 communities, and the materials.
    assert html.count('class="count"') == 36 + 6
    response = client.post(reverse("casework:outreach_create"), outreach_form())
    activity = OutreachActivity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:outreach_detail", args=[activity.pk])
    cells = {(t.sex, t.age_group, t.community): t.count for t in activity.tallies.all()}
    assert cells == {("female", "18-29", "migrant"): 9, ("male", "60+", "host"): 2}
    assert activity.materials == {"leaflet": 30}
    assert activity.recorded_by == promoter
    detail = client.get(response["Location"])
    assert "<h2>11 " in detail.content.decode()


def test_empty_grid_keeps_what_was_typed_and_saves_nothing(users_a: dict[str, User]) -> None:
    client = signed_in(users_a[Role.COMMUNITY_VOLUNTEER])
    response = client.post(
        reverse("casework:outreach_create"),
        outreach_form(t_migrant_18_29_female="", t_host_60plus_male="0", place_name="Súper 99"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert _("Count at least one person reached.") in html
    assert 'value="Súper 99"' in html
    assert not OutreachActivity.objects.exists()
    english = client.post(
        "/en" + reverse("casework:outreach_create"), outreach_form(t_migrant_18_29_female="-3")
    )
    assert english.status_code == 200
    assert "Ensure this value is greater than or equal to 0." in english.content.decode()
    assert not OutreachActivity.objects.exists()


def test_list_shows_totals_and_filters(
    users_a: dict[str, User], org_a: Organisation, django_assert_max_num_queries: Any
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    team = TeamFactory.create(organisation=org_a, name="Equipo Norte")
    for _number in range(5):
        record(promoter, org_a, team=team)
    record(promoter, org_a, place_type="metro", area=AdminArea.objects.get(pcode="PA1304"))
    client = signed_in(users_a[Role.SUPERVISOR])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("casework:outreach_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="totals-title">24 ' in html
    assert html.count("Equipo Norte</td>") == 5
    filtered = client.get(reverse("casework:outreach_list"), {"area": "PA13"})
    assert '<h2 id="totals-title">4 ' in filtered.content.decode()
    assert (
        len(re.findall(r'href="/staff/field/outreach/[0-9a-f-]{36}/"', filtered.content.decode()))
        == 1
    )


def test_edit_and_delete_by_the_recorder(users_a: dict[str, User], org_a: Organisation) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    activity = record(promoter, org_a)
    client = signed_in(promoter)
    form = client.get(reverse("casework:outreach_edit", args=[activity.pk]))
    assert 'name="t_migrant_30_59_female" value="4"' in form.content.decode()
    client.post(
        reverse("casework:outreach_edit", args=[activity.pk]),
        outreach_form(t_migrant_18_29_female="1", t_host_60plus_male=""),
    )
    assert list(OutreachTally.objects.values_list("count", flat=True)) == [1]
    # Another recorder may read it but not change it.
    other = signed_in(users_a[Role.COMMUNITY_VOLUNTEER])
    assert other.get(reverse("casework:outreach_detail", args=[activity.pk])).status_code == 200
    refused = other.post(reverse("casework:outreach_delete", args=[activity.pk]))
    assert refused.status_code == 403
    assert OutreachActivity.objects.exists()
    client.post(reverse("casework:outreach_delete", args=[activity.pk]))
    assert not OutreachActivity.objects.exists()
    old = record(promoter, org_a)
    OutreachActivity.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    assert client.get(reverse("casework:outreach_edit", args=[old.pk])).status_code == 403


def test_vaccination_session_pages(
    users_a: dict[str, User], org_a: Organisation, django_assert_max_num_queries: Any
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    centre = LocationFactory.create(owner=org_a, name="Centro de Salud Torrijos Carter")
    client = signed_in(promoter)
    assert client.get(reverse("casework:session_create")).status_code == 200
    missing = client.post(
        reverse("casework:session_create"),
        {"date": timezone.localdate().isoformat(), "location": "", "place_name": "", "area": ""},
    )
    assert missing.status_code == 200
    assert _("Count at least one dose given.") in missing.content.decode()
    response = client.post(
        reverse("casework:session_create"),
        {
            "date": timezone.localdate().isoformat(),
            "location": str(centre.pk),
            "area": "",
            "d_covid19_30_59": "25",
            "d_mmr_0_4": "6",
            "people_referred": "2",
        },
    )
    session = VaccinationSession.objects.get()
    assert response.status_code == 302
    assert session.area_id == "PA0805" and session.location == centre
    assert sorted(session.doses.values_list("count", flat=True)) == [6, 25]
    edit = client.post(
        reverse("casework:session_edit", args=[session.pk]),
        {
            "date": timezone.localdate().isoformat(),
            "location": "",
            "place_name": "Feria de salud",
            "area": "PA1304",
            "d_influenza_60plus": "3",
            "people_referred": "0",
        },
    )
    assert edit.status_code == 302
    session.refresh_from_db()
    assert (session.place_name, session.location, session.area_id) == (
        "Feria de salud",
        None,
        "PA1304",
    )
    viewer = signed_in(users_a[Role.VIEWER])
    with django_assert_max_num_queries(14):
        listing = viewer.get(reverse("casework:session_list"))
    assert '<h2 id="totals-title">3 ' in listing.content.decode()
    assert viewer.get(reverse("casework:session_detail", args=[session.pk])).status_code == 200
    assert viewer.get(reverse("casework:session_create")).status_code == 403
