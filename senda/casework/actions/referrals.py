"""Referrals: sending a person to a service of the directory, and every step of its life.

Each step is one action: it locks the referral, checks the step against
``REFERRAL_TRANSITIONS``, and writes the new status, a ``ReferralEvent`` and an audit entry in
one transaction, so that the status and its history never disagree. The receiving side acts
within ``access.referrals_received_by``; the referring side within ``people_workable_by``.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.casework import access, conf
from senda.casework.actions.people import person_touch
from senda.casework.actions.tasks import follow_ups_from_rules, follow_ups_from_rules_for_new
from senda.casework.models import (
    COVID_OUTCOMES,
    REFERRAL_TRANSITIONS,
    FollowUpTrigger,
    Person,
    Referral,
    ReferralEvent,
    ReferralOutcome,
    ReferralReason,
    ReferralStatus,
    Urgency,
)
from senda.core import clock
from senda.core.audit import audit
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.queries import get_or_not_found
from senda.directory.models import (
    Location,
    PublicationStatus,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)

NOTE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 300  # Referral.decline_reason's column


# ---------------------------------------------------------------------------------------------
# Input checks shared by the actions


def _clean_text(value: str, *, field: str, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationError({field: [_("The text contains a character that is not allowed.")]})
    if len(text) > max_length:
        raise ValidationError(
            {field: [_("Use at most %(count)d characters.") % {"count": max_length}]}
        )
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    return text


def _person_for_work(*, actor: User, person_id: Any) -> Person:
    """The person, locked, if ``actor`` may work with them; a refusal says why."""
    # Only the person's row is locked; the organisation comes in the same query (the
    # referral, its audit entry and the rules need it).
    workable = access.people_workable_by(user=actor).select_related("organisation")
    try:
        return get_or_not_found(workable.select_for_update(of=("self",)), person_id)
    except NotFoundError:
        if access.people_visible_to(user=actor).filter(pk=person_id).exists():
            raise PermissionDeniedError(
                _("You can see this person but not refer them: your role only reads.")
            ) from None
        raise


def _service_and_location(
    *,
    service_at_location: ServiceAtLocation | None,
    service: Service | None,
    location: Location | None,
) -> tuple[Service, Location]:
    if service_at_location is not None:
        service_id, location_id = service_at_location.service_id, service_at_location.location_id
    elif service is not None and location is not None:
        service_id, location_id = service.pk, location.pk
    else:
        raise ValidationError({"service": [_("Choose a service and where it is offered.")]})
    found = (
        ServiceAtLocation.objects.select_related("service__owner", "location")
        .filter(
            service_id=service_id,
            location_id=location_id,
            service__publication_status=PublicationStatus.PUBLISHED,
        )
        .exclude(service__status__in=[ServiceStatus.DEFUNCT, ServiceStatus.INACTIVE])
        .first()
    )
    if found is None:
        raise ValidationError(
            {"service": [_("This service is not published or is not offered at this place.")]}
        )
    return found.service, found.location


# ---------------------------------------------------------------------------------------------
# Sending


def referral_request_checked(
    *, person: Person, reason: str, urgency: str, note: str, errors: dict[str, list[str]]
) -> str:
    """The checks of a new referral's request (shared with the sync's batch writer): adds a
    message per field to ``errors`` and returns the cleaned note ("" when it is refused)."""
    if reason not in ReferralReason.values:
        errors["reason"] = [_("Choose a reason for the referral.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Choose how urgent it is.")]
    if not person.consents_to_share:
        errors["__all__"] = [
            _(
                "This person has not agreed to sharing their data with the organisation a "
                "referral goes to: record their consent first, or give them the service's "
                "details instead."
            )
        ]
    try:
        return _clean_text(note, field="note", max_length=NOTE_MAX_LENGTH)
    except ValidationError as exc:
        errors.update(exc.errors)
        return ""


def referral_audit_details(referral: Referral) -> dict[str, Any]:
    """The audit details of a new referral (shared with the sync's batch writer)."""
    return {
        "person": str(referral.person_id),
        "service": str(referral.service_id),
        "location": str(referral.location_id),
        "receiving_organisation": str(referral.receiving_organisation_id),
        "reason": referral.reason,
        "urgency": referral.urgency,
    }


@transaction.atomic
def referral_create(
    *,
    actor: User,
    person: Person,
    reason: str,
    service_at_location: ServiceAtLocation | None = None,
    service: Service | None = None,
    location: Location | None = None,
    urgency: str = Urgency.ROUTINE,
    note: str = "",
    client_uuid: uuid.UUID | None = None,
) -> Referral:
    """Refer ``person`` to a published service at a location that offers it, for ``reason``.

    Only for a person the actor works with and who agreed to sharing with the receiving
    organisation. A repeated ``client_uuid`` returns the referral it created the first time."""
    if client_uuid is not None:
        existing = Referral.objects.filter(client_uuid=client_uuid).first()
        if existing is not None:
            if access.referrals_sent_visible_to(user=actor).filter(pk=existing.pk).exists():
                return existing
            raise ValidationError({"client_uuid": [_("This client id is already used.")]})
    locked = _person_for_work(actor=actor, person_id=person.pk)
    errors: dict[str, list[str]] = {}
    clean_note = referral_request_checked(
        person=locked, reason=reason, urgency=urgency, note=note, errors=errors
    )
    try:
        chosen_service, chosen_location = _service_and_location(
            service_at_location=service_at_location, service=service, location=location
        )
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)

    now = clock.now()
    referral = Referral.objects.create(
        organisation=locked.organisation,
        receiving_organisation=chosen_service.owner,
        person=locked,
        referred_by=actor,
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
    ReferralEvent.objects.create(
        referral=referral,
        at=now,
        actor=actor,
        organisation=locked.organisation,
        from_status="",
        to_status=ReferralStatus.SENT,
    )
    audit(
        actor=actor,
        action="casework.referral_create",
        obj=referral,
        organisation=locked.organisation,
        details=referral_audit_details(referral),
    )
    person_touch(locked, at=now)  # referring is activity: the retention clock restarts
    # ``locked`` is this transaction's fresh, locked row and the referral is new.
    follow_ups_from_rules_for_new(
        trigger=FollowUpTrigger.REFERRAL_SENT, person=locked, referral=referral, actor=actor
    )
    return referral


# ---------------------------------------------------------------------------------------------
# Steps


def _step(
    *,
    actor: User | None,
    referrals: QuerySet[Referral],
    referral_id: Any,
    to_status: str,
    organisation: Callable[[Referral], Organisation | None],
    note: str = "",
    details: dict[str, Any] | None = None,
    apply: Callable[[Referral, datetime.datetime], None] | None = None,
    at: datetime.datetime | None = None,
) -> Referral:
    """Move one referral (found in ``referrals``, locked) to ``to_status``, with its history
    row and audit entry. Must run inside the caller's transaction."""
    referral = get_or_not_found(
        referrals.select_for_update(of=("self",)).select_related(
            "person", "organisation", "receiving_organisation"
        ),
        referral_id,
    )
    allowed = REFERRAL_TRANSITIONS.get(referral.status, frozenset())
    if to_status not in allowed:
        raise ValidationError(
            _("This referral is %(status)s: it cannot become %(next)s now.")
            % {
                "status": ReferralStatus(referral.status).label,
                "next": ReferralStatus(to_status).label,
            }
        )
    now = at or clock.now()
    from_status = referral.status
    referral.status = to_status
    referral.status_changed_at = now
    if apply is not None:
        apply(referral, now)
    referral.save()
    acting_for = organisation(referral)
    ReferralEvent.objects.create(
        referral=referral,
        at=now,
        actor=actor,
        organisation=acting_for,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
    audit(
        actor=actor,
        action=f"casework.referral_{to_status}",
        obj=referral,
        organisation=acting_for,
        details={"from": from_status, "to": to_status, **(details or {})},
    )
    return referral


def _received_by(actor: User) -> QuerySet[Referral]:
    return access.referrals_received_by(user=actor)


def _receiving(referral: Referral) -> Organisation:
    return referral.receiving_organisation


def _referring(referral: Referral) -> Organisation:
    return referral.organisation


@transaction.atomic
def referral_mark_received(*, actor: User, referral_id: Any) -> Referral:
    """The receiving organisation has seen the referral."""

    def apply(referral: Referral, now: datetime.datetime) -> None:
        referral.received_at = now

    return _step(
        actor=actor,
        referrals=_received_by(actor),
        referral_id=referral_id,
        to_status=ReferralStatus.RECEIVED,
        organisation=_receiving,
        apply=apply,
    )


@transaction.atomic
def referral_accept(*, actor: User, referral_id: Any, note: str = "") -> Referral:
    """The receiving organisation will serve the person."""
    clean_note = _clean_text(note, field="note", max_length=NOTE_MAX_LENGTH)
    return _step(
        actor=actor,
        referrals=_received_by(actor),
        referral_id=referral_id,
        to_status=ReferralStatus.ACCEPTED,
        organisation=_receiving,
        note=clean_note,
    )


@transaction.atomic
def referral_decline(*, actor: User, referral_id: Any, reason: str) -> Referral:
    """The receiving organisation cannot serve the person, and says why (required)."""
    clean_reason = _clean_text(reason, field="reason", max_length=REASON_MAX_LENGTH, required=True)

    def apply(referral: Referral, now: datetime.datetime) -> None:
        referral.decline_reason = clean_reason

    return _step(
        actor=actor,
        referrals=_received_by(actor),
        referral_id=referral_id,
        to_status=ReferralStatus.DECLINED,
        organisation=_receiving,
        apply=apply,
    )


@transaction.atomic
def referral_mark_attended(*, actor: User, referral_id: Any, note: str = "") -> Referral:
    """The person came to the service."""
    clean_note = _clean_text(note, field="note", max_length=NOTE_MAX_LENGTH)

    def apply(referral: Referral, now: datetime.datetime) -> None:
        referral.attended_at = now

    referral = _step(
        actor=actor,
        referrals=_received_by(actor),
        referral_id=referral_id,
        to_status=ReferralStatus.ATTENDED,
        organisation=_receiving,
        note=clean_note,
        apply=apply,
    )
    follow_ups_from_rules(
        trigger=FollowUpTrigger.REFERRAL_ATTENDED,
        person=referral.person,
        referral=referral,
        actor=actor,
    )
    return referral


def outcomes_for(reason: str) -> list[str]:
    """The outcomes a referral for ``reason`` may close with: a suspected COVID-19 case only
    with a test result (or "not tested"), every other reason with the other outcomes."""
    if reason == ReferralReason.SUSPECTED_COVID:
        return [value for value in ReferralOutcome.values if value in COVID_OUTCOMES]
    return [value for value in ReferralOutcome.values if value not in COVID_OUTCOMES]


@transaction.atomic
def referral_close(
    *, actor: User, referral_id: Any, outcome: str, outcome_note: str = ""
) -> Referral:
    """Close an attended referral with its outcome (the referrer's feedback)."""
    clean_note = _clean_text(outcome_note, field="outcome_note", max_length=NOTE_MAX_LENGTH)
    chosen: dict[str, str] = {}

    def apply(referral: Referral, now: datetime.datetime) -> None:
        if outcome not in outcomes_for(referral.reason):
            raise ValidationError(
                {"outcome": [_("Choose an outcome that fits the reason of this referral.")]}
            )
        referral.outcome = outcome
        referral.outcome_note = clean_note
        referral.closed_at = now
        chosen["outcome"] = outcome

    referral = _step(
        actor=actor,
        referrals=_received_by(actor),
        referral_id=referral_id,
        to_status=ReferralStatus.CLOSED,
        organisation=_receiving,
        details=chosen,
        apply=apply,
    )
    follow_ups_from_rules(
        trigger=FollowUpTrigger.REFERRAL_CLOSED,
        person=referral.person,
        referral=referral,
        actor=actor,
    )
    return referral


@transaction.atomic
def referral_cancel(*, actor: User, referral_id: Any, reason: str) -> Referral:
    """The referring side withdraws the referral, and says why (required)."""
    clean_reason = _clean_text(reason, field="reason", max_length=NOTE_MAX_LENGTH, required=True)
    visible = access.referrals_sent_visible_to(user=actor)
    workable = visible.filter(person__in=access.people_workable_by(user=actor))
    if not workable.filter(pk=referral_id).exists() and visible.filter(pk=referral_id).exists():
        raise PermissionDeniedError(_("Your role only reads referrals: it cannot cancel them."))
    return _step(
        actor=actor,
        referrals=workable,
        referral_id=referral_id,
        to_status=ReferralStatus.CANCELLED,
        organisation=_referring,
        note=clean_reason,
    )


# ---------------------------------------------------------------------------------------------
# Expiry


EXPIRABLE_STATUSES = frozenset(
    status
    for status, following in REFERRAL_TRANSITIONS.items()
    if ReferralStatus.EXPIRED in following
)


def referrals_expire(*, now: datetime.datetime | None = None, batch_size: int = 500) -> int:
    """Expire open referrals with no news for ``conf.referral_expire_days()`` (no actor; each
    change audited). Returns how many expired. Batches commit one by one."""
    now = now or clock.now()
    cutoff = now - datetime.timedelta(days=conf.referral_expire_days())
    stale = Referral.objects.filter(
        status__in=EXPIRABLE_STATUSES, status_changed_at__lt=cutoff
    ).order_by("status_changed_at", "id")
    expired = 0
    while True:
        ids = list(stale.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return expired
        expired += _expire_batch(ids=ids, cutoff=cutoff, now=now)


@transaction.atomic
def _expire_batch(*, ids: list[Any], cutoff: datetime.datetime, now: datetime.datetime) -> int:
    """Expire these referrals if, once locked, they are still stale (a step may have come)."""
    expired = 0
    for referral_id in ids:
        still_stale = Referral.objects.filter(
            status__in=EXPIRABLE_STATUSES, status_changed_at__lt=cutoff
        )
        try:
            _step(
                actor=None,
                referrals=still_stale,
                referral_id=referral_id,
                to_status=ReferralStatus.EXPIRED,
                organisation=_referring,
                details={"no_news_since": cutoff.isoformat()},
                at=now,
            )
        except NotFoundError:
            continue
        expired += 1
    return expired
