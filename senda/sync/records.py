"""How each kind of record travels: ``{"kind", "id", "uuid", "deleted", "data"}``.

The busy kinds (people, referrals, tasks) are read as plain rows, never model instances: with
``read`` (a queryset) or, the first sync's pages, ``person_page``, ``referral_page`` and
``follow_up_page`` (one plain statement, the device's scope as plain SQL conditions). UUIDs,
dates and moments come from PostgreSQL as the text the wire carries (no ``uuid.UUID`` or
``datetime`` built only to be formatted again); the page's personal fields are decrypted
together; what the rows point to (a referral's service, centre, organisation and history) is
read once for the page with ``IN (...)``. Building ~15 model instances a record, decrypting
field by field and validating the answer against its schema cost ten times the SQL
(``bench/README.md``, "The download path"). ``tests/test_sync_records.py`` checks these
records against ones built from model instances.

The other kinds, and people already in memory (an upload's new people), have a ``data`` (the
record's fields on the wire) for model instances, loaded with their ``load`` (the queryset with
everything ``data`` reads, prefetched: a page costs a fixed number of queries, never one per
record). Upload answers and downloads use the same shapes. Personal fields go out decrypted,
over TLS; the device encrypts them at rest.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    DateField,
    DateTimeField,
    F,
    Func,
    Model,
    Prefetch,
    QuerySet,
    TextField,
    UUIDField,
)

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


# How the database writes a value as the wire does (``str`` of a UUID, ``isoformat`` of a
# date or a moment in UTC), for PostgreSQL: it hands over the text, and no UUID or datetime is
# built only to be formatted again. ``to_char``'s ``US`` is always six digits, where
# ``isoformat`` leaves out a zero fraction.
_PG_WIRE_TEXT = {
    "uuid": "({column})::text",
    "datetime": (
        "replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), "
        "'.000000', '') || '+00:00'"
    ),
    "date": "to_char({column}, 'YYYY-MM-DD')",
}


def _wire_type(model: type[Model], name: str) -> str | None:
    """How the wire carries the field ``name`` as text ("uuid", "datetime" or "date"), or
    None."""
    if "__" in name:
        return None
    field = model._meta.get_field(name)
    if field.is_relation:
        field = field.target_field  # type: ignore[union-attr]
    if isinstance(field, UUIDField):
        return "uuid"
    if isinstance(field, DateTimeField):
        return "datetime"
    if isinstance(field, DateField):
        return "date"
    return None


class _WireText(Func):
    """A column as the wire's text (``_PG_WIRE_TEXT``), PostgreSQL only."""

    output_field = TextField()

    def __init__(self, name: str, wire_type: str) -> None:
        super().__init__(F(name))
        self.template = _PG_WIRE_TEXT[wire_type].format(column="%(expressions)s")


def _as_wire_text(value: Any, wire_type: str) -> str | None:
    if value is None:
        return None
    return str(value) if wire_type == "uuid" else value.isoformat()


def _converted(
    model: type[Model],
    names: tuple[str, ...],
    sealed: frozenset[str],
    wire_types: list[str | None],
    on_postgresql: bool,
) -> list[tuple[type[Model], str] | None]:
    """What ``plain.fetch`` converts of each column: nothing for the encrypted fields (read as
    stored), a field across a relation ("actor__username": text) or one PostgreSQL already
    hands over as the wire's text."""
    return [
        None if name in sealed or "__" in name or (on_postgresql and wire_type) else (model, name)
        for name, wire_type in zip(names, wire_types, strict=True)
    ]


def _finished(
    rows: list[list[Any]],
    names: tuple[str, ...],
    sealed: frozenset[str],
    wire_types: list[str | None],
    on_postgresql: bool,
) -> list[list[Any]]:
    """The rows with UUIDs, dates and moments as the wire's text (SQLite: from the values its
    converters made) and the ``sealed`` fields decrypted, the page's together."""
    if not on_postgresql:
        texts = [(index, kind) for index, kind in enumerate(wire_types) if kind is not None]
        for row in rows:
            for index, kind in texts:
                row[index] = _as_wire_text(row[index], kind)
    positions = [index for index, name in enumerate(names) if name in sealed]
    if positions and rows:
        clear = iter(decrypt_many([row[index] for row in rows for index in positions]))
        for row in rows:
            for index in positions:
                row[index] = next(clear)
    return rows


