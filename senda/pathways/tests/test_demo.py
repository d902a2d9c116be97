"""The demo guides load through the actions, are marked as example content and render."""

from __future__ import annotations

import pytest
from django.test import Client

from senda.core import demo
from senda.core.demo import pathways as demo_pathways
from senda.pathways.models import Channel, Document, Explainer, GuideStatus, GuideVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world() -> demo.DemoWorld:
    world = demo.load_all(upto=demo_pathways)
    demo_pathways.load(world)
    return world


def test_demo_guides_cover_the_region_and_are_examples(demo_world: demo.DemoWorld) -> None:
    for code in ("MX", "GT", "HN", "SV", "NI", "PA", "CR", "US"):
        channels = Channel.objects.filter(country_id=code, status=GuideStatus.PUBLISHED)
        assert channels.exists(), code
        assert Explainer.objects.filter(country_id=code, status=GuideStatus.PUBLISHED).exists()
    assert not Channel.objects.filter(is_example=False).exists()
    assert all("no es asesoría legal" in c.summary for c in Channel.objects.all())
    assert GuideVersion.objects.filter(channel__isnull=False).count() == Channel.objects.count()
    assert Document.objects.get(slug="national-id").sources.filter(country_id="GT").exists()


def test_demo_load_is_idempotent_and_reset_removes_it(demo_world: demo.DemoWorld) -> None:
    before = Channel.objects.count()
    demo_pathways.load(demo_world)
    assert Channel.objects.count() == before
    assert "example" in demo_pathways.summary()
    demo_pathways.reset()
    assert not Channel.objects.exists()
    assert not Explainer.objects.exists()
    assert not Document.objects.exists()


def test_demo_pages_and_checklist_result(demo_world: demo.DemoWorld, client: Client) -> None:
    assert client.get("/en/guides/").status_code == 200
    assert client.get("/en/guides/MX/").status_code == 200
    page = client.get("/en/guides/MX/refugio-comar/")
    assert page.status_code == 200
    assert b"COMAR" in page.content
    assert client.get("/en/guides/US/regular-or-irregular/").status_code == 200
    result = client.get(
        "/en/guides/checklist/",
        {
            "nationality": "GT",
            "current_country": "GT",
            "destination": "MX",
            "purpose": "work",
            "age_group": "18_24",
            "documents_held": ["national-id"],
            "documents_done": "1",
        },
    )
    assert result.status_code == 200
    assert result.context["result"].fitting[0].channel.slug == "visitante-trabajador-fronterizo"


def test_demo_channels_link_the_information_points_of_their_country(
    demo_world: demo.DemoWorld, client: Client
) -> None:
    linked = [c for c in Channel.objects.all() if c.where_to_apply_services.exists()]
    assert linked
    for channel in linked:
        for service in channel.where_to_apply_services.all():
            assert service.service_at_locations.filter(
                location__country_id=channel.country_id
            ).exists()
        for place in channel.where_to_apply_locations.all():
            assert place.country_id == channel.country_id
    channel = linked[0]
    page = client.get(f"/en/guides/{channel.country_id}/{channel.slug}/")
    first = channel.where_to_apply_services.first()
    assert first is not None
    assert f"/en/services/{first.pk}/" in page.content.decode()
