"""Staff pages for documents (and where each country issues them) and for a channel's
"where to apply", through the HTTP client, with the permission matrix of two organisations."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.core.errors import PermissionDeniedError
from senda.core.models import AuditEntry
from senda.directory.tests.factories import LocationFactory, ServiceFactory
from senda.pathways import actions
from senda.pathways.models import Document, DocumentSource
from senda.pathways.tests.factories import ChannelFactory, DocumentFactory, DocumentSourceFactory

pytestmark = pytest.mark.django_db

EDITOR = Role.CONTENT_EDITOR
DOCUMENTS = "/en/staff/guides/documents/"
TEXTS = ("where", "usual_cost", "usual_time")


def _row(country: str = "", **values: str) -> dict[str, str]:
    row = {"country": country, "source_url": values.pop("source_url", "")}
    for name in TEXTS:
        for language in ("es", "en"):
            row[f"{name}_{language}"] = values.pop(f"{name}_{language}", "")
    if values.pop("remove", ""):
        row["remove"] = "on"
    assert not values
    return row


def _post(rows: list[dict[str, str]], **document: str) -> dict[str, str]:
    data = {
        "name_es": "Pasaporte",
        "name_en": "Passport",
        "description_es": "Documento de viaje.",
        "description_en": "Travel document.",
        "sources-TOTAL_FORMS": str(len(rows)),
        "sources-INITIAL_FORMS": "0",
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "1000",
    }
    data.update(document)
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"sources-{index}-{name}"] = value
    return data


GT_ROW = _row(
    "GT",
    where_es="Oficina del IGM",
    where_en="IGM office",
    usual_cost_es="Q 165",
    usual_cost_en="Q 165",
    usual_time_es="Dos semanas",
    usual_time_en="Two weeks",
    source_url="https://igm.gob.gt",
)


def test_editor_creates_a_document_with_sources_and_spare_rows(
    client: Client, users_a: dict[str, User]
) -> None:
    login_verified(client, users_a[EDITOR])
    page = client.get("/en/staff/guides/documents/new/")
    assert page.status_code == 200
    assert len(page.context["rows"].forms) == 2  # spare empty rows
    response = client.post(
        "/en/staff/guides/documents/new/",
        _post([GT_ROW, _row()], slug="passport", is_identity="on"),
    )
    assert response.status_code == 302
    document = Document.objects.get(slug="passport")
    assert document.is_identity and not document.is_example
    assert document.tr("name", "en") == "Passport"
    assert document.tr("description", "en") == "Travel document."
    source = document.sources.get()
    assert (source.country_id, source.where, source.usual_cost) == (
        "GT",
        "Oficina del IGM",
        "Q 165",
    )
    assert source.tr("where", "en") == "IGM office"
    assert source.tr("usual_time", "en") == "Two weeks"
    assert source.source_url == "https://igm.gob.gt"
    listing = client.get(DOCUMENTS)
    assert listing.status_code == 200
    assert f"/en/staff/guides/documents/{document.pk}/" in listing.content.decode()
    assert DOCUMENTS in client.get("/en/staff/guides/").content.decode()


def test_editor_edits_adds_and_removes_sources(client: Client, users_a: dict[str, User]) -> None:
    document = DocumentFactory.create(slug="passport", name="Pasaporte")
    DocumentSourceFactory.create(document=document, country_id="GT", where="IGM")
    DocumentSourceFactory.create(document=document, country_id="HN", where="INM Honduras")
    login_verified(client, users_a[EDITOR])
    url = f"/en/staff/guides/documents/{document.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [row.initial["country"] for row in rows.initial_forms] == ["GT", "HN"]
    assert len(rows.forms) == 4
    assert "INM Honduras" in page.content.decode()
    before = AuditEntry.objects.filter(action="pathways.document_remove_source").count()
    response = client.post(
        url,
        _post(
            [
                _row("GT", where_es="IGM zona 4", where_en="IGM zone 4"),
                _row("HN", where_es="INM Honduras", remove="on"),
                _row("SV", where_es="DGME"),
                _row(),
            ],
            name_es="Pasaporte ordinario",
        ),
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.name == "Pasaporte ordinario"
    assert document.slug == "passport"
    sources = {s.country_id: s for s in document.sources.all()}
    assert set(sources) == {"GT", "SV"}
    assert sources["GT"].where == "IGM zona 4"
    assert sources["GT"].tr("where", "en") == "IGM zone 4"
    after = AuditEntry.objects.filter(action="pathways.document_remove_source").count()
    assert after == before + 1


@pytest.mark.parametrize(
    ("rows", "document", "message", "kept"),
    [
        ([GT_ROW], {"name_es": ""}, "This field is required.", "IGM office"),
        (
            [GT_ROW, _row(where_es="Sin país", where_en="No country")],
            {},
            "Choose the country that issues it.",
            "No country",
        ),
        ([_row("GT", where_en="Only English")], {}, "Say where to obtain it.", "Only English"),
        ([GT_ROW, GT_ROW], {}, "This country has another row already.", "IGM office"),
        (
            [_row("GT", where_es="IGM", source_url="not a web address")],
            {},
            "Enter a valid URL.",
            "not a web address",
        ),
        ([GT_ROW], {"slug": "Bad Slug!"}, "Enter a valid", "IGM office"),
    ],
)
def test_bad_input_is_refused_keeps_the_typing_and_saves_nothing(
    client: Client,
    users_a: dict[str, User],
    rows: list[dict[str, str]],
    document: dict[str, str],
    message: str,
    kept: str,
) -> None:
    login_verified(client, users_a[EDITOR])
    with translation.override("en"):
        response = client.post(
            "/en/staff/guides/documents/new/", _post(rows, **{"slug": "passport", **document})
        )
    assert response.status_code == 200
    text = response.content.decode()
    assert message in text
    assert kept in text
    assert not Document.objects.exists()
    assert not DocumentSource.objects.exists()


def test_existing_short_name_is_refused_on_create(client: Client, users_a: dict[str, User]) -> None:
    DocumentFactory.create(slug="passport", name="Original")
    login_verified(client, users_a[EDITOR])
    with translation.override("en"):
        response = client.post("/en/staff/guides/documents/new/", _post([GT_ROW], slug="passport"))
    assert response.status_code == 200
    assert "Another document has this short name." in response.content.decode()
    assert Document.objects.get().name == "Original"
    assert not DocumentSource.objects.exists()


def test_remove_source_action_is_audited_and_checks_permission(
    users_a: dict[str, User],
) -> None:
    document = DocumentFactory.create()
    DocumentSourceFactory.create(document=document, country_id="GT")
    with pytest.raises(PermissionDeniedError):
        actions.document_remove_source(
            actor=users_a[Role.VIEWER], document=document, country_code="GT"
        )
    assert document.sources.exists()
    before = AuditEntry.objects.count()
    actions.document_remove_source(actor=users_a[EDITOR], document=document, country_code="gt")
    assert not document.sources.exists()
    assert AuditEntry.objects.count() == before + 1
    # Nothing recorded: nothing to do, nothing audited.
    actions.document_remove_source(actor=users_a[EDITOR], document=document, country_code="GT")
    assert AuditEntry.objects.count() == before + 1


# Documents are shared by every organisation: any content editor may edit them.


@pytest.mark.parametrize("org_key", ["a", "b"])
@pytest.mark.parametrize("role", list(Role.values))
def test_document_pages_matrix(
    users_a: dict[str, User],
    users_b: dict[str, User],
    role: str,
    org_key: str,
    client: Client,
) -> None:
    actor = (users_a if org_key == "a" else users_b)[role]
    document = DocumentFactory.create(slug="passport", name="Original")
    DocumentSourceFactory.create(document=document, country_id="GT", where="IGM")
    login_verified(client, actor)
    before = AuditEntry.objects.count()
    listing = client.get(DOCUMENTS)
    edit = client.get(f"/en/staff/guides/documents/{document.pk}/")
    change = client.post(
        f"/en/staff/guides/documents/{document.pk}/",
        _post([_row("GT", where_es="IGM", remove="on")], name_es="Changed"),
    )
    create = client.post("/en/staff/guides/documents/new/", _post([GT_ROW], slug="new-one"))
    document.refresh_from_db()
    if role == EDITOR:
        assert listing.status_code == 200
        assert edit.status_code == 200
        assert change.status_code == 302
        assert create.status_code == 302
        assert document.name == "Changed"
        assert not document.sources.exists()
        return
    assert listing.status_code == 403
    assert edit.status_code in (403, 404)
    assert change.status_code in (403, 404)
    assert create.status_code == 403
    assert document.name == "Original"
    assert document.sources.count() == 1
    assert Document.objects.count() == 1
    assert AuditEntry.objects.count() == before


def test_anonymous_is_sent_to_log_in(client: Client) -> None:
    assert client.get(DOCUMENTS).status_code == 302


# Where to apply.


@pytest.fixture
def places() -> dict[str, Any]:
    office = LocationFactory.create(
        name="Oficina Tapachula", country_id="MX", admin_area_id="MX07089"
    )
    capital = LocationFactory.create(name="Oficina CDMX", country_id="MX", admin_area_id="MX09")
    abroad = LocationFactory.create(name="Oficina Guatemala", country_id="GT", admin_area_id="GT01")
    inm = ServiceFactory.create(
        published=True,
        name="INM atención",
        categories=["migration.information"],
        locations=[office, capital, abroad],
    )
    ServiceFactory.create(
        name="Borrador INM", categories=["migration.information"], locations=[office]
    )
    ServiceFactory.create(
        published=True, name="Clínica", categories=["health.vaccination"], locations=[office]
    )
    ServiceFactory.create(
        published=True,
        name="Punto en Guatemala",
        categories=["migration.information"],
        locations=[abroad],
    )
    return {"office": office, "capital": capital, "abroad": abroad, "inm": inm}


def test_editor_picks_where_to_apply_and_readers_see_it(
    client: Client, users_a: dict[str, User], org_a: Organisation, places: dict[str, Any]
) -> None:
    channel = ChannelFactory.create(owner=org_a, slug="worker", published=True)
    login_verified(client, users_a[EDITOR])
    edit = client.get(f"/en/staff/guides/channels/{channel.pk}/")
    url = f"/en/staff/guides/channels/{channel.pk}/where/"
    assert url in edit.content.decode()
    page = client.get(url)
    assert page.status_code == 200
    offered = [
        (service.name, [p.name for p, _pc in found]) for service, _c, found in page.context["rows"]
    ]
    assert offered == [("INM atención", ["Oficina CDMX", "Oficina Tapachula"])]
    response = client.post(
        url, {"services": [str(places["inm"].pk)], "locations": [str(places["office"].pk)]}
    )
    assert response.status_code == 302
    # The channel is published: the choice waits for the next publication.
    assert not channel.where_to_apply_services.exists()
    assert (
        f"/en/services/{places['inm'].pk}/"
        not in client.get("/en/guides/MX/worker/").content.decode()
    )
    client.post(f"/en/staff/guides/channel/{channel.pk}/publish/", {"change_note": "Where."})
    assert list(channel.where_to_apply_services.all()) == [places["inm"]]
    assert list(channel.where_to_apply_locations.all()) == [places["office"]]
    again = client.get(url)
    checked = [
        (s.name, c, [(p.name, pc) for p, pc in found]) for s, c, found in again.context["rows"]
    ]
    assert checked == [
        ("INM atención", True, [("Oficina CDMX", False), ("Oficina Tapachula", True)])
    ]
    public = client.get("/en/guides/MX/worker/").content.decode()
    assert f"/en/services/{places['inm'].pk}/" in public
    assert "Oficina Tapachula" in public
    assert "Tapachula" in public.split("Oficina Tapachula", 1)[1]
    # Clearing every box removes the links, once published.
    client.post(url, {})
    assert channel.where_to_apply_services.exists()
    client.post(f"/en/staff/guides/channel/{channel.pk}/publish/", {"change_note": "None."})
    assert not channel.where_to_apply_services.exists()
    assert not channel.where_to_apply_locations.exists()


def test_where_to_apply_refuses_entries_not_offered(
    client: Client, users_a: dict[str, User], org_a: Organisation, places: dict[str, Any]
) -> None:
    channel = ChannelFactory.create(owner=org_a)
    login_verified(client, users_a[EDITOR])
    response = client.post(
        f"/en/staff/guides/channels/{channel.pk}/where/",
        {"services": [str(places["inm"].pk)], "locations": [str(places["abroad"].pk)]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not channel.where_to_apply_services.exists()
    assert not channel.where_to_apply_locations.exists()


@pytest.mark.parametrize("org_key", ["a", "b"])
@pytest.mark.parametrize("role", list(Role.values))
def test_where_to_apply_matrix(
    users_a: dict[str, User],
    users_b: dict[str, User],
    org_a: Organisation,
    role: str,
    org_key: str,
    client: Client,
    places: dict[str, Any],
) -> None:
    actor = (users_a if org_key == "a" else users_b)[role]
    channel = ChannelFactory.create(owner=org_a)
    login_verified(client, actor)
    before = AuditEntry.objects.count()
    url = f"/en/staff/guides/channels/{channel.pk}/where/"
    page = client.get(url)
    response = client.post(url, {"services": [str(places["inm"].pk)]})
    if (role, org_key) == (EDITOR, "a"):
        assert page.status_code == 200
        assert response.status_code == 302
        assert channel.where_to_apply_services.count() == 1
        return
    assert page.status_code in (403, 404)
    assert response.status_code in (403, 404)
    assert not channel.where_to_apply_services.exists()
    assert AuditEntry.objects.count() == before
