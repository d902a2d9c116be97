"""The audit log: from where, append-only in the database, survives deleted users, and the
search page for organisation admins and superusers."""

from __future__ import annotations

import datetime

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import UserFactory
from senda.accounts.token_actions import api_token_create
from senda.core.audit import RequestContext, audit, audit_read, request_context
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_entry_outside_a_request_comes_from_a_command(users_a: dict[str, User]) -> None:
    entry = audit(actor=users_a[Role.ORG_ADMIN], action="test.thing")
    assert entry.channel == "command" and entry.ip_address is None
    assert entry.actor_username == users_a[Role.ORG_ADMIN].username


def test_web_requests_record_the_address_and_channel(
    client: Client, users_a: dict[str, User]
) -> None:
    admin = users_a[Role.ORG_ADMIN]
    login_verified(client, admin)
    client.post(
        reverse("accounts:members"),
        {"username": "new-person", "role": Role.VIEWER},
        REMOTE_ADDR="192.0.2.10",
    )
    entry = AuditEntry.objects.get(action="accounts.member_add")
    assert (entry.channel, entry.ip_address, entry.actor_username) == (
        "web",
        "192.0.2.10",
        admin.username,
    )


def test_api_token_requests_name_the_token(users_a: dict[str, User]) -> None:
    user = users_a[Role.INFO_POINT_STAFF]
    _token, clear = api_token_create(actor=user, name="Promoter phone")
    other, _clear = api_token_create(actor=user, name="Old tablet")
    response = Client().post(
        f"/api/tokens/{other.pk}/revoke",
        HTTP_AUTHORIZATION=f"Bearer {clear}",
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.filter(action="accounts.api_token_revoke").latest("id")
    assert (entry.channel, entry.via, entry.ip_address) == ("api", "Promoter phone", "198.51.100.4")


def test_audit_read_records_a_read_of_a_record(users_a: dict[str, User], org_a) -> None:
    reader = users_a[Role.SUPERVISOR]
    with request_context(RequestContext(channel="sync", ip_address="203.0.113.5")):
        entry = audit_read(actor=reader, obj=users_a[Role.VIEWER], organisation=org_a)
    assert entry.action == "accounts.user_read"
    assert entry.object_id == str(users_a[Role.VIEWER].pk)
    assert (entry.channel, entry.ip_address) == ("sync", "203.0.113.5")


def test_the_database_refuses_to_change_or_delete_entries(users_a: dict[str, User]) -> None:
    entry = audit(actor=users_a[Role.ORG_ADMIN], action="test.thing")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="test.other")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.action == "test.thing"


def test_deleting_a_user_or_an_organisation_keeps_their_entries(org_b: Organisation) -> None:
    user = UserFactory.create(username="leaving")
    audit(actor=user, action="test.thing", organisation=org_b)
    user.delete()
    org_b.delete()
    entry = AuditEntry.objects.get(action="test.thing")
    assert entry.actor_username == "leaving"
    # the search page shows what was stored, without joining the gone user
    assert AuditEntry.objects.select_related("organisation").get(pk=entry.pk).organisation is None


def test_admin_site_cannot_edit_entries(client: Client, users_a: dict[str, User]) -> None:
    entry = audit(actor=users_a[Role.ORG_ADMIN], action="test.thing")
    superuser = UserFactory.create(is_superuser=True, is_staff=True)
    login_verified(client, superuser)
    url = reverse("admin:core_auditentry_change", args=[entry.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(url, {"action": "changed"}).status_code == 403
    delete_url = reverse("admin:core_auditentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.thing"


@pytest.mark.parametrize("role", Role.values)
def test_audit_page_by_role(client: Client, users_a: dict[str, User], role: str) -> None:
    login_verified(client, users_a[role])
    response = client.get(reverse("core_audit:search"))
    assert response.status_code == (200 if role == Role.ORG_ADMIN else 403)


def test_admin_sees_only_their_organisation_and_can_filter(
    client: Client,
    users_a: dict[str, User],
    users_b: dict[str, User],
    org_a: Organisation,
    org_b: Organisation,
    django_assert_max_num_queries,
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    for _ in range(60):
        audit(actor=promoter, action="test.seen", obj=promoter, organisation=org_a)
    audit(actor=users_a[Role.SUPERVISOR], action="casework.person_read", organisation=org_a)
    audit(actor=users_b[Role.ORG_ADMIN], action="test.other_org", organisation=org_b)
    login_verified(client, users_a[Role.ORG_ADMIN])
    url = reverse("core_audit:search")

    with django_assert_max_num_queries(10):
        response = client.get(url)
    html = response.content.decode()
    assert "test.other_org" not in html
    assert response.context["page"].paginator.count == 61
    assert len(response.context["page"].object_list) == 50
    assert 'rel="next"' in html

    response = client.get(url, {"actor": promoter.username.upper(), "page": "2"})
    assert response.context["page"].paginator.count == 60
    response = client.get(url, {"action": "casework."})
    assert [e.action for e in response.context["page"]] == ["casework.person_read"]
    response = client.get(url, {"object_type": "accounts.user", "object_id": str(promoter.pk)})
    assert response.context["page"].paginator.count == 60
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    response = client.get(url, {"date_from": tomorrow.isoformat()})
    assert response.context["page"].paginator.count == 0
    response = client.get(url, {"date_from": today.isoformat(), "date_to": today.isoformat()})
    assert response.context["page"].paginator.count == 61
    # a reversed range is an error on the form, not a crash
    response = client.get(url, {"date_from": tomorrow.isoformat(), "date_to": today.isoformat()})
    assert response.status_code == 200 and response.context["form"].errors


def test_superuser_sees_every_organisation(
    client: Client, org_a: Organisation, org_b: Organisation
) -> None:
    audit(actor=None, action="test.a", organisation=org_a)
    audit(actor=None, action="test.b", organisation=org_b)
    login_verified(client, UserFactory.create(is_superuser=True))
    response = client.get(reverse("core_audit:search"), {"action": "test."})
    assert response.context["page"].paginator.count == 2


def test_menu_links_the_audit_page_for_admins_only(
    client: Client, users_a: dict[str, User]
) -> None:
    login_verified(client, users_a[Role.ORG_ADMIN])
    assert reverse("core_audit:search") in client.get(reverse("accounts:members")).content.decode()
    other = login_verified(Client(), users_a[Role.INFO_POINT_STAFF])
    home = other.get(reverse("directory:staff_home")).content.decode()
    assert reverse("core_audit:search") not in home
