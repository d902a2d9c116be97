import pytest

pytestmark = pytest.mark.browser


def test_home_page_renders_in_chromium(live_server, page) -> None:
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text()
