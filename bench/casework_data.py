"""Synthetic field work at the scale of a whole programme, loaded in bulk for the bench.

People, orientations, referrals (with their first event) and follow-ups are written with the
database's bulk path (COPY on PostgreSQL, executemany on SQLite), converting every value with
the model field's own ``get_db_prep_save``: personal fields are encrypted by
``EncryptedTextField`` exactly as the actions encrypt them, and the search keys are computed by
``senda.casework.keys.search_digests``, the function the registration action uses.
"""

from __future__ import annotations

import datetime
import json
import random
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

FIRST_NAMES = [
    "María",
    "José",
    "Luis",
    "Carlos",
    "Ana",
    "Juan",
    "Rosa",
    "Pedro",
    "Carmen",
    "Jorge",
    "Yesenia",
    "Wilmer",
    "Daniela",
    "Andrés",
    "Valentina",
    "Miguel",
    "Gabriela",
    "Óscar",
    "Fernanda",
    "Ricardo",
    "Luisa",
    "Héctor",
    "Paola",
    "Javier",
    "Mariela",
    "Diego",
    "Yolanda",
    "Kevin",
    "Katherine",
    "Brayan",
    "Dayana",
    "Jhon",
    "Yuleisy",
    "Génesis",
    "Anthony",
    "Josué",
    "Alejandra",
    "Francisco",
    "Patricia",
    "Roberto",
    "Lucía",
    "Manuel",
    "Sofía",
    "Eduardo",
    "Isabel",
    "Rafael",
    "Adriana",
    "Samuel",
    "Noemí",
    "Hugo",
    "Verónica",
    "Julio",
    "Karla",
    "Edwin",
    "Marisol",
    "Nelson",
    "Elizabeth",
    "Wilson",
    "Dilcia",
    "Ronald",
    "Yessica",
    "Alexander",
    "Leidy",
    "Cristian",
    "Johana",
    "Yorman",
    "Maikel",
    "Oriana",
    "Yusmary",
    "Deiby",
    "Arianna",
    "Yeferson",
]
FAMILY_NAMES = [
    "González",
    "Rodríguez",
    "Pérez",
    "Hernández",
    "García",
    "Martínez",
    "López",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gómez",
    "Díaz",
    "Cruz",
    "Morales",
    "Reyes",
    "Gutiérrez",
    "Ortiz",
    "Chávez",
    "Ramos",
    "Mendoza",
    "Castillo",
    "Vargas",
    "Romero",
    "Herrera",
    "Medina",
    "Aguilar",
    "Jiménez",
    "Moreno",
    "Álvarez",
    "Ruiz",
    "Castro",
    "Silva",
    "Rojas",
    "Contreras",
    "Guerrero",
    "Méndez",
    "Salazar",
    "Delgado",
    "Vásquez",
    "Núñez",
    "Peña",
    "Cabrera",
    "Ríos",
    "Maldonado",
    "Bermúdez",
    "Quintero",
    "Villalobos",
    "Zambrano",
    "Marcano",
    "Briceño",
    "Guzmán",
    "Acosta",
    "Pacheco",
    "Urdaneta",
    "Colmenares",
]
REASONS = (
    ["vaccination"] * 40
    + ["medical_care"] * 25
    + ["prenatal_care"] * 10
    + ["mental_health"] * 6
    + ["suspected_covid"] * 4
    + ["legal"] * 8
    + ["protection"] * 3
    + ["education"] * 2
    + ["work"] * 2
)
# Most referrals are old and closed; the recent ones are spread over the lifecycle.
OLD_STATUSES = ["closed"] * 80 + ["cancelled"] * 5 + ["expired"] * 8 + ["declined"] * 7
RECENT_STATUSES = ["sent"] * 30 + ["received"] * 20 + ["accepted"] * 25 + ["attended"] * 25


@dataclass
class Worker:
    user_id: int
    organisation_id: uuid.UUID
    username: str


