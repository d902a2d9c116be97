from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from senda.accounts.roles import CAPABILITIES, Capability


def senda(request: HttpRequest) -> dict[str, Any]:
    """Values every template may use: the active membership and what its role may do
    (``can.guides_edit`` and so on), so menus follow capabilities, not role names."""
    user = getattr(request, "user", None)
    membership = None
    capabilities: frozenset[Capability] = frozenset()
    if user is not None and user.is_authenticated:
        membership = user.active_membership()
        if membership is not None:
            capabilities = CAPABILITIES.get(membership.role, frozenset())
        if user.is_superuser:
            capabilities = frozenset(Capability)
    can = {
        capability.value.replace(".", "_"): capability in capabilities for capability in Capability
    }
    return {"active_membership": membership, "can": can}
