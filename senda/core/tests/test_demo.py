"""The demo command: every role, every country, the Panama health centres, the review
workflow, idempotence, --reset, and working demo logins."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import Role
from senda.core.demo import DEMO_PASSWORD, logins
from senda.core.demo.accounts import demo_slugs
from senda.core.demo.directory import DEMO_ID_TYPE
from senda.core.demo.world import EXAMPLE_NOTE_EN, EXAMPLE_NOTE_ES
from senda.core.models import AuditEntry
from senda.directory import queries
from senda.directory.models import (
    CostOption,
    Location,
    Organization,
    Phone,
    PublicationStatus,
    RequiredDocument,
    Schedule,
    Service,
    WeeklyOpening,
)
from senda.directory.nearby import services_near
from senda.directory.search import ServiceFilters, search_services
from senda.directory.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

COUNTRIES = {"MX", "GT", "HN", "SV", "NI", "PA", "CR"}
HEALTH_SERVICES = {"health.vaccination", "health.prenatal", "health.mental", "health.covid19"}
OPPORTUNITY_CATEGORIES = {
    "education.vocational",
    "employment.placement",
    "entrepreneurship.training",
    "entrepreneurship.capital",
}


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def demo_services() -> list[Service]:
    return list(
        Service.objects.filter(owner__slug__in=demo_slugs()).prefetch_related(
            "categories", "service_at_locations__location"
        )
    )


def counts() -> dict[str, int]:
    models: list[type[Model]] = [
        Organisation,
        User,
        Membership,
        Organization,
        Location,
        Service,
        Phone,
        Schedule,
        CostOption,
        RequiredDocument,
        AuditEntry,
    ]
    return {model.__name__: model._default_manager.count() for model in models}


def test_demo_creates_a_user_for_every_role_and_prints_the_logins(demo_output: str) -> None:
    output = demo_output

    roles = set(
        Membership.objects.filter(organisation__slug__in=demo_slugs()).values_list(
            "role", flat=True
        )
    )
    assert roles == set(Role.values)
    member_organisations = Membership.objects.filter(
        organisation__slug__in=demo_slugs()
    ).values_list("organisation", flat=True)
    assert len(set(member_organisations)) >= 2
    network_editors = Organisation.objects.filter(slug__in=demo_slugs(), is_network_editor=True)
    assert network_editors.count() == 1
    assert User.objects.get(username="superadmin").is_superuser
    assert not User.objects.filter(username="editor", is_superuser=True).exists()
    for login in logins():
        assert login.username in output
    assert DEMO_PASSWORD in output
    assert "Demo data loaded" in output


def test_demo_passwords_log_in(demo_output: str) -> None:

    for login in logins():
        assert Client().login(username=login.username, password=login.password), login.username
    # Through the real login page too, without being sent to change the password.
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "promotor.pa", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert "password" not in response["Location"]
    assert client.session.get("_auth_user_id") == str(User.objects.get(username="promotor.pa").pk)


def test_demo_directory_covers_every_country_the_health_centres_and_opportunities(
    demo_output: str,
) -> None:
    services = demo_services()
    published = [s for s in services if s.publication_status == PublicationStatus.PUBLISHED]

    assert 60 <= len(services) <= 100
    countries = {sal.location.country_id for s in published for sal in s.service_at_locations.all()}
    assert countries >= COUNTRIES

    centres = Location.objects.filter(
        external_identifier_type=DEMO_ID_TYPE, name__startswith="Centro de Salud Ejemplo"
    ).select_related("admin_area")
    assert centres.count() == 5
    assert {c.admin_area.name for c in centres if c.admin_area} == {"San Miguelito", "La Chorrera"}
    for centre in centres:
        centre_services = Service.objects.filter(
            service_at_locations__location=centre,
            publication_status=PublicationStatus.PUBLISHED,
        )
        codes = set(centre_services.values_list("categories__code", flat=True))
        assert codes >= HEALTH_SERVICES, centre.name
        for service in centre_services.filter(categories__code__in=HEALTH_SERVICES):
            assert service.cost_options.exists()
            assert WeeklyOpening.objects.filter(service=service).exists()
            assert service.phones.filter(whatsapp=True).exists()
            assert service.languages.filter(code="es").exists()
    vaccination = Service.objects.filter(
        service_at_locations__location__in=centres,
        categories__code="health.vaccination",
        publication_status=PublicationStatus.PUBLISHED,
    )
    assert all(s.is_free for s in vaccination)
    assert RequiredDocument.objects.filter(
        service__in=vaccination, document="Carné de vacunación, si lo tiene"
    ).exists()
    assert CostOption.objects.filter(
        service__service_at_locations__location__in=centres, amount__gt=0, currency="USD"
    ).exists()

    for country in ["GT", "HN", "SV", "NI", "MX"]:
        codes = {
            term.code
            for s in published
            for term in s.categories.all()
            if any(sal.location.country_id == country for sal in s.service_at_locations.all())
        }
        assert codes & OPPORTUNITY_CATEGORIES, country
    all_codes = {term.code for s in published for term in s.categories.all()}
    assert all_codes >= OPPORTUNITY_CATEGORIES


def test_demo_services_are_sourced_verified_labelled_and_some_need_work(demo_output: str) -> None:
    services = demo_services()
    today = timezone.localdate()
    editor = User.objects.get(username="editor")

    for service in services:
        assert service.source.startswith("Ejemplo de Senda"), service.name
        assert service.description.endswith(EXAMPLE_NOTE_ES)
        assert service.tr("description", "en").endswith(EXAMPLE_NOTE_EN)
        assert service.tr("name", "en") != service.name
        assert service.alert.startswith("Ejemplo:")
        if service.publication_status == PublicationStatus.PUBLISHED:
            assert service.assured_date is not None, service.name
            assert today - datetime.timedelta(days=200) <= service.assured_date <= today
            assert service.verified_by is not None
    assert any("https://" in service.source for service in services)

    stale = queries.services_stale(user=editor)
    assert 1 <= stale.count() <= 10
    in_workflow = [
        s
        for s in services
        if s.publication_status in (PublicationStatus.DRAFT, PublicationStatus.PENDING_REVIEW)
    ]
    assert 2 <= len(in_workflow) <= 3
    assert any(s.publication_status == PublicationStatus.DRAFT for s in in_workflow)
    assert queries.services_pending_review(user=editor).exists()


def test_demo_services_are_found_by_public_search_and_near_me(demo_output: str) -> None:

    # Accent-insensitive, in Spanish and English.
    spanish = search_services("vacunacion", ServiceFilters(country_code="PA"))
    english = search_services("vaccination", ServiceFilters(country_code="PA"))
    assert spanish.total >= 5
    assert {hit.service.pk for hit in english.hits} >= {hit.service.pk for hit in spanish.hits}
    assert search_services("migracion regular", ServiceFilters(country_code="HN")).total >= 2
    assert search_services("", ServiceFilters(country_code="CR")).total >= 5
    drafts = search_services("refugio", ServiceFilters(country_code="CR"))
    assert all(hit.service.publication_status == "published" for hit in drafts.hits)

    # A health promoter at a metro station in San Miguelito: the five centres are near.
    near = services_near(
        9.04, -79.49, ServiceFilters(category_codes=("health.vaccination",)), limit=10
    )
    assert len({hit.location.pk for hit in near}) == 5
    assert near[0].distance_km < 3
    assert all(hit.distance_km < 40 for hit in near)


def test_demo_twice_changes_nothing(demo_output: str) -> None:
    before = counts()
    service_ids = set(Service.objects.values_list("id", flat=True))

    output = run_demo()

    assert counts() == before
    assert set(Service.objects.values_list("id", flat=True)) == service_ids
    assert "already loaded" in output
    assert "promotor.pa" in output


def test_demo_reset_reloads_the_demo_and_keeps_other_data(demo_output: str) -> None:
    other = ServiceFactory.create(published=True, name="Servicio que no es del demo")
    before = counts()
    old_ids = set(Service.objects.filter(owner__slug__in=demo_slugs()).values_list("id", flat=True))

    output = run_demo("--reset")

    assert "Demo data removed." in output
    after = counts()
    # The audit log is append-only: the first load's trail stays, the reload adds its own.
    assert after.pop("AuditEntry") > before.pop("AuditEntry")
    assert after == before
    new_ids = set(Service.objects.filter(owner__slug__in=demo_slugs()).values_list("id", flat=True))
    assert len(new_ids) == len(old_ids)
    assert not new_ids & old_ids
    assert Service.objects.filter(pk=other.pk, name="Servicio que no es del demo").exists()
