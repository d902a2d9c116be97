"""Public guide pages, the checklist flow and the staff editor, through the HTTP client."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest
from django.test import Client

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.campaigns.models import PlacementDailyCount
from senda.campaigns.tests.factories import PlacementFactory
from senda.directory.tests.factories import LocationFactory, ServiceFactory
from senda.pathways import actions
from senda.pathways.models import Channel, Explainer, GuideStatus
from senda.pathways.tests.factories import (
    ChannelDocumentFactory,
    ChannelFactory,
    DocumentFactory,
    DocumentSourceFactory,
    ExplainerFactory,
    days_ago,
)

pytestmark = pytest.mark.django_db

CHECKLIST = "/en/guides/checklist/"
ANSWERS: dict[str, Any] = {
    "nationality": "GT",
    "current_country": "GT",
    "destination": "MX",
    "purpose": "work",
    "age_group": "18_24",
    "documents_held": ["passport"],
    "documents_done": "1",
}


@pytest.fixture
def guides(org_a: Organisation) -> dict[str, Any]:
    passport = DocumentFactory.create(slug="passport", name="Pasaporte")
    national_id = DocumentFactory.create(slug="national-id", name="DPI")
    offer = DocumentFactory.create(slug="job-offer", name="Oferta", is_identity=False)
    DocumentSourceFactory.create(document=national_id, country_id="GT", where="RENAP oficina")
    DocumentSourceFactory.create(document=national_id, country_id="HN", where="RNP oficina")
    worker = ChannelFactory.create(
        owner=org_a,
        published=True,
        slug="worker",
        name="Trabajador fronterizo",
        translations={"en": {"name": "Border worker", "summary": "Work in the south."}},
        eligibility={
            "all": [
                {"answer": "purpose", "in": ["work"]},
                {"answer": "nationality", "in": ["GT"]},
            ]
        },
        source_url="https://www.gob.mx/inm",
        source_name="INM",
        is_example=True,
    )
    for document in (passport, national_id, offer):
        ChannelDocumentFactory.create(channel=worker, document=document)
    open_channel = ChannelFactory.create(
        owner=org_a,
        published=True,
        slug="open",
        translations={"en": {"name": "Open to all", "summary": "Anyone."}},
    )
    ChannelDocumentFactory.create(channel=open_channel, document=national_id)
    refuge = ChannelFactory.create(
        owner=org_a,
        published=True,
        slug="refuge",
        translations={"en": {"name": "Refuge", "summary": "Protection."}},
        eligibility={"answer": "purpose", "in": ["protection"]},
    )
    ChannelFactory.create(owner=org_a, slug="draft", translations={"en": {"name": "Secret draft"}})
    stale = ChannelFactory.create(
        owner=org_a, published=True, slug="stale", verified_on=days_ago(200)
    )
    explainer = ExplainerFactory.create(owner=org_a, published=True)
    return {
        "worker": worker,
        "open": open_channel,
        "refuge": refuge,
        "stale": stale,
        "explainer": explainer,
    }


def test_index_lists_countries_with_published_channels(
    guides: dict[str, Any], client: Client
) -> None:
    page = client.get("/en/guides/")
    assert page.status_code == 200
    assert list(page.context["countries"].values_list("code", flat=True)) == ["MX"]
    assert b"/en/guides/MX/" in page.content


def test_country_page_lists_published_channels_only(guides: dict[str, Any], client: Client) -> None:
    page = client.get("/en/guides/mx/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Border worker" in text
    assert "Secret draft" not in text
    assert "/en/guides/MX/regular-or-irregular/" in text
    assert "/en/guides/checklist/?destination=MX" in text
    assert client.get("/en/guides/ZZ/").status_code == 404


def test_channel_page_shows_everything_a_reader_needs(
    guides: dict[str, Any], client: Client, users_a: dict[str, User]
) -> None:
    worker = guides["worker"]
    service = ServiceFactory.create(published=True, name="Oficina INM")
    actions.channel_set_where_to_apply(
        actor=users_a[Role.CONTENT_EDITOR], channel=worker, service_ids=[service.pk]
    )
    actions.guide_publish(
        actor=users_a[Role.CONTENT_EDITOR], guide=worker, change_note="Fees updated."
    )
    page = client.get("/en/guides/MX/worker/?via=abc")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Border worker" in text
    assert "RENAP oficina" in text
    assert "Paso uno" in text
    assert f"/en/services/{service.pk}/" in text
    assert "https://www.gob.mx/inm" in text
    assert "Fees updated." in text
    assert "not legal advice" in text
    assert "/en/ask/?country=MX" in text
    assert "Example content" in text
    assert "Nobody has checked" not in text


def test_stale_channel_warns_readers(guides: dict[str, Any], client: Client) -> None:
    page = client.get("/en/guides/MX/stale/")
    assert "Nobody has checked this guide" in page.content.decode()


def test_drafts_and_unknown_channels_are_not_found(guides: dict[str, Any], client: Client) -> None:
    assert client.get("/en/guides/MX/draft/").status_code == 404
    assert client.get("/en/guides/MX/nope/").status_code == 404
    assert client.get("/en/guides/GT/regular-or-irregular/").status_code == 404


def test_explainer_page(guides: dict[str, Any], client: Client) -> None:
    page = client.get("/en/guides/MX/regular-or-irregular/")
    assert page.status_code == 200
    assert "Regular or irregular?" in page.content.decode()
    assert "Trafficking." in page.content.decode()


# The checklist.


def _step(page: Any) -> str:
    return page.context["screen"].name


def test_checklist_walks_one_question_per_screen(guides: dict[str, Any], client: Client) -> None:
    page = client.get(CHECKLIST)
    assert page.status_code == 200
    assert _step(page) == "nationality"
    answers: list[tuple[str, str]] = []
    for name in ("nationality", "current_country", "destination", "purpose", "age_group"):
        assert _step(page) == name
        answers.append((name, ANSWERS[name]))
        hidden = page.context["screen"].hidden
        assert [pair for pair in hidden if pair[0] != "via"] == answers[:-1]
        page = client.get(CHECKLIST, [*hidden, (name, ANSWERS[name]), ("step", name)])
    assert _step(page) == "documents_held"
    assert page.context["screen"].back_query
    result = client.get(
        CHECKLIST,
        [*page.context["screen"].hidden, ("documents_held", "passport"), ("documents_done", "1")],
    )
    assert result.status_code == 200
    assert "result" in result.context


def test_missing_answer_shows_the_step_again_with_a_message(
    guides: dict[str, Any], client: Client
) -> None:
    page = client.get(CHECKLIST, {"nationality": "GT", "step": "current_country"})
    assert page.status_code == 400
    assert _step(page) == "current_country"
    assert "Choose the country where you are now" in page.content.decode()
    assert ("nationality", "GT") in page.context["screen"].hidden


@pytest.mark.parametrize(
    ("answers", "step"),
    [
        ({"nationality": "XX", "step": "nationality"}, "nationality"),
        ({**ANSWERS, "purpose": "holiday"}, "purpose"),
        ({**ANSWERS, "age_group": "old"}, "age_group"),
        ({**ANSWERS, "destination": "GT"}, "destination"),  # no guides for GT
        ({**ANSWERS, "documents_held": ["spaceship"]}, "documents_held"),
    ],
)
def test_bad_answers_show_the_step_again(
    guides: dict[str, Any], client: Client, answers: dict[str, Any], step: str
) -> None:
    page = client.get(CHECKLIST, answers)
    assert page.status_code == 400
    assert _step(page) == step
    assert page.context["screen"].error


def test_back_link_reopens_the_previous_question_with_its_answer(
    guides: dict[str, Any], client: Client
) -> None:
    page = client.get(CHECKLIST, {"nationality": "GT", "current_country": "GT"})
    assert _step(page) == "destination"
    back = dict(parse_qsl(page.context["screen"].back_query))
    assert back["edit"] == "current_country"
    previous = client.get(CHECKLIST, back)
    assert _step(previous) == "current_country"
    assert previous.context["screen"].selected == {"GT"}


def test_result_ranks_channels_merges_documents_and_explains(
    guides: dict[str, Any], client: Client
) -> None:
    page = client.get(CHECKLIST, ANSWERS)
    assert page.status_code == 200
    result = page.context["result"]
    # More matched conditions first; then fewer documents missing (stale has none listed).
    assert [fit.channel.slug for fit in result.fitting] == ["worker", "stale", "open"]
    assert "refuge" in [fit.channel.slug for fit in result.not_fitting]
    slugs = [item.document.slug for item in result.documents]
    assert slugs == ["passport", "national-id", "job-offer"]  # no duplicates
    held = {item.document.slug: item.held for item in result.documents}
    assert held == {"passport": True, "national-id": False, "job-offer": False}
    text = page.content.decode()
    assert "RENAP oficina" in text and "RNP oficina" not in text
    assert "What you cannot use, and why" in text
    assert "Your reason for going (work) is not one of: protection." in text
    assert "https://wa.me/?text=" in text
    assert "not legal advice" in text
    assert "/en/ask/?country=GT" in text
    assert "/en/guides/opportunities/?country=GT" in text


def test_result_lists_nearby_information_points(guides: dict[str, Any], client: Client) -> None:
    place = LocationFactory.create(
        latitude=14.63, longitude=-90.51, country_id="GT", admin_area_id="GT01"
    )
    ServiceFactory.create(
        published=True,
        name="Punto de información",
        categories=["migration.information"],
        locations=[place],
    )
    page = client.get(CHECKLIST, ANSWERS)
    assert [hit.service.name for hit in page.context["info_points"]] == ["Punto de información"]


def test_result_with_a_placement_counts_a_checklist_event(
    guides: dict[str, Any], client: Client
) -> None:
    placement = PlacementFactory.create()
    page = client.get(CHECKLIST, {**ANSWERS, "via": placement.code})
    assert page.status_code == 200
    count = PlacementDailyCount.objects.get(placement=placement, event="checklist")
    assert count.count == 1
    assert f"via={placement.code}" in page.content.decode()
    share = page.context["share_url"]
    assert placement.code in share
    # Intermediate steps carry the code without counting.
    step = client.get(CHECKLIST, {"via": placement.code})
    assert ("via", placement.code) in step.context["screen"].hidden
    assert PlacementDailyCount.objects.get(placement=placement, event="checklist").count == 1


def test_result_url_holds_every_answer(guides: dict[str, Any], client: Client) -> None:
    page = client.get(CHECKLIST, ANSWERS)
    share = page.context["share_url"]
    from urllib.parse import unquote

    query = dict(parse_qsl(urlparse(unquote(share.split("text=", 1)[1])).query))
    assert query["destination"] == "MX" and query["documents_held"] == "passport"


def test_opportunities_lists_local_services_by_category(
    guides: dict[str, Any], client: Client
) -> None:
    place = LocationFactory.create(
        latitude=14.63, longitude=-90.51, country_id="GT", admin_area_id="GT01"
    )
    ServiceFactory.create(
        published=True,
        name="Curso de cocina",
        categories=["education.vocational"],
        locations=[place],
    )
    page = client.get("/en/guides/opportunities/", {"country": "GT"})
    assert page.status_code == 200
    sections = dict(page.context["sections"])
    assert [s.name for s in sections["education"]] == ["Curso de cocina"]
    assert sections["employment"] == []
    assert client.get("/en/guides/opportunities/").status_code == 200
    assert client.get("/en/guides/opportunities/", {"country": "??"}).status_code == 200


# Staff editor.


def _form(**changes: Any) -> dict[str, Any]:
    data = {
        "owner": "",
        "country": "MX",
        "slug": "nuevo",
        "name_es": "Canal nuevo",
        "name_en": "New channel",
        "summary_es": "Resumen",
        "summary_en": "Summary",
        "who_can_apply_es": "",
        "who_can_apply_en": "",
        "steps_es": "Uno\nDos",
        "steps_en": "One\nTwo",
        "fees_es": "",
        "fees_en": "",
        "processing_time_es": "",
        "processing_time_en": "",
        "source_url": "https://www.gob.mx/inm",
        "source_name": "INM",
        "documents": "",
        "eligibility": "",
    }
    data.update(changes)
    return data


def test_editor_creates_edits_and_publishes_a_channel(
    guides: dict[str, Any], client: Client, users_a: dict[str, User], org_a: Organisation
) -> None:
    login_verified(client, users_a[Role.CONTENT_EDITOR])
    assert client.get("/en/staff/guides/channels/new/").status_code == 200
    rule = json.dumps({"answer": "purpose", "in": ["study"]})
    response = client.post(
        "/en/staff/guides/channels/new/",
        _form(owner=org_a.pk, eligibility=rule, documents="passport\nnational-id"),
    )
    assert response.status_code == 302
    channel = Channel.objects.get(slug="nuevo")
    assert channel.steps == ["Uno", "Dos"]
    assert channel.tr("steps", "en") == ["One", "Two"]
    assert channel.eligibility == {"answer": "purpose", "in": ["study"]}
    assert [link.document.slug for link in channel.document_links.all()] == [
        "passport",
        "national-id",
    ]
    edit_url = f"/en/staff/guides/channels/{channel.pk}/"
    page = client.get(edit_url)
    assert page.status_code == 200
    assert "national-id" in page.content.decode()
    response = client.post(edit_url, _form(name_es="Renombrado", documents="passport"))
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Renombrado"
    assert channel.document_links.count() == 1
    client.post(f"/en/staff/guides/channel/{channel.pk}/publish/", {"change_note": "Ready."})
    client.post(f"/en/staff/guides/channel/{channel.pk}/verify/")
    channel.refresh_from_db()
    assert channel.status == GuideStatus.PUBLISHED
    assert channel.versions.get().change_note == "Ready."
    assert channel.verified_on is not None
    client.post(f"/en/staff/guides/channel/{channel.pk}/archive/")
    channel.refresh_from_db()
    assert channel.status == GuideStatus.ARCHIVED


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('{"all": [', "This is not valid JSON"),
        ('{"all": [{"answer": "purpose", "in": ["holiday"]}]}', "In all[0], &quot;holiday&quot;"),
    ],
)
def test_invalid_rule_is_refused_and_the_text_kept(
    guides: dict[str, Any], client: Client, users_a: dict[str, User], rule: str, message: str
) -> None:
    login_verified(client, users_a[Role.CONTENT_EDITOR])
    worker = guides["worker"]
    response = client.post(f"/en/staff/guides/channels/{worker.pk}/", _form(eligibility=rule))
    assert response.status_code == 200
    text = response.content.decode()
    assert message in text
    assert rule.replace('"', "&quot;") in text
    worker.refresh_from_db()
    assert worker.name == "Trabajador fronterizo"


def test_unknown_document_is_refused_and_nothing_saved(
    guides: dict[str, Any], client: Client, users_a: dict[str, User]
) -> None:
    login_verified(client, users_a[Role.CONTENT_EDITOR])
    worker = guides["worker"]
    response = client.post(
        f"/en/staff/guides/channels/{worker.pk}/", _form(name_es="Otro", documents="nope")
    )
    assert response.status_code == 200
    assert "Unknown documents: nope." in response.content.decode()
    worker.refresh_from_db()
    assert worker.name == "Trabajador fronterizo"
    assert worker.document_links.count() == 3


def test_publish_without_note_is_refused(
    guides: dict[str, Any], client: Client, users_a: dict[str, User]
) -> None:
    login_verified(client, users_a[Role.CONTENT_EDITOR])
    worker = guides["worker"]
    client.post(f"/en/staff/guides/channel/{worker.pk}/publish/", {"change_note": ""})
    assert not worker.versions.exists()
    assert client.post(f"/en/staff/guides/other/{worker.pk}/publish/").status_code == 404


def test_stale_page_lists_old_guides(
    guides: dict[str, Any], client: Client, users_a: dict[str, User]
) -> None:
    login_verified(client, users_a[Role.CONTENT_EDITOR])
    page = client.get("/en/staff/guides/stale/")
    assert page.status_code == 200
    assert list(page.context["channels"]) == [guides["stale"]]


def test_staff_list_query_count_does_not_grow(
    guides: dict[str, Any],
    client: Client,
    users_a: dict[str, User],
    org_a: Organisation,
    django_assert_max_num_queries: Any,
) -> None:
    login_verified(client, users_a[Role.CONTENT_EDITOR])
    client.get("/en/staff/guides/")
    for number in range(5):
        ChannelFactory.create(owner=org_a, slug=f"more-{number}")
    with django_assert_max_num_queries(15):
        assert client.get("/en/staff/guides/").status_code == 200


def test_editor_creates_edits_and_publishes_an_explainer(
    client: Client, users_a: dict[str, User], org_a: Organisation
) -> None:
    login_verified(client, users_a[Role.CONTENT_EDITOR])
    texts = {
        "title_es": "¿Regular?",
        "title_en": "Regular?",
        "regular_text_es": "Regular.",
        "regular_text_en": "Regular.",
        "irregular_text_es": "Irregular.",
        "irregular_text_en": "",
        "risks_text_es": "Trata.",
        "risks_text_en": "Trafficking.",
        "source_url": "",
        "source_name": "",
    }
    missing = client.post(
        "/en/staff/guides/explainers/new/",
        {**texts, "owner": org_a.pk, "country": "GT", "risks_text_es": ""},
    )
    assert missing.status_code == 200
    assert not Explainer.objects.exists()
    response = client.post(
        "/en/staff/guides/explainers/new/", {**texts, "owner": org_a.pk, "country": "GT"}
    )
    explainer = Explainer.objects.get()
    assert response.status_code == 302
    assert explainer.tr("risks_text", "en") == "Trafficking."
    edit_url = f"/en/staff/guides/explainers/{explainer.pk}/"
    assert client.get(edit_url).status_code == 200
    client.post(edit_url, {**texts, "title_es": "Nuevo título"})
    client.post(f"/en/staff/guides/explainer/{explainer.pk}/publish/", {"change_note": "Hi."})
    explainer.refresh_from_db()
    assert explainer.title == "Nuevo título"
    assert explainer.status == GuideStatus.PUBLISHED
    assert client.get("/en/guides/GT/regular-or-irregular/").status_code == 200
    other = users_a[Role.INFO_POINT_STAFF]
    login_verified(client, other)
    assert client.get(edit_url).status_code == 404
