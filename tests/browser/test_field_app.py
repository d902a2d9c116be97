"""The field app (issue 5) in a real headless Chromium, against the real sync API: a promoter
sets up the phone after the online login, goes offline, records a whole day's work, reloads the
page without a connection (the service worker and the PIN bring the app back), comes back
online, syncs, and the server holds every record exactly once. Then the protections: five
wrong PINs wipe the phone, a revoked phone is wiped at its next contact, a record the server
refuses stays on the phone with its reason until it is corrected and sent again.

Selectors use names, values and test ids, so one test serves both languages; expected texts
are the app's sentences read through Django's translation in the page's language.

Tests here share one live server on in-memory SQLite (one connection between threads): they
run one after the other, never in parallel.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone, translation
from playwright.sync_api import expect

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import browser_login
from senda.accounts.tests.factories import TEST_PASSWORD, OrganisationFactory, member
from senda.casework.models import (
    DoseTally,
    FollowUp,
    FollowUpStatus,
    Orientation,
    OutreachActivity,
    OutreachTally,
    Person,
    Referral,
    Team,
    Topic,
    TopicUse,
    VaccinationSession,
)
from senda.casework.tests.factories import FollowUpFactory, PersonFactory
from senda.directory.models import ServiceAtLocation
from senda.directory.tests.factories import LocationFactory, ServiceFactory
from senda.sync import app_views

pytestmark = pytest.mark.browser

SAN_MIGUELITO = "PA0805"
PIN = "480916"
WIDTH = 360
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass
class World:
    community: Organisation
    promoter: User
    supervisor: User
    place: ServiceAtLocation
    task: FollowUp


@pytest.fixture
def world(transactional_db: None) -> World:
    community = OrganisationFactory.create(
        name="Salud Sin Fronteras PA", slug="ssf-pa", country_id="PA"
    )
    health = OrganisationFactory.create(
        name="Región de Salud San Miguelito", slug="minsa-smig", country_id="PA"
    )
    centre = LocationFactory.create(
        owner=health, name="Centro de Salud Torrijos Carter", admin_area_id=SAN_MIGUELITO
    )
    service = ServiceFactory.create(
        owner=health,
        published=True,
        name="Vacunación Torrijos Carter",
        categories=["health.vaccination"],
        locations=[centre],
    )
    promoter = member(community, Role.HEALTH_PROMOTER, username="promotora")
    known = PersonFactory.create(
        organisation=community,
        registered_by=promoter,
        given_name="Yamileth",
        area_id=SAN_MIGUELITO,
    )
    task = FollowUpFactory.create(
        person=known, title="Llamar a Yamileth", due_on=timezone.localdate()
    )
    supervisor = member(community, Role.SUPERVISOR, username="supervisora")
    team = Team.objects.create(organisation=community, name="San Miguelito", supervisor=supervisor)
    team.members.add(promoter)
    return World(
        community=community,
        promoter=promoter,
        supervisor=supervisor,
        place=service.service_at_locations.get(),
        task=task,
    )


@pytest.fixture(params=["es", "en"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Phone:
    """A phone-sized browser with its own storage, and the app's sentences in its language."""

    context: Any
    page: Any
    base: str
    language: str
    errors: list[str]

    @property
    def prefix(self) -> str:
        return "" if self.language == "es" else "/en"

    @property
    def app(self) -> str:
        return f"{self.base}{self.prefix}/field/"

    def text(self, key: str, **values: Any) -> str:
        with translation.override(self.language):
            sentence = app_views.strings()[key]
        if isinstance(sentence, list):
            sentence = sentence[0] if values.get("count") == 1 else sentence[1]
        return str(sentence) % values if values else str(sentence)

    def state(self) -> Any:
        return self.page.locator("[data-testid=sync-state]")

    def submit(self, form: str) -> None:
        self.page.locator(f"form[data-form={form}] button[type=submit]").click()


@pytest.fixture
def phone(browser: Any, live_server: Any, language: str) -> Iterator[Phone]:
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 740},
        locale="es-PA" if language == "es" else "en-US",
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    yield Phone(context, page, live_server.url, language, errors)
    context.close()


