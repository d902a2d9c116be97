"""People: registration with consent and the duplicate check, changes, consent, merge, erasure,
retention (``senda.casework.actions.people``) and search (``queries.people``)."""

from __future__ import annotations

import datetime
import uuid
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions.people import (
    ErasureReason,
    PossibleDuplicatesError,
    consent_grant,
    consent_withdraw,
    person_erase,
    person_merge,
    person_register,
    person_touch,
    person_update,
)
from senda.casework.models import (
    ConsentEvent,
    ConsentScope,
    FollowUp,
    FollowUpStatus,
    Person,
    PersonSearchKey,
    Referral,
)
from senda.casework.queries import people as queries
from senda.casework.tests.factories import (
    FollowUpFactory,
    PersonFactory,
    ReferralFactory,
    TeamFactory,
)
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.geo.models import AdminArea, Country

pytestmark = pytest.mark.django_db


def register(actor: User, organisation: Organisation, **fields: Any) -> Person:
    values: dict[str, Any] = {
        "consent_record": True,
        "given_name": "Yésica",
        "family_name": "Pérez Gómez",
        "phone": "+507 6123-4567",
        "sex": "female",
        "community": "migrant",
        "year_of_birth": 1994,
    }
    values.update(fields)
    return person_register(actor=actor, organisation=organisation, **values)


