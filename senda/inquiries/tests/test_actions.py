"""Actions on requests: submit (validated, routed, audited without personal data), assign,
reply, note, close, and escalation of the overdue ones."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.tests.factories import OrganisationFactory, member
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.geo.models import AdminArea, Country
from senda.inquiries import actions
from senda.inquiries.models import EventKind, Inquiry, InquiryStatus, Outcome, RoutedBy
from senda.inquiries.tests.factories import InquiryFactory, information_point

pytestmark = pytest.mark.django_db


def submit(**overrides: object) -> Inquiry:
    fields: dict[str, object] = {
        "question": "¿Puedo trabajar en México?",
        "reply_channel": "whatsapp",
        "contact": "+504 0000-0001",
        "name": "Persona de ejemplo 1",
        "country": Country.objects.get(pk="HN"),
        "area": AdminArea.objects.get(pk="HN0801"),
        "consent": True,
        "language": "es",
    }
    fields.update(overrides)
    return actions.inquiry_submit(**fields)  # type: ignore[arg-type]


def test_submit_routes_stores_consent_and_audits_no_personal_data(org_a: Organisation) -> None:
    service = information_point(owner=org_a, area="HN0801")

    inquiry = submit(via="abc1234", topic="work")

    assert inquiry.organisation == org_a
    assert inquiry.service == service
    assert inquiry.routed_by == RoutedBy.AREA
    assert inquiry.status == InquiryStatus.NEW
    assert inquiry.consent_at is not None and inquiry.consent_version == actions.CONSENT_VERSION
    assert inquiry.via == "abc1234" and inquiry.topic == "work"
    entry = AuditEntry.objects.get(action="inquiries.inquiry_submit")
    written = json.dumps(entry.details) + str(entry)
    for personal in ("Persona", "0000-0001", "México"):
        assert personal not in written


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"question": "  "}, "question"),
        ({"reply_channel": "fax"}, "reply_channel"),
        ({"contact": ""}, "contact"),
        ({"consent": False}, "consent"),
        ({"area": "GT01"}, "area"),
    ],
)
def test_submit_refuses_bad_input_and_saves_nothing(
    org_a: Organisation, overrides: dict[str, object], field: str
) -> None:
    information_point(owner=org_a, area="HN0801")
    if overrides.get("area"):
        overrides["area"] = AdminArea.objects.get(pk=overrides["area"])

    with pytest.raises(ValidationError) as refused:
        submit(**overrides)

    assert field in refused.value.errors
    assert Inquiry.objects.count() == 0


def test_i_will_visit_needs_no_contact(org_a: Organisation) -> None:
    information_point(owner=org_a, area="HN0801")

    inquiry = submit(reply_channel="visit", contact="+504 0000-0002")

    assert inquiry.contact == ""


def test_submit_without_any_information_point_or_network_is_refused() -> None:
    with pytest.raises(ValidationError):
        submit()
    assert Inquiry.objects.count() == 0


def test_assign_reply_note_and_close(users_a: dict[str, User], org_a: Organisation) -> None:
    staff, admin = users_a[Role.INFO_POINT_STAFF], users_a[Role.ORG_ADMIN]
    inquiry = InquiryFactory.create(organisation=org_a)

    actions.inquiry_assign(user=admin, inquiry=inquiry, assignee=staff)
    actions.inquiry_reply(user=staff, inquiry=inquiry, text="Te llamé.", channel="phone")
    actions.inquiry_add_note(user=staff, inquiry=inquiry, text="Volverá el lunes.")
    actions.inquiry_close(user=staff, inquiry=inquiry, outcome=Outcome.ANSWERED_PHONE)

    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.CLOSED
    assert inquiry.assigned_to == staff
    assert inquiry.outcome == Outcome.ANSWERED_PHONE
    assert inquiry.answered_at is not None and inquiry.closed_at is not None
    kinds = [event.kind for event in inquiry.events.all()]
    assert kinds == [EventKind.ASSIGNED, EventKind.REPLIED, EventKind.NOTE, EventKind.OUTCOME]
    replied = inquiry.events.get(kind=EventKind.REPLIED)
    assert (replied.text, replied.channel) == ("Te llamé.", "phone")
    assert AuditEntry.objects.filter(object_id=str(inquiry.pk)).count() == 4
    with pytest.raises(ValidationError):
        actions.inquiry_reply(user=staff, inquiry=inquiry, text="Otra vez", channel="phone")


def test_assign_only_to_a_handler_of_the_same_organisation(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation
) -> None:
    inquiry = InquiryFactory.create(organisation=org_a)

    for outsider in (users_b[Role.INFO_POINT_STAFF], users_a[Role.HEALTH_PROMOTER]):
        with pytest.raises(ValidationError):
            actions.inquiry_assign(user=users_a[Role.ORG_ADMIN], inquiry=inquiry, assignee=outsider)
    inquiry.refresh_from_db()
    assert inquiry.assigned_to is None and inquiry.events.count() == 0


def test_other_organisations_may_not_act(users_b: dict[str, User], org_a: Organisation) -> None:
    inquiry = InquiryFactory.create(organisation=org_a)

    with pytest.raises(PermissionDeniedError):
        actions.inquiry_add_note(user=users_b[Role.ORG_ADMIN], inquiry=inquiry, text="Hola")
    assert inquiry.events.count() == 0


@override_settings(SENDA_INQUIRY_ESCALATION_HOURS=24)
def test_escalation_marks_only_unanswered_overdue_requests_once(org_a: Organisation) -> None:
    now = timezone.now()
    old = now - datetime.timedelta(hours=30)
    overdue = InquiryFactory.create(organisation=org_a, created_at=old)
    assigned = InquiryFactory.create(
        organisation=org_a, created_at=old, status=InquiryStatus.ASSIGNED
    )
    answered = InquiryFactory.create(
        organisation=org_a, created_at=old, status=InquiryStatus.ANSWERED
    )
    recent = InquiryFactory.create(organisation=org_a, created_at=now - datetime.timedelta(hours=2))

    assert actions.inquiries_escalate_overdue(now=now) == 2
    assert actions.inquiries_escalate_overdue(now=now) == 0

    for inquiry in (overdue, assigned, answered, recent):
        inquiry.refresh_from_db()
    assert overdue.escalated_at == now and assigned.escalated_at == now
    assert answered.escalated_at is None and recent.escalated_at is None
    assert overdue.events.filter(kind=EventKind.ESCALATED).count() == 1


def test_the_command_escalates(org_a: Organisation) -> None:
    InquiryFactory.create(
        organisation=org_a, created_at=timezone.now() - datetime.timedelta(hours=49)
    )

    output = io.StringIO()
    call_command("escalate_inquiries", stdout=output)

    assert Inquiry.objects.filter(escalated_at__isnull=False).count() == 1
    assert "Escalated 1" in output.getvalue()


def test_network_editors_may_act_on_escalated_requests_only(org_a: Organisation) -> None:
    network = OrganisationFactory.create(is_network_editor=True)
    editor = member(network, Role.CONTENT_EDITOR)
    quiet = InquiryFactory.create(organisation=org_a)
    escalated = InquiryFactory.create(organisation=org_a, escalated_at=timezone.now())

    with pytest.raises(PermissionDeniedError):
        actions.inquiry_add_note(user=editor, inquiry=quiet, text="¿Quién responde?")
    actions.inquiry_add_note(user=editor, inquiry=escalated, text="Lo vemos hoy.")

    assert escalated.events.count() == 1 and quiet.events.count() == 0


def test_what_the_person_wrote_is_encrypted_at_rest(org_a: Organisation) -> None:
    information_point(owner=org_a, area="HN0801")
    inquiry = submit(name="Nombre Secreto", contact="+504 0000-0077", question="¿Pregunta única?")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT question, contact, name FROM inquiries_inquiry WHERE id = %s",
            [inquiry.pk.hex if connection.vendor == "sqlite" else inquiry.pk],
        )
        stored = " ".join(cursor.fetchone())
    assert "Secreto" not in stored and "0077" not in stored and "única" not in stored
    reloaded = Inquiry.objects.get(pk=inquiry.pk)
    assert (reloaded.name, reloaded.contact, reloaded.question) == (
        "Nombre Secreto",
        "+504 0000-0077",
        "¿Pregunta única?",
    )
