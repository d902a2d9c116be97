"""Error pages speak the reader's language and keep the site's look."""

from __future__ import annotations

import pytest
from django.test import Client
from django.test.utils import override_settings

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_a_translated_404_in_the_site_layout(client: Client) -> None:
    spanish = client.get("/no-existe/")
    english = client.get("/en/does-not-exist/")
    assert spanish.status_code == 404 and english.status_code == 404
    assert "Página no encontrada" in spanish.content.decode()
    assert "Page not found" in english.content.decode()
    assert 'class="site"' in english.content.decode()  # the site header, not Django's page


@override_settings(DEBUG_PROPAGATE_EXCEPTIONS=False)
def test_the_server_error_page_renders_without_a_request_context() -> None:
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "Senda" in html and "<h1>" in html
