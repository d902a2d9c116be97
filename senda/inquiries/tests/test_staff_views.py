"""The staff inbox through the HTTP client: filters, detail (audited), assign, reply, note,
close; and the permission matrix (every role of two organisations) asserting refusal and
that nothing changed."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import OrganisationFactory, member
from senda.core.models import AuditEntry
from senda.inquiries.models import EventKind, Inquiry, InquiryEvent, InquiryStatus
from senda.inquiries.tests.factories import InquiryFactory

pytestmark = pytest.mark.django_db

HANDLERS = {Role.ORG_ADMIN, Role.INFO_POINT_STAFF}


def logged_in(user: User) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def detail_url(inquiry: Inquiry, step: str = "") -> str:
    name = f"inquiries_staff:{step or 'detail'}"
    return reverse(name, args=[inquiry.pk])


def test_inbox_filters(users_a: dict[str, User], org_a: Organisation, org_b: Organisation) -> None:
    staff = users_a[Role.INFO_POINT_STAFF]
    old = timezone.now() - datetime.timedelta(hours=60)
    new = InquiryFactory.create(organisation=org_a)
    mine = InquiryFactory.create(
        organisation=org_a, status=InquiryStatus.ASSIGNED, assigned_to=staff
    )
    overdue = InquiryFactory.create(organisation=org_a, created_at=old)
    answered = InquiryFactory.create(organisation=org_a, status=InquiryStatus.ANSWERED)
    elsewhere = InquiryFactory.create(organisation=org_b)
    client = logged_in(staff)

    def listed(show: str) -> set[Inquiry]:
        response = client.get("/en/staff/inquiries/", {"show": show})
        assert response.status_code == 200
        return {
            i
            for i in (new, mine, overdue, answered, elsewhere)
            if str(i.pk) in response.content.decode()
        }

    assert listed("open") == {new, mine, overdue, answered}
    assert listed("new") == {new, overdue}
    assert listed("mine") == {mine}
    assert listed("overdue") == {overdue}
    assert listed("answered") == {answered}
    assert "Overdue" in client.get("/en/staff/inquiries/?show=overdue").content.decode()


def test_inbox_queries_do_not_grow_with_the_list(
    users_a: dict[str, User], org_a: Organisation, django_assert_max_num_queries: object
) -> None:
    client = logged_in(users_a[Role.INFO_POINT_STAFF])
    InquiryFactory.create_batch(3, organisation=org_a, assigned_to=users_a[Role.ORG_ADMIN])
    client.get("/en/staff/inquiries/")
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        client.get("/en/staff/inquiries/")
    InquiryFactory.create_batch(10, organisation=org_a, assigned_to=users_a[Role.ORG_ADMIN])
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        client.get("/en/staff/inquiries/")


def test_answering_a_request_through_the_pages(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    staff, admin = users_a[Role.INFO_POINT_STAFF], users_a[Role.ORG_ADMIN]
    inquiry = InquiryFactory.create(organisation=org_a, contact="+504 0000-0042")
    client = logged_in(admin)

    page = client.get(detail_url(inquiry))
    assert page.status_code == 200
    assert 'href="https://wa.me/50400000042"' in page.content.decode()
    assert AuditEntry.objects.filter(
        action="inquiries.inquiry_view", object_id=str(inquiry.pk), actor=admin
    ).exists()

    assert client.post(detail_url(inquiry, "assign"), {"assignee": staff.pk}).status_code == 302
    client = logged_in(staff)
    reply = {"text": "Le expliqué los requisitos.", "channel": "whatsapp"}
    assert client.post(detail_url(inquiry, "reply"), reply).status_code == 302
    assert (
        client.post(detail_url(inquiry, "note"), {"text": "Pidió volver a llamar."}).status_code
        == 302
    )
    closing = {"outcome": "answered_whatsapp", "note": ""}
    assert client.post(detail_url(inquiry, "close"), closing).status_code == 302

    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.CLOSED and inquiry.assigned_to == staff
    assert list(inquiry.events.values_list("kind", flat=True)) == [
        EventKind.ASSIGNED,
        EventKind.REPLIED,
        EventKind.NOTE,
        EventKind.OUTCOME,
    ]
    history = client.get(detail_url(inquiry)).content.decode()
    assert "Le expliqué los requisitos." in history


def test_an_empty_reply_is_refused_with_a_message(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    inquiry = InquiryFactory.create(organisation=org_a)

    response = logged_in(users_a[Role.INFO_POINT_STAFF]).post(
        detail_url(inquiry, "reply"), {"text": "", "channel": "phone"}
    )

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert inquiry.events.count() == 0


def test_escalated_requests_reach_the_network_editors(org_a: Organisation) -> None:
    network = OrganisationFactory.create(is_network_editor=True)
    editor = member(network, Role.CONTENT_EDITOR)
    quiet = InquiryFactory.create(organisation=org_a)
    escalated = InquiryFactory.create(organisation=org_a, escalated_at=timezone.now())
    client = logged_in(editor)

    body = client.get("/en/staff/inquiries/?show=escalated").content.decode()

    assert str(escalated.pk) in body and str(quiet.pk) not in body
    assert client.get(detail_url(escalated)).status_code == 200
    assert client.get(detail_url(quiet)).status_code == 404


def snapshot(inquiry: Inquiry) -> tuple[object, ...]:
    inquiry.refresh_from_db()
    return (inquiry.status, inquiry.assigned_to_id, inquiry.outcome, inquiry.events.count())


STEPS = {
    "assign": lambda assignee: {"assignee": assignee.pk},
    "reply": lambda assignee: {"text": "Hola", "channel": "phone"},
    "note": lambda assignee: {"text": "Nota"},
    "close": lambda assignee: {"outcome": "visited"},
}


@pytest.mark.parametrize("organisation", ["a", "b"])
@pytest.mark.parametrize("role", list(Role.values))
@pytest.mark.parametrize("step", ["detail", *STEPS])
def test_permission_matrix(
    users_a: dict[str, User],
    users_b: dict[str, User],
    org_a: Organisation,
    organisation: str,
    role: str,
    step: str,
) -> None:
    inquiry = InquiryFactory.create(organisation=org_a)
    colleague = member(org_a, Role.INFO_POINT_STAFF)
    user = (users_a if organisation == "a" else users_b)[role]
    before = snapshot(inquiry)
    views_before = AuditEntry.objects.filter(action="inquiries.inquiry_view").count()
    client = logged_in(user)

    if step == "detail":
        response = client.get(detail_url(inquiry))
    else:
        response = client.post(detail_url(inquiry, step), STEPS[step](colleague))

    allowed = organisation == "a" and role in HANDLERS
    if allowed:
        assert response.status_code in (200, 302)
        return
    assert response.status_code == 404
    assert snapshot(inquiry) == before
    assert AuditEntry.objects.filter(action="inquiries.inquiry_view").count() == views_before
    assert not InquiryEvent.objects.exists()


@pytest.mark.parametrize("role", list(Role.values))
def test_the_inbox_is_for_handlers_only(users_a: dict[str, User], role: str) -> None:
    response = logged_in(users_a[role]).get("/en/staff/inquiries/")

    assert response.status_code == (200 if role in HANDLERS else 403)


def test_anonymous_visitors_are_sent_to_log_in(org_a: Organisation) -> None:
    inquiry = InquiryFactory.create(organisation=org_a)

    assert Client().get("/en/staff/inquiries/").status_code == 302
    assert Client().post(detail_url(inquiry, "note"), {"text": "x"}).status_code == 302
    assert inquiry.events.count() == 0
