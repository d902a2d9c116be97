"""Every write to campaigns, placements and their reach counters."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from senda.campaigns.attribution import normalise_code
from senda.campaigns.models import Placement, PlacementDailyCount, PlacementEvent

PLACEMENT_EVENTS = frozenset(PlacementEvent.values)


def placement_record_event(*, code: str, event: str) -> None:
    """Add one to today's ``event`` count of the placement with ``code``; unknown code: nothing.

    Only the aggregate is stored (no time of day, no address, no agent), and no audit entry is
    written: an anonymous visit has no actor and one audit row per visit would be a log of them.
    """
    if event not in PLACEMENT_EVENTS:
        raise ValueError(f"Unknown placement event: {event!r}")
    code = normalise_code(code)
    if not code:
        return
    placement_id = (
        Placement.objects.filter(code=code, is_active=True).values_list("id", flat=True).first()
    )
    if placement_id is None:
        return
    day = timezone.localdate()
    with transaction.atomic():
        # F() makes the increment happen in the database, so two visits at once both count;
        # get_or_create retries on the unique constraint when two first visits of a day race.
        counted = PlacementDailyCount.objects.filter(
            placement_id=placement_id, day=day, event=event
        ).update(count=F("count") + 1)
        if counted:
            return
        row, created = PlacementDailyCount.objects.get_or_create(
            placement_id=placement_id, day=day, event=event, defaults={"count": 1}
        )
        if not created:
            PlacementDailyCount.objects.filter(pk=row.pk).update(count=F("count") + 1)
