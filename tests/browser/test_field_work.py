"""Issue 4's "done when" in a real headless Chromium, in Spanish and in English: a health
promoter registers a person with consent (and is warned about a look-alike), orients and refers
them to a health centre; the centre's focal point receives, accepts, marks attended and closes
with an outcome; the promoter sees the feedback and completes the follow-up the rules created.
Then the refusals a browser meets, and every main field-work page checked at 320 px with
axe-core (WCAG 2.2 AA) and without console errors (a CSP violation is one).

Selectors use ids, names and values, so one test serves both languages; expected texts are
the labels read through Django's translation in the page's language."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import TEST_PASSWORD, OrganisationFactory, member
from senda.accounts.two_factor import STEP_SECONDS, VALID_WINDOW, confirmed_device, current_code
from senda.casework.actions.activities import (
    OutreachInput,
    SessionInput,
    outreach_record,
    vaccination_session_record,
)
from senda.casework.models import (
    CentreAssignment,
    ConsentScope,
    FollowUp,
    FollowUpRule,
    FollowUpStatus,
    FollowUpTrigger,
    Orientation,
    ParticipantRole,
    ParticipationStatus,
    Person,
    Referral,
    ReferralOutcome,
    ReferralStatus,
    Topic,
    TopicUse,
    TrainingEvent,
    TrainingMode,
    TrainingParticipant,
)
from senda.casework.tests.factories import FollowUpFactory, PersonFactory, ReferralFactory
from senda.core.models import AuditEntry
from senda.directory.models import ServiceAtLocation
from senda.directory.tests.factories import LocationFactory, ServiceFactory
from senda.geo.models import AdminArea

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE_WIDTH = 320
REGISTER_WIDTH = 360
SAN_MIGUELITO = "PA0805"


# ---------------------------------------------------------------------------------------------
# The world: a community organisation in Panama and the health region that receives referrals


@dataclass
class World:
    community: Organisation
    health: Organisation
    promoter: User
    volunteer: User
    supervisor: User
    focal: User
    other_focal: User
    place: ServiceAtLocation
    rule: FollowUpRule


@pytest.fixture
def world(transactional_db: None) -> World:
    community = OrganisationFactory.create(
        name="Salud Sin Fronteras PA", slug="ssf-pa", country_id="PA"
    )
    health = OrganisationFactory.create(
        name="Región de Salud San Miguelito", slug="minsa-smig", country_id="PA"
    )
    elsewhere = OrganisationFactory.create(name="Otra Región", slug="otra-region", country_id="PA")
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
    focal = member(health, Role.FOCAL_POINT, username="focal-torrijos")
    CentreAssignment.objects.create(organisation=health, user=focal, location=centre)
    # The worker learns the result the day it comes back: a task due that very day.
    rule = FollowUpRule.objects.create(
        organisation=community,
        trigger=FollowUpTrigger.REFERRAL_CLOSED,
        days_after=0,
        title="Contarle el resultado",
        language="es",
        translations={"en": {"title": "Tell them the result"}},
        requires_contact=True,
    )
    return World(
        community=community,
        health=health,
        promoter=member(community, Role.HEALTH_PROMOTER, username="promotora"),
        volunteer=member(community, Role.COMMUNITY_VOLUNTEER, username="voluntario"),
        supervisor=member(community, Role.SUPERVISOR, username="supervisora"),
        focal=focal,
        other_focal=member(elsewhere, Role.FOCAL_POINT, username="focal-otra"),
        place=service.service_at_locations.get(),
        rule=rule,
    )


# ---------------------------------------------------------------------------------------------
# Helpers


@dataclass
class Console:
    """Console errors and uncaught page errors (a CSP violation is reported as one)."""

    errors: list[str] = field(default_factory=list)

    def listen(self, tab: Any) -> None:
        tab.on("console", lambda message: self._keep(tab, message))
        tab.on("pageerror", lambda error: self.errors.append(str(error)))

    def _keep(self, tab: Any, message: Any) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        # The page itself answering 400 or 404 is what the tests ask for (and assert); a
        # stylesheet or script failing to load is not.
        if message.text.startswith("Failed to load resource") and url == tab.url:
            return
        # Django's plain 404 page links no icon, so Chromium asks for /favicon.ico itself.
        if url.endswith("/favicon.ico"):
            return
        self.errors.append(f"{message.text} @ {url}")


@pytest.fixture(params=["es", "en"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def phone(browser: Any, language: str) -> Iterator[Any]:
    """A phone-sized tab in the language of the test."""
    context = browser.new_context(
        viewport={"width": REGISTER_WIDTH, "height": 740},
        locale="es-PA" if language == "es" else "en-US",
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def _fresh_code(user: User) -> str:
    """A code the server has not accepted yet: the current step's, or the next one when the
    current step was spent by an earlier login of the same user (codes are single-use)."""

    def read() -> str:
        device = confirmed_device(User.objects.get(pk=user.pk))
        assert device is not None, f"{user} has no second factor"
        now = time.time()
        step = int(now // STEP_SECONDS)
        if device.last_used_step is not None and device.last_used_step >= step:
            step = device.last_used_step + 1
            assert step <= int(now // STEP_SECONDS) + VALID_WINDOW, "no unspent code yet"
        return current_code(device, at=step * STEP_SECONDS + 1)

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(read).result()


def log_in(tab: Any, base: str, user: User, prefix: str) -> None:
    """Log in through the real pages, as senda.accounts.testing.browser_login does, but with a
    code not spent yet: the same user logs in twice within a code's 30 seconds here."""
    tab.goto(f"{base}{prefix}/accounts/login/")
    tab.fill("#id_username", user.get_username())
    tab.fill("#id_password", TEST_PASSWORD)
    tab.click("main button[type=submit]")
    tab.wait_for_load_state()
    if "/two-factor/verify/" in tab.url:
        tab.fill("#id_code", _fresh_code(user))
        tab.press("#id_code", "Enter")
        tab.wait_for_load_state()
        assert "/two-factor/" not in tab.url, tab.inner_text("main")
    elif "/two-factor/" in tab.url:
        # First login: set up the authenticator with the key the page shows.
        secret = tab.locator("[data-testid=totp-secret]").inner_text().replace(" ", "")
        tab.fill("#id_code", pyotp.TOTP(secret).now())
        tab.press("#id_code", "Enter")
        tab.wait_for_load_state()
        tab.click("main a.button")  # past the recovery codes
        tab.wait_for_load_state()
    assert "/accounts/login/" not in tab.url


