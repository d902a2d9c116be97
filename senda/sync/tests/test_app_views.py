"""The field app's page, manifest, service worker and setup answer, through the HTTP client."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import translation

from senda.accounts.models import User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import OrganisationFactory, member
from senda.sync import app_views

pytestmark = pytest.mark.django_db

APP_DIR = Path(str(finders.find("sync/field/app.js"))).parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _config(response: Any) -> dict[str, Any]:
    found = re.search(
        r'<script id="field-app-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, "the page carries the app's data"
    return dict(json.loads(found.group(1)))


@pytest.mark.parametrize(("prefix", "language"), [("", "es"), ("/en", "en")])
def test_the_page_is_one_static_shell_per_language(
    client: Client, prefix: str, language: str
) -> None:
    response = client.get(f"{prefix}/field/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    # Strict CSP and no inline script or style: scripts are files, data is JSON.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'type="module" src="/static/' in tag or 'type="application/json"' in tag, tag
    assert "style=" not in html and "<style" not in html
    assert response["Cache-Control"] == "no-cache"
    config = _config(response)
    assert config["language"] == language
    assert config["urls"]["app"] == f"{prefix}/field/"
    assert config["urls"]["sw"] == f"{prefix}/field/sw.js"
    assert {"sex", "age_group", "vaccine", "reason", "referral_status"} <= set(config["choices"])


def test_the_page_holds_nothing_of_the_signed_in_person(client: Client) -> None:
    organisation = OrganisationFactory.create(country_id="PA")
    anonymous = client.get("/en/field/").content
    worker = member(organisation, Role.HEALTH_PROMOTER, username="ana.field")
    login_verified(client, worker)
    signed_in = client.get("/en/field/").content
    # The service worker keeps this page for everyone who opens the app on the phone.
    assert signed_in == anonymous
    assert b"ana.field" not in signed_in
    assert b"csrfmiddlewaretoken" not in signed_in


def test_every_sentence_the_scripts_use_is_translated_by_the_page() -> None:
    used: set[str] = set()
    for script in APP_DIR.glob("*.js"):
        used |= set(re.findall(r'\bt\("([a-z_]+)"', script.read_text()))
        used |= {f"kind_{kind}" for kind in re.findall(r'"kind_([a-z_]+)"', script.read_text())}
    with translation.override("en"):
        strings = app_views.strings()
    missing = sorted(used - set(strings))
    assert not missing, f"sentences without a translation: {missing}"
    with translation.override("es"):
        spanish = app_views.strings()
    assert set(spanish) == set(strings)


def test_every_list_the_scripts_use_is_in_the_page() -> None:
    used: set[str] = set()
    for script in APP_DIR.glob("*.js"):
        text = script.read_text()
        used |= set(re.findall(r'choices(?:\(|: )"([a-z_]+)"', text))
        used |= set(re.findall(r'\blabel\("([a-z_]+)"', text))
    assert used
    assert used <= set(app_views.app_config()["choices"])


@pytest.mark.parametrize(("prefix", "language"), [("", "es"), ("/en", "en")])
def test_the_app_can_be_installed_in_each_language(
    client: Client, prefix: str, language: str
) -> None:
    response = client.get(f"{prefix}/field/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["start_url"] == f"{prefix}/field/"
    assert manifest["scope"] == f"{prefix}/field/"
    assert manifest["display"] == "standalone"
    assert manifest["lang"] == language
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon["src"]
        if icon["type"] == "image/png":
            content = Path(str(path)).read_bytes()
            assert content.startswith(PNG_SIGNATURE)
            width, height = (
                int.from_bytes(content[16:20], "big"),
                int.from_bytes(content[20:24], "big"),
            )
            assert f"{width}x{height}" == icon["sizes"]


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_service_worker_keeps_the_whole_app(client: Client, prefix: str) -> None:
    response = client.get(f"{prefix}/field/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == f"{prefix}/field/"
    assert response["Cache-Control"] == "no-cache"
    source = response.content.decode()
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", source).group(1))  # type: ignore[union-attr]
    assert f"{prefix}/field/" in precache
    for name in app_views.APP_FILES:
        assert f"/static/sync/field/{name}" in precache
    # Every module the page loads and every module they import is kept.
    page = client.get(f"{prefix}/field/").content.decode()
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        assert src in precache, src
    for script in APP_DIR.glob("*.js"):
        for imported in re.findall(r'from "\./([a-z0-9]+\.js)"', script.read_text()):
            assert f"/static/sync/field/{imported}" in precache
    # Each language is its own cache, and the worker says which version it is.
    assert re.search(r'const VERSION = "senda-field-(es|en)-[0-9a-f]{16}"', source)


def test_setup_asks_who_is_signed_in(client: Client) -> None:
    assert client.get("/field/session/").json() == {"signed_in": False, "may_register": False}
    organisation = OrganisationFactory.create(country_id="PA")
    worker = member(organisation, Role.HEALTH_PROMOTER, username="ana.field")
    login_verified(client, worker)
    response = client.get("/field/session/")
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["signed_in"] is True
    assert body["may_register"] is True
    assert body["username"] == "ana.field"
    assert body["country"] == "PA"
    assert body["csrf_token"]


@pytest.mark.parametrize(
    ("role", "may_register"),
    [
        (Role.HEALTH_PROMOTER, True),
        (Role.COMMUNITY_VOLUNTEER, True),
        (Role.INFO_POINT_STAFF, True),
        (Role.VIEWER, False),
        (Role.CONTENT_EDITOR, False),
    ],
)
def test_only_field_roles_may_set_up_a_phone(
    client: Client, users_a: dict[str, User], role: str, may_register: bool
) -> None:
    login_verified(client, users_a[role])
    assert client.get("/field/session/").json()["may_register"] is may_register


def test_a_session_without_its_second_factor_is_not_signed_in(
    client: Client, users_a: dict[str, User]
) -> None:
    # A promoter handles personal data: the password alone is not enough to set up a phone.
    client.force_login(users_a[Role.HEALTH_PROMOTER])
    assert client.get("/field/session/").json() == {"signed_in": False, "may_register": False}
