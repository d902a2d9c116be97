"""Follow-up tasks: by hand (create, complete, cancel, reassign) and from the rules.

Each action checks who may do it (``senda.casework.access``), writes the task and its audit
entry in one transaction, and never puts personal values in the audit details.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import Membership, User
from senda.accounts.roles import Capability
from senda.casework.access import (
    follow_ups_visible_to,
    organisations_where,
    people_visible_to,
    people_workable_by,
    team_member_ids,
)
from senda.casework.actions.people import person_touch
from senda.casework.models import (
    FollowUp,
    FollowUpRule,
    FollowUpStatus,
    FollowUpTrigger,
    Person,
    Referral,
)
from senda.casework.queries.tasks import CASE_WORK_ROLES, is_case_worker, reassignable_workers
from senda.core import clock
from senda.core.audit import audit
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.queries import get_or_not_found

TITLE_MAX = 200
NOTE_MAX = 4000
# A task by hand is for the coming months, not for years ahead.
LONGEST_DUE_DAYS = 366


def _clean_text(value: str, *, field: str, limit: int, required: bool) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationError({field: [_("The text contains a character that is not allowed.")]})
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    if len(text) > limit:
        raise ValidationError({field: [_("Use at most %(count)d characters.") % {"count": limit}]})
    return text


def _workable_person(actor: User, person: Person) -> Person:
    """The person, if ``actor`` may work with them; NotFound if they may not even see them."""
    workable = people_workable_by(user=actor).filter(pk=person.pk).first()
    if workable is not None:
        return workable
    if people_visible_to(user=actor).filter(pk=person.pk).exists():
        raise PermissionDeniedError(_("Your role does not include follow-ups with this person."))
    raise NotFoundError(str(person.pk))


def followup_get_for_work(*, actor: User, follow_up_id: object) -> FollowUp:
    """The task, locked, if ``actor`` may complete or cancel it: they see it and do case work
    in its organisation. NotFound when they do not see it, refused when they only read it."""
    visible = (
        follow_ups_visible_to(user=actor)
        .select_for_update(of=("self",))
        .select_related("person", "organisation")
    )
    task = get_or_not_found(visible, follow_up_id)
    workable = {
        organisation.pk for organisation in organisations_where(actor, Capability.CASE_WORK)
    }
    if task.organisation_id not in workable:
        raise PermissionDeniedError(_("Your role does not include working on follow-ups."))
    return task


def _require_open(task: FollowUp) -> None:
    if task.status != FollowUpStatus.OPEN:
        raise ValidationError(_("This task is already done or cancelled."))


@transaction.atomic
def followup_create(
    *,
    actor: User,
    person: Person,
    title: str,
    due_on: datetime.date,
    assignee: User | None = None,
    note: str = "",
    client_uuid: uuid.UUID | None = None,
) -> FollowUp:
    """Create a task by hand for a person the actor works with, assigned to one of the
    organisation's case workers (the actor by default). Idempotent by ``client_uuid``."""
    if client_uuid is not None:
        existing = follow_ups_visible_to(user=actor).filter(client_uuid=client_uuid).first()
        if existing is not None:
            return existing
        if FollowUp.objects.filter(client_uuid=client_uuid).exists():
            raise ValidationError({"client_uuid": [_("This id is already used.")]})
    person = _workable_person(actor, person)
    organisation = person.organisation
    errors: dict[str, list[str]] = {}
    try:
        title = _clean_text(title, field="title", limit=TITLE_MAX, required=True)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        note = _clean_text(note, field="note", limit=NOTE_MAX, required=False)
    except ValidationError as exc:
        errors.update(exc.errors)
    today = clock.localdate()
    if due_on < today:
        errors["due_on"] = [_("The due date cannot be in the past.")]
    elif due_on > today + datetime.timedelta(days=LONGEST_DUE_DAYS):
        errors["due_on"] = [_("Choose a due date within the next year.")]
    assignee = assignee or actor
    if not is_case_worker(assignee, organisation):
        errors["assignee"] = [_("Choose one of the organisation's case workers.")]
    if errors:
        raise ValidationError(errors)
    task = FollowUp.objects.create(
        organisation=organisation,
        person=person,
        assigned_to=assignee,
        created_by=actor,
        title=title,
        due_on=due_on,
        note=note,
        client_uuid=client_uuid,
    )
    person_touch(person)
    audit(
        actor=actor,
        action="casework.followup_create",
        obj=task,
        organisation=organisation,
        details={"person": str(person.pk), "assigned_to": assignee.pk, "due_on": str(due_on)},
    )
    return task