def _values(
    queryset: QuerySet[Any], names: tuple[str, ...], sealed: frozenset[str] = frozenset()
) -> list[list[Any]]:
    """The values of the fields ``names`` of each row of ``queryset``, converted as the ORM
    converts them (``plain.fetch``), except that UUIDs, dates and moments come as the text the
    wire carries (``_iso``, ``_id``), and the encrypted fields in ``sealed`` are read as stored
    and decrypted together, in one pass for the page."""
    model = queryset.model
    wire_types = [_wire_type(model, name) for name in names]
    on_postgresql = connection.vendor == "postgresql"
    selected: list[Any] = [
        _WireText(name, wire_type) if on_postgresql and wire_type else name
        for name, wire_type in zip(names, wire_types, strict=True)
    ]
    sql, parameters = queryset.values_list(*selected).query.sql_with_params()
    fields = _converted(model, names, sealed, wire_types, on_postgresql)
    rows = plain.fetch(sql, parameters, fields)
    return _finished(rows, names, sealed, wire_types, on_postgresql)


def _record(kind: str, pk: Any, client_uuid: str | None, data: dict[str, Any]) -> Record:
    """``envelope`` from plain values (``client_uuid`` already the wire's text)."""
    return {
        "kind": kind,
        "id": str(pk),
        "uuid": client_uuid,
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
    return _person_records(_values(people, PERSON_COLUMNS, PERSON_SEALED))


def _page(
    model: type[Model],
    alias: str,
    names: tuple[str, ...],
    sealed: frozenset[str],
    scope: tuple[list[str], list[Any]],
    after: str | None,
    limit: int,
) -> list[list[Any]]:
    """``_values`` of the next ``limit`` rows of ``model`` by id after ``after`` among those
    meeting ``scope`` (plain SQL conditions on the table alias ``alias``, and their
    parameters), in one plain statement: no ORM query to compile on every page of a sync.
    Fields of ``model`` only."""
    conditions, parameters = list(scope[0]), list(scope[1])
    if after is not None:
        conditions.append(f"{plain.column(model, 'id', alias)} > %s")
        parameters.append(plain.param(model, "id", after))
    where = " AND ".join(conditions) or "1 = 1"
    page = (
        f"SELECT {', '.join(plain.column(model, name, alias) for name in names)}"  # noqa: S608
        f" FROM {plain.table(model)} {alias} WHERE {where}"
        f" ORDER BY {plain.column(model, 'id', alias)} LIMIT %s"
    )
    parameters.append(int(limit))
    wire_types = [_wire_type(model, name) for name in names]
    on_postgresql = connection.vendor == "postgresql"
    if on_postgresql:
        # The wire's text is made for the page's rows only (the outer select), not for every
        # row the database sorts to find them: that doubled the statement's time.
        selected = [
            _PG_WIRE_TEXT[wire_type].format(column=plain.column(model, name, "w"))
            if wire_type
            else plain.column(model, name, "w")
            for name, wire_type in zip(names, wire_types, strict=True)
        ]
        page = (
            f"SELECT {', '.join(selected)} FROM ({page}) w"  # noqa: S608
            f" ORDER BY {plain.column(model, 'id', 'w')}"
        )
    fields = _converted(model, names, sealed, wire_types, on_postgresql)
    rows = plain.fetch(page, parameters, fields)
    return _finished(rows, names, sealed, wire_types, on_postgresql)


def person_page(
    scope: tuple[list[str], list[Any]], *, after: str | None, limit: int
) -> list[Record]:
    """``person_rows`` of the next ``limit`` people by id after ``after`` among those meeting
    ``scope`` (conditions on the alias ``p``): the first sync's pages of people."""
    return _person_records(_page(Person, "p", PERSON_COLUMNS, PERSON_SEALED, scope, after, limit))


def _person_records(rows: list[list[Any]]) -> list[Record]:
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
                "registered_at": registered_at,
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
        ) in rows
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


FOLLOW_UP_SEALED = frozenset({"note"})


def follow_up_rows(tasks: QuerySet[FollowUp]) -> list[Record]:
    """Each task's record, from plain rows (one query)."""
    return _follow_up_records(_values(tasks, FOLLOW_UP_COLUMNS, FOLLOW_UP_SEALED))


def follow_up_page(
    scope: tuple[list[str], list[Any]], *, after: str | None, limit: int
) -> list[Record]:
    """``follow_up_rows`` of the next ``limit`` tasks by id after ``after`` among those
    meeting ``scope`` (conditions on the alias ``t``)."""
    return _follow_up_records(
        _page(FollowUp, "t", FOLLOW_UP_COLUMNS, FOLLOW_UP_SEALED, scope, after, limit)
    )


