"""The field-work demo: the Panama health project and smaller activity at the information
points of the other countries, written through the casework actions only.

In tenant "pa", 8 health promoters and 14 volunteer community leaders in two teams (San
Miguelito, La Chorrera) led by supervisora.pa register about 1,200 people with consent, orient
them, refer exactly 351 to the five health centres of "pa-health" (15 suspected COVID-19 cases,
all closed "tested negative") and follow them up; outreach tallies make the rest of the 7,000+
people reached. Each centre's focal point plays the referrals' lifecycle. Every action runs
inside ``clock.at(moment)`` so that the months of work carry their past times.

Everything is synthetic: family names are made-up words starting with "Ejemplo" (so no real
person is named) and phone numbers are +NNN 0000-NNNN, which no real line uses.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from senda.accounts.actions import member_add
from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions.activities import (
    MaterialKind,
    OutreachInput,
    SessionInput,
    outreach_record,
    vaccination_session_record,
)
from senda.casework.actions.orientations import orientation_record
from senda.casework.actions.people import person_register
from senda.casework.actions.referrals import (
    referral_accept,
    referral_cancel,
    referral_close,
    referral_create,
    referral_decline,
    referral_mark_attended,
    referral_mark_received,
    referrals_expire,
)
from senda.casework.actions.tasks import followup_cancel, followup_complete, followup_create
from senda.casework.actions.teams import centre_assign, team_create
from senda.casework.actions.trainings import (
    ParticipantInput,
    TrainingInput,
    training_create,
    training_participant_add,
    training_participant_set_status,
)
from senda.casework.models import (
    AgeGroup,
    CentreAssignment,
    Community,
    ContactChannel,
    FollowUp,
    FollowUpStatus,
    Orientation,
    OrientationOutcome,
    OutreachActivity,
    OutreachTally,
    ParticipationStatus,
    Person,
    PlaceType,
    Referral,
    ReferralOutcome,
    ReferralReason,
    ReferralStatus,
    Sex,
    Team,
    Topic,
    TopicUse,
    TrainingEvent,
    TrainingMode,
    VaccinationSession,
    Vaccine,
    age_group_for,
)
from senda.core import clock
from senda.core.demo import directory_data as data
from senda.core.demo.accounts import EMAIL_DOMAIN, demo_slugs
from senda.core.demo.world import DemoWorld
from senda.directory.models import PublicationStatus, ServiceAtLocation
from senda.geo.models import AdminArea, Country

# Deterministic "random": the same demo on every machine.
SEED = 20250407
# The project's months of field work, counted back from today.
DAYS_OF_WORK = 240
# Client ids of the demo's rows (the offline-sync field, used here to find them again).
UUID_NAMESPACE = uuid.UUID("6f0f9a52-6a2b-4f55-9a3e-2f1d5c0de404")

REGISTERED_PA = 440  # 351 of them are referred; the rest of the 7,000 are tallied
REFERRALS_PA = 351
SUSPECTED_COVID = 15
REACHED_TARGET = 7_000
OUTREACH_ACTIVITIES = 65
VACCINATION_SESSIONS = 10

SAN_MIGUELITO = "PA0805"
LA_CHORRERA = "PA1304"

SUPERVISOR = "supervisora.pa"
ORG_ADMIN_PA = "admin.pa"
# The health district's admin sets up the centres; a system member, nobody logs in as them.
HEALTH_ADMIN = "admin.salud.pa"


@dataclass(frozen=True)
class Worker:
    username: str
    first_name: str
    area: str  # the team's area: San Miguelito or La Chorrera


# The first of each list is a demo login (accounts.USERS); the others cannot log in.
PROMOTERS: tuple[Worker, ...] = (
    Worker("promotor.pa", "Pedro", SAN_MIGUELITO),
    Worker("promotora2.pa", "Paula", SAN_MIGUELITO),
    Worker("promotor3.pa", "Pascual", SAN_MIGUELITO),
    Worker("promotora4.pa", "Patricia", SAN_MIGUELITO),
    Worker("promotor5.pa", "Pablo", LA_CHORRERA),
    Worker("promotora6.pa", "Priscila", LA_CHORRERA),
    Worker("promotor7.pa", "Próspero", LA_CHORRERA),
    Worker("promotora8.pa", "Perla", LA_CHORRERA),
)
VOLUNTEERS: tuple[Worker, ...] = (
    Worker("voluntaria.pa", "Valeria", SAN_MIGUELITO),
    Worker("voluntario2.pa", "Víctor", SAN_MIGUELITO),
    Worker("voluntaria3.pa", "Vanesa", SAN_MIGUELITO),
    Worker("voluntario4.pa", "Vicente", SAN_MIGUELITO),
    Worker("voluntaria5.pa", "Verónica", SAN_MIGUELITO),
    Worker("voluntario6.pa", "Valentín", SAN_MIGUELITO),
    Worker("voluntaria7.pa", "Viviana", SAN_MIGUELITO),
    Worker("voluntario8.pa", "Vladimir", LA_CHORRERA),
    Worker("voluntaria9.pa", "Violeta", LA_CHORRERA),
    Worker("voluntario10.pa", "Walter", LA_CHORRERA),
    Worker("voluntaria11.pa", "Ximena", LA_CHORRERA),
    Worker("voluntario12.pa", "Yeison", LA_CHORRERA),
    Worker("voluntaria13.pa", "Yolanda", LA_CHORRERA),
    Worker("voluntario14.pa", "Zacarías", LA_CHORRERA),
)
# One focal point per health centre, in the order of directory_data.HEALTH_CENTRES.
FOCAL_POINTS: tuple[tuple[str, str], ...] = (
    ("focal.pa", "Fabiola"),
    ("focal2.pa", "Fernando"),
    ("focal3.pa", "Flor"),
    ("focal4.pa", "Fausto"),
    ("focal5.pa", "Fátima"),
)
TEAMS = {SAN_MIGUELITO: "San Miguelito", LA_CHORRERA: "La Chorrera"}
INFO_POINT_STAFF = {
    "gt": "punto.gt",
    "mx": "punto.mx",
    "hn": "punto.hn",
    "sv": "punto.sv",
    "ni": "punto.ni",
    "cr": "punto.cr",
}

# Common given names; the family names are made-up single words, so nobody real is named (and
# two people share a name sound only when the demo means them to look alike).
GIVEN_FEMALE = (
    "María", "Ana", "Carmen", "Rosa", "Luisa", "Daniela", "Gabriela", "Andrea", "Yésica",
    "Mariela", "Carolina", "Fernanda", "Isabel", "Lucía", "Marisol", "Natalia", "Paola",
    "Rocío", "Sandra", "Teresa", "Adriana", "Beatriz", "Claudia", "Elena",
)  # fmt: skip
GIVEN_MALE = (
    "José", "Luis", "Carlos", "Juan", "Miguel", "Jesús", "Alejandro", "Andrés", "Daniel",
    "Eduardo", "Francisco", "Gustavo", "Héctor", "Jorge", "Manuel", "Óscar", "Rafael",
    "Ricardo", "Santiago", "Tomás", "Wilmer", "Yorman", "Kevin", "Ramón",
)  # fmt: skip
FAMILY_NAMES = tuple(
    f"Ejemplo{name}"
    for name in (
        "Rivas", "Pérez", "Gómez", "Mendoza", "Castillo", "Navarro", "Quintero", "Delgado",
        "Fuentes", "Salazar", "Montoya", "Urdaneta", "Barrios", "Cárdenas", "Duarte", "Escobar",
        "Figueroa", "Guerrero", "Herrera", "Ibarra", "Lozano", "Marín", "Núñez", "Ortega",
        "Padilla", "Romero", "Toledo", "Valdés", "Zambrano", "Acosta", "Bermúdez", "Carrasco",
        "Durán", "Espinoza", "Galindo", "Hidalgo", "Jaramillo", "Lugo", "Morales", "Palacios",
        "Serrano", "Trujillo",
    )
)  # fmt: skip

# First phone numbers of the demo's people (last 8 digits "0000NNNN": no real line; the
# directory's demo lines use 0000-0NNN, people start above them).
FIRST_PHONE = 5000
# How many look-alike registrations (same name and close age, some the same phone).
LOOK_ALIKES = 6


# ---------------------------------------------------------------------------------------------
# Helpers


def _client_uuid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(UUID_NAMESPACE, "/".join(str(part) for part in parts))


@dataclass
class Timeline:
    """Moments in the past, from days ago and an hour, never after ``end`` (now)."""

    end: datetime.datetime

    @classmethod
    def for_world(cls, world: DemoWorld) -> Timeline:
        now = timezone.localtime()
        return cls(end=now + datetime.timedelta(days=(world.today - now.date()).days))

    @property
    def today(self) -> datetime.date:
        return self.end.date()

    def at(self, days_ago: float, hour: int = 10, minute: int = 0) -> datetime.datetime:
        day = self.today - datetime.timedelta(days=int(days_ago))
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
        return min(moment, self.end - datetime.timedelta(minutes=1))

    def days_ago(self, moment: datetime.datetime) -> int:
        return (self.today - timezone.localtime(moment).date()).days


@dataclass
class Phones:
    """Fictional numbers, one new number each time."""

    next_number: int = FIRST_PHONE

    def new(self, calling_code: str) -> str:
        number = self.next_number
        self.next_number += 1
        return f"{calling_code} 0000-{number:04d}"


@dataclass
class Registered:
    person: Person
    worker: User
    area: str
    days_ago: int
    referral_reason: str = ""
    tasks: list[FollowUp] = field(default_factory=list)


def _topics(use: str) -> dict[str, Topic]:
    return {topic.slug: topic for topic in Topic.objects.filter(use=use, is_active=True)}


# ---------------------------------------------------------------------------------------------
# Staff, teams and centres


def _add_members(
    world: DemoWorld,
    organisation: Organisation,
    specs: list[tuple[str, str, str, str]],
) -> bool:
    """Add (username, role, first name, last name) members that are missing, without login."""
    existing = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in specs])}
    added = False
    for username, role, first_name, last_name in specs:
        if username not in existing:
            membership, _password = member_add(
                actor=None,
                organisation=organisation,
                username=username,
                role=role,
                first_name=first_name,
                last_name=last_name,
                email=f"{username}@{EMAIL_DOMAIN}",
                can_log_in=False,
            )
            existing[username] = membership.user
            added = True
        world.users[username] = existing[username]
    return added


def field_worker_usernames() -> list[str]:
    """The field-work demo's own users (the demo logins among them belong to accounts)."""
    return [
        *(worker.username for worker in (*PROMOTERS[1:], *VOLUNTEERS[1:])),
        *(username for username, _name in FOCAL_POINTS[1:]),
        HEALTH_ADMIN,
    ]


