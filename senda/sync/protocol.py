"""The sync protocol as plain functions (the API, the tests and the bench call them): ``push``
applies a device's changes, ``pull`` sends what the device should hold.

Upload: records are applied in order, the batch in one transaction, each change with its
receipt, at the time the worker saved it (the device's clock corrected by its offset from the
server's). New records are checked one by one exactly as their actions check them and written
together (``senda.casework.actions.bulk``); other changes go through the same actions as the
staff pages, each in a savepoint (see "Upload in bulk" below). A key seen before answers with
the stored result; two uploads of the same key at once are serialised by the receipt's unique
key. ``push(bulk=False)`` applies each record in its own transaction through the per-record
actions (same rows, same answers; the equivalence test compares them).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from senda.accounts.models import User
from senda.casework import access
from senda.casework.actions import activities as activity_actions
from senda.casework.actions import bulk as bulk_actions
from senda.casework.actions import orientations as orientation_actions
from senda.casework.actions import people as people_actions
from senda.casework.actions import referrals as referral_actions
from senda.casework.actions import tasks as task_actions
from senda.casework.models import (
    REFERRAL_TRANSITIONS,
    ConsentScope,
    FollowUp,
    FollowUpStatus,
    Orientation,
    OutreachActivity,
    Person,
    Referral,
    ReferralStatus,
    Team,
    Topic,
    TopicUse,
    VaccinationSession,
)
from senda.core import clock
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.directory.models import Location, ServiceAtLocation
from senda.geo.models import AdminArea, Country
from senda.sync import actions, conf, conflicts, feed, queries, records
from senda.sync.auth import BATCH_TOO_LARGE, BUSY, SyncError
from senda.sync.models import ConflictReason, Device, ReceiptStatus, SyncConflict, SyncReceipt

NON_FIELD = "__all__"
MAX_CLOCK_OFFSET = datetime.timedelta(days=366)


# ---------------------------------------------------------------------------------------------
# What one record's processing produced


@dataclass
class Outcome:
    status: str
    kind: str  # the kind of the record in the answer (a consent answers with its person)
    object_id: Any = None
    client_uuid: uuid.UUID | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflicts: list[SyncConflict] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)

    def stored(self, key: uuid.UUID) -> dict[str, Any]:
        """What the receipt keeps: ids and messages; the record itself is read again."""
        return {
            "key": str(key),
            "kind": self.kind,
            "id": str(self.object_id) if self.object_id is not None else None,
            "uuid": str(self.client_uuid) if self.client_uuid is not None else None,
            "status": self.status,
            "errors": self.errors,
            "conflict_ids": [conflict.pk for conflict in self.conflicts],
            "merged": self.merged,
        }


@dataclass
class Lookups:
    """Reference rows one upload reads once for all its records (countries, areas, topics,
    services: lists that do not change while a batch is applied), keyed by what a record
    sends. A missing row is kept as None: asked again, it is refused again without a query."""

    countries: dict[str, Country | None] = field(default_factory=dict)
    areas: dict[str, AdminArea | None] = field(default_factory=dict)
    topics: dict[frozenset[str], list[Topic]] = field(default_factory=dict)
    services: dict[uuid.UUID, ServiceAtLocation | None] = field(default_factory=dict)
    # Device uuids of the batch's creates that no record had when the batch started, read in
    # one query per model; each is used once (a repeat, or a retry, looks again).
    unused: set[tuple[type[Any], uuid.UUID]] = field(default_factory=set)
    # People the batch's new records refer to (by id or device uuid), read in one query, and
    # the people registered earlier in the batch; None: not visible. Emptied when a change
    # that is not a new record is applied (it may have changed who is visible).
    people: dict[uuid.UUID, Person | None] = field(default_factory=dict)


@dataclass
class Context:
    device: Device
    user: User
    moment: datetime.datetime
    offset: datetime.timedelta
    now: datetime.datetime
    lookups: Lookups = field(default_factory=Lookups)
    # Set when the batch's new records are written together (see ``push``).
    batch: bulk_actions.FieldBatch | None = None

    @property
    def who(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


# ---------------------------------------------------------------------------------------------
# Reading the data of a record


def _text(data: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append(_("Enter text."))
        return ""
    return value


def _bool(data: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> bool:
    value = data.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        errors.setdefault(name, []).append(_("Enter true or false."))
        return False
    return value


def _int_or_none(data: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.setdefault(name, []).append(_("Enter a whole number."))
        return None
    return value


def _country(
    data: Mapping[str, Any], errors: dict[str, list[str]], lookups: Lookups
) -> Country | None:
    code = data.get("nationality")
    if not code:
        return None
    wanted = str(code).upper()[:2]
    if wanted not in lookups.countries:
        lookups.countries[wanted] = Country.objects.filter(code=wanted).first()
    country = lookups.countries[wanted]
    if country is None:
        errors["nationality"] = [_("Choose a country from the list.")]
    return country


def _area(
    data: Mapping[str, Any], errors: dict[str, list[str]], lookups: Lookups
) -> AdminArea | None:
    pcode = data.get("area")
    if not pcode:
        return None
    area = _area_of(str(pcode)[:20], lookups)
    if area is None:
        errors["area"] = [_("Choose an area from the list.")]
    return area


def _area_of(pcode: str, lookups: Lookups) -> AdminArea | None:
    if pcode not in lookups.areas:
        lookups.areas[pcode] = AdminArea.objects.filter(pcode=pcode).first()
    return lookups.areas[pcode]


def _date(data: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> datetime.date:
    value = data.get(name)
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        errors.setdefault(name, []).append(_("Enter a valid date (YYYY-MM-DD)."))
        return datetime.date.min
    return parsed


def _device_moment(value: Any, ctx: Context, name: str, errors: dict[str, list[str]]) -> Any:
    """A time the device's clock gave, corrected by the device's offset (never in the future)."""
    parsed = None
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
    moment = corrected(parsed, ctx.offset, ctx.now) if parsed is not None else None
    if moment is None:
        errors.setdefault(name, []).append(_("Enter a valid date and time."))
        return ctx.moment
    return moment


def _device_uuid(value: Any) -> uuid.UUID:
    found = records.parse_uuid(value)
    if found is None:
        raise ValidationError({"id": [_("Give the record the id the phone made (a UUID).")]})
    return found


def _find(queryset: QuerySet[Any], value: Any, name: str) -> Any:
    """A referenced record by its server id or the uuid a device gave it; NotFound names the
    field that referenced it."""
    reference = records.parse_uuid(value)
    if reference is None:
        raise ValidationError({name: [_("This record does not exist or you cannot see it.")]})
    model = queryset.model
    condition = Q(pk=reference)
    if any(f.name == "client_uuid" for f in model._meta.get_fields()):
        condition |= Q(client_uuid=reference)
    found = queryset.filter(condition).first()
    if found is None:
        raise ValidationError({name: [_("This record does not exist or you cannot see it.")]})
    return found


def _visible_person(ctx: Context, value: Any) -> Person:
    """The person a new record refers to, as ``_find`` in the people the worker sees; from
    the batch's lookups when they know the reference."""
    reference = records.parse_uuid(value)
    if reference is not None and reference in ctx.lookups.people:
        found = ctx.lookups.people[reference]
        if found is None:
            raise ValidationError(
                {"person": [_("This record does not exist or you cannot see it.")]}
            )
        return found
    person: Person = _find(access.people_visible_to(user=ctx.user), value, "person")
    return person


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _already(
    model: Any, client_uuid: uuid.UUID, visible: Callable[[], QuerySet[Any]], lookups: Lookups
) -> Any:
    """A record this device uuid already created (another key, same change): duplicate, if the
    worker sees it (``visible()``: built only then); a uuid taken by something they do not see
    is refused."""
    if (model, client_uuid) in lookups.unused:
        # Free when the batch started (a record made since by another upload at the same
        # time is still found by the action, and its unique key keeps it single).
        lookups.unused.discard((model, client_uuid))
        return None
    existing = model.objects.filter(client_uuid=client_uuid).first()
    if existing is None:
        return None
    if visible().filter(pk=existing.pk).exists():
        return existing
    raise ValidationError({"id": [_("This client id is already used.")]})


