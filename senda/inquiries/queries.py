"""Reads of requests for information, scoped to what the acting user may see."""

from __future__ import annotations

import datetime
import uuid

from django.db.models import Q, QuerySet

from senda.accounts.models import Membership, User
from senda.accounts.roles import CAPABILITIES, Capability
from senda.core.queries import get_or_not_found
from senda.directory.queries import is_network_editor
from senda.inquiries.models import Inquiry, InquiryEvent, InquiryStatus

INBOX_FILTERS = ("open", "new", "mine", "overdue", "escalated", "answered", "closed")


def _scope(user: User) -> Q | None:
    """Handlers see their organisations' requests; the network's content editors also see
    every escalated one."""
    if not user.is_authenticated or not user.is_active:
        return None
    organisations = user.organisations_with(Capability.INQUIRY_HANDLE)
    scope = Q(organisation__in=organisations) if organisations else None
    if is_network_editor(user):
        escalated = Q(escalated_at__isnull=False)
        scope = escalated if scope is None else scope | escalated
    return scope


def may_use_inbox(*, user: User) -> bool:
    """Whether the user has an inbox at all."""
    return _scope(user) is not None


def inquiries_visible_to(*, user: User) -> QuerySet[Inquiry]:
    """Every request the user may see."""
    scope = _scope(user)
    if scope is None:
        return Inquiry.objects.none()
    return Inquiry.objects.filter(scope)


def inquiry_inbox(
    *, user: User, show: str, now: datetime.datetime, overdue_before: datetime.datetime
) -> QuerySet[Inquiry]:
    """The inbox list under one filter (see INBOX_FILTERS)."""
    inquiries = inquiries_visible_to(user=user).select_related(
        "organisation", "area", "country", "assigned_to", "service"
    )
    open_statuses = (InquiryStatus.NEW, InquiryStatus.ASSIGNED)
    if show == "new":
        return inquiries.filter(status=InquiryStatus.NEW)
    if show == "mine":
        return inquiries.filter(assigned_to=user, status__in=open_statuses)
    if show == "overdue":
        return inquiries.filter(status__in=open_statuses, created_at__lt=overdue_before)
    if show == "escalated":
        return inquiries.filter(status__in=open_statuses, escalated_at__isnull=False)
    if show == "answered":
        return inquiries.filter(status=InquiryStatus.ANSWERED)
    if show == "closed":
        return inquiries.filter(status=InquiryStatus.CLOSED)
    return inquiries.filter(status__in=(*open_statuses, InquiryStatus.ANSWERED))


def inquiry_get(*, user: User, inquiry_id: uuid.UUID | str) -> Inquiry:
    """One request the user may see; NotFoundError for anything else."""
    return get_or_not_found(
        inquiries_visible_to(user=user).select_related(
            "organisation", "area", "country", "assigned_to", "service", "location"
        ),
        inquiry_id,
    )


def inquiry_events(*, inquiry: Inquiry) -> list[InquiryEvent]:
    """The request's history, oldest first."""
    return list(inquiry.events.select_related("actor", "assignee"))


def may_act_on(*, user: User, inquiry: Inquiry) -> bool:
    """Handlers of the routed organisation; network editors once it is escalated."""
    if user.can(Capability.INQUIRY_HANDLE, inquiry.organisation):
        return True
    return inquiry.escalated_at is not None and is_network_editor(user)


def handler_roles() -> list[str]:
    return [role for role, caps in CAPABILITIES.items() if Capability.INQUIRY_HANDLE in caps]


def assignable_members(*, inquiry: Inquiry) -> list[User]:
    """Colleagues in the routed organisation who answer requests."""
    memberships = Membership.objects.filter(
        organisation=inquiry.organisation,
        is_active=True,
        user__is_active=True,
        role__in=handler_roles(),
    ).select_related("user")
    return sorted((m.user for m in memberships), key=lambda u: u.get_username())


def may_assign_to(*, inquiry: Inquiry, assignee: User) -> bool:
    return assignee.is_active and assignee.can(Capability.INQUIRY_HANDLE, inquiry.organisation)