def _load_staff(world: DemoWorld) -> bool:
    pa, health = world.organisation("pa"), world.organisation("pa-health")
    added = _add_members(
        world,
        pa,
        [
            *(
                (w.username, Role.HEALTH_PROMOTER, w.first_name, "Promotor (demo)")
                for w in PROMOTERS[1:]
            ),
            *(
                (w.username, Role.COMMUNITY_VOLUNTEER, w.first_name, "Voluntario (demo)")
                for w in VOLUNTEERS[1:]
            ),
        ],
    )
    added |= _add_members(
        world,
        health,
        [
            *((u, Role.FOCAL_POINT, name, "Enlace (demo)") for u, name in FOCAL_POINTS[1:]),
            (HEALTH_ADMIN, Role.ORG_ADMIN, "Hilda", "Administradora (demo)"),
        ],
    )
    admin = world.user(ORG_ADMIN_PA)
    existing_teams = set(Team.objects.filter(organisation=pa).values_list("name", flat=True))
    for area, name in TEAMS.items():
        if name in existing_teams:
            continue
        members = [world.user(w.username) for w in (*PROMOTERS, *VOLUNTEERS) if w.area == area]
        team_create(
            actor=admin,
            organisation=pa,
            name=name,
            supervisor=world.user(SUPERVISOR),
            members=members,
        )
        added = True
    centres = _centres()
    assigned = set(
        CentreAssignment.objects.filter(organisation=health).values_list(
            "user__username", "location__external_identifier"
        )
    )
    for (username, _name), centre in zip(FOCAL_POINTS, data.HEALTH_CENTRES, strict=True):
        if (username, centre.key) in assigned or centre.key not in centres:
            continue
        centre_assign(
            actor=world.user(HEALTH_ADMIN),
            organisation=health,
            user=world.user(username),
            location=centres[centre.key][ReferralReason.VACCINATION].location,
        )
        added = True
    return added