# ---------------------------------------------------------------------------------------------
# One handler per kind and operation


def _person_create(ctx: Context, record: Mapping[str, Any]) -> Outcome:
    client_uuid = _device_uuid(record.get("id"))
    visible = functools.partial(access.people_visible_to, user=ctx.user)
    existing = _already(Person, client_uuid, visible, ctx.lookups)
    if existing is not None:
        return Outcome(ReceiptStatus.DUPLICATE, "person", existing.pk, client_uuid)
    data = record["data"]
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {
        "given_name": _text(data, "given_name", errors),
        "family_name": _text(data, "family_name", errors),
        "phone": _text(data, "phone", errors),
        "phone_has_whatsapp": _bool(data, "whatsapp", errors),
        "sex": _text(data, "sex", errors),
        "community": _text(data, "community", errors),
        "year_of_birth": _int_or_none(data, "year_of_birth", errors),
        "age_group": _text(data, "age_group", errors),
        "nationality": _country(data, errors, ctx.lookups),
        "area": _area(data, errors, ctx.lookups),
        "notes": _text(data, "notes", errors),
        "consent_record": _bool(data, "consent_record", errors),
        "consent_contact": _bool(data, "consent_contact", errors),
        "consent_share": _bool(data, "consent_share", errors),
        "code": _text(data, "code", errors),
    }
    _raise(errors)
    if ctx.batch is not None:
        person = ctx.batch.person_register(client_uuid=client_uuid, **fields)
        ctx.lookups.people[person.pk] = ctx.lookups.people[client_uuid] = person
        return Outcome(ReceiptStatus.APPLIED, "person", person.pk, client_uuid)
    # The phone cannot see the server's other records: possible duplicates are for a
    # supervisor to merge later, never a reason to lose what was recorded in the field.
    person = people_actions.person_register(
        actor=ctx.user,
        organisation=ctx.device.organisation,
        confirm_new=True,
        client_uuid=client_uuid,
        **fields,
    )
    return Outcome(ReceiptStatus.APPLIED, "person", person.pk, client_uuid)


def _person_update(ctx: Context, record: Mapping[str, Any]) -> Outcome:
    person = _find(access.people_visible_to(user=ctx.user), record.get("id"), "id")
    person = Person.objects.select_for_update().get(pk=person.pk)
    data, base = dict(record["data"]), dict(record.get("base") or {})
    # Values of the wrong type are refused before any merge (nothing is applied).
    _raise(
        {
            name: [wrong]
            for name, value in data.items()
            if name in conflicts.PERSON_FIELDS and (wrong := conflicts.type_error(name, value))
        }
    )
    merge = conflicts.merge_person(
        person=person, data=data, base=base, who=ctx.who, when=ctx.moment
    )
    changes, errors = conflicts.person_changes(merge.apply)
    _raise(errors)
    if changes:
        people_actions.person_update(actor=ctx.user, person=person, **changes)
    elif (
        merge.conflicts
        and not access.people_workable_by(user=ctx.user).filter(pk=person.pk).exists()
    ):
        raise PermissionDeniedError(_("Your role does not include changing this record."))
    found = [
        actions.conflict_record(
            device=ctx.device,
            kind="person",
            object_id=str(person.pk),
            field=item.field,
            reason=ConflictReason.CHANGED_ON_SERVER,
            device_value=item.device,
            server_value=item.server,
        )
        for item in merge.conflicts
    ]
    status = ReceiptStatus.CONFLICT if found else ReceiptStatus.APPLIED
    return Outcome(
        status, "person", person.pk, person.client_uuid, conflicts=found, merged=merge.merged
    )


def _consent_create(ctx: Context, record: Mapping[str, Any]) -> Outcome:
    data = record["data"]
    errors: dict[str, list[str]] = {}
    scope = _text(data, "scope", errors)
    granted = _bool(data, "granted", errors)
    _raise(errors)
    visible = access.people_visible_to(user=ctx.user, include_inactive=True)
    person = _find(visible, data.get("person"), "person")
    if not granted and scope == ConsentScope.RECORD and person.erased_at is not None:
        # A withdrawal always wins, and this one has already been honoured.
        return Outcome(ReceiptStatus.APPLIED, "person", person.pk, person.client_uuid)
    if granted:
        person = people_actions.consent_grant(actor=ctx.user, person=person, scope=scope)
    else:
        person = people_actions.consent_withdraw(actor=ctx.user, person=person, scope=scope)
    return Outcome(ReceiptStatus.APPLIED, "person", person.pk, person.client_uuid)


