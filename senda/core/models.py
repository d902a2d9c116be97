"""Cross-cutting models: the audit trail and the base for translatable content."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One row per write and per read of a person's record: who, what, when, from where.

    Append-only: database triggers refuse UPDATE and DELETE on this table (see
    ``senda.core.audit_guard``), and no role may edit it. For that reason the foreign keys have
    no database constraint and ``DO_NOTHING`` on delete: deleting a user or an organisation
    must neither rewrite these rows (SET_NULL is an UPDATE) nor be refused by a constraint. The
    actor's username is kept as text, so an entry still says who after the user is gone.
    """

    class Channel(models.TextChoices):
        WEB = "web", _("web")
        API = "api", _("API")
        SYNC = "sync", _("sync")
        COMMAND = "command", _("command")

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True, db_index=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)
    # From where: the client address (web and API), the channel, and for API tokens its name.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.COMMAND)
    via = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class TranslatableModel(models.Model):
    """Text fields hold the record's own language; ``translations`` holds the others.

    ``translations`` is ``{"en": {"name": "...", "description": "..."}, "mam": {...}}``:
    a new language needs no migration. ``tr("name")`` reads the active language with a
    fallback to the record's own text.
    """

    translatable_fields: tuple[str, ...] = ()

    language = models.CharField(
        _("content language"),
        max_length=12,
        default="es",
        help_text=_("Language of the text fields; other languages go in translations."),
    )
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        abstract = True

    def tr(self, field: str, language: str | None = None) -> Any:
        language = (language or translation.get_language() or self.language).split("-")[0]
        if language != self.language:
            translated = (self.translations or {}).get(language, {}).get(field)
            if translated:
                return translated
        return getattr(self, field)

    def set_translation(self, language: str, field: str, value: str) -> None:
        if language == self.language:
            setattr(self, field, value)
            return
        by_language = dict(self.translations or {})
        fields = dict(by_language.get(language, {}))
        if value:
            fields[field] = value
        else:
            fields.pop(field, None)
        if fields:
            by_language[language] = fields
        else:
            by_language.pop(language, None)
        self.translations = by_language


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()
