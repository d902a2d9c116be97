"""Reads of organisations and members, scoped to the acting user."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from senda.accounts.models import Membership, Organisation, TotpDevice, User
from senda.accounts.roles import Capability


def organisations_managed_by(*, user: User) -> list[Organisation]:
    """Organisations whose members the user may manage."""
    if user.is_superuser:
        return list(Organisation.objects.filter(is_active=True))
    return user.organisations_with(Capability.ORG_MANAGE)


def members_visible_to(*, user: User) -> QuerySet[Membership]:
    """Memberships of the organisations the user manages (with ``has_second_factor``)."""
    return (
        Membership.objects.filter(organisation__in=organisations_managed_by(user=user))
        .select_related("user", "organisation")
        .annotate(
            has_second_factor=Exists(
                TotpDevice.objects.filter(user=OuterRef("user"), confirmed_at__isnull=False)
            )
        )
        .order_by("organisation__name", "user__username")
    )
