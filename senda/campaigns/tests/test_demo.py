from __future__ import annotations

import datetime

import pytest
from django.db.models import Sum
from django.test import Client

from senda.campaigns.look import contrast_with_white
from senda.campaigns.models import Campaign, CampaignStatus, Placement, PlacementDailyCount
from senda.core import demo
from senda.core.demo import campaigns as demo_campaigns
from senda.core.demo.accounts import TENANTS

TODAY = datetime.date(2026, 3, 15)


@pytest.mark.django_db
def test_demo_campaigns_load_once_and_reset() -> None:
    world = demo.load_all(today=TODAY, upto=demo_campaigns)
    demo_campaigns.load(world)
    campaigns = {c.slug: c for c in Campaign.objects.select_related("owner")}
    assert set(campaigns) == {
        "migrar-informados",
        "echale-ganas",
        "ponele-plan",
        "conecta-con-tu-futuro",
        "yocamino",
    }
    assert {c.country_id for c in campaigns.values()} == {"MX", "GT", "HN", "SV", "NI"}
    tenant_names = {tenant.name for tenant in TENANTS}
    colours = set()
    for campaign in campaigns.values():
        assert campaign.status == CampaignStatus.PUBLISHED
        assert campaign.owner.country_id == campaign.country_id
        assert campaign.owner.name in campaign.partners
        assert set(campaign.partners) <= tenant_names
        assert campaign.funder == "Donante de ejemplo"
        assert len(campaign.tr("key_messages", "en")) == len(campaign.key_messages) >= 2
        assert all(link["url"].startswith("https://example.org/") for link in campaign.social_links)
        assert contrast_with_white(campaign.primary_colour) >= 4.5
        assert contrast_with_white(campaign.accent_colour) >= 4.5
        colours.add(campaign.primary_colour)
        assert 2 <= campaign.placements.count() <= 4
        assert campaign.period_start is not None and campaign.period_end is not None
        assert campaign.period_start < TODAY < campaign.period_end
    assert len(colours) == 5
    days = PlacementDailyCount.objects.values_list("day", flat=True)
    assert min(days) == TODAY - datetime.timedelta(days=60)
    assert max(days) == TODAY - datetime.timedelta(days=1)
    totals = PlacementDailyCount.objects.values("event").annotate(total=Sum("count"))
    by_event = {row["event"]: row["total"] for row in totals}
    assert by_event["visit"] > by_event["checklist"] > by_event["inquiry"] > 0

    # Deterministic and idempotent: loading again adds nothing and the figures stay.
    before = (Placement.objects.count(), PlacementDailyCount.objects.aggregate(Sum("count")))
    demo_campaigns.load(world)
    after = (Placement.objects.count(), PlacementDailyCount.objects.aggregate(Sum("count")))
    assert before == after
    assert "5 campaigns" in demo_campaigns.summary()

    response = Client().get("/en/c/ponele-plan/")
    assert response.status_code == 200
    assert "Make a Plan for Your Life" in response.content.decode()

    demo_campaigns.reset()
    assert not Campaign.objects.exists() and not PlacementDailyCount.objects.exists()
