"""How each kind of record travels: ``{"kind", "id", "uuid", "deleted", "data"}``.

Each kind has a ``load`` (the queryset with everything its records need, prefetched: a page of
records costs a fixed number of queries, never one per record) and a ``data`` (the record's
fields on the wire), for model instances already in memory (an upload's new people). Upload
answers and downloads use the same shapes. Personal fields go out decrypted, over TLS; the
device encrypts them at rest.

Downloads read the busy kinds (people, referrals, tasks) with ``read``: plain rows, never model
instances, the page's personal fields decrypted together, and what the rows point to (a
referral's service, centre, organisation and history) read once for the page with ``IN
(...)``. Building ~15 model instances a record, decrypting field by field and validating the
answer against its schema cost ten times the SQL (``bench/README.md``, "The download path").
``tests/test_sync_records.py`` checks that both ways give the same records.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Prefetch, QuerySet

from senda.accounts.models import Organisation
from senda.casework.actions.people import EDITABLE_FIELDS, PERSONAL_FIELDS
from senda.casework.models import (
    FollowUp,
    Orientation,
    OutreachActivity,
    Person,
    Referral,
    ReferralEvent,
    Topic,
    VaccinationSession,
)
from senda.casework.queries import plain
from senda.casework.queries.referrals import REASON_CATEGORIES
from senda.core.crypto import decrypt_many
from senda.directory.models import Location, Phone, Service, ServiceAtLocation
from senda.geo.models import AdminArea

Record = dict[str, Any]

# Kinds a device downloads, in snapshot order: the reference lists the forms need first, then
# people before what points to them.
PULL_KINDS = ("topic", "area", "service", "person", "referral", "follow_up")


def _iso(moment: datetime.datetime | datetime.date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _id(value: Any) -> str | None:
    return str(value) if value is not None else None


def envelope(kind: str, obj: Any, data: dict[str, Any]) -> Record:
    client_uuid = getattr(obj, "client_uuid", None)
    return {
        "kind": kind,
        "id": str(obj.pk),
        "uuid": str(client_uuid) if client_uuid is not None else None,
        "deleted": False,
        "data": data,
    }


def tombstone(kind: str, object_id: Any) -> Record:
    """A record that left the device's scope: the device deletes it."""
    return {"kind": kind, "id": str(object_id), "uuid": None, "deleted": True, "data": {}}


# ---------------------------------------------------------------------------------------------
# Field work


def person_data(person: Person) -> dict[str, Any]:
    return {
        "code": person.code,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "phone": person.phone,
        "whatsapp": person.phone_has_whatsapp,
        "sex": person.sex,
        "year_of_birth": person.year_of_birth,
        "age_group": person.age_group,
        "nationality": person.nationality_id,
        "area": person.area_id,
        "community": person.community,
        "notes": person.notes,
        "consent_contact": person.consents_to_contact,
        "consent_share": person.consents_to_share,
        "registered_at": _iso(person.registered_at),
        "registered_by": person.registered_by_id,
        # Not the retention clock (last_activity_at): orientations, referrals and tasks move it
        # without a change to the person in the feed, so a device's copy would go stale.
    }


def _load_people(people: QuerySet[Person]) -> QuerySet[Person]:
    return people


def _actor_name(event: ReferralEvent) -> str:
    if event.actor is None:
        return ""
    return event.actor.get_full_name() or event.actor.get_username()


