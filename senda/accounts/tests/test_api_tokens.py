"""API tokens: created from a session and shown once, stored as a hash, used, revoked."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from senda.accounts import token_actions
from senda.accounts.models import ApiToken, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.core.errors import NotFoundError, ValidationError
from senda.core.models import AuditEntry


def session_client(user: User) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def bearer(token: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_create_token_from_session_shows_it_once_and_stores_only_its_hash(
    users_a: dict[str, User],
) -> None:
    user = users_a[Role.HEALTH_PROMOTER]
    client = session_client(user)
    # when a signed-in user creates a token
    response = client.post(
        "/api/tokens", json.dumps({"name": "Phone"}), content_type="application/json"
    )
    # then the answer holds the token, the database only its SHA-256
    assert response.status_code == 201, response.json()
    body = response.json()
    clear = body["token"]
    assert clear.startswith("senda_")
    assert len(clear) > 40
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    assert clear not in {stored.name, stored.token_hash}
    assert AuditEntry.objects.filter(
        action="accounts.api_token_create", actor=user, object_id=str(stored.pk)
    ).exists()
    # and the list never shows it again
    listed = client.get("/api/tokens").json()
    assert listed == [
        {
            "id": stored.pk,
            "name": "Phone",
            "created_at": listed[0]["created_at"],
            "last_used_at": None,
            "revoked_at": None,
            "is_active": True,
        }
    ]


def test_token_authenticates_and_records_its_use(users_a: dict[str, User]) -> None:
    user = users_a[Role.CONTENT_EDITOR]
    token, clear = token_actions.api_token_create(actor=user, name="Script")
    response = Client().get("/api/me", **bearer(clear))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == user.username
    assert body["memberships"][0]["role"] == Role.CONTENT_EDITOR
    assert "directory.publish" in body["memberships"][0]["capabilities"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute(users_a: dict[str, User]) -> None:
    token, clear = token_actions.api_token_create(actor=users_a[Role.VIEWER], name="x")
    recently = timezone.now() - datetime.timedelta(seconds=10)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recently)
    assert token_actions.api_token_authenticate(token=clear) == users_a[Role.VIEWER]
    token.refresh_from_db()
    assert token.last_used_at == recently
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    token_actions.api_token_authenticate(token=clear)
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > long_ago


def test_revoked_token_is_refused(users_a: dict[str, User]) -> None:
    user = users_a[Role.INFO_POINT_STAFF]
    token, clear = token_actions.api_token_create(actor=user, name="Old phone")
    client = Client()
    response = client.post(f"/api/tokens/{token.pk}/revoke", **bearer(clear))
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert AuditEntry.objects.filter(action="accounts.api_token_revoke").count() == 1
    # the revoked token opens nothing, and says why
    response = client.get("/api/me", HTTP_ACCEPT_LANGUAGE="en", **bearer(clear))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    # revoking again changes nothing
    again = token_actions.api_token_revoke(actor=user, token_id=token.pk)
    assert again.revoked_at == ApiToken.objects.get(pk=token.pk).revoked_at
    assert AuditEntry.objects.filter(action="accounts.api_token_revoke").count() == 1


def test_nobody_revokes_or_lists_another_users_tokens(
    users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    victim_token, victim_clear = token_actions.api_token_create(
        actor=users_b[Role.VIEWER], name="Theirs"
    )
    _, admin_clear = token_actions.api_token_create(actor=users_a[Role.ORG_ADMIN], name="Mine")
    client = Client()
    response = client.post(f"/api/tokens/{victim_token.pk}/revoke", **bearer(admin_clear))
    assert response.status_code == 404
    victim_token.refresh_from_db()
    assert victim_token.revoked_at is None
    listed = client.get("/api/tokens", **bearer(admin_clear)).json()
    assert [token["name"] for token in listed] == ["Mine"]
    with pytest.raises(NotFoundError):
        token_actions.api_token_revoke(actor=users_a[Role.ORG_ADMIN], token_id=victim_token.pk)
    assert client.get("/api/me", **bearer(victim_clear)).status_code == 200


def test_a_token_cannot_create_tokens(users_a: dict[str, User]) -> None:
    user = users_a[Role.CONTENT_EDITOR]
    _, clear = token_actions.api_token_create(actor=user, name="Leaked")
    response = Client().post(
        "/api/tokens",
        json.dumps({"name": "Successor"}),
        content_type="application/json",
        **bearer(clear),
    )
    assert response.status_code in (401, 403)
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["Leaked"]


def test_session_token_creation_needs_the_csrf_token(users_a: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    login_verified(client, users_a[Role.VIEWER])
    body = json.dumps({"name": "Phone"})
    response = client.post("/api/tokens", body, content_type="application/json")
    assert response.status_code == 403
    assert not ApiToken.objects.exists()
    client.get("/api/docs")
    response = client.post(
        "/api/tokens",
        body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert response.status_code == 201


def test_inactive_users_tokens_are_refused(users_a: dict[str, User]) -> None:
    user = users_a[Role.VIEWER]
    _, clear = token_actions.api_token_create(actor=user, name="x")
    user.is_active = False
    user.save()
    assert Client().get("/api/me", **bearer(clear)).status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer ", "Bearer senda_wrong", "Bearer " + "x" * 5000, "Bearer \x00", "Basic abc"],
)
def test_bad_authorization_headers_are_refused(db: None, header: str) -> None:
    response = Client().get("/api/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 422),
        (b"{", 400),
        (b'{"name": ""}', 422),
        (b'{"name": "   "}', 422),
        (json.dumps({"name": "x" * 101}).encode(), 422),
        (b'{"name": 5}', 422),
        (b'{"name": "ok", "user": 1}', 422),
        (json.dumps({"name": "a\u0000b"}).encode(), 422),
    ],
)
def test_bad_token_input_answers_4xx_and_creates_nothing(
    users_a: dict[str, User], body: bytes, status: int
) -> None:
    response = session_client(users_a[Role.VIEWER]).post(
        "/api/tokens", body, content_type="application/json"
    )
    assert response.status_code == status, response.json()
    assert response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_token_action_validates_the_name(users_a: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as error:
        token_actions.api_token_create(actor=users_a[Role.VIEWER], name=" ")
    assert "name" in error.value.errors
    assert not ApiToken.objects.exists()


def test_revoke_answers_404_for_an_absurd_id(users_a: dict[str, User]) -> None:
    _, clear = token_actions.api_token_create(actor=users_a[Role.VIEWER], name="x")
    client = Client()
    assert client.post("/api/tokens/999999/revoke", **bearer(clear)).status_code == 404
    assert client.post(f"/api/tokens/{10**30}/revoke", **bearer(clear)).status_code == 422
    assert client.post("/api/tokens/abc/revoke", **bearer(clear)).status_code == 422
