"""The change feed a device follows after its first sync, and the cursor that says where it is.

The feed is the audit log: every write action already appends an ``AuditEntry`` naming the
object it changed (``object_type``/``object_id``), in the same transaction as the change, and
the log is append-only. Reads (``*_read``) are left out; of the writes, only the kinds a device
holds count. A dedicated table would need every casework action to write to it too; the audit
log is already that table.

Ids are handed out when a row is inserted, not when its transaction commits: on PostgreSQL a
transaction holding id 41 may commit after id 42 has been read. A cursor that only remembered
"after 42" would skip 41 for ever. So the cursor also remembers the holes it saw below its
position (ids missing when it read past them) and looks at them again on the next pulls, until
they have been missing for longer than any write transaction lasts
(``conf.feed_gap_seconds()``); a hole that never fills was a rolled-back transaction. The holes
are found first, the entries read afterwards, so a commit between the two is at worst sent
twice, never missed (a record sent twice is harmless: it is its current state).

The cursor is signed (``django.core.signing``), versioned and bound to its device: anything
else answers 400 ``bad_cursor``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db import connection
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from senda.core.models import AuditEntry
from senda.sync import conf
from senda.sync.auth import BAD_CURSOR, SyncError

CURSOR_VERSION = 1
CURSOR_SALT = "senda.sync.cursor"
# The audit types a device's records come from, and the kind each one is.
FEED_TYPES: dict[str, str] = {
    "casework.person": "person",
    "casework.referral": "referral",
    "casework.followup": "follow_up",
}
# Ids of the whole audit log looked at per page at most (reads and other apps included): a
# device back after weeks catches up page by page, each a bounded piece of work.
SCAN_SPAN = 20_000
# Holes remembered at most (the most recent are kept): far more than concurrent transactions.
MAX_GAPS = 200

Gap = tuple[int, int, int]  # first id, last id, when first seen (seconds since the epoch)


@dataclass
class FeedPosition:
    last: int
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class Cursor:
    device_id: str
    phase: str  # "snapshot" or "feed"
    feed: FeedPosition
    # The fingerprint of the reference lists the device holds.
    reference: str = ""
    kind: str = ""
    after: Any = None


def encode(cursor: Cursor) -> str:
    payload = {
        "v": CURSOR_VERSION,
        "d": cursor.device_id,
        "p": cursor.phase,
        "k": cursor.kind,
        "a": cursor.after,
        "f": [cursor.feed.last, [list(gap) for gap in cursor.feed.gaps]],
        "r": cursor.reference,
    }
    return signing.dumps(payload, salt=CURSOR_SALT, compress=True)


def bad_cursor() -> SyncError:
    return SyncError(
        400,
        BAD_CURSOR,
        _("The sync position sent is not valid: start a new first sync (send no cursor)."),
    )


def decode(text: str, *, device_id: str) -> Cursor:
    """The cursor in ``text`` if this server signed it for this device, else ``bad_cursor``."""
    try:
        payload = signing.loads(text, salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise bad_cursor() from None
    try:
        if payload["v"] != CURSOR_VERSION or payload["d"] != device_id:
            raise bad_cursor()
        if payload["p"] not in {"snapshot", "feed"}:
            raise bad_cursor()
        last, gaps = payload["f"]
        position = FeedPosition(
            last=int(last), gaps=[(int(a), int(b), int(seen)) for a, b, seen in gaps]
        )
        return Cursor(
            device_id=device_id,
            phase=payload["p"],
            feed=position,
            reference=str(payload["r"]),
            kind=str(payload["k"]),
            after=payload["a"],
        )
    except (KeyError, TypeError, ValueError):
        raise bad_cursor() from None


def start_position(now: datetime.datetime) -> FeedPosition:
    """Where the feed starts for a first sync beginning ``now``: after the highest entry
    committed now, with the holes below it still watched (ids handed out to transactions not
    yet committed). The snapshot, read after this, has everything committed now; what commits
    later, in a hole or above, comes through the feed. So the feed after a first sync sends
    only what changed since, not again what the snapshot had.

    Holes older than the window are not looked for: a write transaction lasts less. With more
    holes than a cursor keeps (``MAX_GAPS``), the feed starts before the window instead, as
    it would for an old hole: what changed in the window is then sent twice, never missed."""
    cutoff = now - datetime.timedelta(seconds=conf.feed_gap_seconds())
    settled = (
        AuditEntry.objects.filter(at__lte=cutoff)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    ) or 0
    highest = AuditEntry.objects.aggregate(top=Max("id"))["top"] or 0
    holes = _holes(settled, highest)
    if len(holes) > MAX_GAPS:
        return FeedPosition(last=settled)
    seen = int(now.timestamp())
    return FeedPosition(last=highest, gaps=[(first, last, seen) for first, last in holes])


@dataclass
class FeedPage:
    # (kind, object id) in feed order, each once.
    changes: list[tuple[str, str]]
    position: FeedPosition
    more: bool


def _holes(low: int, high: int) -> list[tuple[int, int]]:
    """Ranges of ids in (low, high] that no committed audit row has (one statement)."""
    if high <= low:
        return []
    # The table name comes from the model, never from input; the bounds are parameters.
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    lag = "SELECT id, LAG(id, 1, %s) OVER (ORDER BY id) AS previous_id"
    stretch = f"{lag} FROM {table} WHERE id > %s AND id <= %s"
    sql = f"SELECT previous_id, id FROM ({stretch}) AS ordered WHERE id - previous_id > 1"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [low, low, high])
        rows = cursor.fetchall()
    highest = AuditEntry.objects.filter(id__gt=low, id__lte=high).aggregate(top=Max("id"))["top"]
    holes = [(int(previous) + 1, int(current) - 1) for previous, current in rows]
    top = int(highest) if highest is not None else low
    if top < high:
        holes.append((top + 1, high))
    return holes


def _ranges_q(gaps: list[Gap]) -> Q:
    condition = Q(pk__in=[])
    for first, last, _seen in gaps:
        condition |= Q(id__gte=first, id__lte=last)
    return condition


def _split(gap: Gap, filled: set[int]) -> list[Gap]:
    """What is still missing of ``gap`` once the ``filled`` ids are there."""
    first, last, seen = gap
    remaining: list[Gap] = []
    start = first
    for value in sorted(v for v in filled if first <= v <= last):
        if value > start:
            remaining.append((start, value - 1, seen))
        start = value + 1
    if start <= last:
        remaining.append((start, last, seen))
    return remaining


# Audit types whose entries another organisation may write about a device's records: the
# receiving side moves a referral on under its own organisation.
SHARED_TYPES = frozenset({"casework.referral"})


def _wanted(object_type: str, action: str) -> bool:
    return object_type in FEED_TYPES and not action.endswith("_read")


def _concerns(organisation: Any, organisation_id: Any, object_type: str) -> bool:
    return (
        organisation_id is None
        or organisation is None
        or str(organisation) == str(organisation_id)
        or object_type in SHARED_TYPES
    )


def read(
    position: FeedPosition,
    *,
    limit: int,
    now: datetime.datetime,
    organisation_id: Any = None,
) -> FeedPage:
    """The next changes after ``position`` (at most ``limit`` feed entries), and the position
    after them. See the module docstring for the holes.

    ``organisation_id``: only entries that may concern a device of that organisation (its own,
    the referrals', and those of no organisation). Without it, when 100 organisations' phones
    upload at once, every phone would page through all their entries to find its own."""
    now_seconds = int(now.timestamp())
    totals = AuditEntry.objects.aggregate(
        highest=Max("id"), in_span=Max("id", filter=Q(id__lte=position.last + SCAN_SPAN))
    )
    highest = totals["highest"] or 0
    upper = min(highest, position.last + SCAN_SPAN)
    # 1. The holes of the stretch about to be read, before reading it.
    new_holes = _holes(position.last, upper)
    # 2. What has appeared in the holes remembered from before.
    changes: list[tuple[str, str]] = []
    filled: set[int] = set()
    if position.gaps:
        late = (
            AuditEntry.objects.filter(_ranges_q(position.gaps))
            .order_by("id")
            .values_list("id", "object_type", "object_id", "action", "organisation_id")
        )
        for entry_id, object_type, object_id, action, organisation in late:
            filled.add(entry_id)
            if _wanted(object_type, action) and _concerns(
                organisation, organisation_id, object_type
            ):
                changes.append((FEED_TYPES[object_type], object_id))
    # 3. The stretch itself.
    stretch = AuditEntry.objects.filter(
        id__gt=position.last, id__lte=upper, object_type__in=list(FEED_TYPES)
    )
    if organisation_id is not None:
        stretch = stretch.filter(
            Q(organisation_id=organisation_id)
            | Q(organisation__isnull=True)
            | Q(object_type__in=list(SHARED_TYPES))
        )
    entries = list(
        stretch.exclude(action__endswith="_read")
        .order_by("id")
        .values_list("id", "object_type", "object_id")[:limit]
    )
    changes.extend((FEED_TYPES[object_type], object_id) for _id, object_type, object_id in entries)
    if len(entries) >= limit:
        new_last = entries[-1][0]
        more = True
    else:
        new_last = max(upper, position.last)
        more = upper < highest
    window = conf.feed_gap_seconds()
    kept: list[Gap] = []
    for gap in position.gaps:
        if now_seconds - gap[2] > window:
            continue  # looked at once more after the window: a rolled-back transaction
        kept.extend(_split(gap, filled))
    kept.extend(
        (first, min(last, new_last), now_seconds) for first, last in new_holes if first <= new_last
    )
    return FeedPage(
        changes=list(dict.fromkeys(changes)),
        position=FeedPosition(last=new_last, gaps=kept[-MAX_GAPS:]),
        more=more,
    )