def _orientation_create(ctx: Context, record: Mapping[str, Any]) -> Outcome:
    client_uuid = _device_uuid(record.get("id"))
    existing = _already(
        Orientation,
        client_uuid,
        lambda: Orientation.objects.filter(person__in=access.people_visible_to(user=ctx.user)),
        ctx.lookups,
    )
    if existing is not None:
        return Outcome(ReceiptStatus.DUPLICATE, "orientation", existing.pk, client_uuid)
    data = record["data"]
    errors: dict[str, list[str]] = {}
    person = _visible_person(ctx, data.get("person"))
    slugs = data.get("topics") or []
    if not isinstance(slugs, list) or not all(isinstance(slug, str) for slug in slugs):
        errors["topics"] = [_("Send a list.")]
        slugs = []
    chosen = frozenset(slugs)
    if chosen not in ctx.lookups.topics:
        ctx.lookups.topics[chosen] = list(
            Topic.objects.filter(use=TopicUse.ORIENTATION, slug__in=chosen)
        )
    topics = ctx.lookups.topics[chosen]
    if len(topics) != len(set(slugs)):
        errors["topics"] = [_("Choose topics from the list of orientation topics.")]
    occurred_at = _device_moment(data.get("occurred_at"), ctx, "occurred_at", errors)
    if data.get("area"):
        area = _area(data, errors, ctx.lookups)
    else:
        area = _area_of(person.area_id, ctx.lookups) if person.area_id else None
    fields: dict[str, Any] = {
        "channel": _text(data, "channel", errors),
        "place_type": _text(data, "place_type", errors),
        "outcome": _text(data, "outcome", errors),
        "note": _text(data, "note", errors),
    }
    _raise(errors)
    record_orientation = (
        ctx.batch.orientation_record
        if ctx.batch is not None
        else functools.partial(orientation_actions.orientation_record, actor=ctx.user)
    )
    orientation = record_orientation(
        person=person,
        occurred_at=occurred_at,
        topics=topics,
        area=area,
        client_uuid=client_uuid,
        **fields,
    )
    return Outcome(ReceiptStatus.APPLIED, "orientation", orientation.pk, client_uuid)


def _referral_create(ctx: Context, record: Mapping[str, Any]) -> Outcome:
    client_uuid = _device_uuid(record.get("id"))
    existing = _already(
        Referral,
        client_uuid,
        functools.partial(access.referrals_sent_visible_to, user=ctx.user),
        ctx.lookups,
    )
    if existing is not None:
        return Outcome(ReceiptStatus.DUPLICATE, "referral", existing.pk, client_uuid)
    data = record["data"]
    errors: dict[str, list[str]] = {}
    person = _visible_person(ctx, data.get("person"))
    sal_id = records.parse_uuid(data.get("service_at_location"))
    sal = None
    if sal_id:
        if sal_id not in ctx.lookups.services:
            ctx.lookups.services[sal_id] = ServiceAtLocation.objects.filter(pk=sal_id).first()
        sal = ctx.lookups.services[sal_id]
    if sal is None:
        errors["service_at_location"] = [_("Choose a service and where it is offered.")]
    fields: dict[str, Any] = {
        "reason": _text(data, "reason", errors),
        "urgency": _text(data, "urgency", errors) or "routine",
        "note": _text(data, "note", errors),
    }
    _raise(errors)
    create_referral = (
        ctx.batch.referral_create
        if ctx.batch is not None
        else functools.partial(referral_actions.referral_create, actor=ctx.user)
    )
    referral = create_referral(
        person=person, service_at_location=sal, client_uuid=client_uuid, **fields
    )
    return Outcome(ReceiptStatus.APPLIED, "referral", referral.pk, client_uuid)


def referral_conflict_message(referral: Referral, status: str) -> str:
    """Why a device's cancellation did not apply: the referral has moved on."""
    if status == ReferralStatus.CANCELLED:
        return _("This referral had already been cancelled.")
    if status == ReferralStatus.EXPIRED:
        return _("This referral had already expired.")
    return _("%(organisation)s already marked this referral %(status)s.") % {
        "organisation": referral.receiving_organisation.name,
        "status": str(ReferralStatus(status).label).lower(),
    }


def _referral_update(ctx: Context, record: Mapping[str, Any]) -> Outcome:
    visible = access.referrals_sent_visible_to(user=ctx.user)
    referral = _find(visible, record.get("id"), "id")
    referral = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
    data = record["data"]
    errors: dict[str, list[str]] = {}
    wanted = _text(data, "status", errors)
    reason = _text(data, "reason", errors)
    if wanted != ReferralStatus.CANCELLED and "status" not in errors:
        errors["status"] = [_("From the field app a referral can only be cancelled.")]
    _raise(errors)
    outcome = Outcome(ReceiptStatus.APPLIED, "referral", referral.pk, referral.client_uuid)
    if referral.status == wanted:
        return outcome
    if wanted in REFERRAL_TRANSITIONS.get(referral.status, frozenset()):
        referral_actions.referral_cancel(actor=ctx.user, referral_id=referral.pk, reason=reason)
        return outcome
    if not access.people_workable_by(user=ctx.user).filter(pk=referral.person_id).exists():
        raise PermissionDeniedError(_("Your role only reads referrals: it cannot cancel them."))
    conflict = actions.conflict_record(
        device=ctx.device,
        kind="referral",
        object_id=str(referral.pk),
        field="status",
        reason=ConflictReason.REFERRAL_STATUS,
        device_value=wanted,
        server_value=referral.status,
    )
    outcome.status = ReceiptStatus.CONFLICT
    outcome.conflicts = [conflict]
    return outcome


def _follow_up_update(ctx: Context, record: Mapping[str, Any]) -> Outcome:
    task = _find(access.follow_ups_visible_to(user=ctx.user), record.get("id"), "id")
    task = task_actions.followup_get_for_work(actor=ctx.user, follow_up_id=task.pk)
    data = record["data"]
    errors: dict[str, list[str]] = {}
    wanted = _text(data, "status", errors)
    note = _text(data, "note", errors)
    if wanted != FollowUpStatus.DONE and "status" not in errors:
        errors["status"] = [_("From the field app a task can only be marked done.")]
    _raise(errors)
    outcome = Outcome(ReceiptStatus.APPLIED, "follow_up", task.pk, task.client_uuid)
    if task.status == FollowUpStatus.OPEN:
        task_actions.followup_complete(actor=ctx.user, follow_up=task, note=note)
    elif task.status == FollowUpStatus.DONE:
        # Done twice (here and on the server): it stays done, and both notes are kept.
        if note.strip() and note.strip() != task.note.strip():
            merged = conflicts.marked_note(
                server=task.note, device=note, who=ctx.who, when=ctx.moment
            )
            actions.followup_merge_note(actor=ctx.user, follow_up=task, note=merged)
            outcome.merged = ["note"]
    else:
        outcome.status = ReceiptStatus.CONFLICT
        outcome.conflicts = [
            actions.conflict_record(
                device=ctx.device,
                kind="follow_up",
                object_id=str(task.pk),
                field="status",
                reason=ConflictReason.FOLLOW_UP_CANCELLED,
                device_value={"status": wanted, "note": note},
                server_value=task.status,
            )
        ]
    return outcome