def log_out(tab: Any) -> None:
    tab.click("nav.main form[action*='logout'] button[type=submit]")
    tab.wait_for_load_state()


def submit(tab: Any, form: str = "main form[method=post]") -> None:
    with tab.expect_navigation():
        tab.locator(f"{form} button[type=submit]").last.click()


def fill_person(tab: Any, *, given: str, family: str, phone: str, year: str) -> None:
    tab.check("#id_consent_record")
    tab.check("#id_consent_contact")
    tab.check("#id_consent_share")
    tab.fill("#id_given_name", given)
    tab.fill("#id_family_name", family)
    tab.fill("#id_phone", phone)
    tab.check("#id_phone_has_whatsapp")
    tab.check("input[name=sex][value=female]")
    tab.fill("#id_year_of_birth", year)
    tab.select_option("#id_nationality", "VE")
    tab.select_option("#id_area", SAN_MIGUELITO)
    tab.check("input[name=community][value=migrant]")


def people_named(given: str) -> list[Person]:
    # Personal fields are encrypted at rest: find a person by what their name decrypts to.
    return [person for person in Person.objects.all() if person.given_name == given]


def labels(language: str, *choices: Any) -> list[str]:
    with translation.override(language):
        return [str(choice.label) for choice in choices]


def fits(tab: Any, width: int) -> bool:
    return bool(tab.evaluate(f"document.documentElement.scrollWidth <= {width}"))


