"""Writes of outreach activities and vaccination sessions: tallies, never people.

Each record belongs to the organisation it was made for. The recorder or a supervisor of the
organisation may correct or delete it within ``EDIT_WINDOW_DAYS`` of recording it.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.casework.models import (
    AgeGroup,
    Community,
    DoseTally,
    OutreachActivity,
    OutreachTally,
    PlaceType,
    Sex,
    Team,
    VaccinationSession,
    Vaccine,
)
from senda.casework.queries.activities import (
    EDIT_WINDOW_DAYS,
    holds,
    outreach_may_edit,
    session_may_edit,
)
from senda.core import clock
from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.directory.models import Location
from senda.geo.models import AdminArea

# A single cell (or material count) above this is a typing error, not a day of outreach.
MAX_CELL = 100_000
MAX_NOTE = 2_000
MAX_PLACE_NAME = 200


class MaterialKind(TextChoices):
    LEAFLET = "leaflet", gettext_lazy("Leaflets")
    POSTER = "poster", gettext_lazy("Posters")
    CONDOMS = "condoms", gettext_lazy("Condoms")
    MASKS = "masks", gettext_lazy("Masks")
    HYGIENE_KIT = "hygiene_kit", gettext_lazy("Hygiene kits")
    OTHER = "other", gettext_lazy("Other material")


TallyCell = tuple[str, str, str]  # (sex, age group, community)
DoseCell = tuple[str, str]  # (vaccine, age group)


@dataclass(frozen=True)
class OutreachInput:
    """What an outreach activity says. Cells left out of ``tallies`` count as 0."""

    date: datetime.date
    place_type: str
    area: AdminArea | None
    place_name: str = ""
    team: Team | None = None
    tallies: Mapping[TallyCell, int] = field(default_factory=dict)
    materials: Mapping[str, int] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class SessionInput:
    """What a vaccination session says: a directory location or a place name."""

    date: datetime.date
    area: AdminArea | None
    location: Location | None = None
    place_name: str = ""
    doses: Mapping[DoseCell, int] = field(default_factory=dict)
    people_referred: int = 0
    note: str = ""


def _check_date(date: datetime.date, errors: dict[str, list[str]]) -> None:
    # One day of slack: a promoter west of the server may already be "tomorrow" for it.
    if date > clock.localdate() + datetime.timedelta(days=1):
        errors.setdefault("date", []).append(_("The date cannot be in the future."))


def _check_text(name: str, value: str, limit: int, errors: dict[str, list[str]]) -> None:
    if "\x00" in value:
        errors.setdefault(name, []).append(_("The text contains a character that is not allowed."))
    elif len(value) > limit:
        errors.setdefault(name, []).append(
            _("Use at most %(count)d characters.") % {"count": limit}
        )


def _check_count(name: str, value: object, errors: dict[str, list[str]]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.setdefault(name, []).append(_("Enter a whole number."))
        return 0
    if value < 0 or value > MAX_CELL:
        errors.setdefault(name, []).append(
            _("Enter a number from 0 to %(limit)d.") % {"limit": MAX_CELL}
        )
        return 0
    return value


def _clean_outreach(organisation: Organisation, data: OutreachInput) -> dict[TallyCell, int]:
    errors: dict[str, list[str]] = {}
    _check_date(data.date, errors)
    if data.place_type not in PlaceType.values:
        errors.setdefault("place_type", []).append(_("Choose a type of place."))
    if data.area is None:
        errors.setdefault("area", []).append(_("Choose the area."))
    _check_text("place_name", data.place_name, MAX_PLACE_NAME, errors)
    _check_text("note", data.note, MAX_NOTE, errors)
    if data.team is not None and data.team.organisation_id != organisation.pk:
        errors.setdefault("team", []).append(_("Choose a team of the organisation."))
    cells: dict[TallyCell, int] = {}
    for cell, count in data.tallies.items():
        sex, age_group, community = cell
        if sex not in Sex.values or age_group not in AgeGroup.values:
            errors.setdefault("tallies", []).append(_("Unknown sex or age group in the tallies."))
            continue
        if community not in Community.values:
            errors.setdefault("tallies", []).append(_("Unknown community in the tallies."))
            continue
        value = _check_count("tallies", count, errors)
        if value:
            cells[cell] = cells.get(cell, 0) + value
    if "tallies" not in errors and not cells:
        errors["tallies"] = [_("Count at least one person reached.")]
    for kind, count in data.materials.items():
        if kind not in MaterialKind.values:
            errors.setdefault("materials", []).append(
                _("Unknown kind of material: %(kind)s.") % {"kind": str(kind)[:40]}
            )
            continue
        _check_count("materials", count, errors)
    if errors:
        raise ValidationError(errors)
    return cells


def _materials(data: OutreachInput) -> dict[str, int]:
    return {kind: count for kind, count in data.materials.items() if count}


def _write_tallies(activity: OutreachActivity, cells: dict[TallyCell, int]) -> None:
    activity.tallies.all().delete()
    OutreachTally.objects.bulk_create(
        OutreachTally(
            activity=activity, sex=sex, age_group=age_group, community=community, count=count
        )
        for (sex, age_group, community), count in sorted(cells.items())
    )


def _existing(
    model: type[OutreachActivity] | type[VaccinationSession],
    client_uuid: uuid.UUID,
    organisation: Organisation,
) -> OutreachActivity | VaccinationSession | None:
    existing = model.objects.filter(client_uuid=client_uuid).first()
    if existing is not None and existing.organisation_id != organisation.pk:
        # Never hand out another organisation's record, nor say that it exists.
        raise ValidationError({"client_uuid": [_("This client id is already used.")]})
    return existing


def _require_recorder(actor: User, organisation: Organisation) -> None:
    if not holds(actor, Capability.OUTREACH_RECORD, organisation):
        raise PermissionDeniedError(
            _("Your role does not include recording outreach or vaccination sessions.")
        )


def edit_refusal() -> PermissionDeniedError:
    return PermissionDeniedError(
        _(
            "Only the person who recorded it or a supervisor may change it, within "
            "%(days)d days of recording it."
        )
        % {"days": EDIT_WINDOW_DAYS}
    )


@transaction.atomic
def outreach_record(
    *,
    actor: User,
    organisation: Organisation,
    data: OutreachInput,
    client_uuid: uuid.UUID | None = None,
) -> OutreachActivity:
    """Record an outreach activity with its tallies; the same ``client_uuid`` twice gives
    back the first record."""
    _require_recorder(actor, organisation)
    if client_uuid is not None:
        existing = _existing(OutreachActivity, client_uuid, organisation)
        if isinstance(existing, OutreachActivity):
            return existing
    cells = _clean_outreach(organisation, data)
    try:
        with transaction.atomic():
            activity = OutreachActivity.objects.create(
                organisation=organisation,
                team=data.team,
                recorded_by=actor,
                date=data.date,
                place_type=data.place_type,
                place_name=data.place_name.strip(),
                area=data.area,  # type: ignore[misc]  # checked in _clean_outreach
                materials=_materials(data),
                note=data.note.strip(),
                client_uuid=client_uuid,
            )
    except IntegrityError:
        # The same upload arrived twice at once: the other one won.
        existing = _existing(OutreachActivity, client_uuid, organisation) if client_uuid else None
        if isinstance(existing, OutreachActivity):
            return existing
        raise
    _write_tallies(activity, cells)
    audit(
        actor=actor,
        action="casework.outreach_record",
        obj=activity,
        organisation=organisation,
        details={"people_reached": sum(cells.values()), "date": data.date.isoformat()},
    )
    return activity


@transaction.atomic
def outreach_update(
    *, actor: User, activity: OutreachActivity, data: OutreachInput
) -> OutreachActivity:
    """Correct an outreach activity: every field and the whole grid are replaced."""
    if not outreach_may_edit(user=actor, activity=activity, now=clock.now()):
        raise edit_refusal()
    organisation = activity.organisation
    cells = _clean_outreach(organisation, data)
    activity.date = data.date
    activity.place_type = data.place_type
    activity.place_name = data.place_name.strip()
    assert data.area is not None  # checked in _clean_outreach
    activity.area = data.area
    activity.team = data.team
    activity.materials = _materials(data)
    activity.note = data.note.strip()
    activity.save()
    _write_tallies(activity, cells)
    audit(
        actor=actor,
        action="casework.outreach_update",
        obj=activity,
        organisation=organisation,
        details={"people_reached": sum(cells.values()), "date": data.date.isoformat()},
    )
    return activity


@transaction.atomic
def outreach_delete(*, actor: User, activity: OutreachActivity) -> None:
    """Delete an outreach activity recorded by mistake (recorder or supervisor, in time)."""
    if not outreach_may_edit(user=actor, activity=activity, now=clock.now()):
        raise edit_refusal()
    organisation = activity.organisation
    audit(
        actor=actor,
        action="casework.outreach_delete",
        obj=activity,
        organisation=organisation,
        details={"date": activity.date.isoformat()},
    )
    activity.delete()


# ---------------------------------------------------------------------------------------------
# Vaccination sessions


def _clean_session(organisation: Organisation, data: SessionInput) -> dict[DoseCell, int]:
    errors: dict[str, list[str]] = {}
    _check_date(data.date, errors)
    _check_text("place_name", data.place_name, MAX_PLACE_NAME, errors)
    _check_text("note", data.note, MAX_NOTE, errors)
    if data.location is not None and data.location.owner_id != organisation.pk:
        errors.setdefault("location", []).append(
            _("Choose a place that the organisation keeps in the directory.")
        )
    if data.location is None and not data.place_name.strip():
        errors.setdefault("place_name", []).append(
            _("Choose a health centre or write the name of the place.")
        )
    if data.area is None and (data.location is None or data.location.admin_area_id is None):
        errors.setdefault("area", []).append(_("Choose the area."))
    _check_count("people_referred", data.people_referred, errors)
    cells: dict[DoseCell, int] = {}
    for cell, count in data.doses.items():
        vaccine, age_group = cell
        if vaccine not in Vaccine.values or age_group not in AgeGroup.values:
            errors.setdefault("doses", []).append(_("Unknown vaccine or age group in the doses."))
            continue
        value = _check_count("doses", count, errors)
        if value:
            cells[cell] = cells.get(cell, 0) + value
    if "doses" not in errors and not cells:
        errors["doses"] = [_("Count at least one dose given.")]
    if errors:
        raise ValidationError(errors)
    return cells


def _write_doses(session: VaccinationSession, cells: dict[DoseCell, int]) -> None:
    session.doses.all().delete()
    DoseTally.objects.bulk_create(
        DoseTally(session=session, vaccine=vaccine, age_group=age_group, count=count)
        for (vaccine, age_group), count in sorted(cells.items())
    )


def _session_area(data: SessionInput) -> AdminArea:
    if data.area is not None:
        return data.area
    assert data.location is not None and data.location.admin_area is not None
    return data.location.admin_area


@transaction.atomic
def vaccination_session_record(
    *,
    actor: User,
    organisation: Organisation,
    data: SessionInput,
    client_uuid: uuid.UUID | None = None,
) -> VaccinationSession:
    """Record a vaccination session with its doses; the same ``client_uuid`` twice gives
    back the first record."""
    _require_recorder(actor, organisation)
    if client_uuid is not None:
        existing = _existing(VaccinationSession, client_uuid, organisation)
        if isinstance(existing, VaccinationSession):
            return existing
    cells = _clean_session(organisation, data)
    try:
        with transaction.atomic():
            session = VaccinationSession.objects.create(
                organisation=organisation,
                recorded_by=actor,
                date=data.date,
                location=data.location,
                place_name=data.place_name.strip(),
                area=_session_area(data),
                people_referred=data.people_referred,
                note=data.note.strip(),
                client_uuid=client_uuid,
            )
    except IntegrityError:
        existing = _existing(VaccinationSession, client_uuid, organisation) if client_uuid else None
        if isinstance(existing, VaccinationSession):
            return existing
        raise
    _write_doses(session, cells)
    audit(
        actor=actor,
        action="casework.vaccination_session_record",
        obj=session,
        organisation=organisation,
        details={"doses": sum(cells.values()), "date": data.date.isoformat()},
    )
    return session


@transaction.atomic
def vaccination_session_update(
    *, actor: User, session: VaccinationSession, data: SessionInput
) -> VaccinationSession:
    """Correct a vaccination session: every field and the whole dose grid are replaced."""
    if not session_may_edit(user=actor, session=session, now=clock.now()):
        raise edit_refusal()
    organisation = session.organisation
    cells = _clean_session(organisation, data)
    session.date = data.date
    session.location = data.location
    session.place_name = data.place_name.strip()
    session.area = _session_area(data)
    session.people_referred = data.people_referred
    session.note = data.note.strip()
    session.save()
    _write_doses(session, cells)
    audit(
        actor=actor,
        action="casework.vaccination_session_update",
        obj=session,
        organisation=organisation,
        details={"doses": sum(cells.values()), "date": data.date.isoformat()},
    )
    return session


@transaction.atomic
def vaccination_session_delete(*, actor: User, session: VaccinationSession) -> None:
    """Delete a vaccination session recorded by mistake (recorder or supervisor, in time)."""
    if not session_may_edit(user=actor, session=session, now=clock.now()):
        raise edit_refusal()
    audit(
        actor=actor,
        action="casework.vaccination_session_delete",
        obj=session,
        organisation=session.organisation,
        details={"date": session.date.isoformat()},
    )
    session.delete()
