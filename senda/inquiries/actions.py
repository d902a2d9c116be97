"""Every write to requests for information: submit, assign, reply, note, close, escalate."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import User
from senda.campaigns.actions import placement_record_event
from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.geo.models import AdminArea, Country
from senda.inquiries.models import (
    EventKind,
    Inquiry,
    InquiryEvent,
    InquiryStatus,
    Outcome,
    ReplyChannel,
)
from senda.inquiries.queries import may_act_on, may_assign_to
from senda.inquiries.routing import route_inquiry

# Bumped whenever the consent sentence on the form changes.
CONSENT_VERSION = "2026-11-1"


def escalation_hours() -> int:
    return int(getattr(settings, "SENDA_INQUIRY_ESCALATION_HOURS", 48))


def inquiry_submit(
    *,
    question: str,
    reply_channel: str,
    contact: str,
    name: str,
    country: Country,
    area: AdminArea | None,
    consent: bool,
    language: str,
    topic: str = "",
    via: str = "",
    held_in_queue: bool = False,
) -> Inquiry:
    """Save a request from the portal, routed to the information point serving the area."""
    errors: dict[str, list[str]] = {}
    question = question.strip()
    contact = contact.strip()
    if not question:
        errors["question"] = [_("Write your question.")]
    if reply_channel not in ReplyChannel.values:
        errors["reply_channel"] = [_("Choose how we should answer you.")]
    elif reply_channel != ReplyChannel.VISIT and not contact:
        errors["contact"] = [_("Write the phone number or email where we can answer you.")]
    if not consent:
        errors["consent"] = [_("We can only answer if you agree to be contacted.")]
    if area is not None and area.country_id != country.code:
        errors["area"] = [_("That area is not in the country you chose.")]
    if errors:
        raise ValidationError(errors)
    route = route_inquiry(country=country, area=area)
    if route is None:
        raise ValidationError(
            _("We cannot take requests for this country yet. Please try an information point.")
        )
    with transaction.atomic():
        inquiry = Inquiry.objects.create(
            question=question,
            reply_channel=reply_channel,
            contact="" if reply_channel == ReplyChannel.VISIT else contact,
            name=name.strip(),
            country=country,
            area=area,
            topic=topic[:80],
            consent_at=timezone.now(),
            consent_version=CONSENT_VERSION,
            language=language[:12],
            via=via[:64],
            held_in_queue=held_in_queue,
            organisation=route.organisation,
            service=route.service,
            location=route.location,
            routed_by=route.routed_by,
        )
        # Only identifiers and choices: never the person's name, contact or question.
        audit(
            actor=None,
            action="inquiries.inquiry_submit",
            obj=inquiry,
            organisation=route.organisation,
            details={"routed_by": route.routed_by, "held_in_queue": held_in_queue},
        )
        if via:
            placement_record_event(code=via, event="inquiry")
    return inquiry


def _require(user: User, inquiry: Inquiry) -> None:
    if not may_act_on(user=user, inquiry=inquiry):
        raise PermissionDeniedError(_("Your role does not include answering this request."))


def _lock(inquiry: Inquiry) -> Inquiry:
    return Inquiry.objects.select_for_update().get(pk=inquiry.pk)


def inquiry_record_view(*, user: User, inquiry: Inquiry) -> None:
    """Write to the audit trail that ``user`` opened the request (it holds personal data)."""
    with transaction.atomic():
        audit(
            actor=user,
            action="inquiries.inquiry_view",
            obj=inquiry,
            organisation=inquiry.organisation,
        )


def inquiry_assign(*, user: User, inquiry: Inquiry, assignee: User) -> Inquiry:
    """Give the request to ``assignee``, a member of the routed organisation who handles them."""
    _require(user, inquiry)
    if not may_assign_to(inquiry=inquiry, assignee=assignee):
        raise ValidationError(
            {"assignee": [_("Choose a colleague of this organisation who answers requests.")]}
        )
    with transaction.atomic():
        inquiry = _lock(inquiry)
        if inquiry.status == InquiryStatus.CLOSED:
            raise ValidationError(_("This request is closed."))
        inquiry.assigned_to = assignee
        if inquiry.status == InquiryStatus.NEW:
            inquiry.status = InquiryStatus.ASSIGNED
        inquiry.save(update_fields=["assigned_to", "status", "updated_at"])
        InquiryEvent.objects.create(
            inquiry=inquiry, actor=user, kind=EventKind.ASSIGNED, assignee=assignee
        )
        audit(
            actor=user,
            action="inquiries.inquiry_assign",
            obj=inquiry,
            organisation=inquiry.organisation,
            details={"assignee": assignee.pk},
        )
    return inquiry


def inquiry_reply(*, user: User, inquiry: Inquiry, text: str, channel: str) -> Inquiry:
    """Record what was said to the person and by which channel."""
    _require(user, inquiry)
    text = text.strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [_("Write what you told the person.")]
    if channel not in ReplyChannel.values:
        errors["channel"] = [_("Choose the channel you used.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        inquiry = _lock(inquiry)
        if inquiry.status == InquiryStatus.CLOSED:
            raise ValidationError(_("This request is closed."))
        now = timezone.now()
        inquiry.status = InquiryStatus.ANSWERED
        inquiry.answered_at = inquiry.answered_at or now
        if inquiry.assigned_to_id is None:
            inquiry.assigned_to = user
        inquiry.save(update_fields=["status", "answered_at", "assigned_to", "updated_at"])
        InquiryEvent.objects.create(
            inquiry=inquiry, actor=user, kind=EventKind.REPLIED, text=text, channel=channel
        )
        audit(
            actor=user,
            action="inquiries.inquiry_reply",
            obj=inquiry,
            organisation=inquiry.organisation,
            details={"channel": channel},
        )
    return inquiry


def inquiry_add_note(*, user: User, inquiry: Inquiry, text: str) -> InquiryEvent:
    """An internal note on the request's history."""
    _require(user, inquiry)
    text = text.strip()
    if not text:
        raise ValidationError({"text": [_("Write the note.")]})
    with transaction.atomic():
        event = InquiryEvent.objects.create(
            inquiry=inquiry, actor=user, kind=EventKind.NOTE, text=text
        )
        audit(
            actor=user,
            action="inquiries.inquiry_add_note",
            obj=inquiry,
            organisation=inquiry.organisation,
        )
    return event


