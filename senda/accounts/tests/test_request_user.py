"""A signed-in request reads its session and its user with their memberships in two plain
queries, and nothing about who is signed in changes: a session ends at once when its row goes
or expires, a deactivated user or a changed password ends it, memberships that do not count
are left out."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from senda.accounts.backends import UserBackend, user_with_memberships
from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import Role
from senda.accounts.sessions import SessionStore
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _orm_memberships(user: User) -> list[Membership]:
    return list(
        Membership.objects.select_related("organisation")
        .filter(user=user, is_active=True, organisation__is_active=True)
        .order_by("created_at", "pk")
    )


def test_the_user_comes_with_the_memberships_that_count_oldest_first(
    org_a: Organisation, org_b: Organisation
) -> None:
    # given a user in four organisations: two that count, one membership switched off,
    # one organisation switched off
    user = UserFactory.create(first_name="Ana")
    closed = OrganisationFactory.create(is_active=False)
    older = MembershipFactory.create(user=user, organisation=org_b, role=Role.FOCAL_POINT)
    newer = MembershipFactory.create(user=user, organisation=org_a, role=Role.HEALTH_PROMOTER)
    MembershipFactory.create(user=user, organisation=closed, role=Role.SUPERVISOR)
    MembershipFactory.create(
        user=user, organisation=OrganisationFactory.create(), role=Role.VIEWER, is_active=False
    )
    Membership.objects.filter(pk=newer.pk).update(
        created_at=older.created_at + datetime.timedelta(seconds=5)
    )

    # when it is read for a request
    with CaptureQueriesContext(connection) as queries:
        loaded = user_with_memberships(user.pk)
        assert loaded is not None
        memberships = loaded.active_memberships()
        names = [membership.organisation.name for membership in memberships]
        owners = [membership.user for membership in memberships]

    # then one query gave the user, their memberships and organisations, as the ORM reads them
    assert len(queries.captured_queries) == 1
    assert loaded == user and loaded.first_name == "Ana" and loaded.password == user.password
    assert loaded.date_joined == user.date_joined and loaded.is_active is True
    assert [membership.pk for membership in memberships] == [older.pk, newer.pk]
    assert memberships == _orm_memberships(user)
    assert names == [org_b.name, org_a.name]
    assert [membership.role for membership in memberships] == [
        Role.FOCAL_POINT,
        Role.HEALTH_PROMOTER,
    ]
    assert memberships[0].organisation.pk == org_b.pk
    assert all(owner is loaded for owner in owners)
    assert loaded.active_membership() == older


def test_a_user_without_memberships_and_an_unknown_user() -> None:
    user = UserFactory.create()

    loaded = user_with_memberships(user.pk)

    assert loaded == user and loaded.active_memberships() == []
    assert loaded.active_membership() is None
    assert user_with_memberships(user.pk + 1000) is None


def test_a_deactivated_user_is_nobody(users_a: dict[str, User]) -> None:
    user = users_a[Role.HEALTH_PROMOTER]
    assert UserBackend().get_user(user.pk) == user

    User.objects.filter(pk=user.pk).update(is_active=False)

    assert UserBackend().get_user(user.pk) is None
    client = login_verified(Client(), user)
    response = client.get(reverse("casework:task_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_staff_page_reads_the_session_and_the_user_with_memberships_once(
    users_a: dict[str, User],
) -> None:
    # A page that refuses at once reads only who is asking.
    client = login_verified(Client(), users_a[Role.VIEWER])
    client.get(reverse("casework:referral_inbox"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("casework:referral_inbox"))

    assert response.status_code == 403
    tables = [query["sql"] for query in queries.captured_queries]
    assert len(tables) == 2, tables
    assert "django_session" in tables[0]
    assert "accounts_user" in tables[1] and "accounts_membership" in tables[1]


def _session_of(client: Client) -> Any:
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


def test_a_deleted_or_expired_session_ends_at_once(users_a: dict[str, User]) -> None:
    user = users_a[Role.HEALTH_PROMOTER]
    page = reverse("casework:task_list")

    # given two signed-in browsers
    first, second = login_verified(Client(), user), login_verified(Client(), user)
    assert first.get(page).status_code == 200 and second.get(page).status_code == 200

    # when one session's row is deleted (logout, an admin's reset) and the other expires
    _session_of(first).delete()
    Session.objects.filter(pk=_session_of(second).pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    # then both are sent to the login page on their next request
    for client in (first, second):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_a_changed_password_ends_the_other_sessions(users_a: dict[str, User]) -> None:
    user = users_a[Role.HEALTH_PROMOTER]
    client = login_verified(Client(), user)
    assert client.get(reverse("casework:task_list")).status_code == 200

    user.set_password("another-long-password-1")
    user.save()

    response = client.get(reverse("casework:task_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_session_begun_with_djangos_model_backend_stays_signed_in(
    users_a: dict[str, User],
) -> None:
    # Sessions from before the user was read with the memberships name Django's backend.
    client = login_verified(Client(), users_a[Role.HEALTH_PROMOTER])
    session = client.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session.save()

    response = client.get(reverse("casework:task_list"))

    assert response.status_code == 200
    assert response.wsgi_request.user == users_a[Role.HEALTH_PROMOTER]


def test_an_unknown_backend_in_a_session_is_nobody(users_a: dict[str, User]) -> None:
    client = login_verified(Client(), users_a[Role.HEALTH_PROMOTER])
    session = client.session
    session[BACKEND_SESSION_KEY] = "somewhere.else.Backend"
    session.save()

    response = client.get(reverse("casework:task_list"))

    assert response.status_code == 302


def test_the_store_reads_what_it_saved_and_forgets_a_missing_key() -> None:
    store = SessionStore()
    store["colour"] = "green"
    store.save()

    assert SessionStore(store.session_key).load() == {"colour": "green"}
    missing = SessionStore("x" * 32)
    assert missing.load() == {}
    assert missing.session_key is None