@transaction.atomic
def followup_complete(*, actor: User, follow_up: FollowUp, note: str = "") -> FollowUp:
    """Mark an open task done, with what happened (the note is kept encrypted)."""
    task = followup_get_for_work(actor=actor, follow_up_id=follow_up.pk)
    _require_open(task)
    note = _clean_text(note, field="note", limit=NOTE_MAX, required=True)
    task.status = FollowUpStatus.DONE
    task.completed_at = clock.now()
    task.completed_by = actor
    task.note = note
    task.save(update_fields=["status", "completed_at", "completed_by", "note"])
    # Following up is activity with the person: the retention clock restarts.
    person_touch(task.person, at=task.completed_at)
    audit(
        actor=actor,
        action="casework.followup_complete",
        obj=task,
        organisation=task.organisation,
        details={"person": str(task.person_id), "fields": ["status", "note"]},
    )
    return task


@transaction.atomic
def followup_cancel(*, actor: User, follow_up: FollowUp, note: str = "") -> FollowUp:
    """Cancel an open task that no longer needs doing (why, optionally)."""
    task = followup_get_for_work(actor=actor, follow_up_id=follow_up.pk)
    _require_open(task)
    note = _clean_text(note, field="note", limit=NOTE_MAX, required=False)
    task.status = FollowUpStatus.CANCELLED
    task.completed_at = clock.now()
    task.completed_by = actor
    if note:
        task.note = note
    task.save(update_fields=["status", "completed_at", "completed_by", "note"])
    audit(
        actor=actor,
        action="casework.followup_cancel",
        obj=task,
        organisation=task.organisation,
        details={"person": str(task.person_id)},
    )
    return task


@transaction.atomic
def followup_reassign(*, actor: User, follow_up: FollowUp, assignee: User) -> FollowUp:
    """A supervisor gives an open task of their team to another member of their team."""
    task = followup_get_for_work(actor=actor, follow_up_id=follow_up.pk)
    organisation = task.organisation
    if organisation not in organisations_where(actor, Capability.CASE_SUPERVISE):
        raise PermissionDeniedError(_("Only a supervisor can reassign tasks."))
    team = team_member_ids(actor, organisation)
    if task.assigned_to_id is not None and task.assigned_to_id not in team:
        raise PermissionDeniedError(_("This task belongs to someone outside your team."))
    _require_open(task)
    if assignee.pk not in {
        user.pk for user in reassignable_workers(actor=actor, organisation=organisation)
    }:
        raise ValidationError({"assignee": [_("Choose a case worker of your team.")]})
    previous = task.assigned_to_id
    task.assigned_to = assignee
    task.save(update_fields=["assigned_to"])
    audit(
        actor=actor,
        action="casework.followup_reassign",
        obj=task,
        organisation=organisation,
        details={"person": str(task.person_id), "from": previous, "to": assignee.pk},
    )
    return task


def _event_date(trigger: str, person: Person, referral: Referral | None) -> datetime.date:
    """The day the triggering event happened (the delays count from it)."""
    moment: datetime.datetime | None = None
    if trigger == FollowUpTrigger.PERSON_REGISTERED:
        moment = person.registered_at
    elif referral is not None and trigger == FollowUpTrigger.REFERRAL_SENT:
        moment = referral.sent_at
    elif referral is not None and trigger == FollowUpTrigger.REFERRAL_ATTENDED:
        moment = referral.attended_at
    elif referral is not None and trigger == FollowUpTrigger.REFERRAL_CLOSED:
        moment = referral.closed_at
    return timezone.localdate(moment) if moment is not None else clock.localdate()


def _rule_assignee(person: Person, referral: Referral | None, actor: User | None) -> User | None:
    """The person's registering worker while they still do case work in the organisation;
    else the referring worker; else the actor if they do case work there (the receiving
    centre's staff never get the referring side's tasks); else nobody (the supervisor sees
    unassigned tasks)."""
    # The usual case, the worker who registered the person acting: their memberships, as the
    # action's own permission check read them, answer without a query.
    if (
        actor is not None
        and person.registered_by_id == actor.pk
        and person.organisation in organisations_where(actor, Capability.CASE_WORK)
    ):
        return actor
    # One query for the three candidates (``is_case_worker`` each would be up to three), and
    # no user row loaded that the caller has not loaded already, unless it is the assignee.
    candidates: list[tuple[int | None, Callable[[], User | None]]] = [
        (person.registered_by_id, lambda: person.registered_by),
        (
            referral.referred_by_id if referral is not None else None,
            lambda: referral.referred_by if referral is not None else None,
        ),
        (actor.pk if actor is not None else None, lambda: actor),
    ]
    ids = {user_id for user_id, _load in candidates if user_id is not None}
    if not ids:
        return None
    case_workers = set(
        Membership.objects.filter(
            user_id__in=ids,
            organisation_id=person.organisation_id,
            is_active=True,
            role__in=CASE_WORK_ROLES,
        ).values_list("user_id", flat=True)
    )
    for user_id, load in candidates:
        if user_id not in case_workers:
            continue
        candidate = load()
        if candidate is not None and candidate.is_active:
            return candidate
    return None


