"""An HSDS import started from the editors' upload page, run in the background."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    VALIDATING = "validating", _("Checking the file")
    SAVING = "saving", _("Saving")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Not imported")


# A running job not heard of for this long was cut off (a server restart): it will not finish.
STOPPED_AFTER = datetime.timedelta(minutes=30)

RUNNING_STATUSES = frozenset(
    {ImportJobStatus.QUEUED, ImportJobStatus.VALIDATING, ImportJobStatus.SAVING}
)


class ImportJob(models.Model):
    """One uploaded HSDS file and what became of it: progress, then the result or the errors."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(_("file"), upload_to="hsds-imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    publish = models.BooleanField(
        _("publish"), default=True, help_text=_("Publish the imported services at once.")
    )
    # The uploader's language: the background run writes its messages in it.
    language = models.CharField(max_length=12, default="es")
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ImportJobStatus.choices,
        default=ImportJobStatus.QUEUED,
    )
    processed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # [{"file", "where", "field", "message", "text"}, ...], at most the importer's MAX_ERRORS.
    errors = models.JSONField(default=list, blank=True)
    errors_truncated = models.BooleanField(default=False)
    # ImportResult.as_dict(): created, updated, removed per HSDS object, and warnings.
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("HSDS import")
        verbose_name_plural = _("HSDS imports")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def seems_stopped(self) -> bool:
        return self.is_running and timezone.now() - self.updated_at > STOPPED_AFTER

    @property
    def percent(self) -> int:
        if self.status == ImportJobStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.processed * 100 / self.total))
