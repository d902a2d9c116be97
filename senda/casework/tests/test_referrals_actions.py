"""Referral actions: sending, every step of the lifecycle, cancelling and expiry."""

from __future__ import annotations

import datetime
import io
import uuid

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions import referrals as actions
from senda.casework.models import (
    Person,
    Referral,
    ReferralEvent,
    ReferralOutcome,
    ReferralReason,
    ReferralStatus,
    Urgency,
)
from senda.casework.queries import referrals as queries
from senda.casework.tests.factories import PersonFactory, ReferralFactory, health_service
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.directory.models import PublicationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def promoter(users_a: dict[str, User]) -> User:
    return users_a[Role.HEALTH_PROMOTER]


@pytest.fixture
def focal(users_b: dict[str, User]) -> User:
    return users_b[Role.FOCAL_POINT]


@pytest.fixture
def person(org_a: Organisation, promoter: User) -> Person:
    return PersonFactory.create(organisation=org_a, registered_by=promoter)


def _send(promoter: User, person: Person, org_b: Organisation, **kwargs: object) -> Referral:
    place = kwargs.pop("place", None) or health_service(org_b)
    return actions.referral_create(
        actor=promoter,
        person=person,
        service_at_location=place,  # type: ignore[arg-type]
        reason=kwargs.pop("reason", ReferralReason.VACCINATION),  # type: ignore[arg-type]
        urgency=Urgency.SOON,
        note="Needs the second dose",
        **kwargs,  # type: ignore[arg-type]
    )


@override_settings(SENDA_REFERRAL_RECEIVE_HOURS=48, SENDA_REFERRAL_ATTEND_DAYS=10)
def test_sending_a_referral_records_it_its_history_and_an_audit_entry(
    promoter: User, person: Person, org_a: Organisation, org_b: Organisation
) -> None:
    # given a person from another organisation's day a week ago
    Person.objects.filter(pk=person.pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(days=7)
    )
    place = health_service(org_b)

    referral = _send(promoter, person, org_b, place=place)

    assert referral.receiving_organisation == org_b
    assert referral.organisation == org_a
    assert (referral.service, referral.location) == (place.service, place.location)
    assert referral.status == ReferralStatus.SENT
    assert referral.referred_by == promoter
    assert referral.receive_by - referral.sent_at == datetime.timedelta(hours=48)
    assert referral.attend_by - referral.sent_at == datetime.timedelta(days=10)
    event = ReferralEvent.objects.get(referral=referral)
    assert (event.from_status, event.to_status, event.actor) == ("", "sent", promoter)
    entry = AuditEntry.objects.get(action="casework.referral_create")
    assert entry.object_id == str(referral.pk) and entry.actor == promoter
    assert entry.details["person"] == str(person.pk)
    assert "Needs" not in str(entry.details)  # no note text in the audit trail
    person.refresh_from_db()
    assert timezone.now() - person.last_activity_at < datetime.timedelta(minutes=1)


def test_a_person_without_consent_to_share_cannot_be_referred(
    promoter: User, org_a: Organisation, org_b: Organisation
) -> None:
    person = PersonFactory.create(
        organisation=org_a, registered_by=promoter, consents_to_share=False
    )
    with pytest.raises(ValidationError) as error:
        _send(promoter, person, org_b)
    assert error.value.errors == {"__all__": [sharing_refusal()]}
    assert not Referral.objects.exists()


def test_only_a_published_service_offered_at_the_place_can_be_chosen(
    promoter: User, person: Person, org_b: Organisation
) -> None:
    draft = health_service(org_b)
    draft.service.publication_status = PublicationStatus.DRAFT
    draft.service.save()
    with pytest.raises(ValidationError) as error:
        _send(promoter, person, org_b, place=draft)
    assert "service" in error.value.errors
    other = health_service(org_b)
    with pytest.raises(ValidationError):
        actions.referral_create(
            actor=promoter,
            person=person,
            service=draft.service,
            location=other.location,
            reason=ReferralReason.VACCINATION,
        )
    assert not Referral.objects.exists()


