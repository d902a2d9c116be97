"""The guides and the checklist in a real headless Chromium, as on a cheap phone: the checklist
walked to its result without JavaScript at 320 px; every page same-origin only, within the
30 KB first-visit budget, without horizontal scroll, and free of axe-core WCAG 2.2 AA issues.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe

from senda.core import demo
from senda.core.demo import pathways as demo_pathways
from senda.directory.models import Taxonomy, TaxonomyTerm
from senda.directory.reference import load_taxonomy
from senda.geo.models import AdminArea, Country
from senda.geo.reference import load_reference

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FIRST_VISIT_BUDGET = 30 * 1024
PHONE_WIDTH = 320
MEASURED_TYPES = ("document", "stylesheet", "script")


@pytest.fixture
def guides_world(transactional_db: None) -> None:
    if not AdminArea.objects.exists():
        load_reference(Country, AdminArea)
    if not TaxonomyTerm.objects.exists():
        load_taxonomy(Taxonomy, TaxonomyTerm)
    world = demo.load_all(upto=demo_pathways)
    demo_pathways.load(world)


@dataclass
class Visit:
    server: str
    requests: list[str] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)
    weighed: list[tuple[str, int]] = field(default_factory=list)

    def weigh(self) -> None:
        for response in self.responses:
            if response.request.resource_type not in MEASURED_TYPES or response.status >= 300:
                continue
            self.weighed.append((response.url, len(gzip.compress(response.body(), 6))))
        self.responses.clear()

    def start(self) -> None:
        """Forget earlier pages: what follows is the page to check."""
        self.responses.clear()
        self.weighed.clear()

    @property
    def transferred(self) -> int:
        return sum(size for _, size in self.weighed)


@pytest.fixture
def phone(browser: Any) -> Any:
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 640}, locale="en-US", java_script_enabled=False
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def watch(tab: Any, server_url: str) -> Visit:
    visit = Visit(server=urlparse(server_url).netloc)
    tab.on("request", lambda request: visit.requests.append(request.url))
    tab.on("response", lambda response: visit.responses.append(response))
    return visit


def assert_phone_ready(tab: Any, visit: Visit) -> None:
    foreign = [
        url
        for url in visit.requests
        if urlparse(url).scheme in ("http", "https", "ws", "wss")
        and urlparse(url).netloc != visit.server
    ]
    assert foreign == []
    visit.weigh()
    assert any(url.endswith(".css") for url, _ in visit.weighed)
    # A first visit: the page plus its stylesheets (the browser caches them afterwards).
    assert visit.transferred <= FIRST_VISIT_BUDGET, visit.weighed
    visit.weighed.clear()
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    assert tab.locator("h1").count() == 1
    # axe-core needs JavaScript: check the same URL at the same width in a tab with it on.
    context = tab.context.browser.new_context(viewport={"width": PHONE_WIDTH, "height": 640})
    try:
        checked = context.new_page()
        checked.goto(tab.url)
        results = Axe().run(
            checked,
            options={
                "runOnly": {"type": "tag", "values": WCAG_TAGS},
                "resultTypes": ["violations"],
            },
        )
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()


def test_checklist_without_javascript_to_the_result(
    live_server: Any, phone: Any, guides_world: None
) -> None:
    visit = watch(phone, live_server.url)
    visit.start()
    phone.goto(live_server.url + "/en/guides/checklist/")
    assert_phone_ready(phone, visit)

    # A missing answer shows the same question again with a message.
    phone.get_by_role("button", name="Next").click()
    assert phone.get_by_role("alert").count() == 1
    assert "Choose your nationality" in phone.get_by_role("alert").inner_text()

    phone.get_by_label("What is your nationality?").select_option("GT")
    visit.start()
    phone.get_by_role("button", name="Next").click()
    assert_phone_ready(phone, visit)
    phone.get_by_label("Which country are you in now?").select_option("GT")
    phone.get_by_role("button", name="Next").click()
    phone.get_by_label("Mexico", exact=True).check()
    phone.get_by_role("button", name="Next").click()
    phone.get_by_label("Work").check()
    visit.start()
    phone.get_by_role("button", name="Next").click()
    assert_phone_ready(phone, visit)
    phone.get_by_label("18 to 24").check()
    phone.get_by_role("button", name="Next").click()

    # Back, and forward again: the answer is kept.
    phone.get_by_role("link", name="Back to the previous question").click()
    assert phone.get_by_label("18 to 24").is_checked()
    visit.start()
    phone.get_by_role("button", name="Next").click()

    assert_phone_ready(phone, visit)
    phone.get_by_label("National identity card").check()
    visit.start()
    phone.get_by_role("button", name="See my result").click()

    assert phone.get_by_role("heading", name="Your checklist", level=1).is_visible()
    assert phone.get_by_role("link", name="Border Worker Visitor Card").count() == 1
    assert phone.get_by_role("heading", name="Documents to gather").is_visible()
    assert "nationality=GT" in phone.url and "purpose=work" in phone.url
    assert (
        phone.get_by_role("link", name="Share on WhatsApp")
        .get_attribute("href")
        .startswith("https://wa.me/?text=")
    )
    assert phone.get_by_text("What you cannot use, and why").count() == 1
    assert_phone_ready(phone, visit)


@pytest.mark.parametrize(
    "path",
    [
        "/en/guides/",
        "/en/guides/MX/",
        "/en/guides/MX/refugio-comar/",
        "/en/guides/US/h-2b/",
        "/en/guides/HN/regular-or-irregular/",
        "/guides/GT/libre-movilidad-ca4/",
        "/en/guides/opportunities/?country=GT",
    ],
)
def test_guide_pages_on_a_small_phone(
    live_server: Any, phone: Any, guides_world: None, path: str
) -> None:
    visit = watch(phone, live_server.url)
    response = phone.goto(live_server.url + path)
    assert response is not None and response.status == 200
    assert_phone_ready(phone, visit)
