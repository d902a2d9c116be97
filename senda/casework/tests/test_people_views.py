"""Staff pages for people, through the HTTP client (Spanish by default, English checked)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.models import Person
from senda.casework.tests.factories import PersonFactory, TeamFactory
from senda.core.models import AuditEntry
from senda.inquiries.models import Inquiry, ReplyChannel

pytestmark = pytest.mark.django_db

FORM = {
    "consent_record": "on",
    "consent_contact": "on",
    "given_name": "Rocío",
    "family_name": "Marín",
    "phone": "6555-1234",
    "sex": "female",
    "year_of_birth": "1988",
    "community": "migrant",
}


def client_for(user: User) -> Client:
    return login_verified(Client(), user)


def test_register_then_see_the_person(org_a: Organisation, users_a: dict[str, User]) -> None:
    client = client_for(users_a[Role.HEALTH_PROMOTER])
    page = client.get(reverse("casework:person_register"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index('name="consent_record"') < html.index('name="given_name"')  # consent first
    response = client.post(reverse("casework:person_register"), FORM)
    person = Person.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:person_detail", args=[person.pk])
    detail = client.get(response["Location"])
    assert "Rocío" in detail.content.decode() and person.code in detail.content.decode()
    assert AuditEntry.objects.filter(action="casework.person_read", object_id=str(person.pk))


def test_register_without_consent_keeps_what_was_typed(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.HEALTH_PROMOTER])
    response = client.post(
        reverse("casework:person_register"), {**FORM, "consent_record": "", "phone": "abc"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "tally" in html or "conteo" in html
    assert 'value="Rocío"' in html
    assert not Person.objects.exists()


def test_register_in_english_says_why(org_a: Organisation, users_a: dict[str, User]) -> None:
    client = client_for(users_a[Role.HEALTH_PROMOTER])
    response = client.post("/en/staff/field/people/new/", {**FORM, "year_of_birth": "1700"})
    assert response.status_code == 400
    assert "Write a year of birth between" in response.content.decode()


def test_duplicates_are_shown_before_saving(org_a: Organisation, users_a: dict[str, User]) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    existing = PersonFactory.create(
        organisation=org_a,
        registered_by=promoter,
        given_name="Rosío",
        family_name="Otra",
        year_of_birth=1989,
        phone="",
    )
    client = client_for(promoter)
    response = client.post(reverse("casework:person_register"), FORM)
    html = response.content.decode()
    assert response.status_code == 200 and existing.code in html
    assert 'name="confirm_new"' in html and Person.objects.count() == 1
    assert existing.family_name not in html  # only code, given name and year
    confirmed = client.post(reverse("casework:person_register"), {**FORM, "confirm_new": "on"})
    assert confirmed.status_code == 302 and Person.objects.count() == 2


def test_people_list_searches_and_is_query_bounded(
    org_a: Organisation,
    users_a: dict[str, User],
    django_assert_max_num_queries: Any,
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    for _ in range(30):
        PersonFactory.create(organisation=org_a, registered_by=promoter)
    wanted = PersonFactory.create(
        organisation=org_a, registered_by=promoter, given_name="Katherine", family_name="Díaz"
    )
    client = client_for(promoter)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("casework:people_list"))
    assert page.status_code == 200 and page.content.decode().count('class="people-card"') == 25
    with django_assert_max_num_queries(12):
        found = client.get(reverse("casework:people_list"), {"q": "catherine diaz"})
    assert wanted.code in found.content.decode()
    assert found.content.decode().count('class="people-card"') == 1


def test_edit_consent_merge_and_erase_pages(org_a: Organisation, users_a: dict[str, User]) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    TeamFactory.create(organisation=org_a, supervisor=supervisor, members=[volunteer])
    keep = PersonFactory.create(organisation=org_a, registered_by=volunteer)
    duplicate = PersonFactory.create(organisation=org_a, registered_by=volunteer)
    client = client_for(supervisor)

    edit_url = reverse("casework:person_edit", args=[keep.pk])
    assert client.get(edit_url).status_code == 200
    response = client.post(edit_url, {**FORM, "given_name": "Nueva"})
    assert response.status_code == 302
    keep.refresh_from_db()
    assert keep.given_name == "Nueva"

    consent_url = reverse("casework:person_consent", args=[keep.pk])
    assert client.get(consent_url).status_code == 200
    client.post(consent_url, {"scope": "contact", "decision": "withdraw"})
    keep.refresh_from_db()
    assert not keep.consents_to_contact

    merge_url = reverse("casework:person_merge", args=[keep.pk])
    compare = client.get(merge_url, {"duplicate": duplicate.code.lower()})
    assert compare.status_code == 200 and duplicate.code in compare.content.decode()
    merged = client.post(merge_url, {"duplicate": duplicate.code, "confirm": "on"})
    assert merged.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == keep
    # The duplicate's page now leads to the kept record.
    old_page = client.get(reverse("casework:person_detail", args=[duplicate.pk]))
    assert old_page["Location"] == reverse("casework:person_detail", args=[keep.pk])

    erase_url = reverse("casework:person_erase", args=[keep.pk])
    assert client.get(erase_url).status_code == 200
    unconfirmed = client.post(erase_url, {"reason": "request"})
    assert unconfirmed.status_code == 400
    keep.refresh_from_db()
    assert keep.erased_at is None
    assert client.post(erase_url, {"reason": "request", "confirm": "on"}).status_code == 302
    keep.refresh_from_db()
    assert keep.erased_at is not None and keep.given_name == ""


def test_duplicates_page_for_supervisors(org_a: Organisation, users_a: dict[str, User]) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    first = PersonFactory.create(organisation=org_a, registered_by=supervisor, phone="66667777")
    second = PersonFactory.create(organisation=org_a, registered_by=supervisor, phone="66667777")
    page = client_for(supervisor).get(reverse("casework:people_duplicates"))
    assert page.status_code == 200
    assert first.code in page.content.decode() and second.code in page.content.decode()


def test_register_from_a_portal_request(org_a: Organisation, users_a: dict[str, User]) -> None:
    staff = users_a[Role.INFO_POINT_STAFF]
    inquiry = Inquiry.objects.create(
        question="¿Dónde me vacuno?",
        reply_channel=ReplyChannel.WHATSAPP,
        contact="+507 6111-2222",
        name="Marisol Vega",
        country_id="PA",
        consent_at="2026-01-01T00:00:00Z",
        consent_version="1",
        language="es",
        organisation=org_a,
        routed_by="area",
    )
    client = client_for(staff)
    inquiry_page = client.get(reverse("inquiries_staff:detail", args=[inquiry.pk]))
    register_url = reverse("casework:person_register") + f"?inquiry={inquiry.pk}"
    assert register_url.replace("&", "&amp;") in inquiry_page.content.decode()
    form = client.get(register_url)
    assert 'value="Marisol"' in form.content.decode()
    response = client.post(
        reverse("casework:person_register"),
        {
            "consent_record": "on",
            "given_name": "Marisol",
            "family_name": "Vega",
            "phone": "+507 6111-2222",
            "sex": "female",
            "age_group": "30-59",
            "community": "migrant",
            "inquiry": str(inquiry.pk),
        },
    )
    assert response.status_code == 302
    person = Person.objects.get()
    assert person.inquiry == inquiry
    again = client.get(reverse("inquiries_staff:detail", args=[inquiry.pk]))
    assert reverse("casework:person_detail", args=[person.pk]) in again.content.decode()
