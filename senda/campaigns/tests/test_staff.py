from __future__ import annotations

import csv
import io
import re
from typing import Any
from xml.etree import ElementTree

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import OrganisationFactory, member
from senda.campaigns.models import Campaign, CampaignStatus, Placement, PlacementDailyCount
from senda.campaigns.tests.factories import CampaignFactory, PlacementFactory
from senda.core.models import AuditEntry

MANAGERS = {Role.ORG_ADMIN, Role.CONTENT_EDITOR, Role.PROGRAMME_OFFICER}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def logged_in(user: User) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def campaign_post(**changes: str) -> dict[str, str]:
    data = {
        "slug": "migrar-informados",
        "country": "MX",
        "name": "Migrar Informados",
        "name_en": "Migrate Informed",
        "tagline": "Infórmate antes de migrar",
        "tagline_en": "Get informed before you migrate",
        "description": "",
        "description_en": "",
        "key_messages": "Migrar de forma regular es posible\nTus documentos importan",
        "key_messages_en": "Migrating regularly is possible\nYour documents matter",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "partners": "Socio Uno\nSocio Dos",
        "funder": "Donante de ejemplo",
        "social_links": "Facebook https://example.org/fb\nInstagram https://example.org/ig",
        "primary_colour": "#1f4e79",
        "accent_colour": "#7a2e0e",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("role", list(Role.values))
def test_permission_matrix_over_roles_and_two_organisations(
    role: str, users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation
) -> None:
    campaign = CampaignFactory.create(owner=org_a, status=CampaignStatus.DRAFT)
    placement = PlacementFactory.create(campaign=campaign)
    detail = f"/en/staff/campaigns/{campaign.pk}/"
    reads = [
        detail,
        f"{detail}edit/",
        f"{detail}reach.csv",
        f"{detail}placements/{placement.pk}/qr.png",
        f"{detail}placements/{placement.pk}/qr.svg",
    ]
    own = logged_in(users_a[role])
    other = logged_in(users_b[role])
    list_status = 200 if role in MANAGERS else 403
    assert own.get("/en/staff/campaigns/").status_code == list_status
    assert other.get("/en/staff/campaigns/").status_code == list_status
    for url in reads:
        assert own.get(url).status_code == (200 if role in MANAGERS else 403), url
        # Another organisation's campaign does not exist for this user.
        assert other.get(url).status_code == (404 if role in MANAGERS else 403), url
    audit_before = AuditEntry.objects.count()
    writes = [
        (f"{detail}status/", {"status": "published"}),
        (f"{detail}edit/", campaign_post(slug="taken-over")),
        (f"{detail}placements/", {"kind": "poster", "description": "Intruder"}),
        (f"{detail}placements/{placement.pk}/deactivate/", {}),
    ]
    for url, data in writes:
        assert other.post(url, data).status_code in (403, 404), url
    campaign.refresh_from_db()
    placement.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT and campaign.slug != "taken-over"
    assert placement.is_active and campaign.placements.count() == 1
    assert AuditEntry.objects.count() == audit_before
    if role in MANAGERS:
        assert own.post(f"{detail}status/", {"status": "published"}).status_code == 302
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.PUBLISHED
    else:
        assert own.post(f"{detail}status/", {"status": "published"}).status_code == 403


def test_network_editor_manages_every_organisations_campaigns(org_a: Organisation) -> None:
    network = OrganisationFactory.create(is_network_editor=True)
    editor = member(network, Role.CONTENT_EDITOR)
    officer = member(network, Role.PROGRAMME_OFFICER)
    campaign = CampaignFactory.create(owner=org_a)
    listing = logged_in(editor).get("/en/staff/campaigns/")
    assert campaign.name in listing.content.decode()
    assert logged_in(editor).get(f"/en/staff/campaigns/{campaign.pk}/").status_code == 200
    # Only a content editor of the network organisation acts across organisations.
    assert logged_in(officer).get(f"/en/staff/campaigns/{campaign.pk}/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(db: None) -> None:
    response = Client().get("/en/staff/campaigns/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_create_edit_and_publish_a_campaign(users_a: dict[str, User], org_a: Organisation) -> None:
    client = logged_in(users_a[Role.PROGRAMME_OFFICER])
    response = client.post("/en/staff/campaigns/new/", campaign_post(owner=str(org_a.pk)))
    assert response.status_code == 302
    campaign = Campaign.objects.get(slug="migrar-informados")
    assert campaign.owner == org_a and campaign.status == CampaignStatus.DRAFT
    assert campaign.key_messages == [
        "Migrar de forma regular es posible",
        "Tus documentos importan",
    ]
    assert campaign.tr("key_messages", "en")[1] == "Your documents matter"
    assert campaign.tr("name", "en") == "Migrate Informed"
    assert campaign.social_links[1] == {"network": "Instagram", "url": "https://example.org/ig"}
    assert campaign.partners == ["Socio Uno", "Socio Dos"]
    edit = client.get(f"/en/staff/campaigns/{campaign.pk}/edit/").content.decode()
    assert 'lang="es"' in edit and 'lang="en"' in edit and "Migrate Informed" in edit
    response = client.post(
        f"/en/staff/campaigns/{campaign.pk}/edit/", campaign_post(name_en="Informed Migration")
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.tr("name", "en") == "Informed Migration"
    client.post(f"/en/staff/campaigns/{campaign.pk}/status/", {"status": "published"})
    assert Client().get("/en/c/migrar-informados/").status_code == 200
    client.post(f"/en/staff/campaigns/{campaign.pk}/status/", {"status": "draft"})
    assert Client().get("/en/c/migrar-informados/").status_code == 404
    actions = list(
        AuditEntry.objects.filter(object_id=str(campaign.pk)).values_list("action", flat=True)
    )
    assert set(actions) == {
        "campaign.create",
        "campaign.update",
        "campaign.publish",
        "campaign.unpublish",
    }


def test_a_colour_too_light_for_white_text_is_refused_with_a_clear_message(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    client = logged_in(users_a[Role.CONTENT_EDITOR])
    response = client.post(
        "/en/staff/campaigns/new/",
        campaign_post(owner=str(org_a.pk), primary_colour="#ffd700", accent_colour="#777777"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "White text on #ffd700 has a contrast of 1.40:1" in html
    assert "White text on #777777 has a contrast of 4.47:1" in html
    assert "at least 4.5:1" in html
    assert not Campaign.objects.exists()
    # The darkest grey that still passes AA.
    response = client.post(
        "/en/staff/campaigns/new/",
        campaign_post(owner=str(org_a.pk), primary_colour="#767676", accent_colour="#000000"),
    )
    assert response.status_code == 302
    assert Campaign.objects.get().primary_colour == "#767676"


def test_a_logo_is_checked_by_content_and_size(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    client = logged_in(users_a[Role.CONTENT_EDITOR])
    fake = SimpleUploadedFile("logo.png", b"GIF89a not really a png", content_type="image/png")
    response = client.post(
        "/en/staff/campaigns/new/", {**campaign_post(owner=str(org_a.pk)), "logo": fake}
    )
    assert response.status_code == 200
    assert "The logo must be a PNG, JPEG or SVG image." in response.content.decode()
    assert not Campaign.objects.exists()
    huge = SimpleUploadedFile("logo.png", PNG_SIGNATURE + b"0" * 210_000)
    response = client.post(
        "/en/staff/campaigns/new/", {**campaign_post(owner=str(org_a.pk)), "logo": huge}
    )
    assert "at most 200 KB" in response.content.decode()
    assert not Campaign.objects.exists()
    scripted = SimpleUploadedFile(
        "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    response = client.post(
        "/en/staff/campaigns/new/", {**campaign_post(owner=str(org_a.pk)), "logo": scripted}
    )
    assert "must not contain scripts" in response.content.decode()
    assert not Campaign.objects.exists()
    png = io.BytesIO()
    segno.make("logo").save(png, kind="png")
    good = SimpleUploadedFile("logo.bin", png.getvalue(), content_type="application/octet-stream")
    response = client.post(
        "/en/staff/campaigns/new/", {**campaign_post(owner=str(org_a.pk)), "logo": good}
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.logo_content_type == "image/png" and bytes(campaign.logo or b"").startswith(
        PNG_SIGNATURE
    )


def test_placements_qr_codes_encode_the_absolute_short_link(
    users_a: dict[str, User], org_a: Organisation, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["senda.example", "testserver"]
    campaign = CampaignFactory.create(owner=org_a)
    client = logged_in(users_a[Role.ORG_ADMIN])
    response = client.post(
        f"/en/staff/campaigns/{campaign.pk}/placements/",
        {"kind": "poster", "description": "Terminal de buses"},
    )
    assert response.status_code == 302
    placement = Placement.objects.get(campaign=campaign)
    assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{7}", placement.code)
    assert placement.created_by == users_a[Role.ORG_ADMIN]
    short_link = f"http://senda.example/q/{placement.code}"
    base = f"/en/staff/campaigns/{campaign.pk}/placements/{placement.pk}"
    png = client.get(f"{base}/qr.png", HTTP_HOST="senda.example")
    assert png["Content-Type"] == "image/png" and png.content.startswith(PNG_SIGNATURE)
    assert "attachment" in png["Content-Disposition"]
    svg = client.get(f"{base}/qr.svg", HTTP_HOST="senda.example")
    assert svg["Content-Type"] == "image/svg+xml"
    root = ElementTree.fromstring(svg.content)  # noqa: S314 (our own server's reply)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    # segno cannot decode, but the same link gives the same matrix, which is what was drawn.
    expected = segno.make(short_link, error="m")
    buffer = io.BytesIO()
    expected.save(buffer, kind="svg", scale=10, border=4, xmldecl=True)
    assert svg.content == buffer.getvalue()
    expected_png = io.BytesIO()
    expected.save(expected_png, kind="png", scale=10, border=4)
    assert png.content == expected_png.getvalue()
    changed = "y" if placement.code.endswith("x") else "x"
    other = segno.make(f"http://senda.example/q/{placement.code[:-1]}{changed}", error="m")
    assert other.matrix != expected.matrix
    detail = client.get(f"/en/staff/campaigns/{campaign.pk}/").content.decode()
    assert f"/q/{placement.code}" in detail


def test_a_deactivated_placement_stops_counting(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    placement = PlacementFactory.create(campaign__owner=org_a)
    client = logged_in(users_a[Role.CONTENT_EDITOR])
    url = f"/en/staff/campaigns/{placement.campaign_id}/placements/{placement.pk}/deactivate/"
    assert client.post(url).status_code == 302
    placement.refresh_from_db()
    assert not placement.is_active
    assert Client().get(f"/q/{placement.code}").status_code == 404
    assert not PlacementDailyCount.objects.exists()


def test_reach_table_and_csv_add_up_per_placement(
    users_a: dict[str, User], org_a: Organisation, django_assert_max_num_queries: object
) -> None:
    campaign = CampaignFactory.create(owner=org_a)
    poster = PlacementFactory.create(campaign=campaign, description="Poster")
    radio = PlacementFactory.create(campaign=campaign, kind="radio_spot", description="Radio")
    other_campaign_placement = PlacementFactory.create()
    for day, event, count, placement in (
        ("2026-01-01", "visit", 10, poster),
        ("2026-01-02", "visit", 5, poster),
        ("2026-01-02", "checklist", 3, poster),
        ("2026-01-02", "inquiry", 1, radio),
        ("2026-01-03", "visit", 7, radio),
        ("2026-01-03", "visit", 99, other_campaign_placement),
    ):
        PlacementDailyCount.objects.create(placement=placement, day=day, event=event, count=count)
    client = logged_in(users_a[Role.PROGRAMME_OFFICER])
    response = client.get(f"/en/staff/campaigns/{campaign.pk}/reach.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "code",
        "kind",
        "description",
        "active",
        "visits",
        "checklist_completions",
        "inquiries",
    ]
    assert rows[1] == [poster.code, "poster", "Poster", "yes", "15", "3", "0"]
    assert rows[2] == [radio.code, "radio_spot", "Radio", "yes", "7", "0", "1"]
    assert rows[3] == ["total", "", "", "", "22", "3", "1"]
    for number in range(10):
        PlacementFactory.create(campaign=campaign, description=f"Flyer {number}")
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        detail = client.get(f"/en/staff/campaigns/{campaign.pk}/")
    assert detail.status_code == 200
    assert detail.context["reach"].total_visits == 22
