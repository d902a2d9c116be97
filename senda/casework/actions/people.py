"""Every write to people: registration (consent first, duplicate check), changes, consent
given and withdrawn, merging duplicates, erasure on request and by retention.

Audit entries name fields and ids, never a personal value.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.casework import conf
from senda.casework.access import organisations_where, people_visible_to, people_workable_by
from senda.casework.keys import CODE_ALPHABET, new_card_code, store_search_keys
from senda.casework.models import (
    AgeGroup,
    Community,
    ConsentEvent,
    ConsentScope,
    FollowUp,
    FollowUpStatus,
    FollowUpTrigger,
    Orientation,
    Person,
    PersonSearchKey,
    Referral,
    ReferralEvent,
    Sex,
    age_group_for,
)
from senda.casework.queries.people import card_code_taken, duplicate_candidates, inquiry_prefill
from senda.core import clock
from senda.core.audit import audit
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.geo.models import AdminArea, Country
from senda.inquiries.models import Inquiry
from senda.inquiries.queries import inquiries_visible_to, may_act_on

MAX_NAME = 100
MAX_NOTES = 2000
OLDEST_AGE = 120
# Digits with the usual separators; "+" only at the start.
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()./-]*$")
CARD_CODE_PATTERN = re.compile(rf"^[A-Z]{{2}}-[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}$")

PERSONAL_FIELDS = ("given_name", "family_name", "phone", "notes")
EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "phone",
    "phone_has_whatsapp",
    "sex",
    "year_of_birth",
    "age_group",
    "nationality",
    "area",
    "community",
    "notes",
)


class ErasureReason:
    """Why a record was erased: a code, never free text (the audit must hold no personal
    values, and a free-text reason invites them)."""

    REQUEST = "request"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    RETENTION = "retention"
    REGISTERED_BY_MISTAKE = "mistake"

    choices = (
        (REQUEST, gettext_lazy("The person asked for their data to be deleted")),
        (CONSENT_WITHDRAWN, gettext_lazy("The person withdrew consent to record their data")),
        (RETENTION, gettext_lazy("No activity for the retention period")),
        (REGISTERED_BY_MISTAKE, gettext_lazy("Registered by mistake")),
    )
    values = frozenset(code for code, _label in choices)


class PossibleDuplicatesError(Exception):
    """People who may already be the one being registered: show them before saving."""

    def __init__(self, candidates: list[Person]) -> None:
        self.candidates = candidates
        super().__init__(f"{len(candidates)} possible duplicates")


def person_touch(person: Person, *, at: datetime.datetime | None = None) -> None:
    """Restart the retention clock of ``person``: call it from every action that works with
    them (orientation, referral, follow-up), inside that action's transaction."""
    moment = at or clock.now()
    Person.objects.filter(pk=person.pk, last_activity_at__lt=moment).update(last_activity_at=moment)
    if person.last_activity_at is None or person.last_activity_at < moment:
        person.last_activity_at = moment


# ---------------------------------------------------------------------------------------------
# Validation


def _clean_text(value: Any, field: str, limit: int, errors: dict[str, list[str]]) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        errors.setdefault(field, []).append(_("The text contains a character that is not allowed."))
    elif len(text) > limit:
        errors.setdefault(field, []).append(
            _("Use at most %(count)d characters.") % {"count": limit}
        )
    return text


