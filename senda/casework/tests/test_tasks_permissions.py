"""The permissions matrix of tasks and orientations: every role of two organisations against
every page and API endpoint, asserting the refusal (403 or 404, with a body for the API) and
that nothing changed in the database."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.models import FollowUp, Orientation, Person
from senda.casework.tests.factories import FollowUpFactory, PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db

CASE_WORKERS: set[str] = {
    Role.INFO_POINT_STAFF,
    Role.HEALTH_PROMOTER,
    Role.COMMUNITY_VOLUNTEER,
    Role.SUPERVISOR,
}
FIELD_WORK: set[str] = CASE_WORKERS | {Role.FOCAL_POINT, Role.PROGRAMME_OFFICER, Role.ORG_ADMIN}
LIST_READERS: set[str] = {Role.PROGRAMME_OFFICER, Role.SUPERVISOR, Role.ORG_ADMIN}
# Of organisation A, about a person a promoter of A registered (not in the supervisor's team):
WORK_WITH_PERSON: set[str] = {Role.HEALTH_PROMOTER, Role.INFO_POINT_STAFF}
SEE_PERSON = WORK_WITH_PERSON | {Role.PROGRAMME_OFFICER}


@dataclass
class World:
    person: Person
    task: FollowUp
    users: dict[str, User]  # "a:health_promoter" -> user


@pytest.fixture
def world(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation, org_b: Organisation
) -> World:
    promoter = users_a[Role.HEALTH_PROMOTER]
    TeamFactory.create(
        organisation=org_a,
        supervisor=users_a[Role.SUPERVISOR],
        members=[users_a[Role.COMMUNITY_VOLUNTEER]],
    )
    TeamFactory.create(
        organisation=org_b,
        supervisor=users_b[Role.SUPERVISOR],
        members=[users_b[Role.HEALTH_PROMOTER]],
    )
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    task = FollowUpFactory.create(person=person)
    users = {f"a:{role}": user for role, user in users_a.items()}
    users |= {f"b:{role}": user for role, user in users_b.items()}
    return World(person=person, task=task, users=users)


def _snapshot() -> list[Any]:
    tasks = list(
        FollowUp.objects.order_by("pk").values_list(
            "pk", "status", "assigned_to_id", "due_on", "title"
        )
    )
    notes = [task.note for task in FollowUp.objects.order_by("pk")]
    orientations = list(Orientation.objects.values_list("pk", flat=True))
    activity = list(Person.objects.order_by("pk").values_list("pk", "last_activity_at"))
    return [tasks, notes, orientations, activity]


def _own_org(key: str) -> bool:
    return key.startswith("a:")


def _role(key: str) -> str:
    return key.split(":", 1)[1]


def _by_roles(allowed: set[str], refusal: int = 403) -> Callable[[str], int | None]:
    """Roles of either organisation: allowed (None) or refused with ``refusal``."""
    return lambda key: None if _role(key) in allowed else refusal


def _about_person(key: str) -> int | None:
    """Working with the person of organisation A: 403 for who only reads them, else 404."""
    if not _own_org(key):
        return 404
    role = _role(key)
    if role in WORK_WITH_PERSON:
        return None
    return 403 if role in SEE_PERSON else 404


def _about_task(key: str) -> int | None:
    """Completing or cancelling the task: as for the person (the same people see both)."""
    return _about_person(key)


def _reassign_task(key: str) -> int | None:
    """Nobody here supervises the task's worker: 403 for who sees it, 404 for the others."""
    if _own_org(key) and _role(key) in SEE_PERSON:
        return 403
    return 404


def _see_task(key: str) -> int | None:
    return None if _own_org(key) and _role(key) in SEE_PERSON else 404


def _see_person(key: str) -> int | None:
    return None if _own_org(key) and _role(key) in SEE_PERSON else 404


def _today() -> str:
    return timezone.localdate().isoformat()


Request = Callable[[Client, World], Any]