# ---------------------------------------------------------------------------------------------
# Where referrals go

CATEGORY_FOR_REASON = {
    ReferralReason.VACCINATION: "health.vaccination",
    ReferralReason.MEDICAL_CARE: "health.primary",
    ReferralReason.PRENATAL_CARE: "health.prenatal",
    ReferralReason.SUSPECTED_COVID: "health.covid19",
}


def _centres() -> dict[str, dict[str, ServiceAtLocation]]:
    """centre key -> referral reason -> the published service there for it."""
    keys = [centre.key for centre in data.HEALTH_CENTRES]
    offers = ServiceAtLocation.objects.select_related("service", "location").filter(
        location__external_identifier__in=keys,
        service__publication_status=PublicationStatus.PUBLISHED,
    )
    codes = set(offers.values_list("service_id", "service__categories__code"))
    centres: dict[str, dict[str, ServiceAtLocation]] = {}
    for offer in offers:
        for reason, code in CATEGORY_FOR_REASON.items():
            if (offer.service_id, code) in codes:
                centres.setdefault(offer.location.external_identifier, {})[reason] = offer
    return centres


# ---------------------------------------------------------------------------------------------
# People


def _age_and_year(rng: random.Random, today: datetime.date) -> tuple[int | None, str]:
    age = int(rng.triangular(16, 70, 28))
    if rng.random() < 0.12:
        return None, age_group_for(age)  # only the age group was given
    return today.year - age, ""


def _nationality(rng: random.Random, community: str, home: str) -> str:
    if community == Community.HOST:
        return home
    choices = {"PA": ("VE", "CO", "NI", "EC"), "MX": ("HN", "GT", "SV", "VE")}.get(
        home, ("VE", "NI", "HN", "CO")
    )
    return rng.choices(choices, weights=(60, 28, 7, 5))[0]


def _register(
    *,
    worker: User,
    organisation: Organisation,
    moment: datetime.datetime,
    client_uuid: uuid.UUID,
    **fields: Any,
) -> Person:
    # confirm_new: the demo's name pairs are unique by construction, so whoever the broad
    # duplicate check would show (a shared given name, a close age) is not this person; the
    # look-alikes are registered the same way, as a worker does after looking.
    with clock.at(moment):
        return person_register(
            actor=worker,
            organisation=organisation,
            consent_record=True,
            confirm_new=True,
            client_uuid=client_uuid,
            **fields,
        )


def _names(rng: random.Random, count: int) -> Iterator[tuple[str, str, str]]:
    """(sex, given name, family name), each name pair used once."""
    pairs = [
        (sex, given, family)
        for sex, names in ((Sex.FEMALE, GIVEN_FEMALE), (Sex.MALE, GIVEN_MALE))
        for given in names
        for family in FAMILY_NAMES
    ]
    females = [pair for pair in pairs if pair[0] == Sex.FEMALE]
    males = [pair for pair in pairs if pair[0] == Sex.MALE]
    rng.shuffle(females)
    rng.shuffle(males)
    for _number in range(count):
        pool = females if rng.random() < 0.62 and females else males
        yield pool.pop()


