"""How each kind of record travels: ``{"kind", "id", "uuid", "deleted", "data"}``.

Each kind has a ``load`` (the queryset with everything its records need, prefetched: a page of
records costs a fixed number of queries, never one per record) and a ``data`` (the record's
fields on the wire). Upload answers and downloads use the same shapes. Personal fields go out
decrypted, over TLS; the device encrypts them at rest.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Prefetch, QuerySet

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
from senda.casework.queries.referrals import REASON_CATEGORIES
from senda.directory.models import Phone, ServiceAtLocation
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
# The registry


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[Model]
    load: Callable[[QuerySet[Any]], QuerySet[Any]]
    data: Callable[[Any], dict[str, Any]]
    # Done once for a page of loaded objects (e.g. ids that need a query of their own).
    prepare: Callable[[list[Any]], None] | None = None


def _no_change(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset


KINDS: dict[str, Kind] = {
    "person": Kind("person", Person, _load_people, person_data),
    "referral": Kind(
        "referral", Referral, _load_referrals, referral_data, _attach_service_at_location_ids
    ),
    "follow_up": Kind("follow_up", FollowUp, _no_change, follow_up_data),
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


def parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None
