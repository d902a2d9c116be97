"""Factories for field-work tests. Rows are built directly (fast); search keys and the
record consent are written as the registration action writes them."""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from senda.accounts.tests.factories import OrganisationFactory, UserFactory
from senda.casework.keys import new_card_code, store_search_keys
from senda.casework.models import (
    AgeGroup,
    Community,
    ConsentEvent,
    ConsentScope,
    FollowUp,
    Person,
    Referral,
    ReferralReason,
    Sex,
    Team,
    Topic,
    TopicUse,
)
from senda.directory.models import PublicationStatus
from senda.directory.tests.factories import ServiceAtLocationFactory, ServiceFactory


def _consent_and_keys(person: Person, create: bool, extracted: Any, **kwargs: Any) -> None:
    if not create:
        return
    store_search_keys(person)
    now = timezone.now()
    ConsentEvent.objects.create(
        person=person, scope=ConsentScope.RECORD, granted=True, at=now, recorded_by=None
    )
    for scope, granted in (
        (ConsentScope.CONTACT, person.consents_to_contact),
        (ConsentScope.SHARE, person.consents_to_share),
    ):
        if granted:
            ConsentEvent.objects.create(
                person=person, scope=scope, granted=True, at=now, recorded_by=None
            )


class PersonFactory(DjangoModelFactory[Person]):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.LazyFunction(lambda: new_card_code("PA"))
    given_name = factory.Sequence(lambda n: f"Persona{n}")
    family_name = "Ejemplo"
    phone = factory.Sequence(lambda n: f"+507 6{n:07d}")
    sex = Sex.FEMALE
    year_of_birth = 1995
    age_group = AgeGroup.YOUTH
    nationality_id = "VE"
    area_id = None
    community = Community.MIGRANT
    consents_to_contact = True
    consents_to_share = True
    registered_by = factory.SubFactory(UserFactory)
    last_activity_at = factory.LazyFunction(timezone.now)

    keys = factory.PostGeneration(_consent_and_keys)


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.members.set(extracted)


class TopicFactory(DjangoModelFactory[Topic]):
    class Meta:
        model = Topic
        django_get_or_create = ("use", "slug")

    use = TopicUse.ORIENTATION
    slug = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"Tema {n}")


def health_service(receiving_organisation: Any) -> Any:
    """A published service at a location, owned by ``receiving_organisation``."""
    service = ServiceFactory.create(
        owner=receiving_organisation, publication_status=PublicationStatus.PUBLISHED
    )
    return ServiceAtLocationFactory.create(service=service)


class ReferralFactory(DjangoModelFactory[Referral]):
    """A referral just sent. Pass ``person`` and ``at`` (a ServiceAtLocation) or let them be."""

    class Meta:
        model = Referral
        exclude = ("at",)

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SelfAttribute("person.organisation")
    referred_by = factory.SelfAttribute("person.registered_by")
    at = factory.LazyAttribute(lambda o: health_service(OrganisationFactory.create()))
    service = factory.SelfAttribute("at.service")
    location = factory.SelfAttribute("at.location")
    receiving_organisation = factory.SelfAttribute("at.service.owner")
    reason = ReferralReason.VACCINATION
    sent_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.SelfAttribute("sent_at")
    receive_by = factory.LazyAttribute(lambda o: o.sent_at + datetime.timedelta(hours=72))
    attend_by = factory.LazyAttribute(lambda o: o.sent_at + datetime.timedelta(days=14))


class FollowUpFactory(DjangoModelFactory[FollowUp]):
    class Meta:
        model = FollowUp

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SelfAttribute("person.organisation")
    assigned_to = factory.SelfAttribute("person.registered_by")
    created_by = factory.SelfAttribute("person.registered_by")
    title = "Llamar para saber si asistió"
    due_on = factory.LazyFunction(timezone.localdate)
