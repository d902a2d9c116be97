"""Reads of the audit log, scoped to who may search it."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from senda.accounts.roles import Capability
from senda.core.errors import PermissionDeniedError
from senda.core.models import AuditEntry

if TYPE_CHECKING:
    from senda.accounts.models import User


def audit_entries_visible_to(
    *,
    user: User,
    actor_username: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries the user may search, newest first: superusers all of them, an admin with
    AUDIT_VIEW those of their organisations. Filters: actor, action (prefix), object, dates."""
    entries = AuditEntry.objects.all()
    if not user.is_superuser:
        organisations = user.organisations_with(Capability.AUDIT_VIEW)
        if not organisations:
            raise PermissionDeniedError(_("You cannot search the audit log."))
        entries = entries.filter(organisation__in=organisations)
    if actor_username:
        entries = entries.filter(actor_username__iexact=actor_username.strip())
    if action:
        entries = entries.filter(action__startswith=action.strip())
    if object_type:
        entries = entries.filter(object_type=object_type.strip().lower())
    if object_id:
        entries = entries.filter(object_id=object_id.strip())
    if date_from is not None:
        entries = entries.filter(at__date__gte=date_from)
    if date_to is not None:
        entries = entries.filter(at__date__lte=date_to)
    return entries.select_related("organisation").order_by("-at", "-id")