def test_bad_reason_urgency_and_note_are_refused_together(
    promoter: User, person: Person, org_b: Organisation
) -> None:
    with pytest.raises(ValidationError) as error:
        actions.referral_create(
            actor=promoter,
            person=person,
            service_at_location=health_service(org_b),
            reason="magic",
            urgency="yesterday",
            note="x" * 3000,
        )
    assert {"reason", "urgency", "note"} <= set(error.value.errors)
    assert not Referral.objects.exists()


def test_who_may_refer_a_person(
    users_a: dict[str, User], users_b: dict[str, User], person: Person, org_b: Organisation
) -> None:
    place = health_service(org_b)
    with pytest.raises(PermissionDeniedError):
        _send(users_a[Role.PROGRAMME_OFFICER], person, org_b, place=place)
    for user in (users_a[Role.COMMUNITY_VOLUNTEER], users_b[Role.HEALTH_PROMOTER]):
        with pytest.raises(NotFoundError):
            _send(user, person, org_b, place=place)
    assert not Referral.objects.exists()


def test_the_same_client_uuid_creates_one_referral(
    promoter: User, person: Person, org_b: Organisation, users_b: dict[str, User]
) -> None:
    place = health_service(org_b)
    client_uuid = uuid.uuid4()
    first = _send(promoter, person, org_b, place=place, client_uuid=client_uuid)
    again = _send(promoter, person, org_b, place=place, client_uuid=client_uuid)
    assert again.pk == first.pk
    assert Referral.objects.count() == 1
    assert ReferralEvent.objects.count() == 1
    # Someone else's client uuid is no way to reach their referral.
    other_person = PersonFactory.create(
        organisation=users_b[Role.HEALTH_PROMOTER].memberships.get().organisation,
        registered_by=users_b[Role.HEALTH_PROMOTER],
    )
    with pytest.raises(ValidationError):
        _send(
            users_b[Role.HEALTH_PROMOTER], other_person, org_b, place=place, client_uuid=client_uuid
        )


