"""A small world for the export and report tests: a programme led by organisation A (also its
partner) with organisation B as a viewer, people of A with names, phones, card codes and notes
that must never reach a file, and their orientations, referrals and follow-ups."""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

import hxl
from django.test import Client

from senda.accounts.models import Organisation, User
from senda.accounts.testing import login_verified
from senda.casework.models import (
    AgeGroup,
    Community,
    ContactChannel,
    FollowUp,
    FollowUpStatus,
    Orientation,
    OrientationOutcome,
    Person,
    PlaceType,
    Referral,
    ReferralOutcome,
    ReferralReason,
    ReferralStatus,
    Sex,
    TopicUse,
)
from senda.casework.tests.factories import (
    FollowUpFactory,
    PersonFactory,
    ReferralFactory,
    TopicFactory,
    health_service,
)
from senda.insights.models import Programme
from senda.insights.tests.indicator_factories import ProgrammeFactory, aware

DAY = datetime.date(2026, 3, 10)
PERIOD: dict[str, Any] = {"start": "2026-01-01", "end": "2026-06-30"}


@dataclass
class World:
    programme: Programme
    people: list[Person]
    orientations: list[Orientation] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    outsider: Person | None = None

    def personal_values(self) -> list[str]:
        """Everything about these records that identifies someone or was typed freely."""
        values: list[str] = []
        for person in [*self.people, *([self.outsider] if self.outsider else [])]:
            values += [
                person.given_name,
                person.family_name,
                person.phone,
                person.phone.replace(" ", ""),
                person.code,
                person.notes,
                str(person.pk),
            ]
        for orientation in self.orientations:
            values += [orientation.note, str(orientation.pk)]
        for referral in self.referrals:
            values += [referral.note, referral.outcome_note, str(referral.pk)]
        for follow_up in self.follow_ups:
            values += [follow_up.note, follow_up.title, str(follow_up.pk)]
        return [value for value in values if value]


def build_world(org_a: Organisation, org_b: Organisation) -> World:
    programme = ProgrammeFactory.create(
        lead=org_a, partners=[org_a], viewers=[org_b], name="Salud migrante"
    )
    people = [
        PersonFactory.create(
            organisation=org_a,
            given_name=f"Rocío{index}",
            family_name=f"Marín{index}",
            phone=f"+507 6555-{1000 + index}",
            notes=f"embarazada, control número {index}",
            sex=Sex.FEMALE if index % 3 else Sex.MALE,
            year_of_birth=1990 + index,
            age_group=AgeGroup.YOUTH,
            community=Community.MIGRANT,
            area_id="PA0805",
            registered_at=aware(DAY),
        )
        for index in range(7)
    ]
    outsider = PersonFactory.create(
        organisation=org_b,
        given_name="Ajena",
        family_name="Fuera",
        notes="otra organización",
        registered_at=aware(DAY),
    )
    world = World(programme=programme, people=people, outsider=outsider)
    topic = TopicFactory.create(use=TopicUse.ORIENTATION, slug="documents", name="Documentos")
    for person in people[:3]:
        orientation = Orientation.objects.create(
            organisation=org_a,
            person=person,
            occurred_at=aware(DAY),
            channel=ContactChannel.IN_PERSON,
            place_type=PlaceType.METRO,
            area_id="PA0805",
            outcome=OrientationOutcome.REFERRED,
            note=f"nota privada de {person.given_name}",
        )
        orientation.topics.set([topic])
        world.orientations.append(orientation)
    at = health_service(org_b)
    for index, person in enumerate(people[:2]):
        sent = aware(DAY)
        referral = ReferralFactory.create(
            person=person,
            at=at,
            sent_at=sent,
            reason=ReferralReason.SUSPECTED_COVID,
            note=f"síntomas de {person.given_name}",
            status=ReferralStatus.ATTENDED,
            attended_at=sent + datetime.timedelta(days=3 + index),
            outcome=ReferralOutcome.TESTED_NEGATIVE,
            outcome_note="prueba negativa confidencial",
        )
        world.referrals.append(referral)
        world.follow_ups.append(
            FollowUpFactory.create(
                person=person,
                referral=referral,
                due_on=DAY + datetime.timedelta(days=7),
                status=FollowUpStatus.DONE,
                completed_at=aware(DAY + datetime.timedelta(days=5)),
                note=f"llamada a {person.given_name}",
            )
        )
    return world


def client_for(user: User) -> Client:
    return login_verified(Client(), user)


def body(response: Any) -> bytes:
    """A download's bytes, streamed (a CSV is sent as it is read) or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def file_text(response: Any) -> str:
    """Every character of a downloaded CSV, or of every part of an XLSX (a zip of XML)."""
    content = body(response)
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    return content.decode("utf-8-sig")


def hxl_rows(download: Any, sheet: int | None = None) -> tuple[list[str], list[Any]]:
    """The hashtags and rows of an HXL file (bytes or a download), as libhxl reads them."""
    content = download if isinstance(download, bytes) else body(download)
    options = hxl.InputOptions(sheet_index=sheet) if sheet is not None else None
    dataset = hxl.data(io.BytesIO(content), options)
    rows = list(dataset)
    return [column.display_tag for column in dataset.columns], rows
