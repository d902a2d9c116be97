"""The offline checklist's page, through the HTTP client: what it holds (published guides only,
nothing personal), its caching headers and ETag (a republished guide changes it), its size,
and the service worker that keeps it and answers checklist addresses with it offline.

Its script is checked against the server's results in tests/browser/test_offline_checklist.py.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

import pytest
from django.test import Client

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.pathways import actions
from senda.pathways.tests.factories import (
    ChannelDocumentFactory,
    ChannelFactory,
    DocumentFactory,
    DocumentSourceFactory,
)

pytestmark = pytest.mark.django_db

SHELL = "/en/guides/checklist/offline/"
# Fetched by the service worker once (and revalidated), never on a person's first visit;
# still kept well inside the 30 KB first-visit budget of the public pages.
SHELL_GZIP_BUDGET = 20 * 1024
DATA = re.compile(
    r'<script id="offline-checklist-data" type="application/json">(.*?)</script>', re.S
)


def shell_data(content: bytes) -> dict[str, Any]:
    match = DATA.search(content.decode())
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


@pytest.fixture
def guides(org_a: Organisation) -> dict[str, Any]:
    passport = DocumentFactory.create(slug="passport", name="Pasaporte")
    offer = DocumentFactory.create(
        slug="job-offer",
        name="Oferta",
        description="Carta del empleador",
        is_identity=False,
        translations={"en": {"name": "Job offer", "description": "A letter from the employer"}},
    )
    DocumentSourceFactory.create(
        document=passport,
        country_id="GT",
        where="IGM",
        usual_cost="Q 250",
        translations={"en": {"where": "Migration Institute", "usual_time": "10 days"}},
    )
    worker = ChannelFactory.create(
        owner=org_a,
        published=True,
        slug="worker",
        translations={"en": {"name": "Border worker", "summary": "Work in the south."}},
        eligibility={"all": [{"answer": "purpose", "in": ["work"]}]},
        is_example=True,
    )
    ChannelDocumentFactory.create(channel=worker, document=passport, position=0)
    ChannelDocumentFactory.create(
        channel=worker,
        document=offer,
        position=1,
        note="Firmada",
        translations={"en": {"note": "Signed"}},
    )
    broken = ChannelFactory.create(
        owner=org_a, published=True, slug="broken", eligibility={"answer": "shoe_size"}
    )
    ChannelFactory.create(owner=org_a, slug="draft", translations={"en": {"name": "Secret draft"}})
    return {"worker": worker, "broken": broken}


def test_the_page_holds_published_guides_and_the_words_of_the_result(
    guides: dict[str, Any], client: Client
) -> None:
    response = client.get(SHELL)
    assert response.status_code == 200
    data = shell_data(response.content)
    slugs = [channel["slug"] for channel in data["channels"]]
    assert "worker" in slugs and "broken" in slugs
    assert "draft" not in slugs and b"Secret draft" not in response.content
    worker = next(c for c in data["channels"] if c["slug"] == "worker")
    assert worker == {
        "country": "MX",
        "slug": "worker",
        "name": "Border worker",
        "summary": "Work in the south.",
        "example": True,
        "rule": {"all": [{"answer": "purpose", "in": ["work"]}]},
        "documents": [["passport", ""], ["job-offer", "Signed"]],
    }
    # A rule saved before validation existed is "being reviewed", as on the server.
    assert next(c for c in data["channels"] if c["slug"] == "broken")["rule"] is None
    assert data["documents"]["job-offer"]["description"] == "A letter from the employer"
    assert data["documents"]["passport"]["sources"] == {
        "GT": ["Migration Institute", "Q 250", "10 days"]
    }
    assert data["texts"]["result_title"] == "Your checklist"
    assert data["reasons"]["is_in"] == "%(subject)s (%(value)s) is one of: %(allowed)s."
    assert [step["name"] for step in data["steps"]] == [
        "nationality",
        "current_country",
        "destination",
        "purpose",
        "age_group",
        "documents_held",
    ]
    assert data["urls"]["checklist"] == "/en/guides/checklist/"
    assert data["urls"]["checklist_by_language"] == {
        "es": "/guides/checklist/",
        "en": "/en/guides/checklist/",
    }
    # Its script is a file of the site: the policy allows no inline script.
    assert b'src="/static/pathways/offline-checklist.js"' in response.content
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_spanish_page_is_in_spanish(guides: dict[str, Any], client: Client) -> None:
    data = shell_data(client.get("/guides/checklist/offline/").content)
    assert data["urls"]["checklist"] == "/guides/checklist/"
    assert data["steps"][0]["question"] != "What is your nationality?"
    assert data["labels"]["countries"]["MX"] == "México"


def test_the_page_is_cached_like_other_public_pages(guides: dict[str, Any], client: Client) -> None:
    response = client.get(SHELL)
    assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
    assert not response.cookies
    again = client.get(SHELL, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_republished_guide_changes_the_page_and_its_etag(
    guides: dict[str, Any], client: Client, users_a: dict[str, User]
) -> None:
    # given the page as a phone keeps it
    before = client.get(SHELL)
    editor = users_a[Role.CONTENT_EDITOR]
    # when an editor changes a published channel, nothing changes until it is published
    actions.channel_update(
        actor=editor,
        channel=guides["worker"],
        fields={"name": "Trabajador"},
        translations={"en": {"name": "Cross-border worker"}},
    )
    unchanged = client.get(SHELL, HTTP_IF_NONE_MATCH=before["ETag"])
    assert unchanged.status_code == 304
    actions.guide_publish(actor=editor, guide=guides["worker"], change_note="New name")
    # then the service worker's revalidation gets the new page
    after = client.get(SHELL, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    names = [channel["name"] for channel in shell_data(after.content)["channels"]]
    assert "Cross-border worker" in names


def test_the_page_is_small_and_its_queries_do_not_grow_with_the_guides(
    guides: dict[str, Any], client: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(60) as captured:
        response = client.get(SHELL)
    few = len(captured.captured_queries)
    for number in range(6):
        channel = ChannelFactory.create(published=True, country_id="MX", slug=f"more-{number}")
        ChannelDocumentFactory.create(channel=channel)
    with django_assert_max_num_queries(few):
        more = client.get(SHELL)
    assert len(more.content) > len(response.content)
    compressed = len(gzip.compress(more.content, 6))
    print(f"offline checklist page: {len(more.content)} bytes, {compressed} gzipped")
    assert compressed <= SHELL_GZIP_BUDGET


def test_the_service_worker_answers_checklist_addresses_with_the_page(client: Client) -> None:
    worker = client.get("/sw.js").content.decode()
    assert '"/guides/checklist/offline/"' in worker
    assert '"/en/guides/checklist/offline/"' in worker
    # Any checklist address (the answers are in its query) falls back to the offline page.
    assert "CHECKLIST = /^\\/(en\\/)?guides\\/checklist\\/$/" in worker
    assert 'cache: "no-cache"' in worker  # revalidated against the ETag when online
