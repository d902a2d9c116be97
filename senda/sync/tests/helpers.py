"""Helpers for the sync tests: a registered phone, its HTTP client, records to upload."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django.test import Client
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.sync import actions
from senda.sync.models import Device

AREA = "PA0805"


def in_panama(organisation: Organisation) -> Organisation:
    organisation.country_id = "PA"
    organisation.save(update_fields=["country"])
    return organisation


def register(user: User, *, name: str = "Moto G") -> tuple[Device, str]:
    return actions.device_register(actor=user, name=name, installation_id=uuid.uuid4())


def phone(token: str, *, language: str = "en") -> Client:
    """An HTTP client that speaks as the device: bearer token, no cookie, no CSRF."""
    return Client(
        enforce_csrf_checks=True,
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def push(
    client: Client,
    records: list[dict[str, Any]],
    *,
    device_time: datetime.datetime | None = None,
) -> Any:
    body = {
        "device_time": (device_time or timezone.now()).isoformat(),
        "records": records,
    }
    return client.post("/api/sync/push", json.dumps(body), content_type="application/json")


def record(
    kind: str,
    op: str,
    data: dict[str, Any],
    *,
    id: Any = None,
    base: dict[str, Any] | None = None,
    recorded_at: datetime.datetime | None = None,
    key: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "key": str(key or uuid.uuid4()),
        "kind": kind,
        "op": op,
        "id": str(id if id is not None else uuid.uuid4()),
        "recorded_at": (recorded_at or timezone.now()).isoformat(),
        "base": base or {},
        "data": data,
    }


def person_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_name": "Yohana",
        "family_name": "Pérez",
        "phone": "+507 6123-4567",
        "whatsapp": True,
        "sex": "female",
        "year_of_birth": 1990,
        "nationality": "VE",
        "area": AREA,
        "community": "migrant",
        "consent_record": True,
        "consent_contact": True,
        "consent_share": True,
        "notes": "",
    }
    data.update(overrides)
    return data


def pull_all(
    client: Client, *, limit: int = 500, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Pull until ``more`` is false; every record, and the last cursor."""
    found: list[dict[str, Any]] = []
    for _page in range(1000):
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        answer = client.get("/api/sync/pull", params)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        found.extend(body["records"])
        cursor = body["cursor"]
        if not body["more"]:
            assert cursor is not None
            return found, cursor
    raise AssertionError("the pull never ended")
