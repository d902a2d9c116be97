"""Referral staff pages: sending from a person, the lists, the inbox and its quick steps."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.models import (
    CentreAssignment,
    Person,
    Referral,
    ReferralReason,
    ReferralStatus,
)
from senda.casework.tests.factories import PersonFactory, ReferralFactory, health_service
from senda.core.models import AuditEntry
from senda.directory.tests.factories import LocationFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    return login_verified(Client(), user)


@pytest.fixture
def promoter(users_a: dict[str, User]) -> User:
    return users_a[Role.HEALTH_PROMOTER]


@pytest.fixture
def focal(users_b: dict[str, User]) -> User:
    return users_b[Role.FOCAL_POINT]


@pytest.fixture
def person(org_a: Organisation, promoter: User) -> Person:
    return PersonFactory.create(
        organisation=org_a,
        registered_by=promoter,
        given_name="Yuleisy",
        family_name="Zambrano-Secret",
        phone="+507 6000 1234",
        area_id="PA0805",
    )


def test_refer_a_person_from_the_search_to_the_sent_referral(
    promoter: User, person: Person, org_b: Organisation
) -> None:
    near = ServiceFactory.create(
        owner=org_b,
        published=True,
        name="Vacunación Centro Norte",
        categories=["health.vaccination"],
        locations=[LocationFactory.create(owner=org_b, name="Centro de Salud Norte")],
    )
    ServiceFactory.create(  # another category: not offered for vaccination
        owner=org_b,
        published=True,
        name="Asesoría legal",
        categories=["legal"],
        locations=[LocationFactory.create(owner=org_b)],
    )
    client = _client(promoter)
    url = reverse("casework:referral_create", args=[person.pk])

    page = client.get(url, {"reason": "vaccination"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "Vacunación Centro Norte" in html and "Asesoría legal" not in html
    place = near.service_at_locations.get()
    # A missing choice keeps what was typed and says why.
    refused = client.post(url, {"reason": "vaccination", "urgency": "soon", "note": "Dosis 2"})
    assert refused.status_code == 400
    assert "Dosis 2" in refused.content.decode()
    assert not Referral.objects.exists()

    sent = client.post(
        url,
        {"reason": "vaccination", "option": str(place.pk), "urgency": "soon", "note": "Dosis 2"},
    )

    referral = Referral.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == reverse("casework:referral_detail", args=[referral.pk])
    assert (referral.location_id, referral.urgency, referral.note) == (
        place.location_id,
        "soon",
        "Dosis 2",
    )
    detail = client.get(sent["Location"])
    assert detail.status_code == 200 and "Yuleisy" in detail.content.decode()
    assert AuditEntry.objects.filter(
        action="casework.person_read", object_id=str(person.pk)
    ).exists()


def test_services_far_from_the_person_show_only_when_searching_everywhere(
    promoter: User, person: Person, org_b: Organisation
) -> None:
    ServiceFactory.create(
        owner=org_b,
        published=True,
        name="Vacunatorio Lejano",
        categories=["health.vaccination"],
        locations=[LocationFactory.create(owner=org_b, admin_area_id="PA1304")],
    )
    client = _client(promoter)
    url = reverse("casework:referral_create", args=[person.pk])
    assert "Vacunatorio Lejano" not in client.get(url, {"reason": "vaccination"}).content.decode()
    everywhere = client.get(url, {"reason": "vaccination", "anywhere": "1"})
    assert "Vacunatorio Lejano" in everywhere.content.decode()


def test_a_person_without_consent_to_share_is_not_referred_and_is_told_why(
    promoter: User, org_a: Organisation, org_b: Organisation
) -> None:
    person = PersonFactory.create(
        organisation=org_a, registered_by=promoter, consents_to_share=False
    )
    place = health_service(org_b)
    response = _client(promoter).post(
        reverse("casework:referral_create", args=[person.pk]),
        {"reason": "vaccination", "option": str(place.pk), "urgency": "routine"},
    )
    assert response.status_code == 400
    with translation.override("es"):
        message = gettext(
            "This person has not agreed to sharing their data with the organisation a "
            "referral goes to: record their consent first, or give them the service's "
            "details instead."
        )
    assert escape(message) in response.content.decode()
    assert not Referral.objects.exists()


def test_the_inbox_counts_filters_and_lists_without_names(
    focal: User,
    person: Person,
    org_b: Organisation,
    django_assert_max_num_queries: Any,
) -> None:
    centre = health_service(org_b)
    now = timezone.now()
    ReferralFactory.create(person=person, at=centre)
    ReferralFactory.create(person=person, at=centre, sent_at=now - datetime.timedelta(days=5))
    ReferralFactory.create(person=person, at=centre, status=ReferralStatus.ACCEPTED)
    ReferralFactory.create(person=person, at=centre, status=ReferralStatus.CLOSED)
    for _ in range(10):
        ReferralFactory.create(
            person=PersonFactory.create(organisation=person.organisation), at=centre
        )
    client = _client(focal)
    url = reverse("casework:referral_inbox")

    with django_assert_max_num_queries(14):
        response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<li class="referral-card') == 13  # every open referral
    assert person.code in html
    assert "Yuleisy" not in html and "Zambrano" not in html  # lists show card codes only
    assert "Marcar como recibida" in html or "Mark received" in html
    overdue = client.get(url, {"show": "overdue"}).content.decode()
    assert overdue.count('<li class="referral-card') == 1
    closed = client.get(url, {"show": "closed"}).content.decode()
    assert closed.count('<li class="referral-card') == 1


def test_a_centre_assignment_narrows_the_inbox(
    focal: User, person: Person, org_b: Organisation
) -> None:
    mine, other = health_service(org_b), health_service(org_b)
    CentreAssignment.objects.create(organisation=org_b, user=focal, location=mine.location)
    to_mine = ReferralFactory.create(person=person, at=mine)
    to_other = ReferralFactory.create(person=person, at=other)
    html = _client(focal).get(reverse("casework:referral_inbox")).content.decode()
    assert str(to_mine.pk) in html and str(to_other.pk) not in html


def test_the_receiving_side_sees_only_the_shared_fields_and_the_read_is_audited(
    focal: User, person: Person, org_b: Organisation
) -> None:
    ReferralFactory.create(person=person, at=health_service(org_b), reason="medical_care")
    referral = ReferralFactory.create(person=person, at=health_service(org_b), note="Fiebre")
    response = _client(focal).get(reverse("casework:referral_received", args=[referral.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Yuleisy" in html and "+507 6000 1234" in html and "Fiebre" in html
    assert "Zambrano" not in html  # never the family name
    assert "Venezuela" not in html and "San Miguelito" not in html  # nor nationality, area
    assert "Atención médica" not in html  # nor the person's other referrals
    entry = AuditEntry.objects.get(action="casework.person_read")
    assert entry.actor == focal and entry.details["fields"] == [
        "given_name",
        "sex",
        "age_group",
        "phone",
    ]
    assert "Yuleisy" not in str(entry.details)


def test_after_share_consent_is_withdrawn_the_receiver_sees_code_and_reason_only(
    focal: User, person: Person, org_b: Organisation
) -> None:
    referral = ReferralFactory.create(person=person, at=health_service(org_b), note="Fiebre")
    Person.objects.filter(pk=person.pk).update(consents_to_share=False)
    html = (
        _client(focal)
        .get(reverse("casework:referral_received", args=[referral.pk]))
        .content.decode()
    )
    assert person.code in html and ("Vacunación" in html or "Vaccination" in html)
    assert "Yuleisy" not in html and "6000" not in html and "Fiebre" not in html
    assert not AuditEntry.objects.filter(action="casework.person_read").exists()


def test_no_phone_without_consent_to_contact(
    focal: User, org_a: Organisation, promoter: User, org_b: Organisation
) -> None:
    person = PersonFactory.create(
        organisation=org_a, registered_by=promoter, consents_to_contact=False, phone="+507 61112222"
    )
    referral = ReferralFactory.create(person=person, at=health_service(org_b))
    html = (
        _client(focal)
        .get(reverse("casework:referral_received", args=[referral.pk]))
        .content.decode()
    )
    assert "61112222" not in html and person.given_name in html


def test_quick_steps_from_the_inbox_and_the_detail_page(
    focal: User, promoter: User, person: Person, org_b: Organisation
) -> None:
    referral = ReferralFactory.create(
        person=person, at=health_service(org_b), reason=ReferralReason.SUSPECTED_COVID
    )
    client = _client(focal)

    def step(name: str, **data: str) -> Any:
        return client.post(reverse("casework:referral_step", args=[referral.pk, name]), data)

    assert step("receive", back="inbox")["Location"] == reverse("casework:referral_inbox")
    assert step("accept").status_code == 302
    assert step("attend").status_code == 302
    wrong = step("close", outcome="vaccinated", outcome_note="Negative")
    assert wrong.status_code == 400
    assert "Negative" in wrong.content.decode()  # what was typed is kept
    assert step("close", outcome="tested_negative").status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == ("closed", "tested_negative")
    assert step("nonsense").status_code == 404
    # The promoter sees the feedback on the referral.
    html = _client(promoter).get(reverse("casework:referral_detail", args=[referral.pk]))
    assert "Prueba: negativo" in html.content.decode() or "negativ" in html.content.decode()


def test_declining_without_a_reason_says_so(
    focal: User, person: Person, org_b: Organisation
) -> None:
    referral = ReferralFactory.create(
        person=person, at=health_service(org_b), status=ReferralStatus.RECEIVED
    )
    response = _client(focal).post(
        reverse("casework:referral_step", args=[referral.pk, "decline"]), {"reason": ""}
    )
    assert response.status_code == 400
    assert "obligatorio" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED


def test_the_sent_list_filters_by_status_scope_and_overdue(
    promoter: User,
    users_a: dict[str, User],
    person: Person,
    django_assert_max_num_queries: Any,
) -> None:
    mine = ReferralFactory.create(person=person, referred_by=promoter)
    ReferralFactory.create(
        person=person, referred_by=users_a[Role.INFO_POINT_STAFF], status=ReferralStatus.CLOSED
    )
    colleague = users_a[Role.INFO_POINT_STAFF]
    ReferralFactory.create(
        person=person, referred_by=colleague, sent_at=timezone.now() - datetime.timedelta(days=20)
    )
    for _ in range(10):
        ReferralFactory.create(person=person, referred_by=colleague)
    client = _client(promoter)
    url = reverse("casework:referral_list")
    with django_assert_max_num_queries(12):
        everything = client.get(url).content.decode()
    assert everything.count('<li class="referral-card"') == 13
    assert "Yuleisy" not in everything
    mine_only = client.get(url, {"scope": "mine"}).content.decode()
    assert str(mine.pk) in mine_only and mine_only.count('<li class="referral-card"') == 1
    closed = client.get(url, {"status": "closed"}).content.decode()
    assert closed.count('<li class="referral-card"') == 1
    overdue = client.get(url, {"overdue": "1"}).content.decode()
    assert overdue.count('<li class="referral-card"') == 1


def test_the_referrer_cancels_with_a_reason(promoter: User, person: Person) -> None:
    referral = ReferralFactory.create(person=person)
    client = _client(promoter)
    url = reverse("casework:referral_cancel", args=[referral.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Se mudó"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CANCELLED
    assert (
        "Se mudó"
        in client.get(reverse("casework:referral_detail", args=[referral.pk])).content.decode()
    )


def test_pages_in_english(focal: User, person: Person, org_b: Organisation) -> None:
    referral = ReferralFactory.create(person=person, at=health_service(org_b))
    client = _client(focal)
    with translation.override("en"):
        inbox_url = reverse("casework:referral_inbox")
        detail_url = reverse("casework:referral_received", args=[referral.pk])
    assert inbox_url.startswith("/en/staff/field/")
    assert "Referrals received" in client.get(inbox_url).content.decode()
    html = client.get(detail_url).content.decode()
    assert "Mark received" in html and "Given name" in html


def test_the_person_page_include_shows_the_feedback(
    promoter: User, person: Person, org_b: Organisation
) -> None:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from senda.casework.queries.referrals import referrals_for_person

    ReferralFactory.create(
        person=person,
        at=health_service(org_b),
        status=ReferralStatus.DECLINED,
        decline_reason="Sin cupos",
    )
    request = RequestFactory().get("/")
    request.user = promoter
    html = render_to_string(
        "casework/referrals/_for_person.html",
        {"referrals": referrals_for_person(user=promoter, person=person), "person": person},
        request=request,
    )
    assert "Sin cupos" in html and ("Rechazada" in html or "Declined" in html)
    assert reverse("casework:referral_create", args=[person.pk]) in html
