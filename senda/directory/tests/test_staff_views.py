"""The staff pages of the directory, through the HTTP client (English pages under /en/)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.core.models import AuditEntry
from senda.directory import actions
from senda.directory.models import (
    Language,
    Location,
    Organization,
    Phone,
    PublicationStatus,
    RequiredDocument,
    Schedule,
    Service,
    ServiceAtLocation,
    WeeklyOpening,
)
from senda.directory.reference import term_id
from senda.directory.tests.factories import (
    AddressFactory,
    LocationFactory,
    OrganizationFactory,
    ServiceFactory,
)

# Helpers shared with test_permissions.


def url(name: str, *args: Any, language: str = "en") -> str:
    with translation.override(language):
        return reverse(f"directory:{name}", args=args)


class FormParser(HTMLParser):
    """The fields of each <form> on a page, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: dict[str, Any] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = {key: value or "" for key, value in attr_list}
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "fields": []})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    fields.append((name, attrs.get("value") or "on"))
                return
            fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "chosen": False}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                fields.append((self._select["name"], value))
                self._select["chosen"] = True
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            if not self._select["chosen"] and self._select["first"] is not None:
                self.forms[-1]["fields"].append((self._select["name"], self._select["first"]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            self.forms[-1]["fields"].append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def page_form(content: bytes) -> dict[str, list[str]]:
    """The values of the main form of a page (the one with most fields), ready to post."""
    parser = FormParser()
    parser.feed(content.decode())
    form = max(parser.forms, key=lambda candidate: len(candidate["fields"]))
    values: dict[str, list[str]] = {}
    for name, value in form["fields"]:
        values.setdefault(name, []).append(value)
    return values


def fill(values: dict[str, list[str]], **changes: Any) -> dict[str, list[str]]:
    """``values`` with fields set (a list for several values, None to untick or remove)."""
    result = dict(values)
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value if isinstance(value, list) else [str(value)]
    return result


def formset(prefix: str, rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "30",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def service_payload(provider: Organization, **fields: Any) -> dict[str, Any]:
    """A valid new-service form as posted, with one phone, one cost option and one document."""
    return {
        "organization": str(provider.pk),
        "name": "Vacunación infantil",
        "tr_en_name": "Child vaccination",
        "description": "Vacunas del esquema nacional.",
        "status": "active",
        "eligibility_description": "Niñas y niños",
        "minimum_age": "0",
        "maximum_age": "12",
        "source": "Visita al centro",
        "categories": [str(term_id("health.vaccination"))],
        "languages": ["es", "en"],
        "other_languages": "ht",
        **formset("phones", [{"number": "+507 6000-0000", "type": "cell", "whatsapp": "on"}]),
        **formset(
            "costs",
            [{"option": "Consulta", "option__en": "Visit", "amount": "2.50", "currency": "usd"}],
        ),
        **formset("documents", [{"document": "Cédula", "document__en": "ID card"}]),
        **fields,
    }


def hours_payload(**days: tuple[str, str]) -> dict[str, str]:
    data = {}
    for day, (opens, closes) in days.items():
        data[f"{day}_opens"] = opens
        data[f"{day}_closes"] = closes
    return data


def new_location_payload(**fields: Any) -> dict[str, Any]:
    return {
        "existing": "",
        "new-name": "Centro de Salud Boston",
        "new-tr_en_name": "Boston Health Centre",
        "new-transportation": "Metro línea 2",
        "new-accessibility": "Rampa en la entrada",
        "new-address_1": "Vía Domingo Díaz",
        "new-city": "San Miguelito",
        "new-country": "PA",
        "new-admin_area": "PA0805",
        "new-latitude": "9.05",
        "new-longitude": "-79.48",
        **formset("new-phones", [{"number": "+507 500-0000", "type": "voice"}]),
        **hours_payload(mo=("08:00", "16:00"), tu=("08:00", "16:00")),
        **fields,
    }


# Fixtures.


@pytest.fixture
def staff(users_a: dict[str, User]) -> User:
    return users_a[Role.INFO_POINT_STAFF]


@pytest.fixture
def staff_client(client: Client, staff: User) -> Client:
    login_verified(client, staff)
    return client


@pytest.fixture
def provider(org_a: Organisation) -> Organization:
    return OrganizationFactory.create(owner=org_a, name="Centro de Salud San Miguelito")


@pytest.fixture
def service(org_a: Organisation, provider: Organization) -> Service:
    return ServiceFactory.create(owner=org_a, organization=provider, name="Control prenatal")


# Staff home and lists.


def test_staff_home_lists_own_services_with_status_verification_and_stale_flag(
    staff_client, staff, org_a, org_b, provider, settings
) -> None:
    settings.SENDA_STALE_SERVICE_DAYS = 30
    long_ago = datetime.date.today() - datetime.timedelta(days=90)
    ServiceFactory.create(owner=org_a, organization=provider, name="Fresh one", published=True)
    ServiceFactory.create(
        owner=org_a, organization=provider, name="Old one", published=True, assured_date=long_ago
    )
    ServiceFactory.create(owner=org_b, name="Somebody else's")

    response = staff_client.get(url("staff_home"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Fresh one" in page and "Old one" in page
    assert "Somebody else" not in page
    rows = {s.name: s for s in response.context["services"]}
    assert rows["Old one"].is_stale and not rows["Fresh one"].is_stale
    assert page.count(">stale<") == 1
    assert long_ago.isoformat() in page
    assert url("stale_list") in page
    assert url("review_list") not in page  # info-point staff do not review


def test_staff_home_filters_by_status(staff_client, org_a, provider) -> None:
    ServiceFactory.create(owner=org_a, organization=provider, name="Draft one")
    ServiceFactory.create(owner=org_a, organization=provider, name="Public one", published=True)
    response = staff_client.get(url("staff_home"), {"status": "published"})
    assert [s.name for s in response.context["services"]] == ["Public one"]
    response = staff_client.get(url("staff_home"), {"status": "nonsense"})
    assert len(response.context["services"]) == 2


def test_staff_home_queries_do_not_grow_with_services(staff_client, org_a, provider) -> None:
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url("staff_home")).status_code == 200
        return len(captured)

    ServiceFactory.create_batch(2, owner=org_a, organization=provider, published=True)
    count_queries()  # the first request starts the session clock (a session write)
    few = count_queries()
    ServiceFactory.create_batch(8, owner=org_a, organization=provider, published=True)
    assert count_queries() == few


def test_review_and_stale_lists(client, users_a, org_a, provider, settings) -> None:
    settings.SENDA_STALE_SERVICE_DAYS = 30
    waiting = ServiceFactory.create(
        owner=org_a, organization=provider, publication_status=PublicationStatus.PENDING_REVIEW
    )
    stale = ServiceFactory.create(
        owner=org_a, organization=provider, published=True, assured_date=None
    )
    login_verified(client, users_a[Role.CONTENT_EDITOR])
    review = client.get(url("review_list"))
    assert list(review.context["services"]) == [waiting]
    stale_page = client.get(url("stale_list"))
    assert list(stale_page.context["services"]) == [stale]
    assert "stale" in stale_page.content.decode()


def test_spanish_is_the_default_page_language(staff_client) -> None:
    response = staff_client.get(url("staff_home", language="es"))
    assert response.status_code == 200
    assert response.wsgi_request.LANGUAGE_CODE == "es"
    assert url("staff_home", language="es") == "/staff/directory/"


# Provider organisations.


def test_create_and_edit_a_provider_organisation_with_translations(staff_client, org_a) -> None:
    page = staff_client.get(url("organization_create"))
    values = fill(
        page_form(page.content),
        name="Clínica Esperanza",
        tr_en_name="Hope Clinic",
        description="Atención primaria",
        tr_new_language="mam",
        tr_new_name="Clínica Esperanza (mam)",
    )
    response = staff_client.post(url("organization_create"), values)
    assert response.status_code == 302
    organization = Organization.objects.get(name="Clínica Esperanza")
    assert organization.owner == org_a
    assert organization.translations == {
        "en": {"name": "Hope Clinic"},
        "mam": {"name": "Clínica Esperanza (mam)"},
    }

    # the third language now has its own fields, and clearing English removes it
    edit = staff_client.get(url("organization_edit", organization.pk))
    assert 'name="tr_mam_name"' in edit.content.decode()
    values = fill(page_form(edit.content), tr_en_name="")
    assert staff_client.post(url("organization_edit", organization.pk), values).status_code == 302
    organization.refresh_from_db()
    assert organization.translations == {"mam": {"name": "Clínica Esperanza (mam)"}}


def test_a_new_language_needs_a_valid_code(staff_client) -> None:
    page = staff_client.get(url("organization_create"))
    values = fill(page_form(page.content), name="X", tr_new_language="Mam!", tr_new_name="Texto")
    response = staff_client.post(url("organization_create"), values)
    assert response.status_code == 200
    assert "ISO 639" in response.content.decode()
    assert not Organization.objects.exists()


# Services.


def test_new_service_page_asks_for_a_provider_first(staff_client) -> None:
    response = staff_client.get(url("service_create"))
    assert response.status_code == 200
    assert url("organization_create") in response.content.decode()


def test_new_service_form_shows_the_category_tree_and_languages(staff_client, provider) -> None:
    page = staff_client.get(url("service_create")).content.decode()
    assert "<legend>Health</legend>" in page
    assert 'value="{}"'.format(term_id("health.vaccination")) in page
    assert 'name="tr_en_name"' in page and 'lang="en"' in page
    assert 'name="languages" value="es"' in page
    assert 'name="tr_new_language"' in page


def test_create_a_service_with_everything(staff_client, staff, org_a, provider) -> None:
    payload = service_payload(provider, tr_new_language="mam", tr_new_name="Vacunación (mam)")
    response = staff_client.post(url("service_create"), payload)

    assert response.status_code == 302
    service = Service.objects.get(name="Vacunación infantil")
    assert response["Location"] == url("service_detail", service.pk)
    assert service.owner == org_a
    assert service.publication_status == PublicationStatus.DRAFT
    assert (service.minimum_age, service.maximum_age) == (0, 12)
    assert service.translations == {
        "en": {"name": "Child vaccination"},
        "mam": {"name": "Vacunación (mam)"},
    }
    assert [str(term.pk) for term in service.categories.all()] == [
        str(term_id("health.vaccination"))
    ]
    assert sorted(service.languages.values_list("code", flat=True)) == ["en", "es", "ht"]
    phone = service.phones.get()
    assert (phone.number, phone.type, phone.whatsapp) == ("+507 6000-0000", "cell", True)
    cost = service.cost_options.get()
    assert (cost.amount, cost.currency, cost.tr("option", "en")) == (
        Decimal("2.50"),
        "USD",
        "Visit",
    )
    assert service.required_documents.get().tr("document", "en") == "ID card"
    assert not service.is_free
    assert AuditEntry.objects.filter(action="directory.service_create", actor=staff).exists()

    detail = staff_client.get(url("service_detail", service.pk)).content.decode()
    assert "Child vaccination" in detail  # the English page shows the English name
    assert "Never verified." in detail
    assert "Submit for review" in detail


def test_errors_keep_what_was_typed_and_save_nothing(staff_client, provider) -> None:
    payload = service_payload(
        provider,
        description="Texto que no se debe perder",
        minimum_age="20",
        maximum_age="10",
        **{"phones-0-number": "call me maybe"},
    )
    response = staff_client.post(url("service_create"), payload)

    assert response.status_code == 200
    page = response.content.decode()
    assert "The maximum age is lower than the minimum age." in page
    assert "Texto que no se debe perder" in page
    assert 'value="Child vaccination"' in page
    assert "Nothing was saved." in page
    assert not Service.objects.exists()
    assert not Phone.objects.exists()


def test_action_errors_land_next_to_the_row(staff_client, provider) -> None:
    # the form accepts the shape, the action refuses the number: the message is on that row
    payload = service_payload(provider, **{"phones-0-number": "call me maybe"})
    response = staff_client.post(url("service_create"), payload)
    assert response.status_code == 200
    phones = response.context["editor"].phones
    assert phones.forms[0].errors["number"]
    assert not Service.objects.exists()


def test_free_of_cost(staff_client, provider) -> None:
    payload = service_payload(provider, free_of_cost="on", **formset("costs", []))
    assert staff_client.post(url("service_create"), payload).status_code == 302
    service = Service.objects.get()
    assert service.is_free
    assert list(service.cost_options.values_list("amount", flat=True)) == [Decimal(0)]

    # the form shows the tick box, not the zero row
    edit = staff_client.get(url("service_edit", service.pk))
    values = page_form(edit.content)
    assert values["free_of_cost"] == ["on"]
    assert values["costs-0-amount"] == [""]

    # free with a priced option is refused, and nothing changes
    values = fill(
        values, **{"costs-0-option": "Consulta", "costs-0-amount": "5", "costs-0-currency": "USD"}
    )
    response = staff_client.post(url("service_edit", service.pk), values)
    assert response.status_code == 200
    assert "A free service cannot have a cost option with an amount" in response.content.decode()
    assert list(service.cost_options.values_list("amount", flat=True)) == [Decimal(0)]


def test_edit_round_trip_updates_rows_in_place(staff_client, service) -> None:
    phone = Phone.objects.create(service=service, number="2222-3333", description="Recepción")
    document = RequiredDocument.objects.create(service=service, document="Pasaporte")
    Language.objects.create(service=service, code="mam", name="Mam")

    edit = staff_client.get(url("service_edit", service.pk))
    values = page_form(edit.content)
    assert values["phones-0-number"] == ["2222-3333"]
    assert values["other_languages"] == ["mam"]
    values = fill(
        values,
        name="Control prenatal gratuito",
        **{
            "phones-0-number": "2222-4444",
            "phones-1-number": "6000-1111",
            "phones-1-whatsapp": "on",
            "documents-0-document__en": "Passport",
        },
    )
    response = staff_client.post(url("service_edit", service.pk), values)

    assert response.status_code == 302
    service.refresh_from_db()
    assert service.name == "Control prenatal gratuito"
    phone.refresh_from_db()
    assert (phone.number, phone.description) == ("2222-4444", "Recepción")
    assert service.phones.count() == 2
    document.refresh_from_db()
    assert document.tr("document", "en") == "Passport"
    assert list(service.languages.values_list("code", flat=True)) == ["mam"]


def test_clearing_a_row_removes_it(staff_client, service) -> None:
    Phone.objects.create(service=service, number="2222-3333")
    values = fill(page_form(staff_client.get(url("service_edit", service.pk)).content))
    values["phones-0-number"] = [""]
    assert staff_client.post(url("service_edit", service.pk), values).status_code == 302
    assert not Phone.objects.filter(service=service).exists()


# Locations and hours.


def test_offer_at_a_new_location_with_hours(staff_client, service) -> None:
    page = staff_client.get(url("service_location_add", service.pk)).content.decode()
    assert '<optgroup label="Panama">' in page
    assert "San Miguelito" in page

    response = staff_client.post(url("service_location_add", service.pk), new_location_payload())

    assert response.status_code == 302
    sal = ServiceAtLocation.objects.get(service=service)
    location = sal.location
    assert location.owner == service.owner
    assert location.tr("name", "en") == "Boston Health Centre"
    assert location.admin_area_id == "PA0805" and location.country_id == "PA"
    address = location.addresses.get()
    assert (address.city, address.state_province, address.country) == (
        "San Miguelito",
        "Panamá",  # taken from the province of the area
        "PA",
    )
    assert location.accessibility.get().description == "Rampa en la entrada"
    assert location.phones.get().number == "+507 500-0000"
    schedule = Schedule.objects.get(service_at_location=sal)
    assert (schedule.freq, schedule.byday) == ("WEEKLY", "MO,TU")
    assert WeeklyOpening.objects.filter(service=service).count() == 2

    detail = staff_client.get(url("service_detail", service.pk)).content.decode()
    assert "Boston Health Centre" in detail
    assert "08:00–16:00" in detail


def test_new_location_errors_keep_the_input(staff_client, service) -> None:
    payload = new_location_payload(
        **{"new-latitude": "9.05", "new-longitude": "", "new-country": "MX"},
        **hours_payload(we=("17:00", "09:00")),
    )
    response = staff_client.post(url("service_location_add", service.pk), payload)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Give both latitude and longitude, or neither." in page
    assert "This area is not in the country chosen." in page
    assert 'value="Vía Domingo Díaz"' in page
    assert not Location.objects.exists()


def test_action_hours_errors_are_shown_on_the_day(staff_client, service) -> None:
    payload = new_location_payload(**hours_payload(we=("17:00", "09:00")))
    response = staff_client.post(url("service_location_add", service.pk), payload)
    assert response.status_code == 200
    assert "Wednesday: The closing time is before the opening." in response.content.decode()
    assert not Location.objects.exists()


def test_offer_at_an_existing_location(staff_client, org_a, org_b, service) -> None:
    mine = LocationFactory.create(owner=org_a, name="Oficina central")
    LocationFactory.create(owner=org_b, name="Not mine")
    page = staff_client.get(url("service_location_add", service.pk)).content.decode()
    assert "Oficina central" in page and "Not mine" not in page

    payload = {"existing": str(mine.pk), **hours_payload(fr=("09:00", "13:00"))}
    assert staff_client.post(url("service_location_add", service.pk), payload).status_code == 302
    sal = ServiceAtLocation.objects.get(service=service, location=mine)
    assert Schedule.objects.get(service_at_location=sal).byday == "FR"


def test_hours_at_a_location_then_remove_it(staff_client, staff, org_a, service) -> None:
    location = LocationFactory.create(owner=org_a)
    actions.service_add_location(actor=staff, service=service, location=location)
    hours_url = url("service_location_hours", service.pk, location.pk)

    values = fill(
        page_form(staff_client.get(hours_url).content),
        mo_opens="08:00",
        mo_closes="12:00",
        mo_opens_2="14:00",
        mo_closes_2="18:00",
        sa_opens="09:00",
        sa_closes="00:00",
    )
    assert staff_client.post(hours_url, values).status_code == 302
    form = page_form(staff_client.get(hours_url).content)
    assert form["mo_opens_2"] == ["14:00"] and form["sa_closes"] == ["00:00"]
    saturday = WeeklyOpening.objects.get(service=service, weekday=5)
    assert saturday.closes_minute == 1440

    # an impossible day is refused and the hours stay as they were
    response = staff_client.post(hours_url, fill(values, tu_opens="10:00"))
    assert response.status_code == 200
    assert "Give both the opening and the closing time." in response.content.decode()
    assert WeeklyOpening.objects.filter(service=service).count() == 3

    remove = url("service_location_remove", service.pk, location.pk)
    assert staff_client.post(remove).status_code == 302
    assert not ServiceAtLocation.objects.filter(service=service).exists()


def test_service_own_hours(staff_client, service) -> None:
    hours_url = url("service_hours", service.pk)
    values = fill(
        page_form(staff_client.get(hours_url).content), su_opens="10:00", su_closes="14:00"
    )
    assert staff_client.post(hours_url, values).status_code == 302
    schedule = Schedule.objects.get(service=service)
    assert (schedule.byday, schedule.service_at_location_id) == ("SU", None)


def test_edit_a_location_with_its_address(staff_client, org_a) -> None:
    location = LocationFactory.create(owner=org_a, name="Punto de información")
    AddressFactory.create(location=location, address_1="Calle 1")
    edit_url = url("location_edit", location.pk)
    values = page_form(staff_client.get(edit_url).content)
    assert values["address_1"] == ["Calle 1"]
    assert values["admin_area"] == ["PA0805"]
    values = fill(
        values,
        address_1="Calle 2",
        tr_en_transportation="Bus 12",
        **{"phones-0-number": "123-4567"},
    )
    assert staff_client.post(edit_url, values).status_code == 302
    location.refresh_from_db()
    assert location.addresses.get().address_1 == "Calle 2"
    assert location.tr("transportation", "en") == "Bus 12"
    assert location.phones.get().number == "123-4567"


def test_location_list_and_create(staff_client, org_a) -> None:
    values = fill(
        page_form(staff_client.get(url("location_create")).content),
        name="Oficina Tapachula",
        country="MX",
        admin_area="MX07",
    )
    assert staff_client.post(url("location_create"), values).status_code == 302
    location = Location.objects.get(name="Oficina Tapachula")
    assert (location.owner, location.country_id, location.admin_area_id) == (org_a, "MX", "MX07")
    assert location.timezone == "America/Mexico_City"
    assert "Oficina Tapachula" in staff_client.get(url("location_list")).content.decode()


# Workflow and verification.


def test_submit_review_return_and_publish(client, users_a, service) -> None:
    staff, reviewer = users_a[Role.INFO_POINT_STAFF], users_a[Role.CONTENT_EDITOR]
    login_verified(client, staff)
    assert client.post(url("service_submit", service.pk)).status_code == 302
    service.refresh_from_db()
    assert service.publication_status == PublicationStatus.PENDING_REVIEW

    login_verified(client, reviewer)
    detail = client.get(url("service_detail", service.pk)).content.decode()
    assert "Publish" in detail and "Return to draft" in detail
    # a return needs a note
    client.post(url("service_return_to_draft", service.pk), {"note": ""})
    service.refresh_from_db()
    assert service.publication_status == PublicationStatus.PENDING_REVIEW
    client.post(url("service_return_to_draft", service.pk), {"note": "Add the opening hours"})
    service.refresh_from_db()
    assert service.publication_status == PublicationStatus.DRAFT

    login_verified(client, staff)
    detail = client.get(url("service_detail", service.pk)).content.decode()
    assert "Returned for changes:" in detail and "Add the opening hours" in detail
    client.post(url("service_submit", service.pk))

    login_verified(client, reviewer)
    assert client.post(url("service_publish", service.pk)).status_code == 302
    service.refresh_from_db()
    assert service.publication_status == PublicationStatus.PUBLISHED
    client.post(url("service_archive", service.pk))
    service.refresh_from_db()
    assert service.publication_status == PublicationStatus.ARCHIVED


def test_an_impossible_transition_is_explained(staff_client, service) -> None:
    service.publication_status = PublicationStatus.PUBLISHED
    service.save()
    response = staff_client.post(url("service_submit", service.pk), follow=True)
    assert "cannot become" in response.content.decode()
    service.refresh_from_db()
    assert service.publication_status == PublicationStatus.PUBLISHED


def test_mark_verified_today_with_a_source(staff_client, staff, service) -> None:
    response = staff_client.post(
        url("service_verify", service.pk), {"source": "Llamada telefónica"}, follow=True
    )
    assert response.status_code == 200
    service.refresh_from_db()
    assert service.assured_date == datetime.date.today()
    assert service.verified_by == staff
    assert service.source == "Llamada telefónica"
    page = response.content.decode()
    assert datetime.date.today().isoformat() in page
    assert staff.username in page


def test_forms_require_the_csrf_token(staff, service) -> None:
    client = Client(enforce_csrf_checks=True)
    login_verified(client, staff)
    assert client.post(url("service_verify", service.pk)).status_code == 403
    service.refresh_from_db()
    assert service.verified_by is None


def test_pages_have_no_inline_script_or_style(staff_client, service) -> None:
    for page_url in (
        url("staff_home"),
        url("service_detail", service.pk),
        url("service_edit", service.pk),
        url("service_location_add", service.pk),
    ):
        page = staff_client.get(page_url).content.decode()
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
        assert all(
            re.fullmatch(r' src="/static/[^"]+" defer', attributes) and not body.strip()
            for attributes, body in scripts
        )
        assert "style=" not in page and "<style" not in page


@pytest.mark.parametrize(
    "page_name", ["review_list", "stale_list", "location_list", "organization_list"]
)
def test_list_pages_queries_do_not_grow(client, users_a, org_a, page_name) -> None:
    login_verified(client, users_a[Role.CONTENT_EDITOR])

    def add_rows(count: int) -> None:
        for _ in range(count):
            provider = OrganizationFactory.create(owner=org_a)
            location = LocationFactory.create(owner=org_a, organization=provider)
            AddressFactory.create(location=location)
            ServiceFactory.create(
                owner=org_a,
                organization=provider,
                publication_status=PublicationStatus.PENDING_REVIEW
                if page_name == "review_list"
                else PublicationStatus.PUBLISHED,
                assured_date=None,
                verified_by=users_a[Role.CONTENT_EDITOR],
            )

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(page_name)).status_code == 200
        return len(captured)

    add_rows(2)
    count_queries()  # the first request starts the session clock (a session write)
    few = count_queries()
    add_rows(6)
    assert count_queries() == few
