"""Writing the audit trail. Called from actions only, inside their transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from senda.core.models import AuditEntry

if TYPE_CHECKING:
    from senda.accounts.models import Organisation, User


def audit(
    *,
    actor: User | None,
    action: str,
    obj: Any = None,
    organisation: Organisation | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record that ``actor`` did ``action`` to ``obj``."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        details=details or {},
    )
