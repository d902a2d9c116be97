"""After a first visit, the pages a person opened keep working without a connection."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_opened_pages_work_offline_and_others_say_so(live_server: Any, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        # given a first visit with a connection (the service worker installs and takes over)
        page.goto(live_server.url + "/en/")
        page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        page.goto(live_server.url + "/en/search/?q=salud")
        # when the connection drops
        context.set_offline(True)
        # then an opened page still opens
        page.goto(live_server.url + "/en/search/?q=salud")
        assert page.locator("h1").inner_text() == "Search services"
        # and a page never opened explains why it cannot show
        page.goto(live_server.url + "/en/search/?q=never-opened")
        assert page.locator("h1").inner_text() == "No connection"
    finally:
        context.close()


def test_the_site_can_be_installed(client: Any, db: None) -> None:
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["icons"]
    worker = client.get("/sw.js")
    assert worker["Service-Worker-Allowed"] == "/"
    assert worker["Content-Type"].startswith("text/javascript")
