"""The public form through the HTTP client: prefill, valid, invalid, honeypot, too fast,
rate limits (one flooding source never blocks another), attribution."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from senda.accounts.models import Organisation
from senda.accounts.tests.factories import OrganisationFactory
from senda.campaigns.actions import placement_record_event
from senda.core.models import AuditEntry
from senda.inquiries import limits
from senda.inquiries.models import Inquiry
from senda.inquiries.tests.factories import information_point

pytestmark = pytest.mark.django_db

URL = "/en/ask/"


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    cache.clear()


def valid_post(**overrides: str) -> dict[str, str]:
    data = {
        "question": "Which documents do I need to work in Mexico?",
        "reply_channel": "whatsapp",
        "contact": "+504 0000-0003",
        "name": "",
        "country": "HN",
        "area": "HN0801",
        "consent": "on",
        "topic": "",
        "via": "",
        "website": "",
        "started": limits.form_token(now=time.time() - 30),
    }
    data.update(overrides)
    return data


def post(client: Client, data: dict[str, str], address: str = "203.0.113.7") -> Any:
    return client.post(URL, data, REMOTE_ADDR=address)


def test_the_url_names_and_the_prefill(client: Client, org_a: Organisation) -> None:
    assert reverse("inquiries:new") == "/ask/"

    response = client.get(URL + "?country=HN&area=HN0801&topic=work&via=abc1234")

    assert response.status_code == 200
    body = response.content.decode()
    assert '<option value="HN" selected>' in body
    assert '<option value="HN0801" selected>' in body
    assert 'name="topic" value="work"' in body
    assert 'name="via" value="abc1234"' in body
    # The honeypot is hidden from people and skipped by the keyboard.
    assert 'aria-hidden="true"' in body and 'tabindex="-1" autocomplete="off"' in body


def test_a_valid_request_is_saved_and_thanked_without_its_data_in_the_url(
    client: Client, org_a: Organisation
) -> None:
    information_point(owner=org_a, area="HN0801", name="Punto de información Tegucigalpa")

    response = post(client, valid_post(name="Persona de ejemplo 2"))

    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.organisation == org_a and inquiry.language == "en"
    assert "0000-0003" not in response.url and "Persona" not in response.url
    thanks = client.get(response.url)
    assert thanks.status_code == 200
    assert "Punto de información Tegucigalpa" in thanks.content.decode()
    assert "48 hours" in thanks.content.decode()
    assert "0000-0003" not in thanks.content.decode()


def test_the_placement_code_is_stored_and_counted(
    client: Client, org_a: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    information_point(owner=org_a, area="HN0801")
    recorded: list[tuple[str, str]] = []

    def spy(*, code: str, event: str) -> None:
        recorded.append((code, event))
        placement_record_event(code=code, event=event)

    monkeypatch.setattr("senda.inquiries.actions.placement_record_event", spy)

    post(client, valid_post(via="abc1234"))

    assert Inquiry.objects.get().via == "abc1234"
    assert recorded == [("abc1234", "inquiry")]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"question": ""}, "Write your question."),
        ({"contact": ""}, "Write the phone number or email"),
        ({"reply_channel": "email", "contact": "not-an-email"}, "valid email"),
        ({"contact": "call me"}, "phone number with digits"),
        ({"consent": ""}, "agree to be contacted"),
        ({"country": "", "area": ""}, "Choose the country"),
        ({"country": "HN", "area": "GT01"}, "not in the country"),
    ],
)
def test_invalid_input_keeps_what_was_typed(
    client: Client, org_a: Organisation, overrides: dict[str, str], message: str
) -> None:
    information_point(owner=org_a, area="HN0801")

    response = post(client, valid_post(question="My own words") | overrides)

    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'role="alert"' in body
    if overrides.get("question") != "":
        assert "My own words" in body
    assert Inquiry.objects.count() == 0


def test_the_honeypot_gets_the_usual_thanks_and_saves_nothing(
    client: Client, org_a: Organisation
) -> None:
    information_point(owner=org_a, area="HN0801")

    response = post(client, valid_post(website="http://spam.example"))

    assert response.status_code == 302
    assert client.get(response.url).status_code == 200
    assert Inquiry.objects.count() == 0
    assert not AuditEntry.objects.filter(action="inquiries.inquiry_submit").exists()


@pytest.mark.parametrize("started", ["now", "", "forged"])
def test_too_fast_or_without_a_valid_timestamp_is_asked_again(
    client: Client, org_a: Organisation, started: str
) -> None:
    information_point(owner=org_a, area="HN0801")
    token = {"now": limits.form_token(), "": "", "forged": "eyJ0IjowfQ:x:y"}[started]

    response = post(client, valid_post(started=token))

    assert response.status_code == 400
    assert "Which documents do I need" in response.content.decode()
    assert Inquiry.objects.count() == 0


def test_a_flood_from_one_source_is_limited_and_another_source_still_gets_through(
    client: Client, org_a: Organisation
) -> None:
    information_point(owner=org_a, area="HN0801")

    statuses = [post(client, valid_post(), address="198.51.100.9").status_code for _ in range(50)]
    other = post(client, valid_post(contact="+504 0000-0099"), address="192.0.2.44")

    assert statuses[:5] == [302] * 5
    assert set(statuses[5:]) == {429}
    assert other.status_code == 302
    assert Inquiry.objects.count() == 6
    assert "+504 0000-0099" in {inquiry.contact for inquiry in Inquiry.objects.all()}
    # No address is kept anywhere: not in the rows, not in the cache keys.
    assert not AuditEntry.objects.filter(details__icontains="198.51").exists()


@override_settings(SENDA_INQUIRY_RATE_GLOBAL=2)
def test_past_the_global_ceiling_requests_are_queued_not_dropped(
    client: Client, org_a: Organisation
) -> None:
    information_point(owner=org_a, area="HN0801")

    for number in range(4):
        assert post(client, valid_post(), address=f"192.0.2.{number}").status_code == 302

    held = list(Inquiry.objects.order_by("created_at").values_list("held_in_queue", flat=True))
    assert held == [False, False, True, True]


def test_no_point_in_the_country_goes_to_the_network_and_says_so(client: Client) -> None:
    network = OrganisationFactory.create(name="Coordinación de la red", is_network_editor=True)

    response = post(client, valid_post())

    assert Inquiry.objects.get().organisation == network
    body = client.get(response.url).content.decode()
    assert "Coordinación de la red" in body and "no information point" in body


def test_a_tampered_thanks_link_is_not_found(client: Client) -> None:
    assert client.get(reverse("inquiries:thanks") + "?r=nonsense").status_code == 404


@override_settings(SENDA_INQUIRY_CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR")
def test_behind_a_proxy_the_source_is_the_address_the_proxy_saw(
    client: Client, org_a: Organisation
) -> None:
    information_point(owner=org_a, area="HN0801")

    def from_client(address: str) -> int:
        forwarded = f"10.9.9.9, {address}"  # the first entry is whatever the client claimed
        return client.post(
            URL, valid_post(), REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    flood = [from_client("198.51.100.20") for _ in range(7)]

    assert flood.count(429) == 2
    assert from_client("198.51.100.21") == 302
