"""Signed-in sessions end after the idle timeout and after the absolute lifetime."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from senda.accounts.models import User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.core.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY

pytestmark = pytest.mark.django_db


def age_session(client: Client, *, started_ago: float, seen_ago: float) -> None:
    session = client.session
    now = time.time()
    session[SESSION_STARTED_KEY] = now - started_ago
    session[SESSION_SEEN_KEY] = now - seen_ago
    session.save()


@override_settings(SENDA_SESSION_IDLE_MINUTES=30, SENDA_SESSION_MAX_HOURS=12)
def test_idle_session_goes_to_login_with_a_message(users_a: dict[str, User]) -> None:
    client = login_verified(Client(), users_a[Role.INFO_POINT_STAFF])
    home = reverse("directory:staff_home")
    assert client.get(home).status_code == 200
    age_session(client, started_ago=40 * 60, seen_ago=29 * 60)
    assert client.get(home).status_code == 200  # still within the idle timeout
    age_session(client, started_ago=40 * 60, seen_ago=31 * 60)
    response = client.get(home, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    # the message (in the user's language; English until the lead translates it)
    shown = [str(message) for message in response.context["messages"]]
    assert shown and any(text in response.content.decode() for text in shown)


@override_settings(SENDA_SESSION_IDLE_MINUTES=30, SENDA_SESSION_MAX_HOURS=12)
def test_session_ends_after_the_absolute_lifetime_even_when_active(
    users_a: dict[str, User],
) -> None:
    client = login_verified(Client(), users_a[Role.CONTENT_EDITOR])
    age_session(client, started_ago=12 * 3600 + 5, seen_ago=10)
    response = client.get(reverse("directory:staff_home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_expired_session_on_the_api_answers_401(users_a: dict[str, User]) -> None:
    client = login_verified(Client(), users_a[Role.INFO_POINT_STAFF])
    client.get("/api/tokens")
    age_session(client, started_ago=3600, seen_ago=3600)
    response = client.get("/api/tokens")
    assert response.status_code == 401
    assert response.json()["detail"]