def set_up(phone: Phone, user: User) -> None:
    """The online login (password and code), then the app's setup with a PIN."""
    browser_login(phone.page, phone.base, user, TEST_PASSWORD, prefix=phone.prefix)
    phone.page.goto(phone.app)
    phone.page.fill("form[data-form=setup] input[name=pin]", PIN)
    phone.page.fill("form[data-form=setup] input[name=pin_again]", PIN)
    phone.submit("setup")
    expect(phone.state()).to_have_text(phone.text("all_sent"))
    # The service worker has kept the app (it took over this page when it activated).
    assert phone.page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")


def unlock(phone: Phone, pin: str = PIN) -> None:
    phone.page.fill("form[data-form=unlock] input[name=pin]", pin)
    phone.submit("unlock")


def go(phone: Phone, route: str) -> None:
    phone.page.evaluate(f"() => {{ window.location.hash = '#/{route}'; }}")


def nothing_wider_than_the_phone(phone: Phone) -> bool:
    return bool(phone.page.evaluate(f"() => document.documentElement.scrollWidth <= {WIDTH}"))


def local_databases(phone: Phone) -> list[str]:
    return list(
        phone.page.evaluate("() => indexedDB.databases().then(all => all.map(db => db.name))")
    )


# ---------------------------------------------------------------------------------------------
# A day offline


def register_person(phone: Phone, given: str) -> None:
    page = phone.page
    go(phone, "people/new")
    # No consent yet: the app refuses and offers the anonymous tally instead.
    phone.submit("person")
    expect(page.locator("[data-testid=no-consent]")).to_be_visible()
    page.check("input[name=consent_record]")
    page.check("input[name=consent_contact]")
    page.check("input[name=consent_share]")
    page.fill("input[name=given_name]", given)
    page.fill("input[name=family_name]", "Ejemplo")
    page.fill("input[name=phone]", "12")
    page.check("input[name=sex][value=female]")
    page.fill("input[name=year_of_birth]", "1994")
    page.select_option("form[data-form=person] select[name=nationality]", "VE")
    page.select_option("form[data-form=person] select[name=area]", SAN_MIGUELITO)
    page.check("input[name=community][value=migrant]")
    # A wrong phone is caught on the phone, and what was typed stays.
    phone.submit("person")
    expect(page.locator("form[data-form=person] .summary")).to_contain_text(
        phone.text("phone_invalid")
    )
    assert page.input_value("input[name=given_name]") == given
    page.fill("input[name=phone]", "+507 6123-4567")
    phone.submit("person")
    expect(page.locator("h1")).to_have_text(f"{given} Ejemplo")


def record_orientation(phone: Phone) -> None:
    page = phone.page
    page.click("a[href$='/orientation']")
    page.check("input[name=topics][value=vaccination]")
    page.select_option("select[name=place_type]", "metro")
    page.select_option("select[name=outcome]", "referred")
    page.fill("form[data-form=orientation] textarea[name=note]", "Quiere vacunarse")
    phone.submit("orientation")
    expect(page.locator("#app-notice")).to_have_text(phone.text("saved_orientation"))


def refer(phone: Phone) -> None:
    page = phone.page
    page.click("a[href$='/referral']")
    page.select_option("select[name=reason]", "vaccination")
    page.fill("#service-search", "torrijos")
    page.locator("input[name=service_at_location]").first.check()
    phone.submit("referral")
    expect(page.locator("#app-notice")).to_have_text(phone.text("saved_referral"))


def record_outreach(phone: Phone) -> None:
    page = phone.page
    go(phone, "outreach")
    page.select_option("form[data-form=outreach] select[name=place_type]", "metro")
    page.fill("form[data-form=outreach] input[name=place_name]", "Estación San Miguelito")
    page.select_option("form[data-form=outreach] select[name=area]", SAN_MIGUELITO)
    phone.submit("outreach")  # nothing counted yet
    expect(page.locator("form[data-form=outreach] .summary")).to_contain_text(
        phone.text("tally_required")
    )
    page.fill("input[name='tally-female|18-29|migrant']", "12")
    page.fill("input[name='tally-male|30-59|host']", "7")
    page.fill("#material-leaflet", "40")
    phone.submit("outreach")
    expect(page.locator("#app-notice")).to_have_text(phone.text("saved_outreach"))


