from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlparse

import pytest
from django.apps import apps
from django.core import serializers
from django.test import Client
from django.urls import reverse

from senda.campaigns.models import CampaignStatus, PlacementDailyCount
from senda.campaigns.tests.factories import CampaignFactory, PlacementFactory

VISITOR_ADDRESS = "203.0.113.77"
VISITOR_AGENT = "DistinctiveAgent/9.9 (phone)"


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_short_link_counts_a_visit_and_redirects_to_the_landing_page_with_via(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    placement = PlacementFactory.create()
    client = Client(REMOTE_ADDR=VISITOR_ADDRESS, HTTP_USER_AGENT=VISITOR_AGENT)
    before = _row_counts()
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/q/{placement.code}")
    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert target.path == reverse("campaigns:landing", args=[placement.campaign.slug])
    assert parse_qs(target.query) == {"via": [placement.code]}
    assert not response.cookies
    assert "no-store" in response["Cache-Control"]
    # Nothing but the aggregate counter changed, and it holds nothing about the visitor.
    after = _row_counts()
    changed = {label for label in after if after[label] != before[label]}
    assert changed == {"campaigns.PlacementDailyCount"}
    row = PlacementDailyCount.objects.get()
    assert (row.event, row.count) == ("visit", 1)
    dumped = serializers.serialize("json", PlacementDailyCount.objects.all())
    assert VISITOR_ADDRESS not in dumped and VISITOR_AGENT not in dumped
    assert VISITOR_ADDRESS not in caplog.text and VISITOR_AGENT not in caplog.text


def test_landing_page_sets_no_cookie_and_carries_via_to_every_shared_piece(db: None) -> None:
    placement = PlacementFactory.create()
    campaign = placement.campaign
    client = Client(REMOTE_ADDR=VISITOR_ADDRESS, HTTP_USER_AGENT=VISITOR_AGENT)
    response = client.get(f"/en/c/{campaign.slug}/", {"via": placement.code})
    assert response.status_code == 200
    assert not response.cookies
    html = response.content.decode()
    for name, args in (
        ("pathways:checklist", []),
        ("pathways:country", [campaign.country_id]),
        ("pathways:opportunities", []),
        ("inquiries:new", []),
    ):
        url = reverse(name, args=args)
        assert f'href="{url}?' in html, name
    links = response.context["links"]
    for key in ("checklist", "guides", "opportunities", "ask"):
        assert parse_qs(urlparse(links[key]).query)["via"] == [placement.code]
    assert parse_qs(urlparse(links["ask"]).query)["country"] == [campaign.country_id]
    assert links["near"] == reverse("portal:near")
    # Visiting the landing page itself is not a second visit: the short link counted it.
    assert not PlacementDailyCount.objects.exists()


def test_landing_page_without_or_with_a_malformed_via_links_without_it(db: None) -> None:
    campaign = CampaignFactory.create()
    for query in ({}, {"via": "<script>alert(1)</script>"}):
        response = Client().get(f"/en/c/{campaign.slug}/", query)
        assert response.status_code == 200
        assert all("via=" not in url for url in response.context["links"].values())
        assert "<script>alert" not in response.content.decode()


def test_landing_page_in_english_and_spanish(db: None) -> None:
    campaign = CampaignFactory.create(
        name="Ponele Plan",
        tagline="Tu futuro empieza aquí",
        key_messages=["Infórmate antes de decidir"],
        translations={
            "en": {
                "name": "Make a Plan",
                "tagline": "Your future starts here",
                "key_messages": ["Get informed before you decide"],
            }
        },
    )
    english = Client().get(f"/en/c/{campaign.slug}/").content.decode()
    spanish = Client().get(f"/c/{campaign.slug}/").content.decode()
    assert '<html lang="en">' in english and '<html lang="es">' in spanish
    assert "Make a Plan" in english and "Get informed before you decide" in english
    assert "Ponele Plan" in spanish and "Infórmate antes de decidir" in spanish
    assert "Make a Plan" not in spanish
    for html in (english, spanish):
        assert "Partner One" in html and "Donante de ejemplo" in html
        assert 'href="https://example.org/facebook"' in html


def test_draft_campaigns_are_not_public(db: None) -> None:
    draft = CampaignFactory.create(status=CampaignStatus.DRAFT, name="Borrador", translations={})
    published = CampaignFactory.create(name="Publicada", translations={})
    listing = Client().get("/en/c/")
    assert listing.status_code == 200
    assert "Publicada" in listing.content.decode()
    assert "Borrador" not in listing.content.decode()
    assert Client().get(f"/en/c/{draft.slug}/").status_code == 404
    assert Client().get(f"/en/c/{draft.slug}/theme.css").status_code == 404
    assert Client().get(f"/en/c/{published.slug}/").status_code == 200


def test_unknown_or_inactive_short_links_lead_to_the_campaign_list(db: None) -> None:
    inactive = PlacementFactory.create(is_active=False)
    draft = PlacementFactory.create(campaign__status=CampaignStatus.DRAFT)
    for code in ("zzzzzzz", "!!", inactive.code, draft.code):
        response = Client().get(f"/q/{code}")
        assert response.status_code == 404
        assert reverse("campaigns:list") in response.content.decode()
        assert not response.cookies
    assert not PlacementDailyCount.objects.exists()


def test_theme_stylesheet_holds_the_campaign_colours_and_is_cacheable(db: None) -> None:
    campaign = CampaignFactory.create(primary_colour="#1a5e20", accent_colour="#6a1b9a")
    response = Client().get(f"/c/{campaign.slug}/theme.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "max-age=" in response["Cache-Control"] and "public" in response["Cache-Control"]
    css = response.content.decode()
    assert "--brand:#1a5e20" in css and "--campaign-accent:#6a1b9a" in css
    landing = Client().get(f"/c/{campaign.slug}/").content.decode()
    assert f"/c/{campaign.slug}/theme.css?v=" in landing
    assert "<style" not in landing and "style=" not in landing


def test_logo_is_served_from_the_database_with_cache_headers(db: None) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    campaign = CampaignFactory.create(logo=svg, logo_content_type="image/svg+xml")
    response = Client().get(f"/c/{campaign.slug}/logo")
    assert response.status_code == 200
    assert response.content == svg
    assert response["Content-Type"] == "image/svg+xml"
    assert "max-age=" in response["Cache-Control"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert f"/c/{campaign.slug}/logo?v=" in Client().get(f"/c/{campaign.slug}/").content.decode()
    without_logo = CampaignFactory.create()
    assert Client().get(f"/c/{without_logo.slug}/logo").status_code == 404