def _page(path: Callable[[World], str]) -> Request:
    return lambda client, world: client.get(path(world))


def _form(path: Callable[[World], str], data: Callable[[World], dict[str, Any]]) -> Request:
    return lambda client, world: client.post(path(world), data(world))


def _json(path: Callable[[World], str], data: Callable[[World], dict[str, Any]]) -> Request:
    return lambda client, world: client.post(
        path(world), json.dumps(data(world)), content_type="application/json"
    )


def _orientation_body(world: World) -> dict[str, Any]:
    return {
        "person_id": str(world.person.pk),
        "occurred_at": timezone.now().isoformat(),
        "topics": ["vaccination"],
        "channel": "phone",
        "place_type": "online",
        "outcome": "informed",
    }


def _orientation_form(world: World) -> dict[str, Any]:
    from senda.casework.models import Topic

    topic = Topic.objects.get(use="orientation", slug="vaccination")
    return {
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "topics": [topic.pk],
        "channel": "phone",
        "place_type": "online",
        "outcome": "informed",
    }


PAGES: dict[str, tuple[Request, Callable[[str], int | None]]] = {
    "home": (_page(lambda w: "/staff/field/"), _by_roles(FIELD_WORK)),
    "task_list": (_page(lambda w: "/staff/field/tasks/"), _by_roles(CASE_WORKERS)),
    "team_tasks": (_page(lambda w: "/staff/field/tasks/team/"), _by_roles({str(Role.SUPERVISOR)})),
    "lists": (_page(lambda w: "/staff/field/lists/"), _by_roles(LIST_READERS)),
    "task_detail": (_page(lambda w: f"/staff/field/tasks/{w.task.pk}/"), _see_task),
    "task_new_form": (_page(lambda w: f"/staff/field/tasks/new/{w.person.pk}/"), _about_person),
    "orientation_form": (
        _page(lambda w: f"/staff/field/orientations/new/{w.person.pk}/"),
        _about_person,
    ),
}
PAGE_WRITES: dict[str, tuple[Request, Callable[[str], int | None]]] = {
    "task_new": (
        _form(
            lambda w: f"/staff/field/tasks/new/{w.person.pk}/",
            lambda w: {"title": "x", "due_on": _today(), "assignee": w.task.assigned_to_id},
        ),
        _about_person,
    ),
    "task_complete": (
        _form(lambda w: f"/staff/field/tasks/{w.task.pk}/complete/", lambda w: {"note": "x"}),
        _about_task,
    ),
    "task_cancel": (
        _form(lambda w: f"/staff/field/tasks/{w.task.pk}/cancel/", lambda w: {"note": "x"}),
        _about_task,
    ),
    "task_reassign": (
        _form(
            lambda w: f"/staff/field/tasks/{w.task.pk}/reassign/",
            lambda w: {"assignee": w.users["a:supervisor"].pk},
        ),
        _reassign_task,
    ),
    "orientation_new": (
        _form(lambda w: f"/staff/field/orientations/new/{w.person.pk}/", _orientation_form),
        _about_person,
    ),
}
API_READS: dict[str, tuple[Request, Callable[[str], int | None]]] = {
    "api_tasks": (_page(lambda w: "/api/tasks"), _by_roles(CASE_WORKERS)),
    "api_counts": (_page(lambda w: "/api/tasks/counts"), _by_roles(CASE_WORKERS)),
    "api_team": (_page(lambda w: "/api/tasks/team"), _by_roles({str(Role.SUPERVISOR)})),
    "api_task": (_page(lambda w: f"/api/tasks/{w.task.pk}"), _see_task),
    "api_orientations": (
        _page(lambda w: f"/api/orientations?person_id={w.person.pk}"),
        _see_person,
    ),
}
API_WRITES: dict[str, tuple[Request, Callable[[str], int | None]]] = {
    "api_task_create": (
        _json(
            lambda w: "/api/tasks",
            lambda w: {"person_id": str(w.person.pk), "title": "x", "due_on": _today()},
        ),
        _about_person,
    ),
    "api_task_complete": (
        _json(lambda w: f"/api/tasks/{w.task.pk}/complete", lambda w: {"note": "x"}),
        _about_task,
    ),
    "api_task_cancel": (
        _json(lambda w: f"/api/tasks/{w.task.pk}/cancel", lambda w: {"note": "x"}),
        _about_task,
    ),
    "api_task_reassign": (
        _json(
            lambda w: f"/api/tasks/{w.task.pk}/reassign",
            lambda w: {"assignee_id": w.users["a:supervisor"].pk},
        ),
        _reassign_task,
    ),
    "api_orientation_create": (
        _json(lambda w: "/api/orientations", _orientation_body),
        _about_person,
    ),
}
EVERYONE = [f"{org}:{role}" for org in ("a", "b") for role in Role.values]