def _clean_fields(
    data: dict[str, Any], *, organisation: Organisation, errors: dict[str, list[str]]
) -> dict[str, Any]:
    """Check the fields present in ``data`` (a registration passes all of them)."""
    cleaned: dict[str, Any] = {}
    if "given_name" in data:
        cleaned["given_name"] = _clean_text(data["given_name"], "given_name", MAX_NAME, errors)
        if not cleaned["given_name"] and "given_name" not in errors:
            errors["given_name"] = [_("Write the person's given name (a first name is enough).")]
    if "family_name" in data:
        cleaned["family_name"] = _clean_text(data["family_name"], "family_name", MAX_NAME, errors)
    if "phone" in data:
        phone = _clean_text(data["phone"], "phone", 30, errors)
        digits = sum(ch.isdigit() for ch in phone)
        if phone and (not PHONE_PATTERN.match(phone) or not 7 <= digits <= 15):
            errors.setdefault("phone", []).append(
                _("Write a phone number with 7 to 15 digits, such as +507 6123-4567.")
            )
        cleaned["phone"] = phone
    if "phone_has_whatsapp" in data:
        cleaned["phone_has_whatsapp"] = bool(data["phone_has_whatsapp"])
    if "notes" in data:
        cleaned["notes"] = _clean_text(data["notes"], "notes", MAX_NOTES, errors)
    if "sex" in data:
        if data["sex"] not in Sex.values:
            errors["sex"] = [_("Choose the person's sex (or 'other or not stated').")]
        cleaned["sex"] = data["sex"]
    if "community" in data:
        if data["community"] not in Community.values:
            errors["community"] = [
                _("Choose whether the person is a migrant or from the host community.")
            ]
        cleaned["community"] = data["community"]
    if "year_of_birth" in data or "age_group" in data:
        year = data.get("year_of_birth")
        this_year = clock.localdate().year
        if year is not None:
            if not isinstance(year, int) or not this_year - OLDEST_AGE <= year <= this_year:
                errors["year_of_birth"] = [
                    _("Write a year of birth between %(first)d and %(last)d.")
                    % {"first": this_year - OLDEST_AGE, "last": this_year}
                ]
            else:
                # The year decides the age group: never two answers that disagree.
                cleaned["age_group"] = age_group_for(this_year - year)
            cleaned["year_of_birth"] = year
        else:
            group = data.get("age_group") or ""
            if group not in AgeGroup.values:
                errors["age_group"] = [_("Give the year of birth or choose an age group.")]
            cleaned["year_of_birth"] = None
            cleaned["age_group"] = group
    if "nationality" in data:
        nationality = data["nationality"]
        if nationality is not None and not isinstance(nationality, Country):
            errors["nationality"] = [_("Choose a country from the list.")]
        cleaned["nationality"] = nationality
    if "area" in data:
        area = data["area"]
        if area is not None and not isinstance(area, AdminArea):
            errors["area"] = [_("Choose an area from the list.")]
        elif (
            area is not None
            and organisation.country_id
            and area.country_id != organisation.country_id
        ):
            errors["area"] = [
                _("Choose an area of %(country)s, where your organisation works.")
                % {"country": organisation.country}
            ]
        cleaned["area"] = area
    return cleaned


def _require(actor: User, capability: Capability, organisation: Organisation, message: str) -> None:
    if organisation not in organisations_where(actor, capability):
        raise PermissionDeniedError(message)


# ---------------------------------------------------------------------------------------------
# Registration


def _unused_card_code(organisation: Organisation) -> str:
    for _attempt in range(20):
        code = new_card_code(organisation.country_id or "")
        if not card_code_taken(code=code):
            return code
    raise RuntimeError("no free card code after 20 attempts")  # 40 bits: never in practice


def _offered_or_new_card_code(offered: str, organisation: Organisation) -> str:
    """The code a phone made offline (same alphabet and format as ``new_card_code``) when it
    is well formed and still free; otherwise a new one."""
    offered = (offered or "").strip().upper()
    if CARD_CODE_PATTERN.match(offered) and not card_code_taken(code=offered):
        return offered
    return _unused_card_code(organisation)


def _inquiry_for(actor: User, inquiry: Inquiry, organisation: Organisation) -> Inquiry:
    if not inquiries_visible_to(user=actor).filter(pk=inquiry.pk).exists():
        raise NotFoundError(str(inquiry.pk))
    if not may_act_on(user=actor, inquiry=inquiry):
        raise PermissionDeniedError(_("Your role does not include handling this request."))
    if Person.objects.filter(inquiry=inquiry).exists():
        raise ValidationError(
            {"inquiry": [_("A person has already been registered from this request.")]}
        )
    return inquiry


