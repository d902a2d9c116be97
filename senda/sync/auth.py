"""Who is syncing: ``Authorization: Bearer <device token>`` → the Device.

A revoked device (or one whose token was revoked, or whose worker lost field work in the
device's organisation) is answered 403 ``device_revoked`` with ``"wipe": true``: the app wipes
its local data. An unknown token is 401 ``device_unknown``. The errors carry their machine code
(``SyncError``); ``senda.sync.api`` adds it to the API's error body.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer

from senda.core.audit import set_api_token
from senda.sync import actions, queries
from senda.sync.models import Device

DEVICE_UNKNOWN = "device_unknown"
DEVICE_REVOKED = "device_revoked"
BAD_CURSOR = "bad_cursor"
BATCH_TOO_LARGE = "batch_too_large"
INVALID = "invalid"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
BUSY = "busy"


class SyncError(HttpError):
    """An error answer of the sync protocol: an HTTP status, a machine ``code`` and, for a
    revoked device, ``"wipe": true``."""

    def __init__(self, status_code: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(status_code, message)
        self.code = code
        self.extra = extra


def revoked_error() -> SyncError:
    return SyncError(
        403,
        DEVICE_REVOKED,
        _(
            "This phone is no longer allowed to use Senda: its data will now be deleted. Ask "
            "your supervisor if you think this is a mistake."
        ),
        wipe=True,
    )


class DeviceAuth(HttpBearer):
    """The device whose token is sent; refuses unknown and revoked devices with their code."""

    openapi_description = "The device token returned by POST /api/sync/devices."

    def authenticate(self, request: HttpRequest, token: str) -> Device:
        device = queries.device_for_token(token=token.strip())
        if device is None:
            raise SyncError(
                401,
                DEVICE_UNKNOWN,
                _("This phone is not registered: sign in to Senda again to register it."),
            )
        if not queries.device_may_sync(device=device):
            actions.device_wipe_told(device=device)
            raise revoked_error()
        actions.device_seen(device=device)
        # Whatever this request writes to the audit log names the device it came from.
        set_api_token(device.api_token.name)
        return device


def request_device(request: HttpRequest) -> Device:
    """The device an authenticated sync request comes from."""
    device = getattr(request, "auth", None)
    if not isinstance(device, Device):
        raise SyncError(401, DEVICE_UNKNOWN, _("This phone is not registered."))
    return device