def referral_data(referral: Referral) -> dict[str, Any]:
    sal_ids = getattr(referral, "sync_sal_ids", {})
    return {
        "person": str(referral.person_id),
        "service_at_location": _id(sal_ids.get((referral.service_id, referral.location_id))),
        "service": str(referral.service_id),
        "location": str(referral.location_id),
        "service_name": str(referral.service.tr("name")),
        "location_name": str(referral.location.tr("name")),
        "receiving_organisation": referral.receiving_organisation.name,
        "reason": referral.reason,
        "urgency": referral.urgency,
        "note": referral.note,
        "status": referral.status,
        "status_changed_at": _iso(referral.status_changed_at),
        "sent_at": _iso(referral.sent_at),
        "received_at": _iso(referral.received_at),
        "attended_at": _iso(referral.attended_at),
        "closed_at": _iso(referral.closed_at),
        "receive_by": _iso(referral.receive_by),
        "attend_by": _iso(referral.attend_by),
        "outcome": referral.outcome,
        "outcome_note": referral.outcome_note,
        "decline_reason": referral.decline_reason,
        "history": [
            {
                "at": _iso(event.at),
                "from": event.from_status,
                "to": event.to_status,
                "by": _actor_name(event),
                "organisation": event.organisation.name if event.organisation else "",
                "note": event.note,
            }
            for event in referral.events.all()
        ],
    }