def record_vaccination(phone: Phone) -> None:
    page = phone.page
    go(phone, "vaccination")
    page.fill("form[data-form=vaccination] input[name=place_name]", "Parque de Torrijos")
    page.select_option("form[data-form=vaccination] select[name=area]", SAN_MIGUELITO)
    page.locator("details.doses summary").first.click()
    page.fill("#dose-covid19-18-29", "9")
    page.fill("#dose-covid19-60plus", "4")
    phone.submit("vaccination")
    expect(page.locator("#app-notice")).to_have_text(phone.text("saved_vaccination"))


def complete_task(phone: Phone) -> None:
    page = phone.page
    go(phone, "tasks")
    page.locator("[data-testid=tasks-today] a.card").first.click()
    page.fill("form[data-form=task-done] textarea[name=note]", "Ya se vacunó")
    phone.submit("task-done")
    expect(page.locator("#app-notice")).to_have_text(phone.text("saved_task"))


def test_a_day_offline_reaches_the_server_exactly_once(world: World, phone: Phone) -> None:
    page = phone.page
    set_up(phone, world.promoter)
    assert nothing_wider_than_the_phone(phone)

    # when the promoter works the whole day without a connection
    phone.context.set_offline(True)
    register_person(phone, "Rosalba")
    record_orientation(phone)
    refer(phone)
    record_outreach(phone)
    record_vaccination(phone)
    complete_task(phone)
    expect(phone.state()).to_have_text(phone.text("waiting_count", count=6))
    go(phone, "outbox")
    expect(page.locator("[data-testid=outbox-list] [data-testid=state]")).to_have_count(6)
    assert nothing_wider_than_the_phone(phone)

    # and the phone reloads the app with no network: the service worker and the PIN bring it back
    page.reload()
    expect(page.locator("form[data-form=unlock]")).to_be_visible()
    unlock(phone)
    expect(phone.state()).to_have_text(phone.text("waiting_count", count=6))
    go(phone, "people")
    page.fill("#people-search", "rosalba")
    expect(page.locator(".results a.card")).to_have_count(1)

    # then, back online, one sync sends everything
    phone.context.set_offline(False)
    page.click("[data-testid=sync-now]")
    expect(phone.state()).to_have_text(phone.text("all_sent"))

    def server_has_each_record_once() -> None:
        [person] = [p for p in Person.objects.all() if p.given_name == "Rosalba"]
        assert person.registered_by == world.promoter
        assert person.phone == "+507 6123-4567"
        assert person.client_uuid is not None
        assert Person.objects.count() == 2  # Yamileth, registered before, and Rosalba
        orientation = Orientation.objects.get()
        assert orientation.person == person
        assert orientation.note == "Quiere vacunarse"
        assert [t.slug for t in orientation.topics.all()] == ["vaccination"]
        referral = Referral.objects.get()
        assert (referral.person, referral.service_id) == (person, world.place.service_id)
        assert OutreachActivity.objects.count() == 1
        assert sorted(OutreachTally.objects.values_list("count", flat=True)) == [7, 12]
        assert OutreachActivity.objects.get().materials == {"leaflet": 40}
        assert VaccinationSession.objects.count() == 1
        assert sorted(DoseTally.objects.values_list("count", flat=True)) == [4, 9]
        world.task.refresh_from_db()
        assert world.task.status == FollowUpStatus.DONE
        assert "Ya se vacunó" in world.task.note

    server_has_each_record_once()
    # The referral made offline now shows its status from the server.
    go(phone, "referrals")
    expect(page.locator("a.card").first).to_contain_text(
        _status_label(phone.language, Referral.objects.get().status)
    )
    # A second sync (and a third) changes nothing on the server.
    page.click("[data-testid=sync-now]")
    expect(phone.state()).to_have_text(phone.text("all_sent"))
    page.click("[data-testid=sync-now]")
    expect(phone.state()).to_have_text(phone.text("all_sent"))
    server_has_each_record_once()
    assert phone.errors == []


