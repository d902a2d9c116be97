"""Requests for personalised information from the portal, and what staff did with them.

Personal fields (name, contact, question) are kept to the minimum and never written to logs
or the audit trail; they are encrypted at rest (``EncryptedTextField``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from senda.core.fields import EncryptedTextField


class ReplyChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("Email")
    VISIT = "visit", _("I will visit the information point")


class InquiryStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    ANSWERED_PHONE = "answered_phone", _("Answered by phone")
    ANSWERED_WHATSAPP = "answered_whatsapp", _("Answered by WhatsApp")
    ANSWERED_EMAIL = "answered_email", _("Answered by email")
    VISITED = "visited", _("The person visited")
    REFERRED = "referred", _("Referred to a service")
    NO_RESPONSE = "no_response", _("No response from the person")
    DUPLICATE_OR_SPAM = "duplicate_spam", _("Duplicate or spam")


class RoutedBy(models.TextChoices):
    AREA = "area", _("Information point serving the area")
    NEAREST = "nearest", _("Nearest information point in the country")
    NETWORK = "network", _("Network coordination (no information point in the country)")


class Inquiry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What the person told us: the minimum to answer them, encrypted at rest.
    question = EncryptedTextField(_("question"))
    reply_channel = models.CharField(
        _("how to answer"), max_length=12, choices=ReplyChannel.choices
    )
    contact = EncryptedTextField(_("phone or email"))
    name = EncryptedTextField(_("name"))
    country = models.ForeignKey(
        "geo.Country", on_delete=models.PROTECT, related_name="+", verbose_name=_("country")
    )
    area = models.ForeignKey(
        "geo.AdminArea",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("area"),
    )
    topic = models.CharField(_("topic"), max_length=80, blank=True)
    consent_at = models.DateTimeField(_("consent given at"))
    consent_version = models.CharField(_("consent text version"), max_length=20)
    language = models.CharField(_("language of the page"), max_length=12)
    via = models.CharField(_("placement code"), max_length=64, blank=True, db_index=True)
    # Received while the global ceiling was reached: kept and answered, after the others.
    held_in_queue = models.BooleanField(_("held in queue"), default=False)

    # Where it went.
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="inquiries",
        verbose_name=_("organisation"),
    )
    service = models.ForeignKey(
        "directory.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.ForeignKey(
        "directory.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    routed_by = models.CharField(max_length=10, choices=RoutedBy.choices)

    # What staff did.
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InquiryStatus.choices,
        default=InquiryStatus.NEW,
        db_index=True,
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["held_in_queue", "-created_at"]
        indexes = [models.Index(fields=["organisation", "status", "created_at"])]
        verbose_name = _("request for information")
        verbose_name_plural = _("requests for information")

    def __str__(self) -> str:
        # Never the person's name or question: this string can reach logs.
        return f"Inquiry {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (InquiryStatus.NEW, InquiryStatus.ASSIGNED)


class EventKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    REPLIED = "replied", _("Replied")
    OUTCOME = "outcome", _("Outcome recorded")
    ESCALATED = "escalated", _("Escalated")
    NOTE = "note", _("Note")


class InquiryEvent(models.Model):
    """One step in an inquiry's history."""

    id = models.BigAutoField(primary_key=True)
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    # Replies and notes may repeat what the person said: encrypted like the request.
    text = EncryptedTextField()
    channel = models.CharField(max_length=12, choices=ReplyChannel.choices, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"
