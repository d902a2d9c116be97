"""Many new field records at once (the field app's upload): the same checks, messages and rows
as the per-record actions, written with one INSERT per table instead of one per row.

A ``FieldBatch`` collects the new records of one worker in one organisation. Each of its
``person_register``, ``orientation_record``, ``referral_create``, ``outreach_record`` and
``vaccination_session_record`` checks one record exactly as the action of that name does
(raising the same ``ValidationError``/``PermissionDeniedError``/``NotFoundError``) and keeps
the rows it would write: the record, its dependants (search keys, consent events, topics,
history, tallies, tasks from the rules) and its audit entries. Nothing is written until
``field_batch_write``, the action that writes them all in one transaction.

What the per-record actions read once per record is read here once per batch: the follow-up
rules, the services referred to, the people worked with. A device uuid or a card code taken
meanwhile by another transaction makes ``field_batch_write`` fail with ``IntegrityError``
(the unique keys): the caller then applies the records one by one through the actions.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.casework import access, conf
from senda.casework.actions import activities, orientations, people, referrals, tasks
from senda.casework.keys import name_words, new_card_code
from senda.casework.models import (
    ConsentEvent,
    ConsentScope,
    DoseTally,
    FollowUp,
    FollowUpRule,
    FollowUpTrigger,
    Orientation,
    OutreachActivity,
    OutreachTally,
    Person,
    PersonSearchKey,
    Referral,
    ReferralEvent,
    ReferralStatus,
    SearchKeyKind,
    Topic,
    TopicUse,
    Urgency,
    VaccinationSession,
)
from senda.core import clock
from senda.core.audit import current_context
from senda.core.bulk_insert import insert_objects, insert_rows
from senda.core.crypto import keyed_hash, normalise_phone, sounds_like
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.directory.models import Location, Service, ServiceAtLocation
from senda.geo.models import AdminArea, Country

SEARCH_KEY_FIELDS = ("person", "organisation", "kind", "digest")


class FieldBatch:
    """New records of ``actor`` in ``organisation``, checked one by one, not yet written."""

    def __init__(self, *, actor: User, organisation: Organisation) -> None:
        self.actor = actor
        self.organisation = organisation
        self.people: list[Person] = []
        self.offered_codes: dict[uuid.UUID, str] = {}
        # (person id, organisation id, kind, digest): rows, not models (a dozen a person).
        self.search_keys: list[tuple[uuid.UUID, Any, str, str]] = []
        self.consents: list[ConsentEvent] = []
        self.orientations: list[tuple[Orientation, list[Topic]]] = []
        self.referrals: list[Referral] = []
        self.referral_events: list[ReferralEvent] = []
        self.follow_ups: list[FollowUp] = []
        self.activities: list[OutreachActivity] = []
        self.tallies: list[OutreachTally] = []
        self.sessions: list[VaccinationSession] = []
        self.doses: list[DoseTally] = []
        self.audits: list[AuditEntry] = []
        # Existing people worked with: the latest moment of activity (the retention clock).
        self.touched: dict[uuid.UUID, datetime.datetime] = {}
        self._new_people: dict[uuid.UUID, Person] = {}
        self._workable: dict[Any, Person | None] = {}
        self._rules: dict[str, list[FollowUpRule]] = {}
        self._services: dict[tuple[Any, Any], tuple[Service, Location] | ValidationError] = {}
        self._word_digests: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {}

    def __len__(self) -> int:
        return len(self.audits)

    # -----------------------------------------------------------------------------------------
    # Shared reads, once per batch

    def _audit(
        self, *, action: str, obj: Any, organisation: Organisation, details: dict[str, Any]
    ) -> None:
        """The entry ``senda.core.audit.audit`` would write, kept for the bulk insert."""
        context = current_context()
        actor = self.actor if self.actor.is_authenticated else None
        # Ids, not objects: the entries of a batch are many, and a model's __init__ checks
        # every related object it is given.
        self.audits.append(
            AuditEntry(
                actor_id=actor.pk if actor is not None else None,
                actor_username=actor.get_username() if actor is not None else "",
                organisation_id=organisation.pk,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                details=details,
                ip_address=context.ip_address,
                channel=context.channel,
                via=context.via,
            )
        )

    def _rules_for(self, trigger: str) -> list[FollowUpRule]:
        """The active rules of ``trigger`` here and programme-wide, every reason (filtered per
        referral in Python), read once."""
        if trigger not in self._rules:
            self._rules[trigger] = list(
                FollowUpRule.objects.filter(
                    Q(organisation__isnull=True) | Q(organisation_id=self.organisation.pk),
                    trigger=trigger,
                    is_active=True,
                )
            )
        return self._rules[trigger]

    def _tasks_from_rules(self, *, trigger: str, person: Person, referral: Referral | None) -> None:
        """``tasks.follow_ups_from_rules_for_new``: the tasks the rules ask for a new record."""
        rules = [
            rule
            for rule in self._rules_for(trigger)
            if rule.reason == "" or (referral is not None and rule.reason == referral.reason)
        ]
        if not rules or not person.is_active_record:
            return
        if not person.consents_to_contact:
            rules = [rule for rule in rules if not rule.requires_contact]
        if not rules:
            return
        moment = person.registered_at if referral is None else referral.sent_at
        event_day = timezone.localdate(moment)
        assignee = tasks._rule_assignee(person, referral, self.actor)
        for rule in rules:
            task = FollowUp(
                organisation_id=person.organisation_id,
                person_id=person.pk,
                referral_id=referral.pk if referral is not None else None,
                assigned_to_id=assignee.pk if assignee is not None else None,
                created_by_id=None,
                rule_id=rule.pk,
                title=rule.title,
                due_on=event_day + datetime.timedelta(days=rule.days_after),
            )
            self.follow_ups.append(task)
            self._audit(
                action="casework.followup_create_by_rule",
                obj=task,
                organisation=person.organisation,
                details={
                    "person": str(person.pk),
                    "referral": str(referral.pk) if referral is not None else None,
                    "rule": rule.pk,
                    "trigger": str(trigger),
                    "assigned_to": assignee.pk if assignee is not None else None,
                },
            )

    def _person_for_work(self, person: Person, refused: str) -> Person:
        """The person, locked, if the actor may work with them (a person registered in this
        batch is theirs); ``refused`` when they only see them; NotFound otherwise."""
        new = self._new_people.get(person.pk)
        if new is not None:
            return new
        if person.pk not in self._workable:
            self._workable[person.pk] = (
                access.people_workable_by(user=self.actor)
                .select_related("organisation")
                .select_for_update(of=("self",))
                .filter(pk=person.pk)
                .first()
            )
        found = self._workable[person.pk]
        if found is None:
            if access.people_visible_to(user=self.actor).filter(pk=person.pk).exists():
                raise PermissionDeniedError(refused)
            raise NotFoundError(str(person.pk))
        return found

    def _search_digests(self, person: Person) -> set[tuple[str, str]]:
        """``keys.search_digests`` of the person, each word hashed once per batch (names
        repeat: a batch's family names, a phone's default given names)."""
        digests: set[tuple[str, str]] = set()
        for word in name_words(person.given_name, person.family_name):
            if word not in self._word_digests:
                self._word_digests[word] = (
                    (SearchKeyKind.NAME_WORD, keyed_hash(SearchKeyKind.NAME_WORD, word)),
                    (
                        SearchKeyKind.NAME_SOUND,
                        keyed_hash(SearchKeyKind.NAME_SOUND, sounds_like(word)),
                    ),
                )
            digests.update(self._word_digests[word])
        phone = normalise_phone(person.phone)
        if phone:
            digests.add((SearchKeyKind.PHONE, keyed_hash(SearchKeyKind.PHONE, phone)))
        return digests

    def _touch(self, person: Person, moment: datetime.datetime) -> None:
        """``people.person_touch`` for a person of this batch (new or existing)."""
        if person.last_activity_at is None or person.last_activity_at < moment:
            person.last_activity_at = moment
        if person.pk not in self._new_people:
            self.touched[person.pk] = max(self.touched.get(person.pk, moment), moment)

    # -----------------------------------------------------------------------------------------
    # The records

    def person_register(
        self,
        *,
        consent_record: bool,
        given_name: str,
        sex: str,
        community: str,
        family_name: str = "",
        phone: str = "",
        phone_has_whatsapp: bool = False,
        year_of_birth: int | None = None,
        age_group: str = "",
        nationality: Country | None = None,
        area: AdminArea | None = None,
        notes: str = "",
        consent_contact: bool = False,
        consent_share: bool = False,
        client_uuid: uuid.UUID | None = None,
        code: str = "",
    ) -> Person:
        """``people.person_register`` with ``confirm_new`` (offline: no duplicate check)."""
        people._require(
            self.actor,
            Capability.CASE_WORK,
            self.organisation,
            _("Your role does not include registering people in this organisation."),
        )
        if not consent_record:
            raise ValidationError(
                {
                    "consent_record": [
                        _(
                            "Without the person's consent to record their data, do not register "
                            "them: count them in an outreach tally instead."
                        )
                    ]
                }
            )
        errors: dict[str, list[str]] = {}
        fields = people._clean_fields(
            {
                "given_name": given_name,
                "family_name": family_name,
                "phone": phone,
                "phone_has_whatsapp": phone_has_whatsapp and bool(phone.strip()),
                "sex": sex,
                "year_of_birth": year_of_birth,
                "age_group": age_group,
                "nationality": nationality,
                "area": area,
                "community": community,
                "notes": notes,
            },
            organisation=self.organisation,
            errors=errors,
        )
        if errors:
            raise ValidationError(errors)
        now = clock.now()
        person = Person(
            organisation=self.organisation,
            registered_by=self.actor,
            registered_at=now,
            last_activity_at=now,
            consents_to_contact=consent_contact,
            consents_to_share=consent_share,
            inquiry=None,
            client_uuid=client_uuid,
            **fields,
        )
        # The card code is settled when the batch is written (one query for all offered).
        self.offered_codes[person.pk] = code
        self.people.append(person)
        self._new_people[person.pk] = person
        self.search_keys.extend(
            (person.pk, self.organisation.pk, kind, digest)
            for kind, digest in sorted(self._search_digests(person))
        )
        given = [ConsentScope.RECORD]
        if consent_contact:
            given.append(ConsentScope.CONTACT)
        if consent_share:
            given.append(ConsentScope.SHARE)
        self.consents.extend(
            ConsentEvent(
                person_id=person.pk, scope=scope, granted=True, at=now, recorded_by_id=self.actor.pk
            )
            for scope in given
        )
        self._audit(
            action="casework.person_register",
            obj=person,
            organisation=self.organisation,
            details={
                "consents": [str(scope) for scope in given],
                "inquiry": None,
                "confirmed_new": True,
            },
        )
        self._tasks_from_rules(
            trigger=FollowUpTrigger.PERSON_REGISTERED, person=person, referral=None
        )
        return person

    def orientation_record(
        self,
        *,
        person: Person,
        occurred_at: datetime.datetime,
        topics: Sequence[Topic],
        channel: str,
        place_type: str,
        area: AdminArea | None,
        outcome: str,
        note: str = "",
        client_uuid: uuid.UUID | None = None,
    ) -> Orientation:
        """``orientations.orientation_record``."""
        person = self._person_for_work(
            person, _("Your role does not include recording orientations with this person.")
        )
        topic_ids = {topic.pk for topic in topics}
        allowed = list(
            {
                topic.pk: topic
                for topic in topics
                if topic.use == TopicUse.ORIENTATION and topic.is_active
            }.values()
        )
        now = clock.now()
        occurred_at, note = orientations.orientation_checked(
            person=person,
            topic_ids=topic_ids,
            allowed=allowed,
            occurred_at=occurred_at,
            channel=channel,
            place_type=place_type,
            outcome=outcome,
            note=note,
            now=now,
        )
        orientation = Orientation(
            organisation_id=person.organisation_id,
            person=person,
            worker=self.actor,
            occurred_at=occurred_at,
            channel=channel,
            place_type=place_type,
            area=area,
            outcome=outcome,
            note=note,
            client_uuid=client_uuid,
        )
        self.orientations.append((orientation, allowed))
        self._touch(person, now)
        self._audit(
            action="casework.orientation_record",
            obj=orientation,
            organisation=person.organisation,
            details=orientations.orientation_audit_details(orientation, allowed),
        )
        return orientation

    def _service_and_location(self, sal: ServiceAtLocation | None) -> tuple[Service, Location]:
        pair = (sal.service_id, sal.location_id) if sal is not None else (None, None)
        if pair not in self._services:
            try:
                self._services[pair] = referrals._service_and_location(
                    service_at_location=sal, service=None, location=None
                )
            except ValidationError as exc:
                self._services[pair] = exc
        found = self._services[pair]
        if isinstance(found, ValidationError):
            raise ValidationError(found.errors)
        return found

    def referral_create(
        self,
        *,
        person: Person,
        reason: str,
        service_at_location: ServiceAtLocation | None,
        urgency: str = Urgency.ROUTINE,
        note: str = "",
        client_uuid: uuid.UUID | None = None,
    ) -> Referral:
        """``referrals.referral_create`` (to a service at a location)."""
        locked = self._person_for_work(
            person, _("You can see this person but not refer them: your role only reads.")
        )
        errors: dict[str, list[str]] = {}
        clean_note = referrals.referral_request_checked(
            person=locked, reason=reason, urgency=urgency, note=note, errors=errors
        )
        try:
            chosen_service, chosen_location = self._service_and_location(service_at_location)
        except ValidationError as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        now = clock.now()
        referral = Referral(
            organisation=locked.organisation,
            receiving_organisation=chosen_service.owner,
            person=locked,
            referred_by=self.actor,
            service=chosen_service,
            location=chosen_location,
            reason=reason,
            urgency=urgency,
            note=clean_note,
            status=ReferralStatus.SENT,
            status_changed_at=now,
            sent_at=now,
            receive_by=now + datetime.timedelta(hours=conf.referral_receive_hours()),
            attend_by=now + datetime.timedelta(days=conf.referral_attend_days()),
            client_uuid=client_uuid,
        )
        self.referrals.append(referral)
        self.referral_events.append(
            ReferralEvent(
                referral=referral,
                at=now,
                actor=self.actor,
                organisation=locked.organisation,
                from_status="",
                to_status=ReferralStatus.SENT,
            )
        )
        self._audit(
            action="casework.referral_create",
            obj=referral,
            organisation=locked.organisation,
            details=referrals.referral_audit_details(referral),
        )
        self._touch(locked, now)
        self._tasks_from_rules(
            trigger=FollowUpTrigger.REFERRAL_SENT, person=locked, referral=referral
        )
        return referral

    def outreach_record(
        self, *, data: activities.OutreachInput, client_uuid: uuid.UUID | None = None
    ) -> OutreachActivity:
        """``activities.outreach_record``."""
        activities._require_recorder(self.actor, self.organisation)
        cells = activities._clean_outreach(self.organisation, data)
        activity = OutreachActivity(
            organisation=self.organisation,
            team=data.team,
            recorded_by=self.actor,
            date=data.date,
            place_type=data.place_type,
            place_name=data.place_name.strip(),
            area=data.area,
            materials=activities._materials(data),
            note=data.note.strip(),
            client_uuid=client_uuid,
        )
        self.activities.append(activity)
        self.tallies.extend(
            OutreachTally(
                activity=activity, sex=sex, age_group=age_group, community=community, count=count
            )
            for (sex, age_group, community), count in sorted(cells.items())
        )
        self._audit(
            action="casework.outreach_record",
            obj=activity,
            organisation=self.organisation,
            details={"people_reached": sum(cells.values()), "date": data.date.isoformat()},
        )
        return activity

    def vaccination_session_record(
        self, *, data: activities.SessionInput, client_uuid: uuid.UUID | None = None
    ) -> VaccinationSession:
        """``activities.vaccination_session_record``."""
        activities._require_recorder(self.actor, self.organisation)
        cells = activities._clean_session(self.organisation, data)
        session = VaccinationSession(
            organisation=self.organisation,
            recorded_by=self.actor,
            date=data.date,
            location=data.location,
            place_name=data.place_name.strip(),
            area=activities._session_area(data),
            people_referred=data.people_referred,
            note=data.note.strip(),
            client_uuid=client_uuid,
        )
        self.sessions.append(session)
        self.doses.extend(
            DoseTally(session=session, vaccine=vaccine, age_group=age_group, count=count)
            for (vaccine, age_group), count in sorted(cells.items())
        )
        self._audit(
            action="casework.vaccination_session_record",
            obj=session,
            organisation=self.organisation,
            details={"doses": sum(cells.values()), "date": data.date.isoformat()},
        )
        return session


def _settle_card_codes(batch: FieldBatch) -> None:
    """Each new person's card code: the one the phone offered when well formed and free (not
    taken, nor by an earlier person of the batch), else a new one; two queries at most."""
    offered = {
        person.pk: (batch.offered_codes.get(person.pk) or "").strip().upper()
        for person in batch.people
    }
    wanted = {code for code in offered.values() if people.CARD_CODE_PATTERN.match(code)}
    taken = set(Person.objects.filter(code__in=wanted).values_list("code", flat=True))
    needing: list[Person] = []
    for person in batch.people:
        code = offered[person.pk]
        if people.CARD_CODE_PATTERN.match(code) and code not in taken:
            person.code = code
            taken.add(code)
        else:
            needing.append(person)
    country = batch.organisation.country_id or ""
    for _attempt in range(20):
        if not needing:
            return
        fresh: dict[str, Person] = {}
        for person in needing:
            code = new_card_code(country)
            if code not in taken and code not in fresh:
                fresh[code] = person
        clash = set(Person.objects.filter(code__in=list(fresh)).values_list("code", flat=True))
        coded = {id(person) for person in fresh.values()}
        needing = [person for person in needing if id(person) not in coded]
        for code, person in fresh.items():
            if code in clash:
                needing.append(person)
            else:
                person.code = code
                taken.add(code)
    raise RuntimeError("no free card code after 20 attempts")  # 40 bits: never in practice


@transaction.atomic
def field_batch_write(*, batch: FieldBatch) -> None:
    """Write every record of ``batch`` with its dependants and audit entries, one INSERT per
    table. ``IntegrityError`` when a device uuid (or card code) was taken meanwhile: nothing
    of the batch is then written (see the module docstring)."""
    _settle_card_codes(batch)
    insert_objects(Person, batch.people)
    insert_rows(PersonSearchKey, SEARCH_KEY_FIELDS, batch.search_keys)
    insert_objects(ConsentEvent, batch.consents)
    for person_id, moment in batch.touched.items():
        Person.objects.filter(pk=person_id, last_activity_at__lt=moment).update(
            last_activity_at=moment
        )
    insert_objects(Orientation, [orientation for orientation, _topics in batch.orientations])
    through = Orientation.topics.through
    insert_objects(
        through,
        [
            through(orientation_id=orientation.pk, topic_id=topic.pk)
            for orientation, chosen in batch.orientations
            for topic in chosen
        ],
    )
    insert_objects(Referral, batch.referrals)
    insert_objects(ReferralEvent, batch.referral_events)
    insert_objects(FollowUp, batch.follow_ups)
    insert_objects(OutreachActivity, batch.activities)
    insert_objects(OutreachTally, batch.tallies)
    insert_objects(VaccinationSession, batch.sessions)
    insert_objects(DoseTally, batch.doses)
    # Last, in the order of the records: the change feed follows the audit log's ids.
    insert_objects(AuditEntry, batch.audits)