@dataclass
class Centre:
    organisation_id: uuid.UUID
    service_id: uuid.UUID
    location_id: uuid.UUID


@dataclass
class Report:
    seconds: float = 0.0
    people: int = 0
    search_keys: int = 0
    orientations: int = 0
    referrals: int = 0
    follow_ups: int = 0
    workers: list[Worker] = field(default_factory=list)
    focal_points: list[tuple[int, uuid.UUID]] = field(default_factory=list)
    # (given name, family name, year of birth, phone) of some registered people, to register
    # look-alikes (the duplicate check must find them).
    samples: list[tuple[str, str, int, str]] = field(default_factory=list)


def report_to_json(report: Report) -> str:
    """``report`` as JSON, to reuse a kept database without loading it again."""
    return json.dumps(asdict(report), default=str)


def report_from_json(text: str) -> Report:
    values = json.loads(text)
    return Report(
        seconds=values["seconds"],
        people=values["people"],
        search_keys=values["search_keys"],
        orientations=values["orientations"],
        referrals=values["referrals"],
        follow_ups=values["follow_ups"],
        workers=[
            Worker(w["user_id"], uuid.UUID(w["organisation_id"]), w["username"])
            for w in values["workers"]
        ],
        focal_points=[(user_id, uuid.UUID(org)) for user_id, org in values["focal_points"]],
        samples=[tuple(sample) for sample in values["samples"]],
    )


def _writer(model: Any, columns: list[str]) -> Any:
    """A function that writes rows (values in ``columns`` order) in bulk into ``model``'s table."""
    from django.db import DEFAULT_DB_ALIAS, connections

    # The connection itself, not the ``django.db.connection`` proxy: each of the fields'
    # many attribute reads through the proxy costs a thread-local lookup.
    connection = connections[DEFAULT_DB_ALIAS]

    fields = [model._meta.get_field(name) for name in columns]
    table = connection.ops.quote_name(model._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(f.column) for f in fields)

    def prepared(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        for row in rows:
            yield tuple(
                f.get_db_prep_save(value, connection) for f, value in zip(fields, row, strict=True)
            )

    def write(rows: Iterable[tuple[Any, ...]]) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor  # psycopg's own cursor, for COPY
                with raw.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                    for row in prepared(rows):
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(fields))
                cursor.executemany(
                    f"INSERT INTO {table} ({column_sql}) VALUES ({marks})",
                    list(prepared(rows)),
                )

    return write


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _structure(rng: random.Random, organisations: int) -> tuple[list[Worker], list[Centre], Any]:
    """Organisations with workers (promoters, volunteers, a supervisor) and health
    organisations with centres in the directory, made with the ORM (small)."""
    from senda.accounts.models import Membership, Organisation, User
    from senda.accounts.roles import Role
    from senda.directory.models import (
        Location,
        Organization,
        PublicationStatus,
        Service,
        ServiceAtLocation,
    )

    workers: list[Worker] = []
    centres: list[Centre] = []
    focal_points: list[tuple[int, uuid.UUID]] = []
    for index in range(organisations):
        organisation = Organisation.objects.create(
            name=f"Bench organisation {index}", slug=f"bench-{index}", country_id="PA"
        )
        for number in range(20):
            role = Role.HEALTH_PROMOTER if number < 8 else Role.COMMUNITY_VOLUNTEER
            user = User.objects.create(username=f"w{index}-{number}")
            Membership.objects.create(user=user, organisation=organisation, role=role)
            workers.append(Worker(user.pk, organisation.pk, user.username))
    for index in range(5):
        health = Organisation.objects.create(
            name=f"Bench health district {index}", slug=f"bench-health-{index}", country_id="PA"
        )
        provider = Organization.objects.create(owner=health, name=f"Región de salud {index}")
        for number in range(10):
            location = Location.objects.create(
                owner=health,
                organization=provider,
                name=f"Centro de salud {index}-{number}",
                latitude=9.0 + rng.random() / 10,
                longitude=-79.5 + rng.random() / 10,
                country_id="PA",
            )
            service = Service.objects.create(
                owner=health,
                organization=provider,
                name=f"Atención primaria {index}-{number}",
                publication_status=PublicationStatus.PUBLISHED,
            )
            ServiceAtLocation.objects.create(service=service, location=location)
            centres.append(Centre(health.pk, service.pk, location.pk))
        focal = User.objects.create(username=f"focal-{index}")
        Membership.objects.create(user=focal, organisation=health, role=Role.FOCAL_POINT)
        focal_points.append((focal.pk, health.pk))
    return workers, centres, focal_points