def person_register(
    *,
    actor: User,
    organisation: Organisation,
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
    confirm_new: bool = False,
    inquiry: Inquiry | None = None,
    client_uuid: uuid.UUID | None = None,
    code: str = "",
) -> Person:
    """Register a person who agreed to be recorded. Raises PossibleDuplicatesError with the
    people the actor may see who may be the same person, unless ``confirm_new``. ``code``: the
    card code the offline app printed, kept when it is well formed and free (else a new one)."""
    _require(
        actor,
        Capability.CASE_WORK,
        organisation,
        _("Your role does not include registering people in this organisation."),
    )
    if client_uuid is not None:
        existing = Person.objects.filter(client_uuid=client_uuid).first()
        if existing is not None:
            # The same upload twice: one person (the offline app retries).
            if (
                existing.organisation_id == organisation.pk
                and existing.registered_by_id == actor.pk
            ):
                return existing
            raise ValidationError({"client_uuid": [_("This client id is already used.")]})
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
    fields = _clean_fields(
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
        organisation=organisation,
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    if inquiry is not None:
        inquiry = _inquiry_for(actor, inquiry, organisation)
    candidates: list[Person] = []
    if not confirm_new:
        candidates = duplicate_candidates(
            user=actor,
            organisation=organisation,
            given_name=fields["given_name"],
            family_name=fields["family_name"],
            phone=fields["phone"],
            year_of_birth=fields["year_of_birth"],
            age_group=fields["age_group"],
        )
        if candidates:
            raise PossibleDuplicatesError(candidates)
    now = clock.now()
    with transaction.atomic():
        person = Person.objects.create(
            organisation=organisation,
            code=_offered_or_new_card_code(code, organisation),
            registered_by=actor,
            registered_at=now,
            last_activity_at=now,
            consents_to_contact=consent_contact,
            consents_to_share=consent_share,
            inquiry=inquiry,
            client_uuid=client_uuid,
            **fields,
        )
        store_search_keys(person)
        given = [ConsentScope.RECORD]
        if consent_contact:
            given.append(ConsentScope.CONTACT)
        if consent_share:
            given.append(ConsentScope.SHARE)
        ConsentEvent.objects.bulk_create(
            ConsentEvent(person=person, scope=scope, granted=True, at=now, recorded_by=actor)
            for scope in given
        )
        audit(
            actor=actor,
            action="casework.person_register",
            obj=person,
            organisation=organisation,
            details={
                "consents": [str(scope) for scope in given],
                "inquiry": str(inquiry.pk) if inquiry is not None else None,
                "confirmed_new": confirm_new,
            },
        )
        # Rules such as "call to check on them a month after registration" (for the person
        # just created: not read again). Imported here: the tasks actions import this module.
        from senda.casework.actions.tasks import follow_ups_from_rules_for_new

        follow_ups_from_rules_for_new(
            trigger=FollowUpTrigger.PERSON_REGISTERED, person=person, actor=actor
        )
    return person


def person_register_from_inquiry(
    *, actor: User, inquiry: Inquiry, organisation: Organisation | None = None, **fields: Any
) -> Person:
    """Register the person who sent a portal request: what the request tells (name, phone,
    area) fills what ``fields`` leaves out; consent is still asked, as for anyone."""
    if organisation is None:
        organisation = inquiry.organisation
    prefill = inquiry_prefill(inquiry=inquiry)
    if "area" in prefill and "area" not in fields:
        fields["area"] = inquiry.area
    for name in ("given_name", "family_name", "phone", "phone_has_whatsapp"):
        if name in prefill and not fields.get(name):
            fields[name] = prefill[name]
    return person_register(actor=actor, organisation=organisation, inquiry=inquiry, **fields)


# ---------------------------------------------------------------------------------------------
# Changes and consent


def _workable(actor: User, person: Person) -> Person:
    """``person`` fresh from the database, locked, if the actor may work with them."""
    found = people_workable_by(user=actor).select_for_update().filter(pk=person.pk).first()
    if found is None:
        if people_visible_to(user=actor).filter(pk=person.pk).exists():
            raise PermissionDeniedError(_("Your role does not include changing this record."))
        raise NotFoundError(str(person.pk))
    return found


def person_update(*, actor: User, person: Person, **changes: Any) -> Person:
    """Change a person's fields (only those passed). The search keys follow the name and
    phone; the audit lists the fields changed, never their values."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    with transaction.atomic():
        person = _workable(actor, person)
        if "year_of_birth" in changes and "age_group" not in changes:
            changes["age_group"] = person.age_group
        elif "age_group" in changes and "year_of_birth" not in changes:
            # Choosing an age group replaces a year of birth (the year would decide it).
            changes["year_of_birth"] = None
        errors: dict[str, list[str]] = {}
        cleaned = _clean_fields(changes, organisation=person.organisation, errors=errors)
        if errors:
            raise ValidationError(errors)
        if "phone" in cleaned and not cleaned["phone"]:
            cleaned["phone_has_whatsapp"] = False
        changed = [name for name, value in cleaned.items() if getattr(person, name) != value]
        for name in changed:
            setattr(person, name, cleaned[name])
        if changed:
            person.last_activity_at = clock.now()
            person.save(update_fields=[*changed, "last_activity_at"])
            if {"given_name", "family_name", "phone"} & set(changed):
                store_search_keys(person)
            audit(
                actor=actor,
                action="casework.person_update",
                obj=person,
                organisation=person.organisation,
                details={"fields": sorted(changed)},
            )
    return person


def _scope(scope: str) -> str:
    if scope not in ConsentScope.values:
        raise ValidationError({"scope": [_("Choose what the consent is about.")]})
    return scope


def consent_grant(*, actor: User, person: Person, scope: str) -> Person:
    """Record that the person now agrees to be contacted or to sharing (giving it twice
    records nothing new)."""
    scope = _scope(scope)
    if scope == ConsentScope.RECORD:
        raise ValidationError(
            {"scope": [_("Consent to record the data is given when the person is registered.")]}
        )
    with transaction.atomic():
        person = _workable(actor, person)
        flag = "consents_to_contact" if scope == ConsentScope.CONTACT else "consents_to_share"
        if getattr(person, flag):
            return person
        now = clock.now()
        setattr(person, flag, True)
        person.last_activity_at = now
        person.save(update_fields=[flag, "last_activity_at"])
        ConsentEvent.objects.create(
            person=person, scope=scope, granted=True, at=now, recorded_by=actor
        )
        audit(
            actor=actor,
            action="casework.consent_grant",
            obj=person,
            organisation=person.organisation,
            details={"scope": scope},
        )
    return person


def consent_withdraw(*, actor: User, person: Person, scope: str) -> Person:
    """Record a withdrawal, honoured at once: "record" erases the personal data; "contact"
    cancels the open follow-ups; "share" stops new referrals and hides the personal fields
    of open referrals from the receiving side (the referrals part reads the flag)."""
    scope = _scope(scope)
    with transaction.atomic():
        person = _workable(actor, person)
        now = clock.now()
        flags: dict[str, str] = {
            ConsentScope.CONTACT: "consents_to_contact",
            ConsentScope.SHARE: "consents_to_share",
        }
        flag = flags.get(scope)
        if flag is not None and not getattr(person, flag):
            return person
        ConsentEvent.objects.create(
            person=person, scope=scope, granted=False, at=now, recorded_by=actor
        )
        details: dict[str, Any] = {"scope": scope}
        if scope == ConsentScope.RECORD:
            audit(
                actor=actor,
                action="casework.consent_withdraw",
                obj=person,
                organisation=person.organisation,
                details=details,
            )
            return _erase(
                actor=actor, person=person, reason=ErasureReason.CONSENT_WITHDRAWN, now=now
            )
        assert flag is not None
        setattr(person, flag, False)
        person.last_activity_at = now
        person.save(update_fields=[flag, "last_activity_at"])
        if scope == ConsentScope.CONTACT:
            details["follow_ups_cancelled"] = _cancel_open_follow_ups(person)
        audit(
            actor=actor,
            action="casework.consent_withdraw",
            obj=person,
            organisation=person.organisation,
            details=details,
        )
    return person


def _cancel_open_follow_ups(person: Person) -> int:
    return FollowUp.objects.filter(person=person, status=FollowUpStatus.OPEN).update(
        status=FollowUpStatus.CANCELLED
    )


# ---------------------------------------------------------------------------------------------
# Merging duplicates


def _latest_consent(person: Person, scope: str) -> bool | None:
    event = ConsentEvent.objects.filter(person=person, scope=scope).order_by("-at", "-id").first()
    return None if event is None else event.granted


def person_merge(*, actor: User, keep: Person, duplicate: Person) -> Person:
    """Fold ``duplicate`` into ``keep`` (supervisors): its orientations, referrals, follow-ups
    and consent history move; the duplicate stays, marked merged, pointing to the kept one.
    The consent that stands is the latest recorded for each purpose across both."""
    if keep.pk == duplicate.pk:
        raise ValidationError({"duplicate": [_("Choose two different people.")]})
    with transaction.atomic():
        visible = people_visible_to(user=actor).select_for_update()
        found = {p.pk: p for p in visible.filter(pk__in=[keep.pk, duplicate.pk])}
        if keep.pk not in found or duplicate.pk not in found:
            raise NotFoundError(str(duplicate.pk if keep.pk in found else keep.pk))
        keep, duplicate = found[keep.pk], found[duplicate.pk]
        _require(
            actor,
            Capability.CASE_SUPERVISE,
            keep.organisation,
            _("Only a supervisor can merge two records."),
        )
        if keep.organisation_id != duplicate.organisation_id:
            raise ValidationError(
                {"duplicate": [_("Only records of the same organisation can be merged.")]}
            )
        moved = {
            "orientations": Orientation.objects.filter(person=duplicate).update(person=keep),
            "referrals": Referral.objects.filter(person=duplicate).update(person=keep),
            "follow_ups": FollowUp.objects.filter(person=duplicate).update(person=keep),
            "consent_events": ConsentEvent.objects.filter(person=duplicate).update(person=keep),
        }
        now = clock.now()
        for scope, flag in (
            (ConsentScope.CONTACT, "consents_to_contact"),
            (ConsentScope.SHARE, "consents_to_share"),
        ):
            latest = _latest_consent(keep, scope)
            if latest is not None:
                setattr(keep, flag, latest)
        keep.last_activity_at = max(keep.last_activity_at, duplicate.last_activity_at, now)
        update_fields = ["consents_to_contact", "consents_to_share", "last_activity_at"]
        if keep.inquiry_id is None and duplicate.inquiry_id is not None:
            keep.inquiry_id, duplicate.inquiry_id = duplicate.inquiry_id, None
            duplicate.save(update_fields=["inquiry"])
            update_fields.append("inquiry")
        keep.save(update_fields=update_fields)
        duplicate.merged_into = keep
        duplicate.last_activity_at = now
        duplicate.save(update_fields=["merged_into", "last_activity_at"])
        audit(
            actor=actor,
            action="casework.person_merge",
            obj=keep,
            organisation=keep.organisation,
            details={"duplicate": str(duplicate.pk), "moved": moved},
        )
        audit(
            actor=actor,
            action="casework.person_merged_into",
            obj=duplicate,
            organisation=duplicate.organisation,
            details={"kept": str(keep.pk)},
        )
    return keep


# ---------------------------------------------------------------------------------------------
# Erasure


def _erase(*, actor: User | None, person: Person, reason: str, now: datetime.datetime) -> Person:
    """Blank the personal data, keep what aggregates count. Inside the caller's transaction."""
    cancelled = _cancel_open_follow_ups(person)
    FollowUp.objects.filter(person=person).update(note="")
    Orientation.objects.filter(person=person).update(note="")
    Referral.objects.filter(person=person).update(note="", outcome_note="", decline_reason="")
    ReferralEvent.objects.filter(referral__person=person).update(note="")
    PersonSearchKey.objects.filter(person=person).delete()
    for name in PERSONAL_FIELDS:
        setattr(person, name, "")
    person.phone_has_whatsapp = False
    # The age group stays for aggregates; the exact year would help re-identify.
    person.year_of_birth = None
    person.consents_to_contact = False
    person.consents_to_share = False
    # A new code: the card the person holds no longer points to anything.
    person.code = _unused_card_code(person.organisation)
    # The request holds what the person wrote in clear text; the link would tie it back.
    person.inquiry = None
    person.erased_at = now
    person.save()
    audit(
        actor=actor,
        action="casework.person_erase",
        obj=person,
        organisation=person.organisation,
        details={"reason": reason, "follow_ups_cancelled": cancelled},
    )
    return person


def person_erase(*, actor: User, person: Person, reason: str) -> Person:
    """Erase a person's data on request (PEOPLE_ERASE): names, phone, notes, search keys,
    card code; sex, age group, nationality, area and community stay for the aggregates, and
    so do the rows of orientations and referrals (their notes blanked)."""
    if reason not in ErasureReason.values:
        raise ValidationError({"reason": [_("Choose why the data is erased.")]})
    with transaction.atomic():
        found = (
            people_visible_to(user=actor, include_inactive=True)
            .select_for_update()
            .filter(pk=person.pk)
            .first()
        )
        if found is None:
            raise NotFoundError(str(person.pk))
        _require(
            actor,
            Capability.PEOPLE_ERASE,
            found.organisation,
            _("Your role does not include erasing people's data."),
        )
        if found.erased_at is not None:
            raise ValidationError(_("This person's data has already been erased."))
        return _erase(actor=actor, person=found, reason=reason, now=clock.now())


def people_apply_retention(
    *,
    now: datetime.datetime | None = None,
    batch_size: int = 200,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Erase every record without activity for ``conf.retention_days()`` (the retention
    command; no actor). Each batch in its own transaction: an interrupted run resumes."""
    from senda.casework.queries.people import people_for_retention

    now = now or clock.now()
    days = conf.retention_days()
    erased = 0
    while True:
        with transaction.atomic():
            batch = list(
                people_for_retention(now=now, days=days)
                .select_related("organisation")
                .select_for_update()[:batch_size]
            )
            for person in batch:
                _erase(actor=None, person=person, reason=ErasureReason.RETENTION, now=now)
        erased += len(batch)
        if progress is not None and batch:
            progress(erased)
        if len(batch) < batch_size:
            return erased


def erasure_reason_label(code: str) -> str:
    return str(dict(ErasureReason.choices).get(code, code))