def _status_label(language: str, status: str) -> str:
    from senda.casework.models import ReferralStatus

    with translation.override(language):
        return str(ReferralStatus(status).label)


# ---------------------------------------------------------------------------------------------
# Protections


def test_five_wrong_pins_wipe_the_phone(world: World, phone: Phone) -> None:
    page = phone.page
    set_up(phone, world.promoter)
    page.reload()
    for left in (4, 3, 2, 1):
        unlock(phone, "111222")
        expect(page.locator("form[data-form=unlock] .error")).to_have_text(
            phone.text("pin_wrong", count=left)
        )
    unlock(phone, "111222")
    expect(page.locator("[data-testid=setup-message]")).to_have_text(phone.text("wiped_pin"))
    assert "senda-field" not in local_databases(phone)


def test_a_revoked_phone_is_wiped_at_its_next_contact(world: World, phone: Phone) -> None:
    from senda.sync.actions import device_revoke
    from senda.sync.models import Device

    page = phone.page
    set_up(phone, world.promoter)
    device_revoke(actor=world.supervisor, device_id=Device.objects.get().pk)
    page.click("[data-testid=sync-now]")
    expect(page.locator("[data-testid=setup-message]")).to_have_text(phone.text("wiped_revoked"))
    assert "senda-field" not in local_databases(phone)


def test_a_refused_record_keeps_its_reason_and_is_sent_again_corrected(
    world: World, phone: Phone
) -> None:
    page = phone.page
    set_up(phone, world.promoter)
    # given a topic the phone knows, withdrawn on the server since the last sync
    Topic.objects.filter(use=TopicUse.ORIENTATION, slug="documents").update(is_active=False)
    go(phone, "people")
    page.locator(".results a.card").first.click()
    page.click("a[href$='/orientation']")
    page.check("input[name=topics][value=documents]")
    page.select_option("select[name=place_type]", "metro")
    page.select_option("select[name=outcome]", "informed")
    phone.submit("orientation")
    # when it is sent, the server refuses it: it stays on the phone with the reason
    page.click("[data-testid=sync-now]")
    go(phone, "outbox")
    refused = page.locator("[data-testid=rejected] a.card")
    expect(refused).to_have_count(1)
    with translation.override(phone.language):
        from django.utils.translation import gettext

        reason = gettext("Choose topics from the list of orientation topics.")
    expect(refused).to_contain_text(reason)
    assert Orientation.objects.count() == 0
    # then the promoter corrects it and sends it again: stored once
    refused.click()
    expect(page.locator("form[data-form=fix] .summary")).to_contain_text(reason)
    # The sync brought the new list: the withdrawn topic is no longer offered.
    expect(page.locator("input[name=topics][value=documents]")).to_have_count(0)
    page.check("input[name=topics][value=health-services]")
    phone.submit("fix")
    page.click("[data-testid=sync-now]")
    expect(phone.state()).to_have_text(phone.text("all_sent"))
    go(phone, "outbox")
    expect(page.locator("[data-testid=rejected]")).to_have_count(0)
    orientation = Orientation.objects.get()
    assert [t.slug for t in orientation.topics.all()] == ["health-services"]


def test_the_phone_is_wiped_after_too_long_without_unlocking(world: World, phone: Phone) -> None:
    page = phone.page
    set_up(phone, world.promoter)
    # given a phone last unlocked longer ago than the server allows
    hours = wipe_hours()
    moment = int((timezone.now() - datetime.timedelta(hours=hours + 1)).timestamp() * 1000)
    page.evaluate(
        """(moment) => new Promise((done) => {
            const open = indexedDB.open("senda-field");
            open.onsuccess = () => {
                const tx = open.result.transaction("meta", "readwrite");
                const store = tx.objectStore("meta");
                const get = store.get("vault");
                get.onsuccess = () => {
                    get.result.unlocked_at = moment;
                    store.put(get.result, "vault");
                };
                tx.oncomplete = () => { open.result.close(); done(true); };
            };
        })""",
        moment,
    )
    # when the app is opened again, it deletes its data before asking for anything
    page.reload()
    expect(page.locator("[data-testid=setup-message]")).to_have_text(
        phone.text("wiped_inactive", hours=hours)
    )
    assert "senda-field" not in local_databases(phone)