def generate_and_load(*, people: int, seed: int) -> Report:
    """Load ``people`` people and about three times as many orientations, referrals and
    follow-ups (one of each per person on average)."""
    from django.db import transaction
    from django.utils import timezone

    from senda.casework.keys import new_card_code, search_digests
    from senda.casework.models import (
        AGE_GROUP_BOUNDS,
        ConsentEvent,
        FollowUp,
        Orientation,
        Person,
        PersonSearchKey,
        Referral,
        ReferralEvent,
        age_group_for,
    )

    started = time.perf_counter()
    rng = random.Random(seed)
    report = Report()
    organisations = max(2, min(20, people // 50_000))
    with transaction.atomic():
        workers, centres, focal_points = _structure(rng, organisations)
    report.workers = workers
    report.focal_points = focal_points
    now = timezone.now()
    today = timezone.localdate()
    assert AGE_GROUP_BOUNDS

    write_people = _writer(
        Person,
        [
            "id", "organisation", "code", "given_name", "family_name", "phone",
            "phone_has_whatsapp", "sex", "year_of_birth", "age_group", "nationality",
            "community", "notes", "consents_to_contact", "consents_to_share", "registered_by",
            "registered_at", "last_activity_at",
        ],
    )  # fmt: skip
    write_keys = _writer(PersonSearchKey, ["person", "organisation", "kind", "digest"])
    write_consents = _writer(ConsentEvent, ["person", "scope", "granted", "at", "recorded_by"])
    write_orientations = _writer(
        Orientation,
        [
            "id", "organisation", "person", "worker", "occurred_at", "channel", "place_type",
            "outcome", "note", "created_at",
        ],
    )  # fmt: skip
    write_referrals = _writer(
        Referral,
        [
            "id", "organisation", "receiving_organisation", "person", "referred_by", "service",
            "location", "reason", "urgency", "note", "status", "status_changed_at",
            "decline_reason", "outcome", "outcome_note", "sent_at", "receive_by", "attend_by",
        ],
    )  # fmt: skip
    write_events = _writer(
        ReferralEvent,
        ["referral", "at", "actor", "organisation", "from_status", "to_status", "note"],
    )
    write_follow_ups = _writer(
        FollowUp,
        [
            "id", "organisation", "person", "assigned_to", "created_by", "title", "due_on",
            "status", "note", "created_at",
        ],
    )  # fmt: skip

    from django.db import connection

    if connection.vendor == "sqlite":
        # Durability is irrelevant to a benchmark's bulk load; a large cache keeps the
        # indexes of random keys in memory.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -2000000")
    codes: set[str] = set()

    def unused_code() -> str:
        # 40 random bits collide about once in a million codes: the action retries, so here too.
        while (code := new_card_code("PA")) in codes:
            pass
        codes.add(code)
        return code

    batch = 5_000
    for start in range(0, people, batch):
        size = min(batch, people - start)
        person_rows, key_rows, consent_rows = [], [], []
        orientation_rows, referral_rows, event_rows, follow_up_rows = [], [], [], []
        for _ in range(size):
            worker = rng.choice(workers)
            person_id = uuid.uuid4()
            given = rng.choice(FIRST_NAMES)
            family = f"{rng.choice(FAMILY_NAMES)} {rng.choice(FAMILY_NAMES)}"
            year = rng.randint(1950, 2010)
            phone = f"+507 6{rng.randint(0, 9_999_999):07d}"
            registered_at = now - datetime.timedelta(days=rng.uniform(0, 700))
            contact = rng.random() < 0.8
            person_rows.append(
                (
                    person_id, worker.organisation_id, unused_code(), given, family, phone,
                    rng.random() < 0.7, rng.choice(["female", "female", "male", "other"]), year,
                    age_group_for(today.year - year), rng.choice(["VE", "VE", "CO", "PA", "HT"]),
                    "migrant" if rng.random() < 0.75 else "host", "", contact,
                    rng.random() < 0.9, worker.user_id, registered_at, registered_at,
                )
            )  # fmt: skip
            for kind, digest in search_digests(given, family, phone):
                key_rows.append((person_id, worker.organisation_id, kind, digest))
            consent_rows.append((person_id, "record", True, registered_at, worker.user_id))
            # One orientation, referral and follow-up per person on average.
            for _ in range(rng.choice([0, 1, 1, 2])):
                orientation_rows.append(
                    (
                        uuid.uuid4(), worker.organisation_id, person_id, worker.user_id,
                        registered_at, rng.choice(["in_person", "phone", "whatsapp"]),
                        rng.choice(["metro", "supermarket", "community", "health_centre"]),
                        rng.choice(["informed", "referred", "follow_up"]), "", registered_at,
                    )
                )  # fmt: skip
            for _ in range(rng.choice([0, 1, 1, 2])):
                centre = rng.choice(centres)
                sent_at = registered_at + datetime.timedelta(hours=rng.uniform(0, 48))
                recent = (now - sent_at).days < 30
                status = rng.choice(RECENT_STATUSES if recent else OLD_STATUSES)
                reason = rng.choice(REASONS)
                outcome = ""
                if status == "closed":
                    outcome = "tested_negative" if reason == "suspected_covid" else "served"
                referral_id = uuid.uuid4()
                referral_rows.append(
                    (
                        referral_id, worker.organisation_id, centre.organisation_id, person_id,
                        worker.user_id, centre.service_id, centre.location_id, reason,
                        rng.choice(["routine", "routine", "soon", "urgent"]), "", status,
                        sent_at, "", outcome, "", sent_at,
                        sent_at + datetime.timedelta(hours=72),
                        sent_at + datetime.timedelta(days=14),
                    )
                )  # fmt: skip
                event_rows.append(
                    (referral_id, sent_at, worker.user_id, worker.organisation_id, "", "sent", "")
                )
            for _ in range(rng.choice([0, 1, 1, 2])):
                due = today + datetime.timedelta(days=rng.randint(-120, 30))
                status = "open" if due >= today - datetime.timedelta(days=14) else "done"
                if rng.random() < 0.1:
                    status = "open"  # overdue tasks nobody did
                follow_up_rows.append(
                    (
                        uuid.uuid4(), worker.organisation_id, person_id, worker.user_id,
                        worker.user_id, "Llamar para saber si asistió", due, status, "", now,
                    )
                )  # fmt: skip
            if len(report.samples) < 2_000 and rng.random() < 0.01:
                report.samples.append((given, family, year, phone))
        with transaction.atomic():
            write_people(person_rows)
            write_keys(key_rows)
            write_consents(consent_rows)
            write_orientations(orientation_rows)
            write_referrals(referral_rows)
            write_events(event_rows)
            write_follow_ups(follow_up_rows)
        report.people += len(person_rows)
        report.search_keys += len(key_rows)
        report.orientations += len(orientation_rows)
        report.referrals += len(referral_rows)
        report.follow_ups += len(follow_up_rows)
        if (start // batch) % 20 == 19:
            print(f"   ... {report.people:,} people", flush=True)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = NORMAL")  # Senda's setting, for the timings
    analyse()
    report.seconds = time.perf_counter() - started
    return report


def analyse() -> None:
    """Fresh planner statistics; on PostgreSQL also the visibility map (``VACUUM``), as
    autovacuum leaves a settled database, so that index-only scans are index-only."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
