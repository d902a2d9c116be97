"""The tasks and orientations API, through the HTTP client."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.models import FollowUp, FollowUpStatus, Orientation
from senda.casework.tests.factories import FollowUpFactory, PersonFactory, TeamFactory
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    return login_verified(Client(enforce_csrf_checks=False), user)


def _post(client: Client, path: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def _today() -> datetime.date:
    return timezone.localdate()


def test_my_tasks_list_shows_the_phone_only_with_consent(
    users_a: dict[str, User], org_a: Organisation, django_assert_max_num_queries: Any
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    for _ in range(30):
        FollowUpFactory.create(
            person=PersonFactory.create(organisation=org_a, registered_by=promoter)
        )
    silent = PersonFactory.create(
        organisation=org_a, registered_by=promoter, consents_to_contact=False
    )
    FollowUpFactory.create(person=silent)
    client = _client(promoter)

    with django_assert_max_num_queries(10):
        response = client.get("/api/tasks", {"show": "today", "page_size": "100"})

    body = response.json()
    assert response.status_code == 200 and body["count"] == 31
    by_code = {item["person"]["code"]: item for item in body["items"]}
    assert by_code[silent.code]["person"]["phone"] is None
    other = next(item for code, item in by_code.items() if code != silent.code)
    assert other["person"]["phone"].startswith("+507")
    assert set(other["person"]) == {
        "id",
        "code",
        "given_name",
        "consents_to_contact",
        "phone",
        "phone_has_whatsapp",
    }
    counts = client.get("/api/tasks/counts").json()
    assert counts == {"today": 31, "overdue": 0, "upcoming": 0}


def test_create_complete_and_cancel_through_the_api(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    client = _client(promoter)
    body = {"person_id": str(person.pk), "title": "Llamar", "due_on": _today().isoformat()}

    created = _post(client, "/api/tasks", body)
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]
    assert created.json()["assigned_to_id"] == promoter.pk

    bad = _post(client, f"/api/tasks/{task_id}/complete", {"note": ""})
    assert bad.status_code == 422 and "note" in bad.json()["errors"]
    done = _post(client, f"/api/tasks/{task_id}/complete", {"note": "Asistió"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = _post(client, f"/api/tasks/{task_id}/cancel", {})
    assert again.status_code == 422
    assert FollowUp.objects.get(pk=task_id).status == FollowUpStatus.DONE

    past = {**body, "due_on": (_today() - datetime.timedelta(days=3)).isoformat()}
    refused = _post(client, "/api/tasks", past, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422
    assert refused.json()["errors"]["due_on"] == ["The due date cannot be in the past."]
    unknown = _post(client, "/api/tasks", {**body, "assignee_id": 999999})
    assert unknown.status_code == 422
    assert FollowUp.objects.count() == 1


def test_detail_is_audited_and_team_reassign(users_a: dict[str, User], org_a: Organisation) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    TeamFactory.create(organisation=org_a, supervisor=supervisor, members=[volunteer])
    task = FollowUpFactory.create(
        person=PersonFactory.create(organisation=org_a, registered_by=volunteer)
    )
    client = _client(supervisor)

    detail = client.get(f"/api/tasks/{task.pk}")
    assert detail.status_code == 200 and detail.json()["person"]["code"] == task.person.code
    assert AuditEntry.objects.filter(action="casework.person_read").count() == 1

    team = client.get("/api/tasks/team", {"worker_id": volunteer.pk}).json()
    assert [item["id"] for item in team["items"]] == [str(task.pk)]

    moved = _post(client, f"/api/tasks/{task.pk}/reassign", {"assignee_id": supervisor.pk})
    assert moved.status_code == 200 and moved.json()["assigned_to_id"] == supervisor.pk
    outsider = _post(
        client,
        f"/api/tasks/{task.pk}/reassign",
        {"assignee_id": users_a[Role.HEALTH_PROMOTER].pk},
    )
    assert outsider.status_code == 422
    assert FollowUp.objects.get(pk=task.pk).assigned_to == supervisor


def test_orientations_through_the_api(users_a: dict[str, User], org_a: Organisation) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    client = _client(promoter)

    topics = client.get("/api/orientation-topics", HTTP_ACCEPT_LANGUAGE="en").json()
    assert "Regular migration" in [topic["name"] for topic in topics]

    body = {
        "person_id": str(person.pk),
        "occurred_at": timezone.now().isoformat(),
        "topics": ["vaccination", "prenatal-care"],
        "channel": "in_person",
        "place_type": "supermarket",
        "outcome": "referred",
        "note": "",
        "client_uuid": "3f1c9f5e-8a53-4c57-9a3e-3b8b0e0c1a11",
    }
    created = _post(client, "/api/orientations", body)
    assert created.status_code == 201, created.content
    assert sorted(topic["slug"] for topic in created.json()["topics"]) == [
        "prenatal-care",
        "vaccination",
    ]
    repeated = _post(client, "/api/orientations", body)
    assert repeated.status_code == 201 and repeated.json()["id"] == created.json()["id"]
    assert Orientation.objects.count() == 1

    unknown = _post(client, "/api/orientations", {**body, "topics": ["astrology"]})
    assert unknown.status_code == 422 and "topics" in unknown.json()["errors"]
    bad_area = _post(client, "/api/orientations", {**body, "client_uuid": None, "area": "ZZ99"})
    assert bad_area.status_code == 422 and "area" in bad_area.json()["errors"]
    assert Orientation.objects.count() == 1

    listed = client.get("/api/orientations", {"person_id": str(person.pk)})
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert AuditEntry.objects.filter(
        action="casework.person_read", details__via="orientations"
    ).exists()