def test_the_whole_lifecycle_is_kept_in_the_history(
    promoter: User, focal: User, person: Person, org_b: Organisation
) -> None:
    referral = _send(promoter, person, org_b)
    actions.referral_mark_received(actor=focal, referral_id=referral.pk)
    actions.referral_accept(actor=focal, referral_id=referral.pk)
    actions.referral_mark_attended(actor=focal, referral_id=referral.pk, note="Came on time")
    closed = actions.referral_close(
        actor=focal,
        referral_id=referral.pk,
        outcome=ReferralOutcome.VACCINATED,
        outcome_note="Second dose given",
    )

    assert closed.status == ReferralStatus.CLOSED
    assert closed.outcome == ReferralOutcome.VACCINATED
    assert closed.received_at and closed.attended_at and closed.closed_at
    events = list(ReferralEvent.objects.filter(referral=referral))
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", "sent"),
        ("sent", "received"),
        ("received", "accepted"),
        ("accepted", "attended"),
        ("attended", "closed"),
    ]
    assert all(e.actor == focal and e.organisation == org_b for e in events[1:])
    actions_audited = list(
        AuditEntry.objects.filter(object_id=str(referral.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions_audited == [
        "casework.referral_create",
        "casework.referral_received",
        "casework.referral_accepted",
        "casework.referral_attended",
        "casework.referral_closed",
    ]
    # The referrer sees the feedback.
    seen = queries.referral_get_sent(user=promoter, referral_id=referral.pk)
    assert seen.outcome_label and seen.outcome_note == "Second dose given"
    assert [h.to_status for h in seen.history][-1] == "closed"
    assert seen.history[-1].organisation_name == org_b.name


def test_a_step_out_of_order_is_refused_and_changes_nothing(
    promoter: User, focal: User, person: Person, org_b: Organisation
) -> None:
    referral = _send(promoter, person, org_b)
    with pytest.raises(ValidationError):
        actions.referral_mark_attended(actor=focal, referral_id=referral.pk)
    with pytest.raises(ValidationError):
        actions.referral_close(actor=focal, referral_id=referral.pk, outcome=ReferralOutcome.SERVED)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT
    assert ReferralEvent.objects.filter(referral=referral).count() == 1


def test_declining_needs_a_reason_and_keeps_it(
    promoter: User, focal: User, person: Person, org_b: Organisation
) -> None:
    referral = _send(promoter, person, org_b)
    actions.referral_mark_received(actor=focal, referral_id=referral.pk)
    with pytest.raises(ValidationError) as error:
        actions.referral_decline(actor=focal, referral_id=referral.pk, reason="  ")
    assert "reason" in error.value.errors
    declined = actions.referral_decline(
        actor=focal, referral_id=referral.pk, reason="No vaccines this week"
    )
    assert declined.status == ReferralStatus.DECLINED
    assert declined.decline_reason == "No vaccines this week"


def test_a_suspected_covid_case_closes_only_with_a_test_result(
    promoter: User, focal: User, person: Person, org_b: Organisation
) -> None:
    referral = _send(promoter, person, org_b, reason=ReferralReason.SUSPECTED_COVID)
    for step in (
        actions.referral_mark_received,
        actions.referral_accept,
        actions.referral_mark_attended,
    ):
        step(actor=focal, referral_id=referral.pk)
    with pytest.raises(ValidationError) as error:
        actions.referral_close(
            actor=focal, referral_id=referral.pk, outcome=ReferralOutcome.VACCINATED
        )
    assert "outcome" in error.value.errors
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ATTENDED and referral.outcome == ""
    closed = actions.referral_close(
        actor=focal, referral_id=referral.pk, outcome=ReferralOutcome.TESTED_NEGATIVE
    )
    assert closed.outcome == ReferralOutcome.TESTED_NEGATIVE
    assert actions.outcomes_for(ReferralReason.VACCINATION).count("tested_negative") == 0


def test_only_the_receiving_side_takes_its_steps(
    promoter: User, users_a: dict[str, User], person: Person, org_b: Organisation
) -> None:
    referral = _send(promoter, person, org_b)
    for user in (promoter, users_a[Role.FOCAL_POINT], users_a[Role.SUPERVISOR]):
        with pytest.raises(NotFoundError):
            actions.referral_mark_received(actor=user, referral_id=referral.pk)
    assert Referral.objects.get().status == ReferralStatus.SENT


def test_the_referring_side_cancels_with_a_reason(
    promoter: User,
    focal: User,
    users_a: dict[str, User],
    person: Person,
    org_b: Organisation,
) -> None:
    referral = _send(promoter, person, org_b)
    with pytest.raises(PermissionDeniedError):
        actions.referral_cancel(
            actor=users_a[Role.PROGRAMME_OFFICER], referral_id=referral.pk, reason="x"
        )
    with pytest.raises(NotFoundError):
        actions.referral_cancel(actor=focal, referral_id=referral.pk, reason="x")
    with pytest.raises(ValidationError):
        actions.referral_cancel(actor=promoter, referral_id=referral.pk, reason="")
    cancelled = actions.referral_cancel(
        actor=promoter, referral_id=referral.pk, reason="Moved to another city"
    )
    assert cancelled.status == ReferralStatus.CANCELLED
    event = ReferralEvent.objects.filter(referral=referral).last()
    assert event is not None and event.note == "Moved to another city"
    with pytest.raises(ValidationError):
        actions.referral_mark_received(actor=focal, referral_id=referral.pk)


@override_settings(SENDA_REFERRAL_EXPIRE_DAYS=30)
def test_expire_referrals_moves_stale_open_ones_to_expired(
    person: Person, org_b: Organisation
) -> None:
    long_ago = timezone.now() - datetime.timedelta(days=31)
    stale = ReferralFactory.create(person=person, sent_at=long_ago)
    accepted = ReferralFactory.create(
        person=person, sent_at=long_ago, status=ReferralStatus.ACCEPTED
    )
    attended = ReferralFactory.create(
        person=person, sent_at=long_ago, status=ReferralStatus.ATTENDED
    )
    recent = ReferralFactory.create(person=person)

    out = io.StringIO()
    call_command("expire_referrals", stdout=out)

    assert "2" in out.getvalue()
    statuses = dict(Referral.objects.values_list("pk", "status"))
    assert statuses[stale.pk] == statuses[accepted.pk] == ReferralStatus.EXPIRED
    assert statuses[attended.pk] == ReferralStatus.ATTENDED  # only closing follows attended
    assert statuses[recent.pk] == ReferralStatus.SENT
    entries = AuditEntry.objects.filter(action="casework.referral_expired")
    assert entries.count() == 2 and all(e.actor is None for e in entries)
    assert ReferralEvent.objects.filter(to_status="expired", actor=None).count() == 2
    # Running it again finds nothing more.
    call_command("expire_referrals", stdout=io.StringIO())
    assert ReferralEvent.objects.filter(to_status="expired").count() == 2


def test_overdue_when_not_received_or_not_attended_in_time(person: Person) -> None:
    now = timezone.now()
    sent_long_ago = ReferralFactory.create(person=person, sent_at=now - datetime.timedelta(days=4))
    accepted_late = ReferralFactory.create(
        person=person, sent_at=now - datetime.timedelta(days=20), status=ReferralStatus.ACCEPTED
    )
    closed_late = ReferralFactory.create(
        person=person, sent_at=now - datetime.timedelta(days=20), status=ReferralStatus.CLOSED
    )
    fresh = ReferralFactory.create(person=person)
    overdue = set(Referral.objects.filter(queries.overdue_q(now)).values_list("pk", flat=True))
    assert overdue == {sent_long_ago.pk, accepted_late.pk}
    assert queries.is_overdue(sent_long_ago, now) and not queries.is_overdue(fresh, now)
    assert not queries.is_overdue(closed_late, now)


def test_follow_up_rules_create_tasks_when_sent_and_attended(
    promoter: User, focal: User, person: Person, org_a: Organisation, org_b: Organisation
) -> None:
    from senda.casework.models import FollowUp, FollowUpRule, FollowUpTrigger

    FollowUpRule.objects.create(
        organisation=org_a,
        trigger=FollowUpTrigger.REFERRAL_SENT,
        days_after=7,
        title="Check attendance",
    )
    FollowUpRule.objects.create(
        organisation=org_a,
        trigger=FollowUpTrigger.REFERRAL_SENT,
        reason=ReferralReason.PRENATAL_CARE,
        days_after=3,
        title="Only for prenatal care",
    )
    FollowUpRule.objects.create(
        organisation=org_a,
        trigger=FollowUpTrigger.REFERRAL_ATTENDED,
        days_after=1,
        title="Ask how it went",
    )
    referral = _send(promoter, person, org_b)

    def titles() -> set[str]:
        return set(FollowUp.objects.filter(referral=referral).values_list("title", flat=True))

    assert "Check attendance" in titles() and "Only for prenatal care" not in titles()
    assert "Ask how it went" not in titles()
    actions.referral_mark_received(actor=focal, referral_id=referral.pk)
    actions.referral_accept(actor=focal, referral_id=referral.pk)
    actions.referral_mark_attended(actor=focal, referral_id=referral.pk)
    assert {"Check attendance", "Ask how it went"} <= titles()


def sharing_refusal() -> str:
    """The refusal, in the language the test runs in (Spanish, the default)."""
    return gettext(
        "This person has not agreed to sharing their data with the organisation a "
        "referral goes to: record their consent first, or give them the service's "
        "details instead."
    )
