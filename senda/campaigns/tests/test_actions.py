from __future__ import annotations

import dataclasses
import datetime

import pytest
from django.test import Client

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.campaigns.actions import (
    CampaignFields,
    campaign_create,
    campaign_set_logo,
    placement_counts_import,
    placement_create,
)
from senda.campaigns.models import Campaign, Placement, PlacementDailyCount
from senda.campaigns.tests.factories import CampaignFactory, PlacementFactory
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.geo.models import Country


@pytest.fixture
def fields(db: None) -> CampaignFields:
    return CampaignFields(
        slug="yocamino",
        country=Country.objects.get(code="NI"),
        name="#YoCamino",
        key_messages=("Viajar de forma regular te protege.",),
        key_messages_en=("Travelling regularly protects you.",),
        social_links=(("Facebook", "https://example.org/fb"),),
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slug": "Yo Camino"}, "slug"),
        ({"slug": "-yocamino"}, "slug"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"primary_colour": "#eeeeee"}, "primary_colour"),
        ({"accent_colour": "blue"}, "accent_colour"),
        (
            {
                "period_start": datetime.date(2026, 5, 1),
                "period_end": datetime.date(2026, 4, 1),
            },
            "period_end",
        ),
        ({"social_links": (("Facebook", "javascript:alert(1)"),)}, "social_links"),
    ],
)
def test_campaign_create_refuses_bad_input_and_saves_nothing(
    fields: CampaignFields,
    users_a: dict[str, User],
    org_a: Organisation,
    changes: dict[str, object],
    field: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        campaign_create(
            actor=users_a[Role.CONTENT_EDITOR],
            owner=org_a,
            fields=dataclasses.replace(fields, **changes),  # type: ignore[arg-type]
        )
    assert field in refused.value.errors
    assert not Campaign.objects.exists() and not AuditEntry.objects.exists()


def test_a_taken_address_name_is_refused(
    fields: CampaignFields, users_a: dict[str, User], org_a: Organisation
) -> None:
    CampaignFactory.create(slug="yocamino")
    with pytest.raises(ValidationError) as refused:
        campaign_create(actor=users_a[Role.ORG_ADMIN], owner=org_a, fields=fields)
    assert "slug" in refused.value.errors


def test_campaign_create_keeps_both_languages_and_audits(
    fields: CampaignFields, users_a: dict[str, User], org_a: Organisation
) -> None:
    campaign = campaign_create(actor=users_a[Role.ORG_ADMIN], owner=org_a, fields=fields)
    assert campaign.tr("key_messages", "es") == ["Viajar de forma regular te protege."]
    assert campaign.tr("key_messages", "en") == ["Travelling regularly protects you."]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.organisation) == ("campaign.create", org_a)


def test_only_managers_of_the_owner_write(
    fields: CampaignFields,
    users_a: dict[str, User],
    users_b: dict[str, User],
    org_a: Organisation,
) -> None:
    for user in (users_b[Role.ORG_ADMIN], users_a[Role.INFO_POINT_STAFF], users_a[Role.VIEWER]):
        with pytest.raises(PermissionDeniedError):
            campaign_create(actor=user, owner=org_a, fields=fields)
    campaign = CampaignFactory.create(owner=org_a)
    with pytest.raises(PermissionDeniedError):
        placement_create(
            actor=users_b[Role.CONTENT_EDITOR], campaign=campaign, kind="poster", description="x"
        )
    with pytest.raises(PermissionDeniedError):
        campaign_set_logo(actor=users_b[Role.ORG_ADMIN], campaign=campaign, data=None)
    assert Campaign.objects.count() == 1 and not Placement.objects.exists()


def test_placement_create_checks_kind_and_description(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    campaign = CampaignFactory.create(owner=org_a)
    actor = users_a[Role.PROGRAMME_OFFICER]
    with pytest.raises(ValidationError) as refused:
        placement_create(actor=actor, campaign=campaign, kind="billboard", description=" ")
    assert set(refused.value.errors) == {"kind", "description"}
    with pytest.raises(ValidationError):
        placement_create(actor=actor, campaign=campaign, kind="flyer", description="x" * 201)
    assert not Placement.objects.exists()


def test_counts_import_replaces_the_same_days_and_is_repeatable(db: None) -> None:
    placement = PlacementFactory.create()
    day = datetime.date(2026, 1, 10)
    counts = {(day, "visit"): 8, (day, "checklist"): 2, (day, "inquiry"): 0}
    placement_counts_import(actor=None, placement=placement, counts=counts)
    placement_counts_import(actor=None, placement=placement, counts=counts)
    stored = dict(
        PlacementDailyCount.objects.filter(placement=placement).values_list("event", "count")
    )
    assert stored == {"visit": 8, "checklist": 2}
    with pytest.raises(ValidationError):
        placement_counts_import(actor=None, placement=placement, counts={(day, "visit"): -1})


def test_a_head_request_on_a_short_link_counts_nothing(db: None) -> None:
    placement = PlacementFactory.create()
    assert Client().head(f"/q/{placement.code}").status_code == 302
    assert not PlacementDailyCount.objects.exists()
