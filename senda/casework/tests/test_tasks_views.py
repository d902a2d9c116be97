"""Staff pages of tasks and orientations, through the HTTP client."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.models import FollowUp, FollowUpStatus, Orientation, Topic, TopicUse
from senda.casework.tests.factories import FollowUpFactory, PersonFactory, TeamFactory
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    return login_verified(Client(), user)


def _today() -> datetime.date:
    return timezone.localdate()


def _tasks(worker: User, org: Organisation, count: int, **fields: Any) -> list[FollowUp]:
    return [
        FollowUpFactory.create(
            person=PersonFactory.create(organisation=org, registered_by=worker), **fields
        )
        for _ in range(count)
    ]


def test_home_shows_my_tasks_today_and_overdue_with_quick_links(
    users_a: dict[str, User], org_a: Organisation, django_assert_max_num_queries: Any
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    today = _tasks(promoter, org_a, 3, due_on=_today())
    overdue = _tasks(promoter, org_a, 12, due_on=_today() - datetime.timedelta(days=2))
    _tasks(promoter, org_a, 2, due_on=_today() + datetime.timedelta(days=2))
    silent = PersonFactory.create(
        organisation=org_a, registered_by=promoter, consents_to_contact=False, phone="+507 6999"
    )
    FollowUpFactory.create(person=silent, due_on=_today())
    client = _client(promoter)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("casework:home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert today[0].person.code in html and today[0].person.given_name in html
    assert today[0].person.phone in html
    assert "+507 6999" not in html  # no consent to contact: no phone
    assert silent.code in html
    assert overdue[0].person.code in html
    shown_overdue = [task for task in overdue if task.person.code in html]
    assert len(shown_overdue) == 10  # the first ten, and a link to all of them
    assert "?show=overdue" in html
    assert reverse("casework:task_list") in html
    # Person pages do not exist yet for everyone: the links are left out, never an error.
    assert not AuditEntry.objects.filter(action__endswith="_read").exists()


def test_home_in_english_and_for_a_focal_point(users_a: dict[str, User]) -> None:
    response = _client(users_a[Role.HEALTH_PROMOTER]).get("/en/staff/field/")
    assert response.status_code == 200
    assert "My tasks today" in response.content.decode()
    focal = _client(users_a[Role.FOCAL_POINT]).get("/en/staff/field/")
    assert focal.status_code == 200
    assert "My tasks today" not in focal.content.decode()
    assert _client(users_a[Role.VIEWER]).get("/en/staff/field/").status_code == 403


@pytest.mark.parametrize("show", ["today", "overdue", "upcoming", "done"])
def test_my_tasks_by_state_in_few_queries(
    show: str,
    users_a: dict[str, User],
    org_a: Organisation,
    django_assert_max_num_queries: Any,
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    days = {"today": 0, "overdue": -3, "upcoming": 4, "done": 0}[show]
    status = FollowUpStatus.DONE if show == "done" else FollowUpStatus.OPEN
    mine = _tasks(
        promoter,
        org_a,
        30,
        due_on=_today() + datetime.timedelta(days=days),
        status=status,
        completed_at=timezone.now() if status == FollowUpStatus.DONE else None,
    )
    others = _tasks(users_a[Role.INFO_POINT_STAFF], org_a, 2, due_on=_today())
    client = _client(promoter)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("casework:task_list"), {"show": show})

    html = response.content.decode()
    assert response.status_code == 200
    shown = [task for task in mine if task.person.code in html]
    assert len(shown) == 25  # one page
    assert not any(task.person.code in html for task in others)
    assert "page=2" in html


def test_a_supervisor_sees_their_team_tasks_by_worker(
    users_a: dict[str, User], org_a: Organisation, django_assert_max_num_queries: Any
) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    TeamFactory.create(organisation=org_a, supervisor=supervisor, members=[volunteer])
    team = _tasks(volunteer, org_a, 5)
    own = _tasks(supervisor, org_a, 1)
    outside = _tasks(users_a[Role.HEALTH_PROMOTER], org_a, 1)
    client = _client(supervisor)

    with django_assert_max_num_queries(16):
        response = client.get(reverse("casework:team_tasks"))
    html = response.content.decode()
    assert all(task.person.code in html for task in team + own)
    assert outside[0].person.code not in html

    by_worker = client.get(reverse("casework:team_tasks"), {"worker": volunteer.pk})
    html = by_worker.content.decode()
    assert team[0].person.code in html and own[0].person.code not in html
    assert _client(volunteer).get(reverse("casework:team_tasks")).status_code == 403


def test_task_detail_is_audited_and_completing_keeps_the_note(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    [task] = _tasks(promoter, org_a, 1)
    client = _client(promoter)

    response = client.get(reverse("casework:task_detail", args=[task.pk]))
    assert response.status_code == 200 and task.person.phone in response.content.decode()
    read = AuditEntry.objects.get(action="casework.person_read")
    assert read.details == {"via": "follow_up", "follow_up": str(task.pk)}

    empty = client.post(reverse("casework:task_complete", args=[task.pk]), {"note": ""})
    assert empty.status_code == 400
    assert FollowUp.objects.get(pk=task.pk).status == FollowUpStatus.OPEN

    done = client.post(reverse("casework:task_complete", args=[task.pk]), {"note": "Asistió"})
    assert done.status_code == 302
    saved = FollowUp.objects.get(pk=task.pk)
    assert (saved.status, saved.note) == (FollowUpStatus.DONE, "Asistió")


def test_cancel_and_reassign_pages(users_a: dict[str, User], org_a: Organisation) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    TeamFactory.create(organisation=org_a, supervisor=supervisor, members=[volunteer])
    first, second = _tasks(volunteer, org_a, 2)
    client = _client(supervisor)

    page = client.get(reverse("casework:task_detail", args=[first.pk])).content.decode()
    assert reverse("casework:task_reassign", args=[first.pk]) in page
    moved = client.post(
        reverse("casework:task_reassign", args=[first.pk]), {"assignee": supervisor.pk}
    )
    assert moved.status_code == 302
    assert FollowUp.objects.get(pk=first.pk).assigned_to == supervisor
    refused = client.post(
        reverse("casework:task_reassign", args=[second.pk]),
        {"assignee": users_a[Role.HEALTH_PROMOTER].pk},
    )
    assert refused.status_code == 400
    assert FollowUp.objects.get(pk=second.pk).assigned_to == volunteer

    cancelled = _client(volunteer).post(
        reverse("casework:task_cancel", args=[second.pk]), {"note": "Ya no vive aquí"}
    )
    assert cancelled.status_code == 302
    assert FollowUp.objects.get(pk=second.pk).status == FollowUpStatus.CANCELLED


def test_new_task_page_keeps_the_input_on_error(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    client = _client(promoter)
    url = reverse("casework:task_new", args=[person.pk])
    assert client.get(url).status_code == 200

    past = (_today() - datetime.timedelta(days=1)).isoformat()
    response = client.post(
        f"/en{url}", {"title": "Call about the vaccine", "due_on": past, "assignee": promoter.pk}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The due date cannot be in the past." in html
    assert 'value="Call about the vaccine"' in html
    assert not FollowUp.objects.exists()

    created = client.post(
        url,
        {"title": "Llamar", "due_on": _today().isoformat(), "assignee": promoter.pk},
    )
    assert created.status_code == 302
    assert FollowUp.objects.get().title == "Llamar"


def test_recording_an_orientation_from_its_page(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    client = _client(promoter)
    url = reverse("casework:orientation_new", args=[person.pk])
    page = client.get(f"/en{url}")
    assert page.status_code == 200 and "Regular migration" in page.content.decode()

    vaccination = Topic.objects.get(use=TopicUse.ORIENTATION, slug="vaccination")
    data = {
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "channel": "whatsapp",
        "place_type": "metro",
        "outcome": "informed",
        "note": "Pregunta por la segunda dosis",
    }
    missing = client.post(f"/en{url}", data)
    assert missing.status_code == 400
    assert "This field is required." in missing.content.decode()
    assert "Pregunta por la segunda dosis" in missing.content.decode()
    assert not Orientation.objects.exists()

    saved = client.post(url, {**data, "topics": [vaccination.pk]})
    assert saved.status_code == 302
    orientation = Orientation.objects.get()
    assert orientation.channel == "whatsapp" and orientation.worker == promoter


def test_the_person_page_include_lists_their_orientations(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    orientation = Orientation.objects.create(
        organisation=org_a,
        person=person,
        worker=promoter,
        occurred_at=timezone.now(),
        channel="phone",
        place_type="online",
        outcome="informed",
    )
    orientation.topics.set(Topic.objects.filter(use=TopicUse.ORIENTATION, slug="xenophobia"))
    template = Template('{% include "casework/orientations/_for_person.html" with person=person %}')
    request = RequestFactory().get("/")

    def render(user: User) -> str:
        return template.render(Context({"person": person, "user": user, "request": request}))

    html = render(promoter)
    assert "Xenofobia" in html and reverse("casework:orientation_new", args=[person.pk]) in html
    outsider = render(users_a[Role.COMMUNITY_VOLUNTEER])
    assert "Xenofobia" not in outsider
    assert reverse("casework:orientation_new", args=[person.pk]) not in outsider


def test_lists_page_is_read_only_for_programme_officers(users_a: dict[str, User]) -> None:
    response = _client(users_a[Role.PROGRAMME_OFFICER]).get("/en/staff/field/lists/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Check attendance" in html and "Psychological first aid" in html
    assert 'method="post"' not in html.split("<h1>", 1)[1]  # nothing to change here
    assert _client(users_a[Role.HEALTH_PROMOTER]).get("/en/staff/field/lists/").status_code == 403
