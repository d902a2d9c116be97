from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.usefixtures("reference_data")


def test_home_in_spanish_by_default(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert html.count("<h1") == 1
    # The search box, the near-me entry and the language switch.
    assert 'action="/search/"' in html and 'name="q"' in html
    assert 'href="/near/"' in html
    assert 'href="/en/"' in html
    # Category shortcuts: the top-level categories, in Spanish.
    assert 'href="/search/?category=health"' in html
    assert ">Salud</a>" in html
    assert "category=health.vaccination" not in html


def test_home_in_english_has_country_and_area_picker(client: Client) -> None:
    response = client.get("/en/")

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert 'action="/en/search/"' in html
    assert ">Health</a>" in html
    # Areas grouped by country without JavaScript.
    assert '<optgroup label="Panama">' in html
    assert '<option value="PA0805">San Miguelito (Panamá)</option>' in html
    assert '<select name="country" id="id_country">' in html


def test_every_control_on_home_has_a_label(client: Client) -> None:
    html = client.get("/en/").content.decode()

    control_ids = re.findall(r'<(?:input|select)[^>]*id="([^"]+)"', html)
    assert control_ids
    for control_id in control_ids:
        assert f'for="{control_id}"' in html


def test_home_loads_nothing_from_outside(client: Client) -> None:
    html = client.get("/").content.decode()

    resources = re.findall(r'<(?:script|img|link|iframe|source)[^>]*(?:src|href)="([^"]+)"', html)
    assert resources
    assert all(url.startswith(("/", "data:")) and not url.startswith("//") for url in resources)
    # Only same-origin script files, never inline script (the CSP would refuse it).
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert all(
        re.fullmatch(r' src="/static/[^"]+" defer', attributes) and not body.strip()
        for attributes, body in scripts
    )
    assert "style=" not in html