def _tally_cells(
    data: Mapping[str, Any], name: str, keys: tuple[str, ...], errors: dict[str, list[str]]
) -> dict[tuple[str, ...], Any]:
    rows = data.get(name) or []
    cells: dict[tuple[str, ...], Any] = {}
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        errors[name] = [_("Send a list.")]
        return cells
    for row in rows:
        cell = tuple(str(row.get(key, "")) for key in keys)
        count = row.get("count", 0)
        if isinstance(cells.get(cell), int) and isinstance(count, int):
            count += cells[cell]
        cells[cell] = count
    return cells


def _materials(data: Mapping[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    materials = data.get("materials") or {}
    if isinstance(materials, list):
        try:
            return {str(item["kind"]): item.get("count", 0) for item in materials}
        except (KeyError, TypeError, AttributeError):
            errors["materials"] = [_("Send an object.")]
            return {}
    if not isinstance(materials, dict):
        errors["materials"] = [_("Send an object.")]
        return {}
    return materials


def _outreach_create(ctx: Context, record: Mapping[str, Any]) -> Outcome:
    client_uuid = _device_uuid(record.get("id"))
    organisation = ctx.device.organisation
    existing = _already(
        OutreachActivity,
        client_uuid,
        lambda: OutreachActivity.objects.filter(organisation=organisation),
        ctx.lookups,
    )
    if existing is not None:
        return Outcome(ReceiptStatus.DUPLICATE, "outreach", existing.pk, client_uuid)
    data = record["data"]
    errors: dict[str, list[str]] = {}
    team = None
    if data.get("team"):
        team_id = records.parse_uuid(data["team"])
        team = (
            Team.objects.filter(pk=team_id, organisation=organisation).first() if team_id else None
        )
        if team is None:
            errors["team"] = [_("Choose a team of the organisation.")]
    entry = activity_actions.OutreachInput(
        date=_date(data, "date", errors),
        place_type=_text(data, "place_type", errors),
        area=_area(data, errors, ctx.lookups),
        place_name=_text(data, "place_name", errors),
        team=team,
        tallies=_tally_cells(data, "tallies", ("sex", "age_group", "community"), errors),  # type: ignore[arg-type]
        materials=_materials(data, errors),
        note=_text(data, "note", errors),
    )
    _raise(errors)
    if ctx.batch is not None:
        activity = ctx.batch.outreach_record(data=entry, client_uuid=client_uuid)
    else:
        activity = activity_actions.outreach_record(
            actor=ctx.user, organisation=organisation, data=entry, client_uuid=client_uuid
        )
    return Outcome(ReceiptStatus.APPLIED, "outreach", activity.pk, client_uuid)


def _vaccination_create(ctx: Context, record: Mapping[str, Any]) -> Outcome:
    client_uuid = _device_uuid(record.get("id"))
    organisation = ctx.device.organisation
    existing = _already(
        VaccinationSession,
        client_uuid,
        lambda: VaccinationSession.objects.filter(organisation=organisation),
        ctx.lookups,
    )
    if existing is not None:
        return Outcome(ReceiptStatus.DUPLICATE, "vaccination", existing.pk, client_uuid)
    data = record["data"]
    errors: dict[str, list[str]] = {}
    location = None
    if data.get("location"):
        location_id = records.parse_uuid(data["location"])
        location = Location.objects.filter(pk=location_id).first() if location_id else None
        if location is None:
            errors["location"] = [_("Choose a place that the organisation keeps in the directory.")]
    people_referred = _int_or_none(data, "people_referred", errors) or 0
    entry = activity_actions.SessionInput(
        date=_date(data, "date", errors),
        area=_area(data, errors, ctx.lookups),
        location=location,
        place_name=_text(data, "place_name", errors),
        doses=_tally_cells(data, "doses", ("vaccine", "age_group"), errors),  # type: ignore[arg-type]
        people_referred=people_referred,
        note=_text(data, "note", errors),
    )
    _raise(errors)
    if ctx.batch is not None:
        session = ctx.batch.vaccination_session_record(data=entry, client_uuid=client_uuid)
    else:
        session = activity_actions.vaccination_session_record(
            actor=ctx.user, organisation=organisation, data=entry, client_uuid=client_uuid
        )
    return Outcome(ReceiptStatus.APPLIED, "vaccination", session.pk, client_uuid)


Handler = Callable[[Context, Mapping[str, Any]], Outcome]
HANDLERS: dict[tuple[str, str], Handler] = {
    ("person", "create"): _person_create,
    ("person", "update"): _person_update,
    ("consent", "create"): _consent_create,
    ("orientation", "create"): _orientation_create,
    ("referral", "create"): _referral_create,
    ("referral", "update"): _referral_update,
    ("follow_up", "update"): _follow_up_update,
    ("outreach", "create"): _outreach_create,
    ("vaccination", "create"): _vaccination_create,
}


# ---------------------------------------------------------------------------------------------
# Answers


def conflict_message(conflict: SyncConflict, referral: Referral | None = None) -> str:
    if conflict.reason == ConflictReason.REFERRAL_STATUS and referral is not None:
        return referral_conflict_message(referral, json.loads(conflict.server_value))
    if conflict.reason == ConflictReason.FOLLOW_UP_CANCELLED:
        return _(
            "This task was cancelled on the server (for example, the person withdrew their "
            "consent to be contacted): it was not marked done."
        )
    return _(
        "This was also changed on the server: the server's value was kept. Choose which "
        "one is right."
    )


def conflict_answer(conflict: SyncConflict, referral: Referral | None = None) -> dict[str, Any]:
    return {
        "id": conflict.pk,
        "kind": conflict.kind,
        "object_id": conflict.object_id,
        "field": conflict.field,
        "device": json.loads(conflict.device_value) if conflict.device_value else None,
        "server": json.loads(conflict.server_value) if conflict.server_value else None,
        "message": conflict_message(conflict, referral),
        "created_at": conflict.created_at.isoformat(),
    }


def conflict_answers(conflicts_found: Sequence[SyncConflict]) -> list[dict[str, Any]]:
    """The conflicts as the device shows them (referrals named, in one query)."""
    if not conflicts_found:
        return []  # most answers: not even an empty query built
    referral_ids = [c.object_id for c in conflicts_found if c.kind == "referral"]
    referrals_by_id = {
        str(r.pk): r
        for r in Referral.objects.select_related("receiving_organisation").filter(
            pk__in=referral_ids
        )
    }
    return [conflict_answer(c, referrals_by_id.get(c.object_id)) for c in conflicts_found]


RecordKey = tuple[str, str]  # (kind, id) of an answer's record


def _current_records(
    wanted: Sequence[RecordKey], device: Device
) -> dict[RecordKey, dict[str, Any] | None]:
    """The current record of each (kind, id) answered, read from where it must still be, one
    query a kind (plus what its records need): an answer never reads record by record."""
    by_kind: dict[str, set[str]] = {}
    for kind, object_id in wanted:
        by_kind.setdefault(kind, set()).add(object_id)
    now = timezone.now()
    found: dict[RecordKey, dict[str, Any] | None] = {}
    for kind, ids in by_kind.items():
        if kind not in records.KINDS:
            found.update(((kind, object_id), None) for object_id in ids)
            continue
        # Out of the device's scope now (a task cancelled, a referral of someone gone, a
        # person erased): a removal, as the pull would send; a record the pull never lists
        # again would stay on the phone. Other kinds are the worker's own.
        scope: QuerySet[Any]
        if kind == "person":
            scope = Person.objects.filter(erased_at__isnull=True, merged_into__isnull=True)
        elif kind == "referral":
            scope = queries.scope_referrals(device=device)
        elif kind == "follow_up":
            scope = queries.scope_follow_ups(device=device, now=now)
        else:
            scope = records.KINDS[kind].model.objects.all()  # type: ignore[attr-defined]
        valid = [object_id for object_id in ids if records.parse_uuid(object_id) is not None]
        for item in records.read(kind, scope.filter(pk__in=valid)) if valid else []:
            found[(kind, item["id"])] = item
        removal = kind in {"person", "referral", "follow_up"}
        for object_id in ids:
            if (kind, object_id) not in found:
                found[(kind, object_id)] = records.tombstone(kind, object_id) if removal else None
    return found


def _answers(
    items: Sequence[tuple[dict[str, Any], str | None]],
    device: Device,
    known: Mapping[RecordKey, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The answers to stored results (each with the status to show, None: its own), their
    records (those not ``known`` already) and conflicts read together."""
    known = known or {}
    wanted = [
        (str(stored.get("kind", "")), str(stored["id"]))
        for stored, _status in items
        if stored.get("id") is not None
    ]
    current: dict[RecordKey, dict[str, Any] | None] = dict(known)
    current.update(_current_records([key for key in wanted if key not in known], device))
    conflict_ids = [pk for stored, _status in items for pk in stored.get("conflict_ids") or []]
    rows = (
        {row.pk: row for row in SyncConflict.objects.filter(pk__in=conflict_ids)}
        if conflict_ids
        else {}
    )
    out = []
    for stored, status in items:
        object_id = stored.get("id")
        record = (
            current.get((str(stored.get("kind", "")), str(object_id)))
            if object_id is not None
            else None
        )
        found = [rows[pk] for pk in stored.get("conflict_ids") or [] if pk in rows]
        out.append(
            {
                "key": stored["key"],
                "id": object_id,
                "uuid": stored.get("uuid"),
                "status": status or stored["status"],
                "errors": stored.get("errors") or {},
                "conflicts": conflict_answers(found),
                "merged": stored.get("merged") or [],
                "record": record,
            }
        )
    return out


def _answer(stored: dict[str, Any], device: Device, status: str | None = None) -> dict[str, Any]:
    return _answers([(stored, status)], device)[0]


def _duplicate_status(device: Device, receipt: SyncReceipt) -> tuple[dict[str, Any], str | None]:
    """What a receipt answers again: its stored result, as a duplicate (a rejected change stays
    rejected: the device re-sends it corrected, with a new key)."""
    stored: dict[str, Any] = json.loads(receipt.result)
    status = None if stored["status"] == ReceiptStatus.REJECTED else ReceiptStatus.DUPLICATE
    return stored, status


def _duplicate(device: Device, receipt: SyncReceipt) -> dict[str, Any]:
    if receipt.device_id != device.pk:
        return _rejection(
            str(receipt.key), {"key": [_("This key was already used by another device.")]}
        )
    stored, status = _duplicate_status(device, receipt)
    return _answer(stored, device, status)


def _rejection(key: str, errors: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "key": key,
        "id": None,
        "uuid": None,
        "status": ReceiptStatus.REJECTED,
        "errors": errors,
        "conflicts": [],
        "merged": [],
        "record": None,
    }


# ---------------------------------------------------------------------------------------------
# Upload


def clock_offset(
    device_time: datetime.datetime | None, now: datetime.datetime
) -> datetime.timedelta:
    """How far behind the server's clock the device's is (negative: ahead)."""
    if device_time is None:
        return datetime.timedelta(0)
    if timezone.is_naive(device_time):
        device_time = timezone.make_aware(device_time, datetime.UTC)
    offset = now - device_time
    # A clock more than a year off is broken, not skewed: correcting by it would move every
    # time out of any sensible range (or past what a datetime can hold).
    return offset if abs(offset) <= MAX_CLOCK_OFFSET else datetime.timedelta(0)


def corrected(
    moment: datetime.datetime, offset: datetime.timedelta, now: datetime.datetime
) -> datetime.datetime | None:
    """A time the device's clock gave, corrected by its offset and never in the future; None
    when the correction leaves the range a datetime can hold (a year 9999 typed in)."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    try:
        return min(moment + offset, now)
    except OverflowError:
        return None


def push(
    *,
    device: Device,
    device_time: datetime.datetime | None,
    records_in: Sequence[Mapping[str, Any]],
    bulk: bool = True,
) -> dict[str, Any]:
    """Apply a device's changes in order; one answer per record (see the module docstring).

    ``records_in`` are mappings with ``key`` (UUID), ``kind``, ``op``, ``id``, ``recorded_at``
    (datetime or None), ``base`` and ``data`` (the API checks this envelope). ``bulk``: the
    batch in one transaction, its new records written together (else each record in its own
    transaction through the per-record actions: same rows, same answers, slower)."""
    if len(records_in) > conf.max_batch():
        raise SyncError(
            413,
            BATCH_TOO_LARGE,
            _("Send at most %(count)d records at a time.") % {"count": conf.max_batch()},
        )
    now = timezone.now()
    offset = clock_offset(device_time, now)
    # The receipts of the whole batch in one query (a retried batch is mostly answered from
    # them). A key first seen here may still be taken meanwhile by the same batch sent at
    # once from elsewhere: the receipt's unique key catches that (see _flush, _push_one).
    keys = {key for record in records_in if (key := records.parse_uuid(record.get("key")))}
    receipts: dict[uuid.UUID, SyncReceipt | None] = dict.fromkeys(keys)
    receipts.update((receipt.key, receipt) for receipt in SyncReceipt.objects.filter(key__in=keys))
    lookups = Lookups(unused=_unused_device_uuids(records_in))
    try:
        if bulk:
            results = _push_batch(device, records_in, offset, now, receipts, lookups)
        else:
            results = [
                _push_one(device, record, offset, now, receipts, lookups) for record in records_in
            ]
    except OperationalError as exc:
        # The database could not take the write now: SQLite's write lock not granted within
        # its busy timeout (many phones at once), or a PostgreSQL deadlock. What was stored
        # before stays with its receipts (nothing of this batch, in bulk: one transaction);
        # the device sends the batch again and gets "duplicate" for what was stored. An
        # answer, never a server error.
        raise SyncError(
            503,
            BUSY,
            _(
                "The server is busy right now. What was sent is safe; the app will send "
                "the rest again shortly."
            ),
        ) from exc
    return {
        "server_time": now.isoformat(),
        "clock_offset_seconds": offset.total_seconds(),
        "results": results,
    }


# ---------------------------------------------------------------------------------------------
# Upload in bulk: the batch in one transaction. New records (creates) are checked one by one
# into a ``FieldBatch`` and written together with their receipts; any other change (an update,
# a consent, a repeated key or device uuid) first writes the new records before it, then is
# applied through its action in a savepoint, as one record of the per-record path. A write
# that fails on a unique key (the same batch sent at once from elsewhere) is rolled back to
# its savepoint and its records applied one by one: they then answer "duplicate".

Stored = tuple[dict[str, Any], str | None]  # a stored result and the status to answer


@dataclass
class Segment:
    """New records checked into ``batch``: (position, record, key, kind, stored result)."""

    batch: bulk_actions.FieldBatch
    entries: list[tuple[int, Mapping[str, Any], uuid.UUID, str, dict[str, Any]]] = field(
        default_factory=list
    )


def _bulk_flags(records_in: Sequence[Mapping[str, Any]]) -> list[bool]:
    """Which records are new records to write together: creates of a key and a device uuid
    not seen earlier in the batch (a repeat is answered from what the first one stored)."""
    seen_keys: set[uuid.UUID] = set()
    seen_uuids: set[tuple[str, uuid.UUID | None]] = set()
    flags = []
    for record in records_in:
        kind, op = str(record.get("kind", "")), str(record.get("op", ""))
        key = records.parse_uuid(record.get("key"))
        client_uuid = records.parse_uuid(record.get("id"))
        new = op == "create" and kind in CREATED_MODELS and key is not None
        flags.append(new and key not in seen_keys and (kind, client_uuid) not in seen_uuids)
        if key is not None:
            seen_keys.add(key)
        if new and client_uuid is not None:
            seen_uuids.add((kind, client_uuid))
    return flags


def _people_referred(
    user: User, records_in: Sequence[Mapping[str, Any]], flags: Sequence[bool]
) -> dict[uuid.UUID, Person | None]:
    """The people the batch's new orientations and referrals refer to (those it does not
    register itself), in one query: by id and by device uuid; None for one not visible."""
    created = {
        records.parse_uuid(record.get("id"))
        for record in records_in
        if record.get("kind") == "person" and record.get("op") == "create"
    }
    wanted: set[uuid.UUID] = set()
    for record, new in zip(records_in, flags, strict=True):
        data = record.get("data")
        if new and record.get("kind") in {"orientation", "referral"} and isinstance(data, Mapping):
            reference = records.parse_uuid(data.get("person"))
            if reference is not None and reference not in created:
                wanted.add(reference)
    if not wanted:
        return {}
    found: dict[uuid.UUID, Person | None] = dict.fromkeys(wanted)
    visible = access.people_visible_to(user=user).filter(
        Q(pk__in=wanted) | Q(client_uuid__in=wanted)
    )
    for person in visible:
        for reference in (person.pk, person.client_uuid):
            if reference in found:
                found[reference] = person
    return found


def _push_batch(
    device: Device,
    records_in: Sequence[Mapping[str, Any]],
    offset: datetime.timedelta,
    now: datetime.datetime,
    receipts: dict[uuid.UUID, SyncReceipt | None],
    lookups: Lookups,
) -> list[dict[str, Any]]:
    """The batch in one transaction (see above); the answers, read after it commits."""
    flags = _bulk_flags(records_in)
    lookups.people = _people_referred(device.user, records_in, flags)
    answers: list[dict[str, Any] | Stored | None] = [None] * len(records_in)
    # The records of the people written in bulk, as written (no reading back to answer).
    known: dict[RecordKey, dict[str, Any]] = {}

    def new_segment() -> Segment:
        return Segment(bulk_actions.FieldBatch(actor=device.user, organisation=device.organisation))

    with transaction.atomic():
        segment = new_segment()
        for index, record in enumerate(records_in):
            if not flags[index]:
                _flush(device, segment, answers, known, offset, now)
                segment = new_segment()
                # An update or a consent may change who is visible: look people up again.
                lookups.people.clear()
                answers[index] = _push_one(device, record, offset, now, receipts, lookups)
                continue
            key = uuid.UUID(str(record["key"]))
            kind = str(record["kind"])
            receipt = receipts.pop(key, None)
            if receipt is not None:
                answers[index] = (
                    _duplicate_status(device, receipt)
                    if receipt.device_id == device.pk
                    else _duplicate(device, receipt)
                )
                continue
            ctx = Context(
                device=device,
                user=device.user,
                moment=_recorded_at(record, offset, now),
                offset=offset,
                now=now,
                lookups=lookups,
                batch=segment.batch,
            )
            try:
                with clock.at(ctx.moment):
                    stored = HANDLERS[(kind, "create")](ctx, record).stored(key)
            except ValidationError as exc:
                stored = _rejected(key, kind, exc.errors)
            except NotFoundError:
                errors = {"id": [_("This record does not exist or you cannot see it.")]}
                stored = _rejected(key, kind, errors)
            except PermissionDeniedError as exc:
                stored = _rejected(key, kind, {NON_FIELD: [str(exc)]})
            segment.entries.append((index, record, key, kind, stored))
        _flush(device, segment, answers, known, offset, now)
    deferred = [
        (index, answer) for index, answer in enumerate(answers) if isinstance(answer, tuple)
    ]
    for (index, _answer_stored), answer in zip(
        deferred, _answers([stored for _index, stored in deferred], device, known), strict=True
    ):
        answers[index] = answer
    return [answer for answer in answers if isinstance(answer, dict)]


def _rejected(key: uuid.UUID, kind: str, errors: dict[str, list[str]]) -> dict[str, Any]:
    """What the receipt of a rejected change keeps."""
    return {**_rejection(str(key), errors), "kind": kind, "conflict_ids": []}


def _flush(
    device: Device,
    segment: Segment,
    answers: list[dict[str, Any] | Stored | None],
    known: dict[RecordKey, dict[str, Any]],
    offset: datetime.timedelta,
    now: datetime.datetime,
) -> None:
    """Write the segment's new records and their receipts (receipts first: their unique key
    is where the same batch sent twice at once waits, then fails). On a unique key taken
    meanwhile, nothing of the segment stays and each record is applied on its own."""
    if not segment.entries:
        return
    try:
        with transaction.atomic():
            actions.receipts_store(
                device=device,
                results=[
                    (key, kind, stored) for _index, _record, key, kind, stored in segment.entries
                ],
            )
            bulk_actions.field_batch_write(batch=segment.batch)
    except IntegrityError:
        retry = Lookups()
        for index, record, _key, _kind, _stored in segment.entries:
            answers[index] = _push_one(device, record, offset, now, {}, retry)
        return
    for index, _record, _key, _kind, stored in segment.entries:
        answers[index] = (stored, None)
    people = segment.batch.people
    known.update(((item["kind"], item["id"]), item) for item in records.serialise("person", people))


CREATED_MODELS: dict[str, type[Any]] = {
    "person": Person,
    "orientation": Orientation,
    "referral": Referral,
    "outreach": OutreachActivity,
    "vaccination": VaccinationSession,
}


def _unused_device_uuids(
    records_in: Sequence[Mapping[str, Any]],
) -> set[tuple[type[Any], uuid.UUID]]:
    """The device uuids of the batch's creates that no record has yet, one query a kind."""
    wanted: dict[type[Any], set[uuid.UUID]] = {}
    for record in records_in:
        model = CREATED_MODELS.get(str(record.get("kind", "")))
        client_uuid = records.parse_uuid(record.get("id"))
        if model is not None and record.get("op") == "create" and client_uuid is not None:
            wanted.setdefault(model, set()).add(client_uuid)
    unused: set[tuple[type[Any], uuid.UUID]] = set()
    for model, uuids in wanted.items():
        taken = set(
            model.objects.filter(client_uuid__in=uuids).values_list("client_uuid", flat=True)
        )
        unused.update((model, client_uuid) for client_uuid in uuids - taken)
    return unused


def _recorded_at(
    record: Mapping[str, Any], offset: datetime.timedelta, now: datetime.datetime
) -> datetime.datetime:
    recorded_at = record.get("recorded_at")
    if not isinstance(recorded_at, datetime.datetime):
        return now
    # A corrected time in the future (a clock that jumped) or out of range becomes now.
    return corrected(recorded_at, offset, now) or now


def _push_one(
    device: Device,
    record: Mapping[str, Any],
    offset: datetime.timedelta,
    now: datetime.datetime,
    receipts: dict[uuid.UUID, SyncReceipt | None],
    lookups: Lookups,
) -> dict[str, Any]:
    """One record in its own transaction with its receipt. ``receipts``: the receipt (or None)
    of each of the batch's keys as read before the batch started; a key's first record uses
    it up, a key repeated later in the batch is read again (its first record answered it)."""
    key = uuid.UUID(str(record["key"]))
    kind, op = str(record.get("kind", "")), str(record.get("op", ""))
    receipt = receipts.pop(key) if key in receipts else SyncReceipt.objects.filter(key=key).first()
    if receipt is not None:
        return _duplicate(device, receipt)
    handler = HANDLERS.get((kind, op))
    if handler is None:
        errors = {"op": [_("This kind of record cannot be changed this way from the field app.")]}
        return _store_rejection(device, key, kind, errors)
    ctx = Context(
        device=device,
        user=device.user,
        moment=_recorded_at(record, offset, now),
        offset=offset,
        now=now,
        lookups=lookups,
    )
    for attempt in range(2):
        try:
            with transaction.atomic(), clock.at(ctx.moment):
                outcome = handler(ctx, record)
                stored = outcome.stored(key)
                actions.receipt_store(
                    device=device, key=key, kind=kind, status=outcome.status, result=stored
                )
            return _answer(stored, device)
        except IntegrityError:
            receipt = SyncReceipt.objects.filter(key=key).first()
            if receipt is not None:
                return _duplicate(device, receipt)  # the same key, at the same time: it won
            if attempt:
                raise
            # The same device uuid under another key, at the same time: the other one
            # created it; trying again finds it and answers "duplicate".
        except ValidationError as exc:
            return _store_rejection(device, key, kind, exc.errors)
        except NotFoundError:
            errors = {"id": [_("This record does not exist or you cannot see it.")]}
            return _store_rejection(device, key, kind, errors)
        except PermissionDeniedError as exc:
            return _store_rejection(device, key, kind, {NON_FIELD: [str(exc)]})
    raise AssertionError("unreachable")  # pragma: no cover


def _store_rejection(
    device: Device, key: uuid.UUID, kind: str, errors: dict[str, list[str]]
) -> dict[str, Any]:
    answer = _rejection(str(key), errors)
    stored = _rejected(key, kind, errors)
    try:
        with transaction.atomic():
            actions.receipt_store(
                device=device, key=key, kind=kind, status=ReceiptStatus.REJECTED, result=stored
            )
    except IntegrityError:
        receipt = SyncReceipt.objects.get(key=key)
        return _duplicate(device, receipt)
    return answer


# ---------------------------------------------------------------------------------------------
# Download


def _snapshot_queryset(kind: str, device: Device) -> QuerySet[Any]:
    """The device's reference list of ``kind`` (``_snapshot_page`` reads the rest)."""
    organisation = device.organisation
    if kind == "topic":
        return queries.scope_topics().filter(is_active=True)
    if kind == "area":
        return queries.scope_areas(organisation=organisation)
    assert kind == "service", kind
    return queries.scope_services(organisation=organisation).filter(queries.offered_services_q())


def _snapshot_page(
    kind: str, device: Device, now: datetime.datetime, after: str | None, limit: int
) -> list[dict[str, Any]]:
    """The next ``limit`` records of ``kind`` in the device's scope, by id after ``after``.
    People, referrals and tasks (most of a first sync, a page on each request) in one plain
    statement each, their scope as plain SQL conditions."""
    scope: queries.Conditions | None
    if kind == "person":
        scope = queries.scope_people_sql(device=device)
        return [] if scope is None else records.person_page(scope, after=after, limit=limit)
    if kind == "referral":
        scope = queries.scope_referrals_sql(device=device)
        return [] if scope is None else records.referral_page(scope, after=after, limit=limit)
    if kind == "follow_up":
        scope = queries.scope_follow_ups_sql(device=device, now=now)
        return [] if scope is None else records.follow_up_page(scope, after=after, limit=limit)
    page = _snapshot_queryset(kind, device).order_by("pk")
    if after is not None:
        page = page.filter(pk__gt=after)
    return records.read(kind, page[:limit])


def reference_fingerprint(device: Device) -> str:
    """A short hash of the reference lists the device's forms use: when it changes, the
    device gets them again whole."""
    topics, services, areas = queries.reference_state(organisation=device.organisation)
    text = json.dumps([topics, services, areas], default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _reference_records(device: Device) -> list[dict[str, Any]]:
    """Every reference list again: inactive topics and services no longer offered go as
    removed."""
    organisation = device.organisation
    out: list[dict[str, Any]] = []
    for topic in queries.scope_topics().order_by("pk"):
        if topic.is_active:
            out.extend(records.serialise("topic", [topic]))
        else:
            out.append(records.tombstone("topic", topic.pk))
    out.extend(
        records.serialise("area", queries.scope_areas(organisation=organisation).order_by("pk"))
    )
    services = list(
        records.KINDS["service"].load(
            queries.scope_services(organisation=organisation).order_by("pk")
        )
    )
    offered: list[ServiceAtLocation] = []
    gone: list[ServiceAtLocation] = []
    for sal in services:
        (offered if queries.service_is_offered(sal) else gone).append(sal)
    out.extend(records.serialise("service", offered))
    out.extend(records.tombstone("service", sal.pk) for sal in gone)
    return out


def _changed_records(
    device: Device, changes: list[tuple[str, str]], now: datetime.datetime
) -> list[dict[str, Any]]:
    """The current state of what changed (or a removal for what left the device's scope).

    A change to a person also sends their referrals and tasks: erasing, merging and consent
    withdrawal change those in bulk, under the person's audit entry."""
    ids: dict[str, set[str]] = {"person": set(), "referral": set(), "follow_up": set()}
    for kind, object_id in changes:
        ids[kind].add(object_id)
    if ids["person"]:
        people = ids["person"]
        ids["referral"].update(
            str(pk)
            for pk in queries.referrals_ever_in_scope(device=device)
            .filter(person_id__in=people)
            .values_list("pk", flat=True)
        )
        ids["follow_up"].update(
            str(pk)
            for pk in FollowUp.objects.filter(
                organisation_id=device.organisation_id, person_id__in=people
            ).values_list("pk", flat=True)
        )

    def scopes(kind: str) -> tuple[QuerySet[Any], QuerySet[Any]]:
        """Where ``kind`` is now, and where it ever was: built only for a kind that changed
        (most feed pages have no change at all)."""
        if kind == "person":
            return (
                queries.scope_people(device=device),
                queries.scope_people(device=device, include_inactive=True),
            )
        if kind == "referral":
            return (
                queries.scope_referrals(device=device),
                queries.referrals_ever_in_scope(device=device),
            )
        return (
            queries.scope_follow_ups(device=device, now=now),
            queries.follow_ups_ever_in_scope(device=device),
        )

    out: list[dict[str, Any]] = []
    for kind in ("person", "referral", "follow_up"):
        wanted = ids[kind]
        if not wanted:
            continue
        in_scope, ever = scopes(kind)
        current = records.read(kind, in_scope.filter(pk__in=wanted).order_by("pk"))
        out.extend(current)
        left = wanted - {record["id"] for record in current}
        if left:
            gone = ever.filter(pk__in=left).order_by("pk").values_list("pk", flat=True)
            out.extend(records.tombstone(kind, pk) for pk in gone)
    return out


def _page_limit(limit: int | None) -> int:
    most = conf.page_size()
    if limit is None:
        return most
    return max(1, min(int(limit), most))


def pull(*, device: Device, cursor: str | None, limit: int | None = None) -> dict[str, Any]:
    """One page of what the device should hold: the snapshot of its scope (first sync), then
    the changes since (see ``senda.sync.feed``). Returns the page and the cursor after it."""
    limit = _page_limit(limit)
    now = timezone.now()
    device_id = str(device.pk)
    if cursor:
        state = feed.decode(cursor, device_id=device_id)
    else:
        state = feed.Cursor(
            device_id=device_id,
            phase="snapshot",
            feed=feed.start_position(now),
            reference=reference_fingerprint(device),
            kind=records.PULL_KINDS[0],
        )
    out: list[dict[str, Any]] = []
    if state.phase == "snapshot":
        if state.kind not in records.PULL_KINDS:
            raise feed.bad_cursor()
        remaining = limit
        while remaining > 0 and state.phase == "snapshot":
            kind = state.kind
            found = _snapshot_page(kind, device, now, state.after, remaining)
            out.extend(found)
            remaining -= len(found)
            if remaining > 0:
                position = records.PULL_KINDS.index(kind)
                if position + 1 < len(records.PULL_KINDS):
                    state.kind, state.after = records.PULL_KINDS[position + 1], None
                else:
                    state.phase, state.kind, state.after = "feed", "", None
            else:
                state.after = found[-1]["id"]  # str(pk), as the records' ids are
        # After the snapshot the feed may have more (what changed while it was sent).
        more = True
    else:
        fingerprint = reference_fingerprint(device)
        if fingerprint != state.reference:
            out.extend(_reference_records(device))
            state.reference = fingerprint
        page_of_changes = feed.read(
            state.feed, limit=limit, now=now, organisation_id=device.organisation_id
        )
        out.extend(_changed_records(device, page_of_changes.changes, now))
        state.feed = page_of_changes.position
        more = page_of_changes.more
    return {
        "server_time": now.isoformat(),
        "cursor": feed.encode(state),
        "more": more,
        "records": out,
    }
