"""The directory's write actions: child collections, hours, locations, workflow, verification."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.tests.factories import member
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.directory import actions, queries
from senda.directory.actions import (
    AccessibilityInput,
    AddressInput,
    CostOptionInput,
    NewLocation,
    OpeningHours,
    PhoneInput,
    RequiredDocumentInput,
)
from senda.directory.models import (
    Address,
    CostOption,
    Language,
    Location,
    Phone,
    PublicationStatus,
    RequiredDocument,
    Schedule,
    Service,
    ServiceAtLocation,
    WeeklyOpening,
)
from senda.directory.tests.factories import (
    LocationFactory,
    OrganizationFactory,
    ServiceFactory,
)
from senda.geo.models import AdminArea, Country

T = datetime.time


def weekdays(opens: datetime.time, closes: datetime.time, days: range) -> list[OpeningHours]:
    return [OpeningHours(weekday=day, opens_at=opens, closes_at=closes) for day in days]


@pytest.fixture
def editor(users_a: dict[str, User]) -> User:
    return users_a[Role.INFO_POINT_STAFF]


@pytest.fixture
def service(org_a: Organisation) -> Service:
    return ServiceFactory.create(owner=org_a, name="Vacunación")


def test_set_details_replaces_every_collection_and_refreshes_derived(editor, service) -> None:
    # when the editor gives phones, a free cost option, documents, languages and hours
    actions.service_set_details(
        actor=editor,
        service=service,
        phones=[PhoneInput(number="+507 6000-0000", type="cell", whatsapp=True)],
        cost_options=[
            CostOptionInput(
                option="Consulta", amount=Decimal(0), translations={"en": {"option": "Visit"}}
            )
        ],
        required_documents=[
            RequiredDocumentInput(
                document="Pasaporte", translations={"en": {"document": "Passport"}}
            )
        ],
        languages=["es", "EN", "mam", "es"],
        schedules=weekdays(T(8), T(16), range(5)),
    )

    # then each collection holds exactly what was given
    phone = Phone.objects.get(service=service)
    assert (phone.number, phone.type, phone.whatsapp) == ("+507 6000-0000", "cell", True)
    cost = CostOption.objects.get(service=service)
    assert cost.tr("option", "en") == "Visit"
    document = RequiredDocument.objects.get(service=service)
    assert document.tr("document", "en") == "Passport"
    assert sorted(Language.objects.filter(service=service).values_list("code", flat=True)) == [
        "en",
        "es",
        "mam",
    ]
    assert Language.objects.get(service=service, code="es").name == "Español"
    schedule = Schedule.objects.get(service=service)
    assert (schedule.freq, schedule.byday, schedule.opens_at, schedule.closes_at) == (
        "WEEKLY",
        "MO,TU,WE,TH,FR",
        T(8),
        T(16),
    )
    # and the derived data follow: free flag and weekly openings
    service.refresh_from_db()
    assert service.is_free
    assert WeeklyOpening.objects.filter(service=service).count() == 5
    entry = AuditEntry.objects.get(action="directory.service_set_details")
    assert entry.actor == editor
    assert set(entry.details["fields"]) == {
        "phones",
        "cost_options",
        "required_documents",
        "languages",
        "schedules",
    }


def test_set_details_leaves_collections_not_given(editor, service) -> None:
    actions.service_set_details(
        actor=editor, service=service, phones=[PhoneInput(number="2222-3333")]
    )
    actions.service_set_details(actor=editor, service=service, languages=["es"])
    assert Phone.objects.filter(service=service).count() == 1


def test_rows_with_an_id_are_updated_in_place_keeping_what_the_input_lacks(editor, service) -> None:
    # given a phone and a document with data the staff form does not show
    phone = Phone.objects.create(
        service=service, number="1111-1111", description="Línea de emergencia"
    )
    document = RequiredDocument.objects.create(
        service=service,
        document="DNI",
        uri="https://example.org/dni",
        translations={"mam": {"document": "DNI mam"}},
    )
    # when the rows come back with their ids and new values
    actions.service_set_details(
        actor=editor,
        service=service,
        phones=[PhoneInput(id=phone.pk, number="1111-2222"), PhoneInput(number="3333-4444")],
        required_documents=[
            RequiredDocumentInput(
                id=document.pk, document="Cédula", translations={"en": {"document": "ID card"}}
            )
        ],
    )
    # then the same rows changed, and what the input did not carry is still there
    phone.refresh_from_db()
    assert (phone.number, phone.description) == ("1111-2222", "Línea de emergencia")
    assert Phone.objects.filter(service=service).count() == 2
    document.refresh_from_db()
    assert document.document == "Cédula"
    assert document.uri == "https://example.org/dni"
    assert document.translations == {"mam": {"document": "DNI mam"}, "en": {"document": "ID card"}}


def test_a_row_id_of_another_service_is_refused(editor, org_a, service) -> None:
    other = ServiceFactory.create(owner=org_a)
    foreign = Phone.objects.create(service=other, number="5555-5555")
    with pytest.raises(ValidationError) as error:
        actions.service_set_details(
            actor=editor, service=service, phones=[PhoneInput(id=foreign.pk, number="1234-5678")]
        )
    assert "phones.0" in error.value.errors
    foreign.refresh_from_db()
    assert foreign.number == "5555-5555"
    assert foreign.service == other


def test_an_invalid_row_saves_nothing(editor, service) -> None:
    # given the service already has a phone
    actions.service_set_details(
        actor=editor, service=service, phones=[PhoneInput(number="1234567")]
    )
    audits = AuditEntry.objects.count()
    # when valid cost options come with an invalid phone
    with pytest.raises(ValidationError) as error:
        actions.service_set_details(
            actor=editor,
            service=service,
            cost_options=[CostOptionInput(option="Consulta", amount=Decimal("5"), currency="USD")],
            phones=[PhoneInput(number="call us")],
        )
    # then the error names the row and field, and nothing of it was saved
    assert list(error.value.errors) == ["phones.0.number"]
    assert list(Phone.objects.filter(service=service).values_list("number", flat=True)) == [
        "1234567"
    ]
    assert not CostOption.objects.filter(service=service).exists()
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize(
    ("cost", "field"),
    [
        (CostOptionInput(option="x", amount=Decimal("-1"), currency="USD"), "amount"),
        (CostOptionInput(option="x", amount=Decimal("5")), "currency"),
        (CostOptionInput(option="x", amount=Decimal("5"), currency="dollars"), "currency"),
        (CostOptionInput(), "option"),
    ],
)
def test_cost_option_validation(editor, service, cost, field) -> None:
    with pytest.raises(ValidationError) as error:
        actions.service_set_details(actor=editor, service=service, cost_options=[cost])
    assert f"cost_options.0.{field}" in error.value.errors
    assert not CostOption.objects.exists()


def test_a_priced_option_makes_the_service_not_free(editor, service) -> None:
    actions.service_set_details(
        actor=editor, service=service, cost_options=[CostOptionInput(amount=Decimal(0))]
    )
    service.refresh_from_db()
    assert service.is_free
    actions.service_set_details(
        actor=editor,
        service=service,
        cost_options=[CostOptionInput(option="Consulta", amount=Decimal("3.50"), currency="PAB")],
    )
    service.refresh_from_db()
    assert not service.is_free


def test_language_codes_are_checked(editor, service) -> None:
    with pytest.raises(ValidationError) as error:
        actions.service_set_details(actor=editor, service=service, languages=["Spanish"])
    assert "languages" in error.value.errors
    assert not Language.objects.filter(service=service).exists()


def test_hours_group_days_with_the_same_interval(editor, service) -> None:
    hours = [
        *weekdays(T(8), T(12), range(5)),
        *weekdays(T(14), T(17), range(4)),
        OpeningHours(weekday=5, opens_at=T(9), closes_at=T(0)),  # until midnight
    ]
    actions.service_set_details(actor=editor, service=service, schedules=hours)
    rows = sorted(
        Schedule.objects.filter(service=service).values_list("byday", "opens_at", "closes_at")
    )
    assert rows == [
        ("MO,TU,WE,TH", T(14), T(17)),
        ("MO,TU,WE,TH,FR", T(8), T(12)),
        ("SA", T(9), T(0)),
    ]
    assert queries.regular_hours(Schedule.objects.filter(service=service))[0] == [
        (T(8), T(12)),
        (T(14), T(17)),
    ]
    saturday = WeeklyOpening.objects.get(service=service, weekday=5)
    assert (saturday.opens_minute, saturday.closes_minute) == (540, 1440)


@pytest.mark.parametrize(
    "hours",
    [
        [OpeningHours(weekday=0, opens_at=T(16), closes_at=T(8))],
        [
            OpeningHours(weekday=2, opens_at=T(8), closes_at=T(13)),
            OpeningHours(weekday=2, opens_at=T(12), closes_at=T(15)),
        ],
    ],
)
def test_impossible_hours_are_refused(editor, service, hours) -> None:
    with pytest.raises(ValidationError) as error:
        actions.service_set_details(actor=editor, service=service, schedules=hours)
    assert f"hours.{hours[0].weekday}" in error.value.errors
    assert not Schedule.objects.exists()


def test_hours_keep_schedules_the_grid_does_not_show(editor, service) -> None:
    monthly = Schedule.objects.create(
        service=service, freq="MONTHLY", byday="1MO", opens_at=T(9), closes_at=T(12)
    )
    actions.service_set_details(
        actor=editor, service=service, schedules=weekdays(T(8), T(16), range(2))
    )
    actions.service_set_details(actor=editor, service=service, schedules=[])
    assert list(Schedule.objects.filter(service=service)) == [monthly]


def test_add_a_new_location_with_address_and_hours(editor, org_a, service) -> None:
    # when the editor offers the service at a new location with its hours
    sal = actions.service_add_location(
        actor=editor,
        service=service,
        new_location=NewLocation(
            fields={
                "name": "Centro de Salud Boston",
                "latitude": 9.05,
                "longitude": -79.48,
                "admin_area": AdminArea.objects.get(pk="PA0805"),
                "transportation": "Metro línea 2, estación San Miguelito",
            },
            translations={"en": {"name": "Boston Health Centre"}},
            addresses=[
                AddressInput(
                    address_1="Vía Domingo Díaz",
                    city="San Miguelito",
                    state_province="Panamá",
                    country="PA",
                )
            ],
            accessibility=[AccessibilityInput(description="Rampa en la entrada")],
            phones=[PhoneInput(number="+507 500-0000", type="voice")],
        ),
        hours=weekdays(T(7), T(15), range(5)),
    )
    # then the location exists for the same organisation, with its children and derived data
    location = sal.location
    assert location.owner == org_a
    assert location.organization == service.organization
    assert location.country_id == "PA"
    assert location.timezone == "America/Panama"
    assert location.tr("name", "en") == "Boston Health Centre"
    assert Address.objects.get(location=location).city == "San Miguelito"
    assert location.accessibility.get().description == "Rampa en la entrada"
    assert location.phones.get().number == "+507 500-0000"
    schedule = Schedule.objects.get(service_at_location=sal)
    assert schedule.service_id is None
    assert schedule.byday == "MO,TU,WE,TH,FR"
    openings = WeeklyOpening.objects.filter(service=service)
    assert {(o.location_id, o.timezone) for o in openings} == {(location.pk, "America/Panama")}
    assert {
        "directory.location_create",
        "directory.service_add_location",
    } <= set(AuditEntry.objects.values_list("action", flat=True))


def test_add_location_refuses_an_invalid_new_location_and_saves_nothing(editor, service) -> None:
    with pytest.raises(ValidationError) as error:
        actions.service_add_location(
            actor=editor,
            service=service,
            new_location=NewLocation(
                fields={"name": "Sin dirección", "latitude": 9.0},
                addresses=[AddressInput(address_1="", city="", state_province="", country="")],
            ),
            hours=weekdays(T(8), T(12), range(1)),
        )
    assert "longitude" in error.value.errors
    assert not Location.objects.filter(name="Sin dirección").exists()
    assert not ServiceAtLocation.objects.exists()


def test_add_location_refuses_another_organisations_location(editor, org_b, service) -> None:
    location_b = LocationFactory.create(owner=org_b)
    with pytest.raises(NotFoundError):
        actions.service_add_location(actor=editor, service=service, location=location_b)
    assert not ServiceAtLocation.objects.exists()


def test_add_existing_location_once_then_remove_it(editor, org_a, service) -> None:
    location = LocationFactory.create(owner=org_a, organization=service.organization)
    actions.service_add_location(actor=editor, service=service, location=location)
    with pytest.raises(ValidationError):
        actions.service_add_location(actor=editor, service=service, location=location)
    actions.service_set_hours(
        actor=editor, service=service, location=location, hours=weekdays(T(9), T(13), range(3))
    )
    assert WeeklyOpening.objects.filter(service=service, location=location).count() == 3
    actions.service_remove_location(actor=editor, service=service, location=location)
    assert not ServiceAtLocation.objects.filter(service=service).exists()
    assert not Schedule.objects.exists()
    assert not WeeklyOpening.objects.filter(service=service).exists()
    assert Location.objects.filter(pk=location.pk).exists()


def test_location_details_replace_the_addresses_given(editor, org_a) -> None:
    location = LocationFactory.create(owner=org_a)
    postal = Address.objects.create(
        location=location,
        address_1="Apartado 1",
        city="Panamá",
        state_province="Panamá",
        country="PA",
        address_type="postal",
    )
    actions.location_update(
        actor=editor,
        location=location,
        fields={"name": "Punto de información"},
        addresses=[
            AddressInput(
                address_1="Calle 50", city="Panamá", state_province="Panamá", country="PA"
            ),
            AddressInput(
                id=postal.pk,
                address_1="Apartado 2",
                city="Panamá",
                state_province="Panamá",
                country="PA",
                address_type="postal",
            ),
        ],
    )
    assert sorted(location.addresses.values_list("address_1", flat=True)) == [
        "Apartado 2",
        "Calle 50",
    ]
    with pytest.raises(ValidationError) as error:
        actions.location_set_details(
            actor=editor,
            location=location,
            addresses=[AddressInput(address_1="x", city="", state_province="y", country="PA")],
        )
    assert "addresses.0.city" in error.value.errors
    assert location.addresses.count() == 2


def test_area_must_be_in_the_country(editor, org_a) -> None:
    with pytest.raises(ValidationError) as error:
        actions.location_create(
            actor=editor,
            owner=org_a,
            fields={
                "country": Country.objects.get(pk="MX"),
                "admin_area": AdminArea.objects.get(pk="PA0805"),
            },
        )
    assert "admin_area" in error.value.errors


def test_translations_are_checked_and_cleaned(editor, org_a, service) -> None:
    with pytest.raises(ValidationError):
        actions.service_update(
            actor=editor, service=service, fields={}, translations={"english": {"name": "x"}}
        )
    with pytest.raises(ValidationError):
        actions.service_update(
            actor=editor, service=service, fields={}, translations={"en": {"owner": "x"}}
        )
    actions.service_update(
        actor=editor,
        service=service,
        fields={},
        translations={"en": {"name": "Vaccination", "alert": " "}, "mam": {"name": "Vacuna"}},
    )
    service.refresh_from_db()
    assert service.translations == {"en": {"name": "Vaccination"}, "mam": {"name": "Vacuna"}}


def test_service_create_with_collections(editor, org_a) -> None:
    provider = OrganizationFactory.create(owner=org_a)
    service = actions.service_create(
        actor=editor,
        owner=org_a,
        organization=provider,
        fields={"name": "Asesoría legal", "fees_description": "Sin costo"},
        phones=[PhoneInput(number="800-000-0000", whatsapp=True)],
        languages=["es"],
        hours=weekdays(T(10), T(14), range(1)),
    )
    assert service.publication_status == PublicationStatus.DRAFT
    assert service.phones.get().whatsapp
    assert service.is_free
    assert WeeklyOpening.objects.filter(service=service).count() == 1


def test_service_create_refuses_a_provider_of_another_organisation(editor, org_a, org_b) -> None:
    provider_b = OrganizationFactory.create(owner=org_b)
    with pytest.raises(ValidationError) as error:
        actions.service_create(
            actor=editor, owner=org_a, organization=provider_b, fields={"name": "x"}
        )
    assert "organization" in error.value.errors
    assert not Service.objects.exists()


@pytest.mark.parametrize(
    "role",
    [Role.HEALTH_PROMOTER, Role.COMMUNITY_VOLUNTEER, Role.PROGRAMME_OFFICER, Role.VIEWER],
)
def test_roles_without_directory_rights_change_nothing(users_a, service, role) -> None:
    actor = users_a[role]
    with pytest.raises(NotFoundError):
        actions.service_set_details(actor=actor, service=service, languages=["en"])
    with pytest.raises(NotFoundError):
        actions.service_set_hours(actor=actor, service=service, hours=[])
    with pytest.raises(NotFoundError):
        actions.service_mark_verified(actor=actor, service=service)
    assert not Language.objects.exists()
    assert not AuditEntry.objects.exists()


def test_other_organisation_is_not_found(users_b, service) -> None:
    with pytest.raises(NotFoundError):
        actions.service_set_details(
            actor=users_b[Role.CONTENT_EDITOR], service=service, languages=["en"]
        )
    with pytest.raises(NotFoundError):
        actions.service_publish(actor=users_b[Role.CONTENT_EDITOR], service=service)
    service.refresh_from_db()
    assert service.publication_status == PublicationStatus.DRAFT


def test_workflow_from_draft_to_archive(users_a, service) -> None:
    staff, reviewer = users_a[Role.INFO_POINT_STAFF], users_a[Role.CONTENT_EDITOR]
    actions.service_submit_for_review(actor=staff, service=service)
    # an editor who is not a content editor sees the service but may not publish it
    with pytest.raises(PermissionDeniedError):
        actions.service_publish(actor=staff, service=service)
    assert queries.services_pending_review(user=reviewer).get() == service
    actions.service_return_to_draft(actor=reviewer, service=service, note="Falta el horario")
    actions.service_submit_for_review(actor=staff, service=service)
    actions.service_publish(actor=reviewer, service=service)
    with pytest.raises(ValidationError):
        actions.service_submit_for_review(actor=staff, service=service)
    actions.service_archive(actor=reviewer, service=service)
    service.refresh_from_db()
    assert service.publication_status == PublicationStatus.ARCHIVED
    history = queries.service_history(service=service)
    assert [entry.action for entry in history][:2] == [
        "directory.service_archived",
        "directory.service_published",
    ]
    returned = next(e for e in history if e.action == "directory.service_draft")
    assert returned.details["note"] == "Falta el horario"
    assert returned.actor == reviewer


def test_network_editor_publishes_any_organisation(org_b, users_b) -> None:
    network = Organisation.objects.create(name="Red", slug="red", is_network_editor=True)
    network_editor = member(network, Role.CONTENT_EDITOR, username="red-editor")
    service_b = ServiceFactory.create(owner=org_b)
    actions.service_submit_for_review(actor=users_b[Role.FOCAL_POINT], service=service_b)
    assert list(queries.services_pending_review(user=network_editor)) == [service_b]
    actions.service_publish(actor=network_editor, service=service_b)
    service_b.refresh_from_db()
    assert service_b.publication_status == PublicationStatus.PUBLISHED


def test_mark_verified_records_who_when_and_source(editor, service) -> None:
    actions.service_mark_verified(actor=editor, service=service, source="Llamada al centro")
    service.refresh_from_db()
    assert service.assured_date == datetime.date.today()
    assert service.verified_by == editor
    assert service.source == "Llamada al centro"
    # an empty source keeps the one on record
    actions.service_mark_verified(actor=editor, service=service, source="")
    service.refresh_from_db()
    assert service.source == "Llamada al centro"
    with pytest.raises(ValidationError):
        actions.service_mark_verified(
            actor=editor,
            service=service,
            verified_on=datetime.date.today() + datetime.timedelta(days=1),
        )


def test_stale_services_are_flagged(editor, org_a, settings) -> None:
    settings.SENDA_STALE_SERVICE_DAYS = 30
    old = datetime.date.today() - datetime.timedelta(days=31)
    stale = ServiceFactory.create(owner=org_a, published=True, assured_date=old)
    never = ServiceFactory.create(owner=org_a, published=True, assured_date=None)
    fresh = ServiceFactory.create(owner=org_a, published=True)
    draft = ServiceFactory.create(owner=org_a, assured_date=old)
    assert set(queries.services_stale(user=editor)) == {stale, never}
    flags = {s.pk: getattr(s, "is_stale") for s in queries.staff_services(user=editor)}  # noqa: B009
    assert flags == {stale.pk: True, never.pk: True, fresh.pk: False, draft.pk: False}
    assert queries.service_is_stale(stale) and not queries.service_is_stale(draft)
