from __future__ import annotations

from django.test import Client

from senda.accounts.roles import Role
from senda.accounts.testing import login_verified


def test_public_pages_may_be_cached_by_any_cache(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
    assert not response.cookies


def test_repeat_visit_gets_not_modified(client: Client, db: None) -> None:
    first = client.get("/search/?q=salud")
    etag = first["ETag"]
    again = client.get("/search/?q=salud", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304


def test_near_me_with_a_position_is_never_stored_by_a_cache(client: Client, db: None) -> None:
    response = client.get("/near/?lat=9.03&lon=-79.50")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_signed_in_pages_are_private_and_not_stored(client: Client, users_a) -> None:
    login_verified(client, users_a[Role.INFO_POINT_STAFF])
    response = client.get("/staff/directory/")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    # the public home page too: it says who is signed in
    response = client.get("/")
    assert "no-store" in response["Cache-Control"]


def test_pages_with_a_form_token_are_not_shared(client: Client, db: None) -> None:
    response = client.get("/accounts/login/")
    assert "public" not in response["Cache-Control"]


def test_server_cache_serves_anonymous_repeat_visits_only(
    client: Client, users_a, settings
) -> None:
    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    caches["pages"].clear()
    # given a page an anonymous person has read
    first = client.get("/en/search/?q=cache-check")
    assert first.status_code == 200
    stored = len(caches["pages"]._cache)  # type: ignore[attr-defined]
    assert stored > 0
    # when the same page is asked again, it is served from the cache (nothing new stored)
    second = client.get("/en/search/?q=cache-check")
    assert second.content == first.content
    assert len(caches["pages"]._cache) == stored  # type: ignore[attr-defined]
    # and a signed-in person never gets the cached copy
    login_verified(client, users_a[Role.INFO_POINT_STAFF])
    signed_in = client.get("/en/search/?q=cache-check")
    assert "no-store" in signed_in["Cache-Control"]


def test_visits_through_a_placement_are_never_cached(client: Client, db: None) -> None:
    response = client.get("/?via=ABC1234")
    assert "public" not in response["Cache-Control"]