def inquiry_close(*, user: User, inquiry: Inquiry, outcome: str, note: str = "") -> Inquiry:
    """Record the outcome and close the request."""
    _require(user, inquiry)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("Choose the outcome.")]})
    with transaction.atomic():
        inquiry = _lock(inquiry)
        if inquiry.status == InquiryStatus.CLOSED:
            raise ValidationError(_("This request is already closed."))
        inquiry.status = InquiryStatus.CLOSED
        inquiry.outcome = outcome
        inquiry.closed_at = timezone.now()
        inquiry.save(update_fields=["status", "outcome", "closed_at", "updated_at"])
        InquiryEvent.objects.create(
            inquiry=inquiry, actor=user, kind=EventKind.OUTCOME, outcome=outcome, text=note.strip()
        )
        audit(
            actor=user,
            action="inquiries.inquiry_close",
            obj=inquiry,
            organisation=inquiry.organisation,
            details={"outcome": outcome},
        )
    return inquiry


def overdue_before(now: datetime.datetime) -> datetime.datetime:
    """Requests received before this moment and still unanswered are overdue."""
    return now - datetime.timedelta(hours=escalation_hours())


def inquiries_escalate_overdue(*, now: datetime.datetime) -> int:
    """Mark every unanswered request older than the escalation time as escalated (once);
    returns how many were escalated. Run hourly by ``manage.py escalate_inquiries``."""
    escalated = 0
    with transaction.atomic():
        overdue = Inquiry.objects.select_for_update().filter(
            status__in=(InquiryStatus.NEW, InquiryStatus.ASSIGNED),
            created_at__lt=overdue_before(now),
            escalated_at__isnull=True,
        )
        for inquiry in overdue:
            inquiry.escalated_at = now
            inquiry.save(update_fields=["escalated_at", "updated_at"])
            InquiryEvent.objects.create(inquiry=inquiry, kind=EventKind.ESCALATED)
            audit(
                actor=None,
                action="inquiries.inquiry_escalate",
                obj=inquiry,
                organisation=inquiry.organisation,
                details={"hours": escalation_hours()},
            )
            escalated += 1
    return escalated
