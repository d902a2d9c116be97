"""The offline field app's devices and the sync protocol's receipts and conflicts.

A device is one installation of the field app for one worker, holding its own API token (only
the token's SHA-256 is stored, in ``accounts.ApiToken``). Receipts make every upload
exactly-once; conflicts keep what needed a person's decision. Values that may be personal
(a receipt's answer, a conflict's two values) are ``EncryptedTextField``s.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from senda.core.fields import EncryptedTextField


class Device(models.Model):
    """A worker's phone (one installation of the field app), revocable by the worker, a
    supervisor of their team or an admin of the organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="field_devices"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="field_devices"
    )
    name = models.CharField(_("name"), max_length=100)
    # Made by the app when it is installed: registering again from it replaces this device.
    installation_id = models.UUIDField(db_index=True)
    api_token = models.OneToOneField(
        "accounts.ApiToken", on_delete=models.CASCADE, related_name="field_device"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The first time a revoked device called again and was told to wipe its data.
    wipe_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "user", "created_at"])]
        verbose_name = _("field device")
        verbose_name_plural = _("field devices")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        # Its token revoked from the token list stops the device as surely as revoking it here.
        return self.revoked_at is None and self.api_token.revoked_at is None


class ReceiptStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    DUPLICATE = "duplicate", _("Duplicate")
    REJECTED = "rejected", _("Rejected")
    CONFLICT = "conflict", _("Conflict")


class SyncReceipt(models.Model):
    """The answer given to one uploaded change (its idempotency key): written in the same
    transaction as the change, so a retried key gets the same answer and changes nothing."""

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="receipts")
    key = models.UUIDField(unique=True)
    kind = models.CharField(max_length=16)
    status = models.CharField(max_length=10, choices=ReceiptStatus.choices)
    # The answer as JSON (without the record's current state, read again when it is asked
    # for): validation messages and conflicts may quote personal values, so it is encrypted.
    result = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sync receipt")
        verbose_name_plural = _("sync receipts")


class ConflictReason(models.TextChoices):
    CHANGED_ON_SERVER = "changed", _("Changed on the server too")
    REFERRAL_STATUS = "referral_status", _("The referral moved on")
    FOLLOW_UP_CANCELLED = "follow_up_cancelled", _("The task was cancelled")


class SyncConflict(models.Model):
    """One field the server kept its value for while a device had another: shown to the
    worker, who decides (``conflict_resolve``)."""

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey(
        Device, null=True, on_delete=models.SET_NULL, related_name="conflicts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sync_conflicts"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16)
    object_id = models.CharField(max_length=64)
    field = models.CharField(max_length=40)
    reason = models.CharField(max_length=20, choices=ConflictReason.choices)
    # JSON of each value (a name, a phone...): encrypted at rest.
    device_value = EncryptedTextField()
    server_value = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    kept = models.CharField(max_length=6, blank=True)  # "server" or "device" once resolved

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["user", "resolved_at"])]
        verbose_name = _("sync conflict")
        verbose_name_plural = _("sync conflicts")