def assert_accessible(tab: Any) -> None:
    # Axe bundles axe.min.js and injects it with page.evaluate: nothing is downloaded.
    results = Axe().run(
        tab,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    assert results.violations_count == 0, f"{tab.url}\n{results.generate_report()}"


# ---------------------------------------------------------------------------------------------
# 1. The journey


def test_register_refer_receive_close_and_follow_up(
    live_server: Any, phone: Any, world: World, language: str
) -> None:
    base = live_server.url
    prefix = "" if language == "es" else "/en"
    field_work = f"{base}{prefix}/staff/field"
    console = Console()
    console.listen(phone)

    # The promoter logs in (setting up the authenticator on the first visit).
    log_in(phone, base, world.promoter, prefix)
    phone.goto(f"{field_work}/")
    assert phone.locator("html").get_attribute("lang") == language
    phone.locator("main a[href$='/people/new/']").first.click()
    phone.wait_for_load_state()
    assert fits(phone, REGISTER_WIDTH)

    # Consent first, then the minimum about the person.
    fill_person(phone, given="Yuleisy", family="Zambrano", phone="+507 6111-2233", year="1995")
    submit(phone)
    [first] = people_named("Yuleisy")
    assert phone.url.endswith(f"/people/{first.pk}/")
    assert first.code in phone.inner_text("main h1")
    assert {(e.scope, e.granted) for e in first.consent_events.all()} == {
        (ConsentScope.RECORD, True),
        (ConsentScope.CONTACT, True),
        (ConsentScope.SHARE, True),
    }

    # A look-alike (same name sound, same year): the possible duplicate is shown first.
    phone.goto(f"{field_work}/people/new/")
    fill_person(phone, given="Yuleisi", family="Zambrano", phone="+507 6999-0001", year="1995")
    submit(phone)
    candidates = phone.locator("section.candidates")
    assert candidates.is_visible()
    assert first.code in candidates.inner_text()
    assert people_named("Yuleisi") == []
    # What was typed is kept; she is someone else: confirm a new person.
    assert phone.input_value("#id_given_name") == "Yuleisi"
    assert phone.is_checked("#id_consent_share")
    phone.check("#id_confirm_new")
    submit(phone)
    [person] = people_named("Yuleisi")
    assert person.pk != first.pk
    assert phone.url.endswith(f"/people/{person.pk}/")

    # An orientation about vaccination, by WhatsApp, at a metro station.
    phone.locator(f"main a[href$='/orientations/new/{person.pk}/']").click()
    vaccination = Topic.objects.get(use=TopicUse.ORIENTATION, slug="vaccination")
    phone.check(f"input[name=topics][value='{vaccination.pk}']")
    phone.select_option("#id_channel", "whatsapp")
    phone.select_option("#id_place_type", "metro")
    phone.select_option("#id_outcome", "referred")
    submit(phone)
    orientation = Orientation.objects.get(person=person)
    assert orientation.channel == "whatsapp"
    assert [topic.slug for topic in orientation.topics.all()] == ["vaccination"]

    # The referral: find the health centre's service for the reason in the directory, send.
    phone.goto(f"{field_work}/people/{person.pk}/")
    phone.locator(f"main a[href$='/referrals/new/{person.pk}/']").click()
    phone.select_option("#id_reason_search", "vaccination")
    phone.fill("#id_q", "Torrijos")
    submit(phone, "form.referral-search")
    option = phone.locator(f"input[name=option][value='{world.place.pk}']")
    assert "Vacunación Torrijos Carter" in phone.inner_text("form.referral-send")
    option.check()
    phone.select_option("#id_urgency", "soon")
    phone.fill("#id_note", "Segunda dosis de sarampión.")
    submit(phone, "form.referral-send")
    referral = Referral.objects.get(person=person)
    assert phone.url.endswith(f"/referrals/{referral.pk}/")
    assert (referral.status, referral.receiving_organisation_id) == (
        ReferralStatus.SENT,
        world.health.pk,
    )
    log_out(phone)

    # The centre's focal point: the inbox, received, accepted, attended, closed.
    log_in(phone, base, world.focal, prefix)
    phone.goto(f"{field_work}/referrals/inbox/")
    card = phone.locator("li.referral-card", has_text=person.code)
    assert card.count() == 1
    with phone.expect_navigation():
        card.locator("form[action$='/receive/'] button[type=submit]").click()
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED
    phone.locator(f"main a[href$='/referrals/inbox/{referral.pk}/']").first.click()
    phone.wait_for_load_state()
    assert "Yuleisi" in phone.inner_text("main")  # she agreed to share: the centre sees her name
    submit(phone, "main form[action$='/accept/']")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED
    submit(phone, "main form[action$='/attend/']")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ATTENDED
    phone.select_option("#id_outcome", ReferralOutcome.VACCINATED.value)
    phone.fill("#id_outcome_note", "Vacunada, vuelve en un mes.")
    submit(phone, "#step-close")
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (
        ReferralStatus.CLOSED,
        ReferralOutcome.VACCINATED,
    )
    assert list(referral.events.values_list("to_status", flat=True).order_by("at", "pk")) == [
        ReferralStatus.SENT,
        ReferralStatus.RECEIVED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.ATTENDED,
        ReferralStatus.CLOSED,
    ]
    log_out(phone)

    # The promoter again: the feedback on the person's page and in the sent list.
    log_in(phone, base, world.promoter, prefix)
    closed, vaccinated = labels(language, ReferralStatus.CLOSED, ReferralOutcome.VACCINATED)
    phone.goto(f"{field_work}/people/{person.pk}/")
    feedback = phone.inner_text("section.referrals-for-person")
    assert closed in feedback and vaccinated in feedback
    assert "Vacunada, vuelve en un mes." in feedback
    phone.goto(f"{field_work}/referrals/?scope=mine")
    sent = phone.locator("li.referral-card", has_text=person.code).inner_text()
    assert closed in sent and vaccinated in sent

    # The rule's follow-up is due today in "my tasks"; done with a note.
    task = FollowUp.objects.get(person=person, rule=world.rule)
    assert (task.assigned_to_id, task.due_on) == (world.promoter.pk, timezone.localdate())
    phone.goto(f"{field_work}/tasks/")
    title = "Contarle el resultado" if language == "es" else "Tell them the result"
    row = phone.locator("li.task-card", has_text=title)
    assert person.code in row.inner_text()
    row.locator("a").first.click()
    phone.wait_for_load_state()
    phone.fill("#id_note", "Le conté que quedó vacunada.")
    submit(phone, "section.task-action form")
    task.refresh_from_db()
    assert (task.status, task.note) == (FollowUpStatus.DONE, "Le conté que quedó vacunada.")
    assert phone.url.endswith("/staff/field/tasks/")
    assert console.errors == []


# ---------------------------------------------------------------------------------------------
# 2. Refusals


def test_a_volunteer_and_another_centre_are_refused(
    live_server: Any, page: Any, world: World
) -> None:
    base = live_server.url
    person = PersonFactory.create(organisation=world.community, registered_by=world.promoter)
    referral = ReferralFactory.create(person=person, at=world.place)
    console = Console()
    console.listen(page)

    # A volunteer sees only the people they registered: their own opens, someone else's is
    # not found.
    own = PersonFactory.create(organisation=world.community, registered_by=world.volunteer)
    _signed_in(page, base, world.volunteer)
    response = page.goto(f"{base}/en/staff/field/people/{own.pk}/")
    assert response is not None and response.status == 200
    assert own.code in page.inner_text("main h1")
    audited_before = _audit_count()
    response = page.goto(f"{base}/en/staff/field/people/{person.pk}/")
    assert response is not None and response.status == 404
    assert person.code not in page.content()
    assert person.given_name not in page.content()
    page.goto(f"{base}/en/staff/field/people/?q={person.code}")
    assert person.code not in page.inner_text("main")

    # A focal point of another organisation: not in their inbox, not found by its address.
    page.context.clear_cookies()
    _signed_in(page, base, world.other_focal)
    page.goto(f"{base}/en/staff/field/referrals/inbox/?show=all")
    assert person.code not in page.inner_text("main")
    response = page.goto(f"{base}/en/staff/field/referrals/inbox/{referral.pk}/")
    assert response is not None and response.status == 404
    assert person.code not in page.content()
    # Nor can they take a step on it: refused, nothing changed.
    status = page.request.post(
        f"{base}/en/staff/field/referrals/inbox/{referral.pk}/receive/",
        headers={"Referer": f"{base}/en/staff/field/referrals/inbox/"},
        form={"csrfmiddlewaretoken": _csrf(page)},
    ).status
    assert status == 404
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT
    assert _audit_count() == audited_before  # no read of the person was let through
    assert console.errors == []


def _audit_count() -> int:
    return AuditEntry.objects.filter(action="casework.person_read").count()


def _csrf(tab: Any) -> str:
    for cookie in tab.context.cookies():
        if cookie["name"] == settings.CSRF_COOKIE_NAME:
            return str(cookie["value"])
    tab.goto(tab.url)  # a page with a form sets the cookie
    return next(
        str(c["value"]) for c in tab.context.cookies() if c["name"] == settings.CSRF_COOKIE_NAME
    )


def _signed_in(tab: Any, base: str, user: User) -> None:
    """Sign the tab in with the second factor proven, as the real steps leave it (the journey
    above goes through the real login; here the pages are what is tested)."""
    client = login_verified(Client(), user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    tab.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base}]
    )