def _load_referrals(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    return referrals.select_related(
        "service", "location", "receiving_organisation"
    ).prefetch_related(
        Prefetch("events", queryset=ReferralEvent.objects.select_related("actor", "organisation"))
    )


def _attach_service_at_location_ids(referrals: list[Referral]) -> None:
    """The directory's service-at-location id of each referral (what the device's service
    list is keyed by), in one query for the page."""
    pairs = {(r.service_id, r.location_id) for r in referrals}
    found: dict[tuple[Any, Any], Any] = {}
    if pairs:
        rows = ServiceAtLocation.objects.filter(
            service_id__in={service for service, _ in pairs},
            location_id__in={location for _, location in pairs},
        ).values_list("service_id", "location_id", "id")
        found = {(service, location): sal for service, location, sal in rows}
    for referral in referrals:
        referral.sync_sal_ids = found  # type: ignore[attr-defined]


def follow_up_data(task: FollowUp) -> dict[str, Any]:
    return {
        "person": str(task.person_id),
        "referral": _id(task.referral_id),
        "title": task.title,
        "due_on": _iso(task.due_on),
        "status": task.status,
        "completed_at": _iso(task.completed_at),
        "note": task.note,
    }


def orientation_data(orientation: Orientation) -> dict[str, Any]:
    return {
        "person": str(orientation.person_id),
        "occurred_at": _iso(orientation.occurred_at),
        "topics": sorted(topic.slug for topic in orientation.topics.all()),
        "channel": orientation.channel,
        "place_type": orientation.place_type,
        "area": orientation.area_id,
        "outcome": orientation.outcome,
        "note": orientation.note,
    }


def outreach_data(activity: OutreachActivity) -> dict[str, Any]:
    return {
        "date": _iso(activity.date),
        "place_type": activity.place_type,
        "place_name": activity.place_name,
        "area": activity.area_id,
        "team": _id(activity.team_id),
        "materials": activity.materials,
        "note": activity.note,
        "tallies": [
            {
                "sex": tally.sex,
                "age_group": tally.age_group,
                "community": tally.community,
                "count": tally.count,
            }
            for tally in activity.tallies.all()
        ],
    }


def vaccination_data(session: VaccinationSession) -> dict[str, Any]:
    return {
        "date": _iso(session.date),
        "location": _id(session.location_id),
        "place_name": session.place_name,
        "area": session.area_id,
        "people_referred": session.people_referred,
        "note": session.note,
        "doses": [
            {"vaccine": dose.vaccine, "age_group": dose.age_group, "count": dose.count}
            for dose in session.doses.all()
        ],
    }


# ---------------------------------------------------------------------------------------------
# Reference lists


def topic_data(topic: Topic) -> dict[str, Any]:
    return {
        "slug": topic.slug,
        "name": str(topic.tr("name")),
        "language": topic.language,
        "translations": topic.translations,
        "position": topic.position,
    }


def area_data(area: AdminArea) -> dict[str, Any]:
    return {
        "pcode": area.pcode,
        "name": area.name,
        "level": area.level,
        "parent": area.parent_id,
    }


def _reasons_for(category_codes: list[str]) -> list[str]:
    return sorted(
        reason
        for reason, prefixes in REASON_CATEGORIES.items()
        if any(code == p or code.startswith(p + ".") for code in category_codes for p in prefixes)
    )


def service_data(sal: ServiceAtLocation) -> dict[str, Any]:
    service, location = sal.service, sal.location
    addresses = list(location.addresses.all())
    phones = [phone.number for phone in location.phones.all()] + [
        phone.number for phone in service.phones.all()
    ]
    codes = sorted(term.code for term in service.categories.all() if term.code)
    address = addresses[0] if addresses else None
    return {
        "service": str(service.pk),
        "location": str(location.pk),
        "name": str(service.tr("name")),
        "organisation": service.owner.name if service.owner_id else "",
        "location_name": str(location.tr("name")),
        "address": (
            ", ".join(part for part in (address.address_1, address.city) if part) if address else ""
        ),
        "area": location.admin_area_id,
        "phone": phones[0] if phones else "",
        "categories": codes,
        "reasons": _reasons_for(codes),
        "is_free": service.is_free,
        "latitude": location.latitude,
        "longitude": location.longitude,
    }


def _load_services(sals: QuerySet[ServiceAtLocation]) -> QuerySet[ServiceAtLocation]:
    return sals.select_related("service", "service__owner", "location").prefetch_related(
        "location__addresses",
        Prefetch("location__phones", queryset=Phone.objects.order_by("id")),
        Prefetch("service__phones", queryset=Phone.objects.order_by("id")),
        "service__categories",
    )


# ---------------------------------------------------------------------------------------------
# Lean reads for downloads: plain rows, personal fields decrypted once per page


def _values(
    queryset: QuerySet[Any], names: tuple[str, ...], sealed: frozenset[str] = frozenset()
) -> list[list[Any]]:
    """The values of the fields ``names`` of each row of ``queryset``, converted as the ORM
    converts them (``plain.fetch``), except the encrypted fields in ``sealed``: those are read
    as stored and decrypted together, in one pass for the page."""
    model = queryset.model
    sql, parameters = queryset.values_list(*names).query.sql_with_params()
    # A field across a relation ("actor__username") is text: nothing to convert.
    rows = plain.fetch(
        sql,
        parameters,
        [None if name in sealed or "__" in name else (model, name) for name in names],
    )
    positions = [index for index, name in enumerate(names) if name in sealed]
    if positions and rows:
        clear = iter(decrypt_many([row[index] for row in rows for index in positions]))
        for row in rows:
            for index in positions:
                row[index] = next(clear)
    return rows


def _record(kind: str, pk: Any, client_uuid: Any, data: dict[str, Any]) -> Record:
    """``envelope`` from plain values."""
    return {
        "kind": kind,
        "id": str(pk),
        "uuid": str(client_uuid) if client_uuid is not None else None,
        "deleted": False,
        "data": data,
    }


PERSON_COLUMNS = (
    "id",
    "client_uuid",
    "code",
    *EDITABLE_FIELDS,
    "consents_to_contact",
    "consents_to_share",
    "registered_at",
    "registered_by",
)
PERSON_SEALED = frozenset(PERSONAL_FIELDS)


def person_rows(people: QuerySet[Person]) -> list[Record]:
    """``person_data`` of each person, from plain rows (one query)."""
    return [
        _record(
            "person",
            pk,
            client_uuid,
            {
                "code": code,
                "given_name": given_name,
                "family_name": family_name,
                "phone": phone,
                "whatsapp": whatsapp,
                "sex": sex,
                "year_of_birth": year_of_birth,
                "age_group": age_group,
                "nationality": nationality,
                "area": area,
                "community": community,
                "notes": notes,
                "consent_contact": consent_contact,
                "consent_share": consent_share,
                "registered_at": _iso(registered_at),
                "registered_by": registered_by,
            },
        )
        for (
            pk,
            client_uuid,
            code,
            given_name,
            family_name,
            phone,
            whatsapp,
            sex,
            year_of_birth,
            age_group,
            nationality,
            area,
            community,
            notes,
            consent_contact,
            consent_share,
            registered_at,
            registered_by,
        ) in _values(people, PERSON_COLUMNS, PERSON_SEALED)
    ]


FOLLOW_UP_COLUMNS = (
    "id",
    "client_uuid",
    "person",
    "referral",
    "title",
    "due_on",
    "status",
    "completed_at",
    "note",
)


def follow_up_rows(tasks: QuerySet[FollowUp]) -> list[Record]:
    """``follow_up_data`` of each task, from plain rows (one query)."""
    return [
        _record(
            "follow_up",
            pk,
            client_uuid,
            {
                "person": str(person),
                "referral": _id(referral),
                "title": title,
                "due_on": _iso(due_on),
                "status": status,
                "completed_at": _iso(completed_at),
                "note": note,
            },
        )
        for pk, client_uuid, person, referral, title, due_on, status, completed_at, note in _values(
            tasks, FOLLOW_UP_COLUMNS, frozenset({"note"})
        )
    ]


REFERRAL_COLUMNS = (
    "id",
    "client_uuid",
    "person",
    "service",
    "location",
    "receiving_organisation",
    "reason",
    "urgency",
    "note",
    "status",
    "status_changed_at",
    "sent_at",
    "received_at",
    "attended_at",
    "closed_at",
    "receive_by",
    "attend_by",
    "outcome",
    "outcome_note",
    "decline_reason",
)
REFERRAL_SEALED = frozenset({"note", "outcome_note", "decline_reason"})


def _names_in_language(model: type[Service] | type[Location], ids: set[Any]) -> dict[Any, str]:
    """``str(obj.tr("name"))`` of each of ``ids``, in the active language (one query)."""
    if not ids:
        return {}
    wanted = plain.page_language()
    return {
        pk: plain.translated(name, "name", language, translations, wanted)
        for pk, name, language, translations in model.objects.filter(pk__in=ids).values_list(
            "pk", "name", "language", "translations"
        )
    }


EVENT_COLUMNS = (
    "referral",
    "at",
    "from_status",
    "to_status",
    "actor",
    "actor__first_name",
    "actor__last_name",
    "actor__username",
    "organisation__name",
    "note",
)


def _histories(referral_ids: list[Any]) -> dict[Any, list[dict[str, Any]]]:
    """Each referral's history as ``referral_data`` writes it, oldest first (one query)."""
    histories: dict[Any, list[dict[str, Any]]] = {pk: [] for pk in referral_ids}
    if not referral_ids:
        return histories
    events = ReferralEvent.objects.filter(referral_id__in=referral_ids).order_by("at", "id")
    for (
        referral,
        at,
        from_status,
        to_status,
        actor,
        first,
        last,
        username,
        organisation,
        note,
    ) in _values(events, EVENT_COLUMNS, frozenset({"note"})):
        # What _actor_name reads from the user: get_full_name(), else get_username().
        by = "" if actor is None else (f"{first} {last}".strip() or username)
        histories[referral].append(
            {
                "at": _iso(at),
                "from": from_status,
                "to": to_status,
                "by": by,
                "organisation": organisation or "",
                "note": note,
            }
        )
    return histories


def referral_rows(referrals: QuerySet[Referral]) -> list[Record]:
    """``referral_data`` of each referral, from plain rows: one query for the referrals and one
    each for their services, centres, receiving organisations, services at locations and
    history, whatever the number of referrals."""
    rows = _values(referrals, REFERRAL_COLUMNS, REFERRAL_SEALED)
    if not rows:
        return []
    services = _names_in_language(Service, {row[3] for row in rows})
    locations = _names_in_language(Location, {row[4] for row in rows})
    organisations = dict(
        Organisation.objects.filter(pk__in={row[5] for row in rows}).values_list("pk", "name")
    )
    pairs = {(row[3], row[4]) for row in rows}
    sal_ids = {
        (service, location): sal
        for service, location, sal in ServiceAtLocation.objects.filter(
            service_id__in={service for service, _ in pairs},
            location_id__in={location for _, location in pairs},
        ).values_list("service_id", "location_id", "id")
    }
    histories = _histories([row[0] for row in rows])
    out: list[Record] = []
    for (
        pk,
        client_uuid,
        person,
        service,
        location,
        receiving_organisation,
        reason,
        urgency,
        note,
        status,
        status_changed_at,
        sent_at,
        received_at,
        attended_at,
        closed_at,
        receive_by,
        attend_by,
        outcome,
        outcome_note,
        decline_reason,
    ) in rows:
        out.append(
            _record(
                "referral",
                pk,
                client_uuid,
                {
                    "person": str(person),
                    "service_at_location": _id(sal_ids.get((service, location))),
                    "service": str(service),
                    "location": str(location),
                    "service_name": services[service],
                    "location_name": locations[location],
                    "receiving_organisation": organisations[receiving_organisation],
                    "reason": reason,
                    "urgency": urgency,
                    "note": note,
                    "status": status,
                    "status_changed_at": _iso(status_changed_at),
                    "sent_at": _iso(sent_at),
                    "received_at": _iso(received_at),
                    "attended_at": _iso(attended_at),
                    "closed_at": _iso(closed_at),
                    "receive_by": _iso(receive_by),
                    "attend_by": _iso(attend_by),
                    "outcome": outcome,
                    "outcome_note": outcome_note,
                    "decline_reason": decline_reason,
                    "history": histories[pk],
                },
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[Model]
    load: Callable[[QuerySet[Any]], QuerySet[Any]]
    data: Callable[[Any], dict[str, Any]]
    # Done once for a page of loaded objects (e.g. ids that need a query of their own).
    prepare: Callable[[list[Any]], None] | None = None
    # The lean read of a page (plain rows, see the module docstring), where one is written.
    rows: Callable[[QuerySet[Any]], list[Record]] | None = None


def _no_change(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset


KINDS: dict[str, Kind] = {
    "person": Kind("person", Person, _load_people, person_data, rows=person_rows),
    "referral": Kind(
        "referral",
        Referral,
        _load_referrals,
        referral_data,
        _attach_service_at_location_ids,
        rows=referral_rows,
    ),
    "follow_up": Kind("follow_up", FollowUp, _no_change, follow_up_data, rows=follow_up_rows),
    "orientation": Kind(
        "orientation",
        Orientation,
        lambda qs: qs.prefetch_related("topics"),
        orientation_data,
    ),
    "outreach": Kind(
        "outreach", OutreachActivity, lambda qs: qs.prefetch_related("tallies"), outreach_data
    ),
    "vaccination": Kind(
        "vaccination", VaccinationSession, lambda qs: qs.prefetch_related("doses"), vaccination_data
    ),
    "topic": Kind("topic", Topic, _no_change, topic_data),
    "area": Kind("area", AdminArea, _no_change, area_data),
    "service": Kind("service", ServiceAtLocation, _load_services, service_data),
}


def serialise(kind: str, objects: Iterable[Any]) -> list[Record]:
    """The records of already loaded objects (loaded with ``KINDS[kind].load``)."""
    spec = KINDS[kind]
    items = list(objects)
    if spec.prepare is not None:
        spec.prepare(items)
    return [envelope(kind, obj, spec.data(obj)) for obj in items]


def read(kind: str, queryset: QuerySet[Any]) -> list[Record]:
    """The records of the rows of ``queryset`` (filtered, ordered, maybe sliced), in its order:
    plain rows where the kind has a lean read, else loaded and serialised."""
    spec = KINDS[kind]
    if spec.rows is not None:
        return spec.rows(queryset)
    return serialise(kind, spec.load(queryset))


def parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None
