"""The sync protocol's JSON API (devices, push, pull, conflicts), mounted under /api/sync/.

Registering a phone takes the browser's session (second factor verified); everything else takes
the device's own token (``Authorization: Bearer``). Errors carry a machine ``code`` besides the
API's usual body (README, "Field app and sync"). The handlers are thin: the protocol itself is
in ``senda.sync.protocol``.
"""

# No "from __future__ import annotations": Ninja reads annotations at run time.

import datetime
import json
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.responses import NinjaJSONEncoder
from pydantic import AfterValidator, ConfigDict

from senda.accounts.models import User
from senda.core.api_auth import ErrorOut, request_user, session_auth
from senda.core.api_common import no_nul
from senda.sync import actions, auth, conf, protocol, queries
from senda.sync.auth import SyncError, request_device
from senda.sync.models import Device, SyncConflict


def _add_codes(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every error answer of the sync API carries its machine code (and ``wipe`` for a revoked
    device): the shared handlers write ``detail`` and ``errors``, this adds the rest."""

    @wraps(run)
    def run_with_codes(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = run(request, *args, **kwargs)
        if response.status_code < 400 or not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        body = json.loads(response.content or b"{}")
        if not isinstance(body, dict) or "code" in body:
            return response
        error = getattr(request, "sync_error", None)
        if isinstance(error, SyncError):
            body["code"] = error.code
            body.update(error.extra)
            if error.code == auth.BUSY:
                response["Retry-After"] = "5"
        else:
            body["code"] = DEFAULT_CODES.get(response.status_code, "error")
        response.content = json.dumps(body).encode()
        response["Content-Length"] = str(len(response.content))
        return response

    return run_with_codes


DEFAULT_CODES = {
    400: auth.INVALID,
    401: auth.DEVICE_UNKNOWN,
    403: auth.FORBIDDEN,
    404: auth.NOT_FOUND,
    413: auth.BATCH_TOO_LARGE,
    422: auth.INVALID,
    503: auth.BUSY,
}

router = Router(tags=["sync"])
router.add_decorator(_add_codes, mode="view")


def _remember(request: HttpRequest, error: SyncError) -> SyncError:
    request.sync_error = error  # type: ignore[attr-defined]
    return error


class _RememberingDeviceAuth(auth.DeviceAuth):
    def authenticate(self, request: HttpRequest, token: str) -> Device:
        try:
            return super().authenticate(request, token)
        except SyncError as error:
            raise _remember(request, error) from None


DEVICE_AUTH = [_RememberingDeviceAuth()]
# The devices list and revocation: from the phone or from a signed-in browser.
DEVICE_OR_SESSION_AUTH = [_RememberingDeviceAuth(), session_auth]


# ---------------------------------------------------------------------------------------------
# Schemas


class SyncErrorOut(ErrorOut):
    code: str = Field(
        description="device_unknown (401), device_revoked (403, with wipe), forbidden (403), "
        "not_found (404), bad_cursor (400), batch_too_large (413), invalid (400/422)."
    )
    wipe: bool | None = Field(
        None, description="true with device_revoked: the app deletes all its local data."
    )


def errors(*codes: int) -> dict[int, type[SyncErrorOut]]:
    return dict.fromkeys(codes, SyncErrorOut)


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class OrganisationOut(Schema):
    id: uuid.UUID
    name: str


class DeviceIn(InputSchema):
    name: Annotated[str, Field(min_length=1, max_length=80), AfterValidator(no_nul)] = Field(
        description='What the worker calls the phone, e.g. "Moto G (Ana)".'
    )
    installation_id: uuid.UUID = Field(
        description="Made by the app when installed; registering again from the same "
        "installation replaces (revokes) its previous device."
    )


class DeviceRegisteredOut(Schema):
    device_id: uuid.UUID
    token: str = Field(description="The device's token, shown only now (Senda keeps its hash).")
    lock_minutes: int = Field(description="Idle minutes before the PIN is asked again.")
    wipe_hours: int = Field(description="Hours without an unlock after which data is wiped.")
    username: str
    display_name: str
    organisation: OrganisationOut
    server_time: datetime.datetime


class DeviceOut(Schema):
    id: uuid.UUID
    name: str
    username: str
    display_name: str
    organisation: OrganisationOut
    created_at: datetime.datetime
    last_seen_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    revoked_by: str | None = Field(description="Username of who revoked it.")
    wipe_confirmed_at: datetime.datetime | None = Field(
        description="When the revoked device called again and was told to wipe its data."
    )
    is_active: bool

    @staticmethod
    def resolve_username(obj: Device) -> str:
        return obj.user.get_username()

    @staticmethod
    def resolve_display_name(obj: Device) -> str:
        return obj.user.get_full_name() or obj.user.get_username()

    @staticmethod
    def resolve_revoked_by(obj: Device) -> str | None:
        return obj.revoked_by.get_username() if obj.revoked_by is not None else None


class StatusOut(Schema):
    device_id: uuid.UUID
    server_time: datetime.datetime
    lock_minutes: int
    wipe_hours: int
    username: str
    display_name: str


Kind = Literal[
    "person", "orientation", "referral", "outreach", "vaccination", "follow_up", "consent"
]
PullKind = Literal["topic", "area", "service", "person", "referral", "follow_up"]


# The data of each kind, for the documentation (the server checks each kind through the same
# actions as the staff pages, and answers "rejected" with messages per field).
class PersonData(Schema):
    """person: create (all) or update (any of the personal fields)."""

    code: str = Field("", description="Card code made on the phone; replaced if taken.")
    given_name: str = ""
    family_name: str = ""
    phone: str = ""
    whatsapp: bool = False
    sex: Literal["female", "male", "other"] = "other"
    year_of_birth: int | None = None
    age_group: str = Field("", description="0-4, 5-11, 12-17, 18-29, 30-59 or 60+.")
    nationality: str | None = Field(None, description="ISO country code.")
    area: str | None = Field(None, description="Admin area p-code.")
    community: Literal["migrant", "host"] = "migrant"
    consent_record: bool = Field(True, description="create only; must be true.")
    consent_contact: bool = False
    consent_share: bool = False
    notes: str = Field("", description="Free text: both versions are kept on a conflict.")


class ConsentData(Schema):
    """consent: create. A withdrawal always applies; withdrawing "record" erases the person."""

    person: str = Field(description="Server id or device uuid of the person.")
    scope: Literal["record", "contact", "share"]
    granted: bool


class OrientationData(Schema):
    """orientation: create."""

    person: str
    occurred_at: datetime.datetime = Field(description="Device clock; corrected by its offset.")
    topics: list[str] = Field(description="Topic slugs.")
    channel: Literal["in_person", "phone", "whatsapp", "virtual"]
    place_type: str
    outcome: Literal["informed", "referred", "follow_up", "declined"]
    area: str | None = None
    note: str = ""


class ReferralData(Schema):
    """referral: create."""

    person: str
    service_at_location: str = Field(description="Id of a service record of the download.")
    reason: str
    urgency: Literal["routine", "soon", "urgent"] = "routine"
    note: str = ""


class ReferralUpdateData(Schema):
    """referral: update (the referrer's only transition)."""

    status: Literal["cancelled"]
    reason: str


class FollowUpUpdateData(Schema):
    """follow_up: update."""

    status: Literal["done"]
    note: str


class OutreachData(Schema):
    """outreach: create."""

    date: datetime.date
    place_type: str
    place_name: str = ""
    area: str
    team: str | None = None
    tallies: list[dict[str, Any]] = Field(
        description='[{"sex", "age_group", "community", "count"}]'
    )
    materials: dict[str, int] = Field(default_factory=dict, description='{"leaflet": 120}')
    note: str = ""


class VaccinationData(Schema):
    """vaccination: create (a location of the organisation, or a place name)."""

    date: datetime.date
    location: str | None = None
    place_name: str = ""
    area: str | None = None
    people_referred: int = 0
    doses: list[dict[str, Any]] = Field(description='[{"vaccine", "age_group", "count"}]')
    note: str = ""


def _json_schema(schema: Any) -> dict[str, Any]:
    found: dict[str, Any] = schema.model_json_schema()
    return found


PUSH_DATA_SCHEMAS: list[Any] = [
    PersonData,
    ConsentData,
    OrientationData,
    ReferralData,
    ReferralUpdateData,
    FollowUpUpdateData,
    OutreachData,
    VaccinationData,
]


class PushRecordIn(Schema):
    key: uuid.UUID = Field(description="Idempotency key of this change (a retry sends it again).")
    kind: Kind
    op: Literal["create", "update"]
    id: str | int = Field(
        description="create: the uuid the device gave the record; update: the server id or, "
        "for a record created offline, its device uuid."
    )
    recorded_at: datetime.datetime | None = Field(
        None, description="Device clock when the worker saved it."
    )
    base: dict[str, Any] = Field(
        default_factory=dict,
        description="update: the changed fields as the device last saw them from the server.",
    )
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="The fields of the kind (see the schemas below).",
        json_schema_extra={
            "anyOf": [
                {"title": schema.__name__, **_json_schema(schema)} for schema in PUSH_DATA_SCHEMAS
            ]
        },
    )


class PushIn(Schema):
    device_time: datetime.datetime | None = Field(
        None, description="The device clock when sending (the server corrects times by it)."
    )
    records: list[PushRecordIn] = Field(description="At most SENDA_SYNC_MAX_BATCH (200).")


class ConflictOut(Schema):
    id: int
    kind: str
    object_id: str
    field: str
    device: Any = Field(description="The device's value.")
    server: Any = Field(description="The server's value (kept).")
    message: str
    created_at: datetime.datetime


class RecordOut(Schema):
    kind: str
    id: str = Field(description="The server's id (a UUID; an area's p-code; a topic's number).")
    uuid: str | None = Field(description="The id the device gave it, if made offline.")
    deleted: bool = Field(description="true: the record left the device's scope; data is empty.")
    data: dict[str, Any] = Field(description="The fields of the kind, as in the upload.")


class PushResultOut(Schema):
    key: uuid.UUID
    id: str | None
    uuid: str | None
    status: Literal["applied", "duplicate", "rejected", "conflict"]
    errors: dict[str, list[str]] = Field(description="rejected: messages per field.")
    conflicts: list[ConflictOut] = Field(description="conflict: the fields the server kept.")
    merged: list[str] = Field(description="Free-text fields where both versions were kept.")
    record: RecordOut | None = Field(description="The server's current state.")


class PushOut(Schema):
    server_time: datetime.datetime
    clock_offset_seconds: float = Field(description="server time minus device time.")
    results: list[PushResultOut]


class PullFilters(Schema):
    cursor: str | None = Field(None, max_length=20_000, description="None: a first sync.")
    limit: int | None = Field(None, ge=1, le=10_000, description="At most SENDA_SYNC_PAGE_SIZE.")


class PullOut(Schema):
    server_time: datetime.datetime
    cursor: str = Field(description="Opaque; send it with the next pull.")
    more: bool = Field(description="true: pull again now.")
    records: list[RecordOut]


class ResolveIn(InputSchema):
    keep: Literal["server", "device"]


# ---------------------------------------------------------------------------------------------
# Devices


def _display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


@router.post(
    "/devices",
    response={201: DeviceRegisteredOut, **errors(401, 403, 422)},
    auth=[session_auth],
    summary="Register the phone this browser is on (session + second factor)",
)
def sync_device_register(request: HttpRequest, payload: DeviceIn) -> Status[DeviceRegisteredOut]:
    user = request_user(request)
    device, token = actions.device_register(
        actor=user, name=payload.name, installation_id=payload.installation_id
    )
    return Status(
        201,
        DeviceRegisteredOut(
            device_id=device.pk,
            token=token,
            lock_minutes=conf.lock_minutes(),
            wipe_hours=conf.wipe_hours(),
            username=user.get_username(),
            display_name=_display_name(user),
            organisation=OrganisationOut(id=device.organisation.pk, name=device.organisation.name),
            server_time=timezone.now(),
        ),
    )


def _acting_user(request: HttpRequest) -> User:
    found = getattr(request, "auth", None)
    if isinstance(found, Device):
        return found.user
    return request_user(request)


@router.get(
    "/devices",
    response={200: list[DeviceOut], **errors(401, 403)},
    auth=DEVICE_OR_SESSION_AUTH,
    summary="Devices the caller may see (own; team's; organisation's)",
)
def sync_device_list(request: HttpRequest) -> Any:
    return list(queries.devices_visible_to(user=_acting_user(request)))


@router.post(
    "/devices/{device_id}/revoke",
    response={200: DeviceOut, **errors(401, 403, 404, 422)},
    auth=DEVICE_OR_SESSION_AUTH,
    summary="Revoke a device (its data is wiped at its next contact)",
)
def sync_device_revoke(request: HttpRequest, device_id: uuid.UUID) -> Device:
    return actions.device_revoke(actor=_acting_user(request), device_id=device_id)


@router.get(
    "/status",
    response={200: StatusOut, **errors(401, 403)},
    auth=DEVICE_AUTH,
    summary="Am I online and still allowed?",
)
def sync_status(request: HttpRequest) -> StatusOut:
    device = request_device(request)
    return StatusOut(
        device_id=device.pk,
        server_time=timezone.now(),
        lock_minutes=conf.lock_minutes(),
        wipe_hours=conf.wipe_hours(),
        username=device.user.get_username(),
        display_name=_display_name(device.user),
    )


# ---------------------------------------------------------------------------------------------
# Push and pull


@router.post(
    "/push",
    response={200: PushOut, **errors(400, 401, 403, 413, 422, 503)},
    auth=DEVICE_AUTH,
    summary="Upload changes made on the device (record by record, exactly once)",
)
def sync_push(request: HttpRequest, payload: PushIn) -> dict[str, Any]:
    device = request_device(request)
    try:
        return protocol.push(
            device=device,
            device_time=payload.device_time,
            records_in=[record.dict() for record in payload.records],
        )
    except SyncError as error:
        raise _remember(request, error) from None


@router.get(
    "/pull",
    response={200: PullOut, **errors(400, 401, 403, 422)},
    auth=DEVICE_AUTH,
    summary="Download the device's scope: a snapshot first, then what changed",
)
def sync_pull(request: HttpRequest, filters: Query[PullFilters]) -> HttpResponse:
    device = request_device(request)
    try:
        page = protocol.pull(device=device, cursor=filters.cursor, limit=filters.limit)
    except SyncError as error:
        raise _remember(request, error) from None
    return _page_response(page)


def _page_response(page: dict[str, Any]) -> HttpResponse:
    """The page as JSON, byte for byte what Ninja writes for ``PullOut`` (its encoder, its
    content type; ``server_time`` as a datetime), without validating each of the page's
    records against the schema first: ``protocol.pull`` built them in that shape, and the
    validation cost more than reading them."""
    body = {**page, "server_time": datetime.datetime.fromisoformat(page["server_time"])}
    return HttpResponse(
        json.dumps(body, cls=NinjaJSONEncoder), content_type="application/json; charset=utf-8"
    )


# ---------------------------------------------------------------------------------------------
# Conflicts


@router.get(
    "/conflicts",
    response={200: list[ConflictOut], **errors(401, 403)},
    auth=DEVICE_AUTH,
    summary="Open conflicts of the device's worker",
)
def sync_conflict_list(request: HttpRequest) -> list[dict[str, Any]]:
    device = request_device(request)
    return protocol.conflict_answers(list(queries.conflicts_open(device=device)))


@router.post(
    "/conflicts/{conflict_id}/resolve",
    response={200: ConflictOut, **errors(401, 403, 404, 422)},
    auth=DEVICE_AUTH,
    summary="Decide a conflict: keep the server's value or the device's",
)
def sync_conflict_resolve(
    request: HttpRequest, conflict_id: int, payload: ResolveIn
) -> dict[str, Any]:
    device = request_device(request)
    conflict: SyncConflict = actions.conflict_resolve(
        device=device, conflict_id=conflict_id, keep=payload.keep
    )
    return protocol.conflict_answers([conflict])[0]