def test_registration_needs_consent_and_points_to_a_tally(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    with pytest.raises(ValidationError) as refused:
        register(users_a[Role.HEALTH_PROMOTER], org_a, consent_record=False)
    assert "consent_record" in refused.value.errors
    assert "tally" in refused.value.messages[0] or "conteo" in refused.value.messages[0]
    assert not Person.objects.exists()


def test_registration_stores_consent_keys_age_group_and_audit(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = register(promoter, org_a, consent_contact=True, family_name="")
    person.refresh_from_db()
    assert person.given_name == "Yésica"
    assert person.age_group == "30-59" or person.age_group == "18-29"
    assert person.code.startswith("SE-") and len(person.code) == 12
    assert person.consents_to_contact and not person.consents_to_share
    scopes = set(person.consent_events.values_list("scope", "granted"))
    assert scopes == {(ConsentScope.RECORD, True), (ConsentScope.CONTACT, True)}
    assert person.search_keys.filter(kind="phone").count() == 1
    entry = AuditEntry.objects.get(action="casework.person_register")
    assert entry.object_id == str(person.pk) and entry.actor == promoter
    assert "Yésica" not in str(entry.details) and "6123" not in str(entry.details)


def test_registration_validates_with_clear_messages(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    org_a.country_id = "PA"
    org_a.save()
    elsewhere = AdminArea.objects.exclude(country_id="PA").first()
    with pytest.raises(ValidationError) as refused:
        register(
            users_a[Role.HEALTH_PROMOTER],
            org_a,
            given_name=" ",
            phone="call me",
            year_of_birth=1800,
            sex="x",
            area=elsewhere,
        )
    assert set(refused.value.errors) == {"given_name", "phone", "year_of_birth", "sex", "area"}
    with pytest.raises(ValidationError) as no_age:
        register(users_a[Role.HEALTH_PROMOTER], org_a, year_of_birth=None, age_group="")
    assert "age_group" in no_age.value.errors
    assert not Person.objects.exists()


def test_card_code_carries_the_organisation_country(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    org_a.country = Country.objects.get(code="PA")
    org_a.save()
    person = register(users_a[Role.HEALTH_PROMOTER], org_a, year_of_birth=None, age_group="60+")
    assert person.code.startswith("PA-")
    assert person.age_group == "60+" and person.year_of_birth is None


def test_roles_without_case_work_cannot_register(
    org_a: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    for user in (users_a[Role.VIEWER], users_a[Role.PROGRAMME_OFFICER], users_b[Role.SUPERVISOR]):
        with pytest.raises(PermissionDeniedError):
            register(user, org_a)
    assert not Person.objects.exists()


def test_client_uuid_makes_registration_idempotent(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    client_uuid = uuid.uuid4()
    first = register(promoter, org_a, client_uuid=client_uuid)
    again = register(promoter, org_a, client_uuid=client_uuid)
    assert again.pk == first.pk and Person.objects.count() == 1


def test_duplicates_by_phone_or_similar_name_and_age(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    same_phone = PersonFactory.create(
        organisation=org_a, registered_by=promoter, given_name="Ana", phone="61234567"
    )
    sounds_alike = PersonFactory.create(
        organisation=org_a,
        registered_by=promoter,
        given_name="Jessica",
        family_name="Lopez",
        year_of_birth=1995,
    )
    PersonFactory.create(
        organisation=org_a, registered_by=promoter, given_name="Yessica", year_of_birth=1970
    )
    with pytest.raises(PossibleDuplicatesError) as found:
        register(promoter, org_a)
    assert {p.pk for p in found.value.candidates} == {same_phone.pk, sounds_alike.pk}
    assert Person.objects.count() == 3
    person = register(promoter, org_a, confirm_new=True)
    assert AuditEntry.objects.get(object_id=str(person.pk)).details["confirmed_new"] is True


def test_duplicate_candidates_never_include_people_the_user_cannot_see(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    PersonFactory.create(
        organisation=org_a, registered_by=users_a[Role.HEALTH_PROMOTER], phone="61234567"
    )
    PersonFactory.create(
        organisation=org_b, registered_by=users_b[Role.HEALTH_PROMOTER], phone="61234567"
    )
    person = register(volunteer, org_a)  # no candidates: nothing leaks
    assert person.registered_by == volunteer


def test_search_by_code_name_words_sound_and_phone(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = register(promoter, org_a)
    other = PersonFactory.create(organisation=org_a, registered_by=promoter, given_name="Luis")
    PersonFactory.create(
        organisation=org_b,
        registered_by=users_b[Role.HEALTH_PROMOTER],
        given_name="Yésica",
        family_name="Pérez",
    )

    def found(text: str, user: User = promoter) -> set[object]:
        return set(queries.people_search(user=user, text=text).values_list("pk", flat=True))

    assert found(person.code.lower().replace("-", "")) == {person.pk}
    assert found("gomez YESICA") == {person.pk}
    assert found("Jessica") == {person.pk}
    assert found("6123 4567") == {person.pk}
    assert found("+50761234567") == {person.pk}
    assert found("yesica luis") == set()
    assert found("") == {person.pk, other.pk}
    assert found("gomez", users_b[Role.HEALTH_PROMOTER]) == set()


def test_update_changes_fields_and_search_keys(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = register(promoter, org_a)
    person_update(actor=promoter, person=person, given_name="Rosa", phone="", year_of_birth=2010)
    person.refresh_from_db()
    assert person.given_name == "Rosa" and person.phone == "" and person.age_group == "12-17"
    assert not person.search_keys.filter(kind="phone").exists()
    assert set(queries.people_search(user=promoter, text="rosa")) == {person}
    entry = AuditEntry.objects.get(action="casework.person_update")
    assert entry.details == {"fields": ["age_group", "given_name", "phone", "year_of_birth"]}
    with pytest.raises(PermissionDeniedError):
        person_update(actor=users_a[Role.PROGRAMME_OFFICER], person=person, given_name="X")
    with pytest.raises(ValidationError):
        person_update(actor=promoter, person=person, code="XX")


def test_withdrawing_contact_cancels_open_follow_ups(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    task = FollowUpFactory.create(person=person)
    done = FollowUpFactory.create(person=person, status=FollowUpStatus.DONE)
    consent_withdraw(actor=promoter, person=person, scope="contact")
    person.refresh_from_db()
    assert not person.consents_to_contact
    assert FollowUp.objects.get(pk=task.pk).status == FollowUpStatus.CANCELLED
    assert FollowUp.objects.get(pk=done.pk).status == FollowUpStatus.DONE
    consent_grant(actor=promoter, person=person, scope="contact")
    person.refresh_from_db()
    assert person.consents_to_contact
    history = list(person.consent_events.filter(scope="contact").values_list("granted", flat=True))
    assert history == [True, False, True]
    consent_withdraw(actor=promoter, person=person, scope="share")
    person.refresh_from_db()
    assert not person.consents_to_share


def test_withdrawing_record_consent_erases(org_a: Organisation, users_a: dict[str, User]) -> None:
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    person = PersonFactory.create(organisation=org_a, registered_by=volunteer)
    consent_withdraw(actor=volunteer, person=person, scope="record")
    person.refresh_from_db()
    assert person.erased_at is not None and person.given_name == ""
    assert ConsentEvent.objects.filter(person=person, scope="record", granted=False).exists()
    assert AuditEntry.objects.get(action="casework.person_erase").details["reason"] == (
        ErasureReason.CONSENT_WITHDRAWN
    )


def test_merge_moves_history_and_keeps_both(org_a: Organisation, users_a: dict[str, User]) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    TeamFactory.create(organisation=org_a, supervisor=supervisor, members=[volunteer])
    keep = PersonFactory.create(organisation=org_a, registered_by=volunteer)
    duplicate = PersonFactory.create(
        organisation=org_a, registered_by=volunteer, consents_to_share=False
    )
    referral = ReferralFactory.create(person=duplicate)
    task = FollowUpFactory.create(person=duplicate)
    consent_withdraw(actor=volunteer, person=duplicate, scope="contact")  # latest: withdrawn
    with pytest.raises(PermissionDeniedError):
        person_merge(actor=volunteer, keep=keep, duplicate=duplicate)
    person_merge(actor=supervisor, keep=keep, duplicate=duplicate)
    keep.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == keep and duplicate.given_name  # history of both kept
    assert Referral.objects.get(pk=referral.pk).person == keep
    assert FollowUp.objects.get(pk=task.pk).person == keep
    assert keep.consent_events.count() == 2 + 1 + 2 + 1  # both histories, plus the withdrawal
    assert not keep.consents_to_contact  # the latest decision stands
    assert keep.consents_to_share
    assert queries.kept_person_for(user=supervisor, person=duplicate) == keep
    assert AuditEntry.objects.filter(action="casework.person_merge", object_id=str(keep.pk))


def test_merge_refuses_people_out_of_sight(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    keep = PersonFactory.create(organisation=org_a, registered_by=supervisor)
    elsewhere = PersonFactory.create(organisation=org_b, registered_by=users_b[Role.SUPERVISOR])
    with pytest.raises(NotFoundError):
        person_merge(actor=supervisor, keep=keep, duplicate=elsewhere)
    assert Person.objects.filter(merged_into__isnull=False).count() == 0


def test_erase_blanks_personal_data_and_keeps_aggregates(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = register(promoter, org_a, notes="embarazada", consent_contact=True)
    code = person.code
    referral = ReferralFactory.create(person=person, note="needs a wheelchair")
    task = FollowUpFactory.create(person=person, note="call at night")
    # The task made by hand and the one the registration rule made.
    open_tasks = FollowUp.objects.filter(person=person, status=FollowUpStatus.OPEN).count()
    assert open_tasks == 2
    with pytest.raises(PermissionDeniedError):
        person_erase(actor=promoter, person=person, reason=ErasureReason.REQUEST)
    with pytest.raises(ValidationError):
        person_erase(actor=users_a[Role.PROGRAMME_OFFICER], person=person, reason="because")
    person_erase(actor=users_a[Role.PROGRAMME_OFFICER], person=person, reason="request")
    person.refresh_from_db()
    assert (person.given_name, person.family_name, person.phone, person.notes) == ("", "", "", "")
    assert person.code != code and person.erased_at is not None and person.year_of_birth is None
    assert (person.sex, person.community, person.nationality_id) == ("female", "migrant", None)
    assert person.age_group
    assert not PersonSearchKey.objects.filter(person=person).exists()
    referral.refresh_from_db()
    task.refresh_from_db()
    assert referral.note == "" and referral.reason == "vaccination"
    assert task.status == FollowUpStatus.CANCELLED and task.note == ""
    entry = AuditEntry.objects.get(action="casework.person_erase")
    assert entry.details == {"reason": "request", "follow_ups_cancelled": open_tasks}
    assert entry.actor == users_a[Role.PROGRAMME_OFFICER]
    assert not queries.people_search(user=promoter, text="yesica").exists()


def test_retention_command_erases_inactive_people(
    org_a: Organisation, users_a: dict[str, User], settings: Any
) -> None:
    settings.SENDA_RETENTION_DAYS = 30
    promoter = users_a[Role.HEALTH_PROMOTER]
    old = PersonFactory.create(
        organisation=org_a,
        registered_by=promoter,
        last_activity_at=timezone.now() - datetime.timedelta(days=31),
    )
    touched = PersonFactory.create(
        organisation=org_a,
        registered_by=promoter,
        last_activity_at=timezone.now() - datetime.timedelta(days=40),
    )
    person_touch(touched)
    recent = PersonFactory.create(organisation=org_a, registered_by=promoter)
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert out.getvalue().startswith("1 ")
    call_command("apply_retention", "--batch-size", "1", stdout=out)
    assert "1 records erased" in out.getvalue()
    old.refresh_from_db()
    assert old.erased_at is not None and old.given_name == ""
    kept = Person.objects.filter(pk__in=[touched.pk, recent.pk], erased_at__isnull=True)
    assert kept.count() == 2
    entry = AuditEntry.objects.get(action="casework.person_erase")
    assert entry.actor is None and entry.channel == AuditEntry.Channel.COMMAND
    assert entry.details["reason"] == "retention"


def test_supervisor_duplicate_pairs(org_a: Organisation, users_a: dict[str, User]) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    first = PersonFactory.create(
        organisation=org_a, registered_by=supervisor, given_name="Wilmer", family_name="Ríos"
    )
    second = PersonFactory.create(
        organisation=org_a,
        registered_by=supervisor,
        given_name="Guilmer",
        family_name="Rios",
        year_of_birth=1996,
    )
    PersonFactory.create(
        organisation=org_a,
        registered_by=supervisor,
        given_name="Guilmer",
        family_name="Rios",
        year_of_birth=1960,
    )
    phone_a = PersonFactory.create(organisation=org_a, registered_by=supervisor, phone="6999-0000")
    phone_b = PersonFactory.create(
        organisation=org_a, registered_by=supervisor, phone="+507 6999 0000"
    )
    pairs = {
        frozenset({pair.first.pk, pair.second.pk})
        for pair in queries.duplicate_pairs(user=supervisor)
    }
    assert pairs == {frozenset({first.pk, second.pk}), frozenset({phone_a.pk, phone_b.pk})}
    assert queries.duplicate_pairs(user=users_a[Role.HEALTH_PROMOTER]) == []