def _follow_up_records(rows: list[list[Any]]) -> list[Record]:
    return [
        _record(
            "follow_up",
            pk,
            client_uuid,
            {
                "person": person,
                "referral": referral,
                "title": title,
                "due_on": due_on,
                "status": status,
                "completed_at": completed_at,
                "note": note,
            },
        )
        for pk, client_uuid, person, referral, title, due_on, status, completed_at, note in rows
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
    """``str(obj.tr("name"))`` of each of ``ids``, in the active language, by the id's text
    (one query)."""
    if not ids:
        return {}
    wanted = plain.page_language()
    return {
        str(pk): plain.translated(name, "name", language, translations, wanted)
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
    """Each referral's history, oldest first (one query)."""
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
        # The user's get_full_name(), else get_username().
        by = "" if actor is None else (f"{first} {last}".strip() or username)
        histories[referral].append(
            {
                "at": at,
                "from": from_status,
                "to": to_status,
                "by": by,
                "organisation": organisation or "",
                "note": note,
            }
        )
    return histories


def referral_rows(referrals: QuerySet[Referral]) -> list[Record]:
    """Each referral's record, from plain rows: one query for the referrals and one
    each for their services, centres, receiving organisations, services at locations and
    history, whatever the number of referrals."""
    return _referral_records(_values(referrals, REFERRAL_COLUMNS, REFERRAL_SEALED))


def referral_page(
    scope: tuple[list[str], list[Any]], *, after: str | None, limit: int
) -> list[Record]:
    """``referral_rows`` of the next ``limit`` referrals by id after ``after`` among those
    meeting ``scope`` (conditions on the alias ``r``)."""
    return _referral_records(
        _page(Referral, "r", REFERRAL_COLUMNS, REFERRAL_SEALED, scope, after, limit)
    )


def _referral_records(rows: list[list[Any]]) -> list[Record]:
    if not rows:
        return []
    services = _names_in_language(Service, {row[3] for row in rows})
    locations = _names_in_language(Location, {row[4] for row in rows})
    organisations = {
        str(pk): name
        for pk, name in Organisation.objects.filter(pk__in={row[5] for row in rows}).values_list(
            "pk", "name"
        )
    }
    pairs = {(row[3], row[4]) for row in rows}
    sal_ids = {
        (str(service), str(location)): str(sal)
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
                    "person": person,
                    "service_at_location": sal_ids.get((service, location)),
                    "service": service,
                    "location": location,
                    "service_name": services[service],
                    "location_name": locations[location],
                    "receiving_organisation": organisations[receiving_organisation],
                    "reason": reason,
                    "urgency": urgency,
                    "note": note,
                    "status": status,
                    "status_changed_at": status_changed_at,
                    "sent_at": sent_at,
                    "received_at": received_at,
                    "attended_at": attended_at,
                    "closed_at": closed_at,
                    "receive_by": receive_by,
                    "attend_by": attend_by,
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


def _no_change(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[Model]
    # The lean read of a page (plain rows, see the module docstring), where one is written.
    rows: Callable[[QuerySet[Any]], list[Record]] | None = None
    # The records of model instances, for the kinds read that way or answered from instances
    # already in memory; ``load`` adds what ``data`` reads to the queryset.
    data: Callable[[Any], dict[str, Any]] | None = None
    load: Callable[[QuerySet[Any]], QuerySet[Any]] = _no_change


KINDS: dict[str, Kind] = {
    "person": Kind("person", Person, rows=person_rows, data=person_data),
    "referral": Kind("referral", Referral, rows=referral_rows),
    "follow_up": Kind("follow_up", FollowUp, rows=follow_up_rows),
    "orientation": Kind(
        "orientation",
        Orientation,
        data=orientation_data,
        load=lambda qs: qs.prefetch_related("topics"),
    ),
    "outreach": Kind(
        "outreach",
        OutreachActivity,
        data=outreach_data,
        load=lambda qs: qs.prefetch_related("tallies"),
    ),
    "vaccination": Kind(
        "vaccination",
        VaccinationSession,
        data=vaccination_data,
        load=lambda qs: qs.prefetch_related("doses"),
    ),
    "topic": Kind("topic", Topic, data=topic_data),
    "area": Kind("area", AdminArea, data=area_data),
    "service": Kind("service", ServiceAtLocation, data=service_data, load=_load_services),
}


def serialise(kind: str, objects: Iterable[Any]) -> list[Record]:
    """The records of already loaded objects (loaded with ``KINDS[kind].load``), for a kind
    with a ``data``."""
    data = KINDS[kind].data
    assert data is not None, f"{kind} is read as plain rows only"
    return [envelope(kind, obj, data(obj)) for obj in objects]


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