# ---------------------------------------------------------------------------------------------
# 3 and 4. The main pages: axe-clean, no horizontal scroll at 320 px, no console error


@pytest.fixture
def small_phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 640}, locale="es-PA")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def test_main_pages_are_accessible_and_fit_a_small_phone(
    live_server: Any, small_phone: Any, world: World
) -> None:
    base = live_server.url
    field_work = f"{base}/staff/field"
    person = PersonFactory.create(
        organisation=world.community,
        registered_by=world.promoter,
        given_name="Dayana Alejandra",
        family_name="Rodríguez Villavicencio",
        area_id=SAN_MIGUELITO,
        notes="Embarazada de siete meses; prefiere que la llamen por la tarde.",
    )
    referral = ReferralFactory.create(
        person=person, at=world.place, note="Necesita la segunda dosis de sarampión."
    )
    FollowUpFactory.create(person=person, referral=referral, title="Comprobar si asistió")
    FollowUpFactory.create(person=person, due_on=timezone.localdate() - datetime.timedelta(days=3))
    training = TrainingEvent.objects.create(
        organisation=world.community,
        title="Vacunación y cadena de frío",
        mode=TrainingMode.IN_PERSON,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    training.topics.set(Topic.objects.filter(use=TopicUse.TRAINING).order_by("position")[:3])
    TrainingParticipant.objects.create(
        event=training,
        user=world.promoter,
        role=ParticipantRole.PROMOTER,
        status=ParticipationStatus.COMPLETED,
        completed_on=timezone.localdate(),
    )
    # Someone trained on another topic: the promoter's row shows a "not trained" cell.
    other = TrainingEvent.objects.create(
        organisation=world.community,
        title="Primeros auxilios psicológicos",
        mode=TrainingMode.VIRTUAL,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    other.topics.set(Topic.objects.filter(use=TopicUse.TRAINING).order_by("-position")[:1])
    TrainingParticipant.objects.create(
        event=other,
        user=world.volunteer,
        role=ParticipantRole.VOLUNTEER,
        status=ParticipationStatus.COMPLETED,
        completed_on=timezone.localdate(),
    )
    console = Console()
    console.listen(small_phone)

    def check(path: str, *, expect_status: int = 200) -> None:
        response = small_phone.goto(f"{field_work}{path}")
        assert response is not None and response.status == expect_status, path
        assert small_phone.locator("main h1").count() == 1, path
        assert fits(small_phone, PHONE_WIDTH), (
            path,
            small_phone.evaluate("document.documentElement.scrollWidth"),
        )
        assert_accessible(small_phone)

    _signed_in(small_phone, base, world.promoter)
    check("/")
    check("/people/new/")
    submit(small_phone)  # nothing answered: the form shows its errors
    assert small_phone.locator(".errorlist").count() >= 1
    assert fits(small_phone, PHONE_WIDTH)
    assert_accessible(small_phone)
    check(f"/people/{person.pk}/")
    check(f"/referrals/new/{person.pk}/?reason=vaccination")
    check(f"/referrals/{referral.pk}/")
    check("/referrals/")
    check("/tasks/")
    check("/tasks/?show=overdue")
    check("/outreach/new/")

    small_phone.context.clear_cookies()
    _signed_in(small_phone, base, world.focal)
    check("/referrals/inbox/")
    check(f"/referrals/inbox/{referral.pk}/")

    small_phone.context.clear_cookies()
    _signed_in(small_phone, base, world.supervisor)
    check("/trainings/who-is-trained/")
    assert console.errors == []


def test_the_other_field_work_pages_are_accessible_and_fit_a_small_phone(
    live_server: Any, small_phone: Any, world: World
) -> None:
    """The pages around the journey: lists, the person's sub-pages, a task, the recorded
    outreach grid and vaccination session, trainings, team tasks and the configurable lists."""
    base = live_server.url
    field_work = f"{base}/staff/field"
    person = PersonFactory.create(
        organisation=world.community,
        registered_by=world.promoter,
        given_name="Dayana Alejandra",
        area_id=SAN_MIGUELITO,
    )
    task = FollowUpFactory.create(person=person, title="Llamar para saber cómo está")
    san_miguelito = AdminArea.objects.get(pk=SAN_MIGUELITO)
    activity = outreach_record(
        actor=world.promoter,
        organisation=world.community,
        data=OutreachInput(
            date=timezone.localdate(),
            place_type="metro",
            area=san_miguelito,
            place_name="Estación Los Andes",
            tallies={("female", "18-29", "migrant"): 12, ("male", "30-59", "host"): 7},
            materials={"leaflet": 40},
        ),
    )
    session = vaccination_session_record(
        actor=world.promoter,
        organisation=world.community,
        data=SessionInput(
            date=timezone.localdate(),
            area=san_miguelito,
            place_name="Escuela República de Chile",
            doses={("mmr", "0-4"): 9, ("influenza", "60+"): 14},
            people_referred=2,
        ),
    )
    console = Console()
    console.listen(small_phone)

    def check(path: str) -> None:
        response = small_phone.goto(f"{field_work}{path}")
        assert response is not None and response.status == 200, path
        assert small_phone.locator("main h1").count() == 1, path
        assert fits(small_phone, PHONE_WIDTH), (
            path,
            small_phone.evaluate("document.documentElement.scrollWidth"),
        )
        assert_accessible(small_phone)

    _signed_in(small_phone, base, world.promoter)
    for path in (
        "/people/",
        f"/people/{person.pk}/edit/",
        f"/people/{person.pk}/consent/",
        f"/orientations/new/{person.pk}/",
        f"/tasks/new/{person.pk}/",
        f"/tasks/{task.pk}/",
        "/outreach/",
        f"/outreach/{activity.pk}/",
        "/vaccination/",
        "/vaccination/new/",
        f"/vaccination/{session.pk}/",
    ):
        check(path)

    small_phone.context.clear_cookies()
    _signed_in(small_phone, base, world.supervisor)
    for path in ("/tasks/team/", "/trainings/", "/trainings/new/", "/lists/"):
        check(path)
    assert console.errors == []