def _register_pa(
    world: DemoWorld, timeline: Timeline, rng: random.Random, phones: Phones
) -> list[Registered]:
    pa = world.organisation("pa")
    areas = AdminArea.objects.in_bulk([SAN_MIGUELITO, LA_CHORRERA])
    countries = Country.objects.in_bulk()
    workers = [*PROMOTERS, *VOLUNTEERS]
    # Promoters register most people; volunteers fewer each.
    weights = [5.0] * len(PROMOTERS) + [1.5] * len(VOLUNTEERS)
    moments = sorted((rng.uniform(1, DAYS_OF_WORK) for _ in range(REGISTERED_PA)), reverse=True)
    registered: list[Registered] = []
    for number, ((sex, given, family), days_ago) in enumerate(
        zip(_names(rng, REGISTERED_PA), moments, strict=True), start=1
    ):
        spec = rng.choices(workers, weights=weights)[0]
        worker = world.user(spec.username)
        community = Community.MIGRANT if rng.random() < 0.75 else Community.HOST
        year, group = _age_and_year(rng, timeline.today)
        phone = phones.new("+507") if rng.random() < 0.85 else ""
        moment = timeline.at(days_ago, hour=rng.randint(8, 17), minute=rng.randint(0, 59))
        person = _register(
            worker=worker,
            organisation=pa,
            moment=moment,
            client_uuid=_client_uuid("person", "pa", number),
            given_name=given,
            family_name=family,
            sex=sex,
            community=community,
            phone=phone,
            phone_has_whatsapp=bool(phone) and rng.random() < 0.7,
            year_of_birth=year,
            age_group=group,
            nationality=countries.get(_nationality(rng, community, "PA")),
            area=areas[spec.area],
            consent_contact=rng.random() < 0.8,
            consent_share=rng.random() < 0.9,
        )
        registered.append(Registered(person, worker, spec.area, timeline.days_ago(moment)))
    # Look-alikes: the same person registered twice (by another worker, or with the name
    # spelt another way), for the supervisor's list of possible duplicates.
    for number in range(1, LOOK_ALIKES + 1):
        original = registered[number * (len(registered) // (LOOK_ALIKES + 1))]
        spec = next(w for w in workers if w.area == original.area and w.username != "x")
        days_ago = max(1, original.days_ago - rng.randint(3, 20))
        same = original.person
        person = _register(
            worker=world.user(spec.username),
            organisation=pa,
            moment=timeline.at(days_ago, hour=11),
            client_uuid=_client_uuid("person", "pa", "look-alike", number),
            given_name=same.given_name,
            family_name=same.family_name,
            sex=same.sex,
            community=same.community,
            phone=same.phone if number % 2 else "",
            year_of_birth=(same.year_of_birth + 1) if same.year_of_birth else None,
            age_group=same.age_group if same.year_of_birth is None else "",
            nationality=same.nationality,
            area=areas[original.area],
            consent_contact=True,
            consent_share=True,
        )
        registered.append(Registered(person, world.user(spec.username), original.area, days_ago))
    return registered


# ---------------------------------------------------------------------------------------------
# Orientations


ORIENTATION_TOPICS_PA = (
    ("health-services", 30),
    ("vaccination", 25),
    ("regular-migration", 14),
    ("documents", 10),
    ("prenatal-care", 6),
    ("mental-health", 6),
    ("trafficking-exploitation", 3),
    ("xenophobia", 3),
    ("local-opportunities", 3),
)
PLACES_PA = (
    (PlaceType.METRO, 30),
    (PlaceType.SUPERMARKET, 25),
    (PlaceType.COMMUNITY, 30),
    (PlaceType.HEALTH_CENTRE, 15),
)


def _orient(
    item: Registered,
    *,
    rng: random.Random,
    topics: dict[str, Topic],
    topic_weights: tuple[tuple[str, int], ...],
    places: tuple[tuple[PlaceType, int], ...],
    moment: datetime.datetime,
    number: int,
    outcome: str,
) -> Orientation:
    slugs = [slug for slug, _weight in topic_weights if slug in topics]
    weights = [weight for slug, weight in topic_weights if slug in topics]
    chosen = {rng.choices(slugs, weights=weights)[0] for _ in range(rng.randint(1, 3))}
    in_person = rng.random() < 0.8
    channel = ContactChannel.IN_PERSON
    place_type = PlaceType.ONLINE
    if in_person:
        place_type = rng.choices([p for p, _w in places], weights=[w for _p, w in places])[0]
    else:
        channel = rng.choice([ContactChannel.WHATSAPP, ContactChannel.PHONE])
    with clock.at(moment):
        return orientation_record(
            actor=item.worker,
            person=item.person,
            occurred_at=moment,
            topics=[topics[slug] for slug in sorted(chosen)],
            channel=channel,
            place_type=place_type,
            area=item.person.area,
            outcome=outcome,
            client_uuid=_client_uuid("orientation", item.person.pk, number),
        )


def _load_orientations(
    registered: list[Registered],
    timeline: Timeline,
    rng: random.Random,
    *,
    topic_weights: tuple[tuple[str, int], ...],
    places: tuple[tuple[PlaceType, int], ...],
    share: float = 0.9,
) -> int:
    """A first orientation for most people (right after registering), a second for some."""
    topics = _topics(TopicUse.ORIENTATION)
    count = 0
    for item in registered:
        if rng.random() > share:
            continue  # registered at a stand, no orientation yet
        first = item.person.registered_at + datetime.timedelta(minutes=rng.randint(5, 40))
        outcome = OrientationOutcome.REFERRED
        if not item.referral_reason:
            outcome = rng.choice([OrientationOutcome.INFORMED, OrientationOutcome.FOLLOW_UP])
        _orient(
            item,
            rng=rng,
            topics=topics,
            topic_weights=topic_weights,
            places=places,
            moment=min(first, timeline.end),
            number=1,
            outcome=outcome,
        )
        count += 1
        if item.days_ago > 20 and rng.random() < 0.15:
            later = timeline.at(item.days_ago - rng.randint(5, 20), hour=rng.randint(9, 16))
            outcome = OrientationOutcome.INFORMED
            _orient(
                item,
                rng=rng,
                topics=topics,
                topic_weights=topic_weights,
                places=places,
                moment=later,
                number=2,
                outcome=outcome,
            )
            count += 1
    return count


# ---------------------------------------------------------------------------------------------
# Referrals and their lifecycle

# The states the demo leaves some referrals in (so every inbox filter shows something); the
# rest are closed with an outcome.
OPEN_STATES = {
    ReferralStatus.SENT: 7,  # 4 of them overdue (not received in time)
    ReferralStatus.RECEIVED: 5,
    ReferralStatus.ACCEPTED: 6,
    ReferralStatus.ATTENDED: 6,
}
FINAL_STATES = {ReferralStatus.DECLINED: 8, ReferralStatus.CANCELLED: 8}
EXPIRING = 6  # left open months ago: ``referrals_expire`` expires them
DECLINE_REASONS = (
    "No hay cupo para esta semana; se le pidió volver el lunes. (ejemplo)",
    "El servicio de este centro no atiende ese caso; debe ir al hospital regional. (ejemplo)",
)
CANCEL_REASONS = (
    "La persona se mudó a otra provincia. (ejemplo)",
    "La persona ya recibió la atención en otro lugar. (ejemplo)",
)
OUTCOME_NOTES: dict[str, str] = {
    ReferralOutcome.VACCINATED: "Recibió la dosis; próxima cita anotada en su tarjeta. (ejemplo)",
    ReferralOutcome.SERVED: "Atendida; seguirá su control en este centro. (ejemplo)",
    ReferralOutcome.TESTED_NEGATIVE: "Prueba negativa; se le explicaron los cuidados. (ejemplo)",
    ReferralOutcome.REFERRED_ON: "Se le refirió al hospital regional. (ejemplo)",
}


@dataclass
class PlannedReferral:
    item: Registered
    reason: str
    centre: str
    sent: datetime.datetime
    state: str = ReferralStatus.CLOSED


def _reasons(rng: random.Random, candidates: list[Registered], today: datetime.date) -> None:
    """Give ``REFERRALS_PA`` people a referral reason: exactly ``SUSPECTED_COVID`` suspected
    COVID-19 cases; prenatal care for women of child-bearing age; medical care; vaccination."""
    chosen = rng.sample(candidates, REFERRALS_PA)
    for number, item in enumerate(chosen):
        person = item.person
        age = today.year - person.year_of_birth if person.year_of_birth else None
        if number < SUSPECTED_COVID:
            item.referral_reason = ReferralReason.SUSPECTED_COVID
        elif person.sex == Sex.FEMALE and age is not None and 16 <= age <= 42 and number % 4 == 0:
            item.referral_reason = ReferralReason.PRENATAL_CARE
        elif number % 4 == 1:
            item.referral_reason = ReferralReason.MEDICAL_CARE
        else:
            item.referral_reason = ReferralReason.VACCINATION


def _plan_referrals(
    rng: random.Random,
    registered: list[Registered],
    timeline: Timeline,
    centres: dict[str, dict[str, ServiceAtLocation]],
) -> list[PlannedReferral]:
    by_area = {
        area: [c.key for c in data.HEALTH_CENTRES if c.area == area and c.key in centres]
        for area in TEAMS
    }
    plans: list[PlannedReferral] = []
    for item in registered:
        if not item.referral_reason:
            continue
        offering = [key for key in by_area[item.area] if item.referral_reason in centres[key]]
        sent = item.person.registered_at + datetime.timedelta(hours=rng.uniform(1, 72))
        plans.append(
            PlannedReferral(
                item, item.referral_reason, rng.choice(offering), min(sent, timeline.end)
            )
        )
    ordinary = [p for p in plans if p.reason != ReferralReason.SUSPECTED_COVID]
    recent = [p for p in ordinary if 2 <= timeline.days_ago(p.sent) <= 45]
    old = [p for p in ordinary if timeline.days_ago(p.sent) >= 80]
    rng.shuffle(recent)
    rng.shuffle(old)
    for state, count in OPEN_STATES.items():
        for _number in range(count):
            recent.pop().state = state
    for plan in old[:EXPIRING]:
        plan.state = ReferralStatus.EXPIRED
    rest = [p for p in ordinary if p.state == ReferralStatus.CLOSED and p not in old[:EXPIRING]]
    rng.shuffle(rest)
    for state, count in FINAL_STATES.items():
        for _number in range(count):
            rest.pop().state = state
    return plans


def _play_referral(
    plan: PlannedReferral,
    *,
    rng: random.Random,
    timeline: Timeline,
    centres: dict[str, dict[str, ServiceAtLocation]],
    focal: dict[str, User],
    number: int,
) -> Referral:
    """Send the referral and move it, step by step at its own moments, to its planned state."""
    moment = plan.sent
    worker = plan.item.worker
    with clock.at(moment):
        referral = referral_create(
            actor=worker,
            person=plan.item.person,
            reason=plan.reason,
            service_at_location=centres[plan.centre][plan.reason],
            urgency="urgent" if plan.reason == ReferralReason.SUSPECTED_COVID else "routine",
            client_uuid=_client_uuid("referral", plan.item.person.organisation_id, number),
        )
    state = plan.state
    if state == ReferralStatus.SENT and number % 2:
        return referral  # some sent ones overdue, not received in time
    receiver = focal[plan.centre]

    def later(hours_low: float, hours_high: float) -> datetime.datetime:
        nonlocal moment
        moment = min(moment + datetime.timedelta(hours=rng.uniform(hours_low, hours_high)),
                     timeline.end - datetime.timedelta(seconds=1))  # fmt: skip
        return moment

    if state == ReferralStatus.CANCELLED:
        with clock.at(later(2, 48)):
            return referral_cancel(
                actor=worker, referral_id=referral.pk, reason=rng.choice(CANCEL_REASONS)
            )
    if state in (ReferralStatus.SENT, ReferralStatus.EXPIRED):
        return referral
    with clock.at(later(3, 40)):
        referral = referral_mark_received(actor=receiver, referral_id=referral.pk)
    if state == ReferralStatus.RECEIVED:
        return referral
    if state == ReferralStatus.DECLINED:
        with clock.at(later(1, 24)):
            return referral_decline(
                actor=receiver, referral_id=referral.pk, reason=rng.choice(DECLINE_REASONS)
            )
    with clock.at(later(1, 20)):
        referral = referral_accept(actor=receiver, referral_id=referral.pk)
    if state == ReferralStatus.ACCEPTED:
        return referral
    with clock.at(later(24, 24 * 9)):
        referral = referral_mark_attended(actor=receiver, referral_id=referral.pk)
    if state == ReferralStatus.ATTENDED:
        return referral
    outcomes: dict[str, str] = {
        ReferralReason.SUSPECTED_COVID: ReferralOutcome.TESTED_NEGATIVE,
        ReferralReason.VACCINATION: ReferralOutcome.VACCINATED,
    }
    outcome = outcomes.get(plan.reason, ReferralOutcome.SERVED)
    if outcome == ReferralOutcome.SERVED and number % 17 == 0:
        outcome = ReferralOutcome.REFERRED_ON
    with clock.at(later(1, 30)):
        return referral_close(
            actor=receiver,
            referral_id=referral.pk,
            outcome=outcome,
            outcome_note=OUTCOME_NOTES.get(outcome, ""),
        )


# ---------------------------------------------------------------------------------------------
# Follow-ups

DONE_NOTES = (
    "Hablamos por WhatsApp; está bien y fue a su cita. (ejemplo)",
    "Llamada hecha: asistió y no necesita nada más por ahora. (ejemplo)",
    "La visité en la comunidad; pidió información de documentos. (ejemplo)",
    "No contestó la primera vez; respondió al día siguiente, todo en orden. (ejemplo)",
)
CANCEL_NOTES = ("Ya no hace falta: la persona volvió a su país. (ejemplo)",)
HAND_TASKS = (
    "Recordarle llevar la tarjeta de vacunación (ejemplo)",
    "Acompañarla a su control prenatal (ejemplo)",
    "Enviarle por WhatsApp la dirección del centro de salud (ejemplo)",
    "Confirmar la cita de segunda dosis (ejemplo)",
)


def _resolve_follow_ups(
    organisation: Organisation, users: dict[int, User], timeline: Timeline, rng: random.Random
) -> None:
    """Most past tasks done with a note, a few cancelled, some left overdue (more of the
    recent ones); tasks due today or later stay open."""
    # Ordered by what the demo fixes (its client ids), not by the random row ids: the same
    # tasks end done, cancelled or overdue on every run.
    tasks = FollowUp.objects.filter(
        organisation=organisation, status=FollowUpStatus.OPEN, due_on__lt=timeline.today
    ).order_by("due_on", "person__client_uuid", "referral__client_uuid", "rule_id", "client_uuid")
    for task in list(tasks):
        worker = users.get(task.assigned_to_id or 0)
        if worker is None:
            continue
        overdue_days = (timeline.today - task.due_on).days
        draw = rng.random()
        leave_open = 0.45 if overdue_days <= 10 else 0.015
        if draw < leave_open:
            continue
        days_ago = max(0, overdue_days - rng.randint(0, min(2, overdue_days)))
        with clock.at(timeline.at(days_ago, hour=rng.randint(8, 18), minute=rng.randint(0, 59))):
            if draw < leave_open + 0.05:
                followup_cancel(actor=worker, follow_up=task, note=rng.choice(CANCEL_NOTES))
            else:
                followup_complete(actor=worker, follow_up=task, note=rng.choice(DONE_NOTES))


def _hand_tasks(
    registered: list[Registered], timeline: Timeline, rng: random.Random, count: int
) -> None:
    """Tasks written by hand in the last days: some due today, the others in the coming days."""
    recent = [
        item for item in registered if item.days_ago <= 20 and item.person.consents_to_contact
    ]
    for number, item in enumerate(recent[-count:]):
        created = timeline.at(rng.randint(0, 3), hour=9, minute=number % 60)
        due = timeline.today + datetime.timedelta(days=0 if number % 3 == 0 else rng.randint(1, 14))
        with clock.at(created):
            followup_create(
                actor=item.worker,
                person=item.person,
                title=HAND_TASKS[number % len(HAND_TASKS)],
                due_on=due,
                client_uuid=_client_uuid("follow-up", item.person.pk, number),
            )


# ---------------------------------------------------------------------------------------------
# Outreach, vaccination sessions, trainings

OUTREACH_PLACES = (
    (PlaceType.METRO, "Estación de metro Ejemplo", 35),
    (PlaceType.SUPERMARKET, "Supermercado Ejemplo", 30),
    (PlaceType.COMMUNITY, "Comunidad Ejemplo", 25),
    (PlaceType.SCHOOL, "Escuela Ejemplo", 5),
    (PlaceType.HEALTH_CENTRE, "Centro de Salud Ejemplo", 5),
)
TALLY_AGE_WEIGHTS = {
    AgeGroup.ADOLESCENT: 8,
    AgeGroup.YOUTH: 38,
    AgeGroup.ADULT: 44,
    AgeGroup.OLDER: 10,
}


def _tallies(rng: random.Random, total: int) -> dict[tuple[str, str, str], int]:
    cells = [
        (sex, age, community)
        for sex in (Sex.FEMALE, Sex.MALE)
        for age in TALLY_AGE_WEIGHTS
        for community in (Community.MIGRANT, Community.HOST)
    ]
    weights = [
        (58 if sex == Sex.FEMALE else 42)
        * TALLY_AGE_WEIGHTS[age]
        * (75 if community == Community.MIGRANT else 25)
        for sex, age, community in cells
    ]
    counts = Counter(rng.choices(cells, weights=weights, k=total))
    return {(str(s), str(a), str(c)): n for (s, a, c), n in counts.items()}


def _load_outreach(
    world: DemoWorld, timeline: Timeline, rng: random.Random, registered_count: int
) -> None:
    """Outreach days over the months; their tallies make the rest of the people reached."""
    pa = world.organisation("pa")
    teams = {team.name: team for team in Team.objects.filter(organisation=pa)}
    areas = AdminArea.objects.in_bulk([SAN_MIGUELITO, LA_CHORRERA])
    to_tally = REACHED_TARGET + 150 - registered_count
    per_activity = [to_tally // OUTREACH_ACTIVITIES] * OUTREACH_ACTIVITIES
    per_activity[0] += to_tally - sum(per_activity)
    for number, planned in enumerate(per_activity):
        promoter = PROMOTERS[number % len(PROMOTERS)]
        place_type, place_name, _weight = rng.choices(
            OUTREACH_PLACES, weights=[p[2] for p in OUTREACH_PLACES]
        )[0]
        days_ago = DAYS_OF_WORK - number * (DAYS_OF_WORK - 2) // OUTREACH_ACTIVITIES
        # Vary each day's count around the plan, keeping the total.
        swing = rng.randint(0, 25)
        total = planned + (swing if number % 2 else -swing)
        date = timeline.today - datetime.timedelta(days=days_ago)
        with clock.at(timeline.at(days_ago, hour=17)):
            outreach_record(
                actor=world.user(promoter.username),
                organisation=pa,
                data=OutreachInput(
                    date=date,
                    place_type=place_type,
                    area=areas[promoter.area],
                    place_name=f"{place_name} {TEAMS[promoter.area]}",
                    team=teams.get(TEAMS[promoter.area]),
                    tallies=_tallies(rng, total),
                    materials={
                        MaterialKind.LEAFLET: total + rng.randint(0, 40),
                        MaterialKind.MASKS: rng.randint(0, total),
                        MaterialKind.CONDOMS: rng.randint(0, 60),
                    },
                    note="Jornada de ejemplo.",
                ),
                client_uuid=_client_uuid("outreach", "pa", number),
            )


SESSION_VACCINES = (Vaccine.COVID19, Vaccine.INFLUENZA, Vaccine.TD, Vaccine.MMR, Vaccine.HPV)


def _load_sessions(world: DemoWorld, timeline: Timeline, rng: random.Random) -> None:
    pa = world.organisation("pa")
    areas = AdminArea.objects.in_bulk([SAN_MIGUELITO, LA_CHORRERA])
    for number in range(VACCINATION_SESSIONS):
        centre = data.HEALTH_CENTRES[number % len(data.HEALTH_CENTRES)]
        promoter = next(p for p in PROMOTERS if p.area == centre.area)
        days_ago = 12 + number * (DAYS_OF_WORK - 20) // VACCINATION_SESSIONS
        doses: dict[tuple[str, str], int] = {}
        for vaccine in rng.sample(SESSION_VACCINES, 3):
            for age in (AgeGroup.CHILD, AgeGroup.YOUTH, AgeGroup.ADULT, AgeGroup.OLDER):
                if vaccine == Vaccine.HPV and age != AgeGroup.CHILD:
                    continue
                doses[(str(vaccine), str(age))] = rng.randint(4, 45)
        place = "Jornada en supermercado Ejemplo" if number % 3 == 2 else "Centro de Salud Ejemplo"
        with clock.at(timeline.at(days_ago, hour=16)):
            vaccination_session_record(
                actor=world.user(promoter.username),
                organisation=pa,
                data=SessionInput(
                    date=timeline.today - datetime.timedelta(days=days_ago),
                    area=areas[centre.area],
                    place_name=f"{place} {centre.place_name}",
                    doses=doses,
                    people_referred=rng.randint(0, 6),
                    note="Jornada de vacunación de ejemplo.",
                ),
                client_uuid=_client_uuid("vaccination-session", "pa", number),
            )


@dataclass(frozen=True)
class TrainingPlan:
    title: str
    topics: tuple[str, ...]
    mode: str
    days_ago: int
    length_days: int
    who: str  # "all", "promoters", "volunteers"
    completed: bool = True


TRAININGS = (
    TrainingPlan("Vacunación y cadena de frío (ejemplo)", ("vaccination",),
                 TrainingMode.IN_PERSON, 225, 2, "all"),
    TrainingPlan("Salud sexual y reproductiva y control prenatal (ejemplo)",
                 ("sexual-reproductive-health", "prenatal-care"), TrainingMode.VIRTUAL, 180, 3,
                 "all"),
    TrainingPlan("Enfermedades con potencial epidémico: COVID-19 y dengue (ejemplo)",
                 ("epidemic-prone-diseases",), TrainingMode.VIRTUAL, 130, 1, "promoters"),
    TrainingPlan("Trata, explotación y xenofobia (ejemplo)",
                 ("trafficking", "exploitation", "xenophobia"), TrainingMode.IN_PERSON, 70, 2,
                 "volunteers"),
    TrainingPlan("Salud mental y primeros auxilios psicológicos (ejemplo)",
                 ("mental-health", "psychological-first-aid"), TrainingMode.VIRTUAL, 3, 10, "all",
                 completed=False),
)  # fmt: skip


def _load_trainings(world: DemoWorld, timeline: Timeline, rng: random.Random) -> None:
    pa = world.organisation("pa")
    supervisor = world.user(SUPERVISOR)
    topics = _topics(TopicUse.TRAINING)
    areas = AdminArea.objects.in_bulk([SAN_MIGUELITO, LA_CHORRERA])
    groups = {"promoters": PROMOTERS, "volunteers": VOLUNTEERS, "all": (*PROMOTERS, *VOLUNTEERS)}
    for number, plan in enumerate(TRAININGS):
        starts_on = timeline.today - datetime.timedelta(days=plan.days_ago)
        ends_on = starts_on + datetime.timedelta(days=plan.length_days - 1)
        with clock.at(timeline.at(plan.days_ago + 10)):
            training = training_create(
                actor=supervisor,
                organisation=pa,
                data=TrainingInput(
                    title=plan.title,
                    topics=[topics[slug] for slug in plan.topics if slug in topics],
                    mode=plan.mode,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    facilitator="Equipo de formación (ejemplo)",
                    area=areas[SAN_MIGUELITO] if plan.mode == TrainingMode.IN_PERSON else None,
                ),
            )
            participants = [
                training_participant_add(
                    actor=supervisor,
                    training=training,
                    data=ParticipantInput(user=world.user(worker.username)),
                )
                for worker in groups[plan.who]
            ]
            if number % 2 == 0:
                for centre in data.HEALTH_CENTRES[:2]:
                    participants.append(
                        training_participant_add(
                            actor=supervisor,
                            training=training,
                            data=ParticipantInput(
                                name=f"Personal de ejemplo {centre.place_name}",
                                participant_organisation=f"Centro de Salud Ejemplo "
                                f"{centre.place_name}",
                            ),
                        )
                    )
        if not plan.completed:
            continue
        with clock.at(min(timeline.at(plan.days_ago - plan.length_days, hour=18), timeline.end)):
            for participant in participants:
                status = (
                    ParticipationStatus.COMPLETED
                    if rng.random() < 0.88
                    else ParticipationStatus.DID_NOT_COMPLETE
                )
                training_participant_set_status(
                    actor=supervisor,
                    participant=participant,
                    status=status,
                    completed_on=ends_on if status == ParticipationStatus.COMPLETED else None,
                )


# ---------------------------------------------------------------------------------------------
# The information points of the other countries

INFO_POINT_TOPICS = (("regular-migration", 45), ("documents", 40), ("local-opportunities", 15))
INFO_POINT_PLACES = ((PlaceType.INFO_POINT, 100),)


def _load_info_points(
    world: DemoWorld, timeline: Timeline, rng: random.Random, phones: Phones
) -> None:
    countries = Country.objects.in_bulk()
    areas = AdminArea.objects.in_bulk([point.area for point in data.INFO_POINTS])
    staff_by_organisation = {
        world.organisation(tenant).pk: world.user(username)
        for tenant, username in INFO_POINT_STAFF.items()
    }
    for tenant, username in INFO_POINT_STAFF.items():
        organisation = world.organisation(tenant)
        worker = world.user(username)
        point = next(p for p in data.INFO_POINTS if p.tenant == tenant and p.area in areas)
        country = point.country
        calling_code = data.COUNTRIES[country].calling_code
        registered: list[Registered] = []
        names = _names(rng, 25)
        for number in range(1, 10 + int(rng.random() * 16)):
            sex, given, family = next(names)
            community = Community.MIGRANT if rng.random() < 0.85 else Community.HOST
            year, group = _age_and_year(rng, timeline.today)
            days_ago = rng.randint(2, DAYS_OF_WORK)
            moment = timeline.at(days_ago, hour=rng.randint(9, 17), minute=rng.randint(0, 59))
            phone = phones.new(calling_code) if rng.random() < 0.8 else ""
            person = _register(
                worker=worker,
                organisation=organisation,
                moment=moment,
                client_uuid=_client_uuid("person", tenant, number),
                given_name=given,
                family_name=family,
                sex=sex,
                community=community,
                phone=phone,
                phone_has_whatsapp=bool(phone),
                year_of_birth=year,
                age_group=group,
                nationality=countries.get(_nationality(rng, community, country)),
                area=areas[point.area],
                consent_contact=rng.random() < 0.8,
                consent_share=rng.random() < 0.85,
            )
            registered.append(Registered(person, worker, point.area, days_ago))
        legal = list(
            ServiceAtLocation.objects.select_related("service", "location")
            .filter(
                location__country_id=country,
                service__categories__code="legal",
                service__publication_status=PublicationStatus.PUBLISHED,
            )
            .order_by("location__external_identifier", "service__name")
        )
        sharing = [item for item in registered if item.person.consents_to_share]
        referred = sharing[:3] if legal else []
        for item in referred:
            item.referral_reason = ReferralReason.LEGAL
        _load_orientations(
            registered,
            timeline,
            rng,
            topic_weights=INFO_POINT_TOPICS,
            places=INFO_POINT_PLACES,
            share=0.95,
        )
        for number, item in enumerate(referred):
            offer = legal[number % len(legal)]
            sent = min(item.person.registered_at + datetime.timedelta(hours=2), timeline.end)
            with clock.at(sent):
                referral = referral_create(
                    actor=worker,
                    person=item.person,
                    reason=ReferralReason.LEGAL,
                    service_at_location=offer,
                    note="Necesita orientación sobre su permiso de trabajo. (ejemplo)",
                    client_uuid=_client_uuid("referral", organisation.pk, number),
                )
            receiver = staff_by_organisation.get(offer.service.owner_id)
            if receiver is None or number == 2:
                continue  # sent, waiting for the other organisation
            moment = min(sent + datetime.timedelta(days=1), timeline.end)
            with clock.at(moment):
                referral_mark_received(actor=receiver, referral_id=referral.pk)
                referral_accept(actor=receiver, referral_id=referral.pk)
            if number == 1 or item.days_ago < 10:
                continue  # accepted: the appointment is coming
            with clock.at(min(moment + datetime.timedelta(days=5), timeline.end)):
                referral_mark_attended(actor=receiver, referral_id=referral.pk)
                referral_close(
                    actor=receiver,
                    referral_id=referral.pk,
                    outcome=ReferralOutcome.SERVED,
                    outcome_note="Recibió asesoría y la lista de documentos. (ejemplo)",
                )
        _hand_tasks(registered, timeline, rng, count=2)
        _resolve_follow_ups(organisation, {worker.pk: worker}, timeline, rng)


# ---------------------------------------------------------------------------------------------
# Load, summary, reset


def demo_organisations() -> list[Organisation]:
    return list(Organisation.objects.filter(slug__in=demo_slugs()))


def is_loaded() -> bool:
    return Person.objects.filter(client_uuid=_client_uuid("person", "pa", 1)).exists()


def _load_panama(world: DemoWorld, timeline: Timeline, rng: random.Random, phones: Phones) -> None:
    pa = world.organisation("pa")
    registered = _register_pa(world, timeline, rng, phones)
    originals = registered[: len(registered) - LOOK_ALIKES]
    _reasons(rng, [i for i in originals if i.person.consents_to_share], timeline.today)
    _load_orientations(
        registered, timeline, rng, topic_weights=ORIENTATION_TOPICS_PA, places=PLACES_PA
    )
    centres = _centres()
    focal = {
        centre.key: world.user(username)
        for (username, _name), centre in zip(FOCAL_POINTS, data.HEALTH_CENTRES, strict=True)
    }
    plans = sorted(_plan_referrals(rng, registered, timeline, centres), key=lambda p: p.sent)
    for number, plan in enumerate(plans):
        _play_referral(
            plan, rng=rng, timeline=timeline, centres=centres, focal=focal, number=number
        )
    # Referrals left without news for months expire, as the daily job would have done.
    with clock.at(timeline.end):
        referrals_expire(now=timeline.end)
    _hand_tasks(registered, timeline, rng, count=24)
    workers = {world.user(w.username).pk: world.user(w.username) for w in (*PROMOTERS, *VOLUNTEERS)}
    _resolve_follow_ups(pa, workers, timeline, rng)
    _load_outreach(world, timeline, rng, len(registered))
    _load_sessions(world, timeline, rng)
    _load_trainings(world, timeline, rng)


def load(world: DemoWorld) -> None:
    """Add the field-work demo that is not there yet (staff first, then the months of work)."""
    with transaction.atomic():
        added = _load_staff(world)
        if not is_loaded():
            timeline = Timeline.for_world(world)
            rng = random.Random(SEED)  # noqa: S311  # a repeatable demo, not a secret
            phones = Phones()
            _load_panama(world, timeline, rng, phones)
            _load_info_points(world, timeline, rng, phones)
            added = True
    if added:
        world.loaded.append("field work")


def reached_in_panama() -> tuple[int, int]:
    """(people registered, people counted in outreach tallies) in the Panama project."""
    pa = Organisation.objects.filter(slug="demo-pa").first()
    if pa is None:
        return 0, 0
    registered = Person.objects.filter(organisation=pa, merged_into__isnull=True).count()
    tallied = OutreachTally.objects.filter(activity__organisation=pa).aggregate(n=Sum("count"))
    return registered, tallied["n"] or 0


def summary() -> str:
    """One line on the field-work demo."""
    registered, tallied = reached_in_panama()
    organisations = demo_organisations()
    referrals = Referral.objects.filter(organisation__in=organisations)
    covid = referrals.filter(reason=ReferralReason.SUSPECTED_COVID).count()
    tasks = FollowUp.objects.filter(organisation__in=organisations).count()
    return (
        f"Field work: Panama reached {registered + tallied} people ({registered} registered,"
        f" {tallied} in outreach tallies); {referrals.count()} referrals ({covid} suspected"
        f" COVID-19); {tasks} follow-ups."
    )


@transaction.atomic
def reset() -> None:
    """Delete the field-work rows of the demo tenants and the field-work demo users (before
    the tenants go). The audit log stays: it is append-only."""
    organisations = demo_organisations()
    Referral.objects.filter(
        Q(organisation__in=organisations)
        | Q(receiving_organisation__in=organisations)
        | Q(service__owner__in=organisations)
    ).delete()
    FollowUp.objects.filter(organisation__in=organisations).delete()
    Orientation.objects.filter(organisation__in=organisations).delete()
    people = Person.objects.filter(organisation__in=organisations)
    people.exclude(merged_into=None).update(merged_into=None)
    people.delete()
    OutreachActivity.objects.filter(organisation__in=organisations).delete()
    VaccinationSession.objects.filter(organisation__in=organisations).delete()
    TrainingEvent.objects.filter(organisation__in=organisations).delete()
    Team.objects.filter(organisation__in=organisations).delete()
    CentreAssignment.objects.filter(organisation__in=organisations).delete()
    Membership.objects.filter(user__username__in=field_worker_usernames()).delete()
    User.objects.filter(username__in=field_worker_usernames()).delete()