@pytest.mark.parametrize("endpoint", sorted({**PAGES, **PAGE_WRITES}))
def test_pages_refuse_every_role_without_the_right(endpoint: str, world: World) -> None:
    request, expected = {**PAGES, **PAGE_WRITES}[endpoint]
    for key in EVERYONE:
        refusal = expected(key)
        if refusal is None:
            continue
        before = _snapshot()
        response = request(login_verified(Client(), world.users[key]), world)
        assert response.status_code == refusal, (endpoint, key, response.status_code)
        assert _snapshot() == before, (endpoint, key)


@pytest.mark.parametrize("endpoint", sorted(PAGES))
def test_pages_open_for_the_roles_with_the_right(endpoint: str, world: World) -> None:
    request, expected = PAGES[endpoint]
    for key in EVERYONE:
        if expected(key) is None:
            response = request(login_verified(Client(), world.users[key]), world)
            assert response.status_code == 200, (endpoint, key, response.status_code)


@pytest.mark.parametrize("endpoint", sorted({**API_READS, **API_WRITES}))
def test_api_refuses_every_role_without_the_right(endpoint: str, world: World) -> None:
    request, expected = {**API_READS, **API_WRITES}[endpoint]
    for key in EVERYONE:
        refusal = expected(key)
        if refusal is None and endpoint in API_WRITES:
            continue
        before = _snapshot()
        response = request(login_verified(Client(), world.users[key]), world)
        if refusal is None:
            # Reads answer; writes by allowed roles are tested in test_tasks_api.
            assert endpoint in API_WRITES or response.status_code == 200, (endpoint, key)
            continue
        assert response.status_code == refusal, (endpoint, key, response.status_code)
        assert response.json()["detail"], (endpoint, key)
        assert _snapshot() == before, (endpoint, key)


def test_signed_out_nothing_opens_and_nothing_changes(world: World) -> None:
    client = Client()
    before = _snapshot()
    for endpoint, (request, _expected) in {**PAGES, **PAGE_WRITES}.items():
        response = request(client, world)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], endpoint
    for endpoint, (request, _expected) in {**API_READS, **API_WRITES}.items():
        response = request(client, world)
        assert response.status_code == 401 and response.json()["detail"], endpoint
    assert client.get("/api/orientation-topics").status_code == 401
    assert _snapshot() == before


def test_the_worker_of_the_task_does_what_the_others_may_not(world: World) -> None:
    """The other side of the matrix: the allowed roles' writes do change the database."""
    client = login_verified(Client(), world.users["a:health_promoter"])
    response = client.post(f"/staff/field/tasks/{world.task.pk}/complete/", {"note": "Asistió"})
    assert response.status_code == 302
    assert FollowUp.objects.get(pk=world.task.pk).status == "done"
    due = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        f"/staff/field/tasks/new/{world.person.pk}/",
        {"title": "Llamar", "due_on": due, "assignee": world.users["a:info_point_staff"].pk},
    )
    assert response.status_code == 302
    assert FollowUp.objects.filter(assigned_to=world.users["a:info_point_staff"]).exists()
