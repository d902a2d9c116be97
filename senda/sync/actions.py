"""Writes of the sync app: registering and revoking devices, receipts and conflicts of
uploads, a worker's decision on a conflict. Audit entries name ids and fields, never values."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import ApiToken, User
from senda.accounts.token_actions import NAME_MAX_LENGTH, api_token_create, api_token_mark_used
from senda.casework.access import people_workable_by
from senda.casework.actions.referrals import referral_cancel
from senda.casework.actions.tasks import followup_get_for_work
from senda.casework.models import FollowUp
from senda.core import clock
from senda.core.audit import audit
from senda.core.bulk_insert import insert_objects
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.sync import conflicts, queries
from senda.sync.models import Device, SyncConflict, SyncReceipt

# last_seen_at is a hint for the devices page, not an access log: at most one write a minute.
LAST_SEEN_PRECISION = datetime.timedelta(minutes=1)
TOKEN_NAME_PREFIX = "Field app: "  # noqa: S105 (a label, not a secret)


def _clean_name(name: str) -> str:
    text = (name or "").strip()
    limit = NAME_MAX_LENGTH - len(TOKEN_NAME_PREFIX)
    if "\x00" in text:
        raise ValidationError({"name": [_("The text contains a character that is not allowed.")]})
    if not text:
        raise ValidationError({"name": [_("Give this phone a name, such as its model.")]})
    if len(text) > limit:
        raise ValidationError({"name": [_("Use at most %(count)d characters.") % {"count": limit}]})
    return text


def _revoke(*, actor: User | None, device: Device, replaced: bool) -> None:
    now = timezone.now()
    device.revoked_at = now
    device.revoked_by = actor
    device.save(update_fields=["revoked_at", "revoked_by"])
    # The token goes too: a revoked phone's token opens no other part of the API either.
    ApiToken.objects.filter(pk=device.api_token_id, revoked_at__isnull=True).update(revoked_at=now)
    audit(
        actor=actor,
        action="sync.device_revoke",
        obj=device,
        organisation=device.organisation,
        details={"user": device.user_id, "replaced": replaced},
    )


@transaction.atomic
def device_register(*, actor: User, name: str, installation_id: uuid.UUID) -> tuple[Device, str]:
    """Register the phone ``actor`` signed in on (field-work roles only) with a token of its
    own, returned in clear once. Registering the same installation again replaces (revokes)
    its previous device."""
    membership = queries.field_membership(actor)
    if membership is None:
        raise PermissionDeniedError(
            _("Your role does not include field work, so it cannot use the field app.")
        )
    clean_name = _clean_name(name)
    previous = Device.objects.select_for_update().filter(
        user=actor, installation_id=installation_id, revoked_at__isnull=True
    )
    for device in previous:
        _revoke(actor=actor, device=device, replaced=True)
    token, clear_token = api_token_create(actor=actor, name=TOKEN_NAME_PREFIX + clean_name)
    device = Device.objects.create(
        user=actor,
        organisation=membership.organisation,
        name=clean_name,
        installation_id=installation_id,
        api_token=token,
    )
    audit(
        actor=actor,
        action="sync.device_register",
        obj=device,
        organisation=membership.organisation,
        details={"name": clean_name, "token": token.pk},
    )
    return device, clear_token


@transaction.atomic
def device_revoke(*, actor: User, device_id: uuid.UUID | str) -> Device:
    """Revoke a device the actor may see (theirs; their team's as a supervisor; the
    organisation's as its admin): its token stops working and its data is wiped at its next
    contact. Revoking a revoked device changes nothing."""
    device = queries.device_get(user=actor, device_id=device_id)
    device = Device.objects.select_for_update().select_related("organisation").get(pk=device.pk)
    if device.revoked_at is None:
        _revoke(actor=actor, device=device, replaced=False)
    return device


def device_seen(*, device: Device) -> None:
    """Note that the device called, and its token was used (to the minute). Not audited:
    this runs on every sync request; registration and revocation are."""
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at >= LAST_SEEN_PRECISION:
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now
    # The phone's token shows its last use in the token list like any other token.
    api_token_mark_used(api_token=device.api_token)


@transaction.atomic
def device_wipe_told(*, device: Device) -> None:
    """A revoked device called and is being told to wipe its data: noted once, audited."""
    if device.wipe_confirmed_at is not None:
        return
    now = timezone.now()
    updated = Device.objects.filter(pk=device.pk, wipe_confirmed_at__isnull=True).update(
        wipe_confirmed_at=now
    )
    device.wipe_confirmed_at = now
    if updated:
        audit(
            actor=None,
            action="sync.device_wipe",
            obj=device,
            organisation=device.organisation,
            details={"user": device.user_id},
        )


# ---------------------------------------------------------------------------------------------
# Receipts and conflicts (inside the transaction of the uploaded change)


def receipt_store(
    *, device: Device, key: uuid.UUID, kind: str, status: str, result: dict[str, Any]
) -> SyncReceipt:
    """Keep the answer to an uploaded change under its key, in the change's own transaction:
    the unique key makes a second attempt fail (IntegrityError) instead of applying twice.
    Not audited itself: the change it answers is."""
    return SyncReceipt.objects.create(
        device=device,
        key=key,
        kind=kind,
        status=status,
        result=json.dumps(result, default=str),
    )


def receipts_store(
    *, device: Device, results: Sequence[tuple[uuid.UUID, str, dict[str, Any]]]
) -> list[SyncReceipt]:
    """``receipt_store`` for many changes of one batch at once (key, kind, stored result),
    in one INSERT inside the batch's transaction; the unique key of any of them taken makes
    the whole INSERT fail (IntegrityError). Not audited: the changes they answer are."""
    receipts = [
        SyncReceipt(
            device=device,
            key=key,
            kind=kind,
            status=result["status"],
            result=json.dumps(result, default=str),
        )
        for key, kind, result in results
    ]
    insert_objects(SyncReceipt, receipts)
    return receipts


def conflict_record(
    *,
    device: Device,
    kind: str,
    object_id: str,
    field: str,
    reason: str,
    device_value: Any,
    server_value: Any,
) -> SyncConflict:
    """Keep a field where the server kept its value over the device's, for the worker to
    decide. Both values are stored encrypted; the audit names the field only."""
    conflict = SyncConflict.objects.create(
        device=device,
        user=device.user,
        organisation=device.organisation,
        kind=kind,
        object_id=object_id,
        field=field,
        reason=reason,
        device_value=json.dumps(device_value, default=str),
        server_value=json.dumps(server_value, default=str),
        created_at=clock.now(),
    )
    audit(
        actor=device.user,
        action="sync.conflict_record",
        obj=conflict,
        organisation=device.organisation,
        details={"kind": kind, "object": object_id, "field": field, "reason": reason},
    )
    return conflict


@transaction.atomic
def followup_merge_note(*, actor: User, follow_up: FollowUp, note: str) -> FollowUp:
    """Replace a done task's note with both versions (a phone completed it offline while
    someone else completed it on the server): the conflict rule for free text."""
    task = followup_get_for_work(actor=actor, follow_up_id=follow_up.pk)
    if task.note == note:
        return task
    if len(note) > conflicts.MERGED_NOTE_MAX:
        raise ValidationError(
            {
                "note": [
                    _("Use at most %(count)d characters.") % {"count": conflicts.MERGED_NOTE_MAX}
                ]
            }
        )
    task.note = note
    task.save(update_fields=["note"])
    audit(
        actor=actor,
        action="sync.followup_note_merge",
        obj=task,
        organisation=task.organisation,
        details={"person": str(task.person_id), "fields": ["note"]},
    )
    return task


@transaction.atomic
def conflict_resolve(*, device: Device, conflict_id: int, keep: str) -> SyncConflict:
    """The worker's decision on a conflict: keep the server's value (nothing else changes) or
    the device's (applied through the same action as any change; refused when the record has
    moved on so that it no longer applies)."""
    if keep not in {"server", "device"}:
        raise ValidationError({"keep": [_('Choose "server" or "device".')]})
    conflict = queries.conflict_get(device=device, conflict_id=conflict_id)
    conflict = SyncConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.resolved_at is not None:
        raise ValidationError(_("This conflict has already been decided."))
    if keep == "device":
        value = json.loads(conflict.device_value) if conflict.device_value else None
        _apply_device_value(device=device, conflict=conflict, value=value)
    conflict.resolved_at = timezone.now()
    conflict.kept = keep
    conflict.save(update_fields=["resolved_at", "kept"])
    audit(
        actor=device.user,
        action="sync.conflict_resolve",
        obj=conflict,
        organisation=device.organisation,
        details={"kind": conflict.kind, "field": conflict.field, "kept": keep},
    )
    return conflict


def _apply_device_value(*, device: Device, conflict: SyncConflict, value: Any) -> None:
    # Imported here: the person and task actions pull in much of casework.
    from senda.casework.actions.people import person_update

    actor = device.user
    if conflict.kind == "person":
        changes, errors = conflicts.person_changes({conflict.field: value})
        if errors:
            raise ValidationError(errors)
        person = people_workable_by(user=actor).filter(pk=conflict.object_id).first()
        if person is None:
            raise NotFoundError(_("This person is not on your list any more."))
        current = conflicts.person_wire_value(person, conflict.field)
        if json.dumps(current, default=str) != conflict.server_value:
            # A third change since the conflict: keeping the phone's value would overwrite it.
            raise ValidationError(
                _(
                    "This detail changed again on the server since. Look at it again and "
                    "correct it if it is still wrong."
                )
            )
        person_update(actor=actor, person=person, **changes)
    elif conflict.kind == "referral":
        referral_cancel(
            actor=actor,
            referral_id=conflict.object_id,
            reason=_("Cancelled from the field app."),
        )
    else:
        raise ValidationError(
            _("This task can no longer be completed: it was cancelled on the server.")
        )