def wipe_hours() -> int:
    from senda.sync import conf

    return int(conf.wipe_hours())


def test_a_change_made_on_both_sides_waits_for_the_workers_decision(
    world: World, phone: Phone
) -> None:
    from senda.casework.actions.people import person_update

    page = phone.page
    set_up(phone, world.promoter)
    known = world.task.person
    # given the promoter corrects a phone number offline
    phone.context.set_offline(True)
    go(phone, f"person/{known.pk}/edit")
    page.fill("form[data-form=person-edit] input[name=phone]", "+507 6000-1111")
    phone.submit("person-edit")
    expect(phone.state()).to_have_text(phone.text("waiting_count", count=1))
    # while the office changes the same number on the server
    person_update(actor=world.supervisor, person=known, phone="+507 6000-2222")
    # when the phone syncs, nothing is overwritten silently: the worker decides
    phone.context.set_offline(False)
    page.click("[data-testid=sync-now]")
    expect(page.locator("#app-header .attention")).to_be_visible()
    go(phone, "outbox")
    decision = page.locator("[data-testid=decisions] [data-testid=decision]")
    expect(decision).to_have_count(1)
    expect(decision.locator("[data-testid=device-value]")).to_have_text("+507 6000-1111")
    expect(decision.locator("[data-testid=server-value]")).to_have_text("+507 6000-2222")
    known.refresh_from_db()
    assert known.phone == "+507 6000-2222"
    # then "keep mine" puts the promoter's number on the server
    decision.locator("[data-testid=keep-mine]").click()
    expect(page.locator("[data-testid=decisions]")).to_have_count(0)
    page.click("[data-testid=sync-now]")
    expect(phone.state()).to_have_text(phone.text("all_sent"))
    known.refresh_from_db()
    assert known.phone == "+507 6000-1111"
    go(phone, f"person/{known.pk}")
    expect(page.locator("main")).to_contain_text("+507 6000-1111")


def test_the_app_sends_by_itself_when_the_network_returns(world: World, phone: Phone) -> None:
    page = phone.page
    set_up(phone, world.promoter)
    phone.context.set_offline(True)
    record_outreach(phone)
    expect(phone.state()).to_have_text(phone.text("waiting_count", count=1))
    # when the connection comes back, nobody presses anything
    phone.context.set_offline(False)
    expect(phone.state()).to_have_text(phone.text("all_sent"))
    assert OutreachActivity.objects.count() == 1
    go(phone, "outbox")
    expect(page.locator("[data-testid=outbox-list] [data-testid=state]")).to_have_text(
        phone.text("state_sent")
    )


def test_a_double_tap_on_save_records_once(world: World, phone: Phone) -> None:
    page = phone.page
    set_up(phone, world.promoter)
    phone.context.set_offline(True)
    go(phone, "outreach")
    page.select_option("form[data-form=outreach] select[name=place_type]", "metro")
    page.fill("form[data-form=outreach] input[name=place_name]", "Estación San Miguelito")
    page.select_option("form[data-form=outreach] select[name=area]", SAN_MIGUELITO)
    page.fill("input[name='tally-female|18-29|migrant']", "3")
    # two submits in the same instant, as a nervous thumb does
    page.evaluate(
        "() => { const f = document.querySelector('form[data-form=outreach]');"
        " f.requestSubmit(); f.requestSubmit(); }"
    )
    expect(page.locator("#app-notice")).to_have_text(phone.text("saved_outreach"))
    expect(phone.state()).to_have_text(phone.text("waiting_count", count=1))
    phone.context.set_offline(False)
    expect(phone.state()).to_have_text(phone.text("all_sent"))
    assert OutreachActivity.objects.count() == 1