def _active_rules(
    *, trigger: str, organisation_id: uuid.UUID, referral: Referral | None
) -> list[FollowUpRule]:
    """The active rules for ``trigger`` in the organisation and programme-wide (for a
    referral: those for any reason and those for its reason)."""
    rules = FollowUpRule.objects.filter(
        Q(organisation__isnull=True) | Q(organisation_id=organisation_id),
        trigger=trigger,
        is_active=True,
    )
    if referral is not None:
        rules = rules.filter(Q(reason="") | Q(reason=referral.reason))
    else:
        rules = rules.filter(reason="")
    return list(rules)


@transaction.atomic
def follow_ups_from_rules(
    *,
    trigger: str,
    person: Person,
    referral: Referral | None = None,
    actor: User | None,
) -> list[FollowUp]:
    """Create the tasks the active rules ask for when ``trigger`` happens to ``person``
    (and ``referral``): the organisation's rules and the programme-wide ones. Idempotent per
    (rule, person, referral); nothing for erased or merged people, and no contact task for
    someone who did not agree to be contacted. Called by the actions that cause the trigger."""
    # The rules first: most triggers of most organisations have none, and then the person
    # need not be read again (an organisation never changes: the caller's row tells it).
    rules = _active_rules(
        trigger=trigger, organisation_id=person.organisation_id, referral=referral
    )
    if not rules:
        return []
    person = (
        Person.objects.select_for_update(of=("self",))
        .select_related("registered_by", "organisation")
        .get(pk=person.pk)
    )
    return _follow_ups_for(
        trigger=trigger, person=person, referral=referral, actor=actor, rules=rules
    )


# No savepoint of its own: it is a part of the calling action (atomic on its own if called alone).
@transaction.atomic(savepoint=False)
def follow_ups_from_rules_for_new(
    *,
    trigger: str,
    person: Person,
    referral: Referral | None = None,
    actor: User | None,
) -> list[FollowUp]:
    """``follow_ups_from_rules`` for the action that has just created ``person`` (or
    ``referral``), or locked ``person`` and read it fresh, in its own still open transaction:
    the row is not read again, and no task can exist yet for the new record."""
    rules = _active_rules(
        trigger=trigger, organisation_id=person.organisation_id, referral=referral
    )
    if not rules:
        return []
    return _follow_ups_for(
        trigger=trigger, person=person, referral=referral, actor=actor, rules=rules, new=True
    )


def _follow_ups_for(
    *,
    trigger: str,
    person: Person,
    referral: Referral | None,
    actor: User | None,
    rules: list[FollowUpRule],
    new: bool = False,
) -> list[FollowUp]:
    """The tasks of ``rules`` for a person locked and read in the caller's transaction;
    ``new``: the person or the referral was created in it (no task for it can exist yet)."""
    if not person.is_active_record:
        return []
    if not person.consents_to_contact:
        rules = [rule for rule in rules if not rule.requires_contact]
    if not rules:
        return []
    already: set[int] = set()
    if not new:
        already = set(
            FollowUp.objects.filter(person=person, referral=referral, rule__in=rules).values_list(
                "rule_id", flat=True
            )
        )
    event_day = _event_date(trigger, person, referral)
    assignee = _rule_assignee(person, referral, actor)
    created: list[FollowUp] = []
    for rule in rules:
        if rule.pk in already:
            continue
        task = FollowUp.objects.create(
            organisation_id=person.organisation_id,
            person=person,
            referral=referral,
            assigned_to=assignee,
            created_by=None,
            rule=rule,
            # In the rule's own language; pages show the rule's title in the reader's.
            title=rule.title,
            due_on=event_day + datetime.timedelta(days=rule.days_after),
        )
        audit(
            actor=actor,
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
        created.append(task)
    return created


@transaction.atomic
def follow_ups_cancel_contact(*, person: Person, actor: User | None) -> int:
    """Cancel the person's open tasks that mean contacting them (consent to contact was
    withdrawn): tasks from contact rules. Tasks written by hand stay for the worker to judge.
    Returns how many were cancelled."""
    tasks = list(
        FollowUp.objects.select_for_update(of=("self",)).filter(
            person=person, status=FollowUpStatus.OPEN, rule__requires_contact=True
        )
    )
    now = clock.now()
    for task in tasks:
        task.status = FollowUpStatus.CANCELLED
        task.completed_at = now
        task.completed_by = actor
        task.save(update_fields=["status", "completed_at", "completed_by"])
        audit(
            actor=actor,
            action="casework.followup_cancel",
            obj=task,
            organisation=person.organisation,
            details={"person": str(person.pk), "why": "contact_consent_withdrawn"},
        )
    return len(tasks)