def test_the_app_locks_after_a_while_without_use(world: World, phone: Phone) -> None:
    from senda.sync import conf

    page = phone.page
    page.clock.install()
    set_up(phone, world.promoter)
    page.clock.fast_forward(f"{int(conf.lock_minutes()) + 1}:00")
    expect(page.locator("[data-testid=lock-message]")).to_have_text(phone.text("locked_idle"))
    # the data is out of reach until the PIN is typed again
    expect(page.locator("#app-nav")).to_be_hidden()
    unlock(phone)
    expect(page.locator("[data-testid=tile-register]")).to_be_visible()


def assert_accessible(phone: Phone) -> None:
    # Axe bundles axe.min.js and injects it with page.evaluate: nothing is downloaded.
    results = Axe().run(
        phone.page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    assert results.violations_count == 0, f"{phone.page.url}\n{results.generate_report()}"
    assert nothing_wider_than_the_phone(phone), phone.page.url


def test_every_screen_is_accessible_on_a_small_phone(world: World, phone: Phone) -> None:
    page = phone.page
    page.goto(phone.app)
    expect(page.locator("[data-testid=log-in]")).to_be_visible()
    assert_accessible(phone)
    set_up(phone, world.promoter)
    for route in (
        "",
        "people",
        "people/new",
        "outreach",
        "vaccination",
        "tasks",
        "referrals",
        "outbox",
        "device",
        f"person/{world.task.person.pk}",
        f"person/{world.task.person.pk}/orientation",
        f"person/{world.task.person.pk}/referral",
        f"task/{world.task.pk}",
    ):
        go(phone, route)
        page.wait_for_timeout(100)
        assert_accessible(phone)
    # The skip link moves the focus, not the worker to another screen.
    go(phone, "outbox")
    page.focus("a.skip")
    page.keyboard.press("Enter")
    expect(page.locator("main h1")).to_have_text(phone.text("outbox"))
    assert page.evaluate("() => document.activeElement.id") == "app"
    # A form with its errors shown is accessible too.
    go(phone, "people/new")
    page.check("input[name=consent_record]")
    phone.submit("person")
    expect(page.locator("form[data-form=person] .summary")).to_be_visible()
    assert_accessible(phone)
    page.reload()
    expect(page.locator("form[data-form=unlock]")).to_be_visible()
    assert_accessible(phone)


def test_signing_out_deletes_the_data_and_retires_the_phone(world: World, phone: Phone) -> None:
    from senda.sync.models import Device

    page = phone.page
    set_up(phone, world.promoter)
    go(phone, "device")
    page.click("[data-testid=sign-out]")
    page.click("[data-testid=confirm-sign-out]")
    expect(page.locator("[data-testid=setup-message]")).to_have_text(phone.text("wiped_signed_out"))
    assert "senda-field" not in local_databases(phone)
    assert Device.objects.get().revoked_at is not None


def test_a_withdrawn_consent_to_record_erases_the_person_here_and_there(
    world: World, phone: Phone
) -> None:
    page = phone.page
    set_up(phone, world.promoter)
    known = world.task.person
    phone.context.set_offline(True)
    go(phone, f"person/{known.pk}")
    page.locator("[data-testid=consent] summary").click()
    page.check("form[data-form=consent] input[name=scope][value=record]")
    phone.submit("consent")
    expect(page.locator("#app-notice")).to_have_text(phone.text("saved_consent"))
    phone.context.set_offline(False)
    page.click("[data-testid=sync-now]")
    expect(phone.state()).to_have_text(phone.text("all_sent"))
    known.refresh_from_db()
    assert known.erased_at is not None
    # Nothing of the person is left on the phone.
    go(phone, "people")
    expect(page.locator(".results a.card")).to_have_count(0)
    go(phone, f"person/{known.pk}")
    expect(page.locator("main h1")).to_have_text(phone.text("not_found"))
