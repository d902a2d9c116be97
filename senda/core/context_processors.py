from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def senda(request: HttpRequest) -> dict[str, Any]:
    """Values every template may use."""
    user = getattr(request, "user", None)
    membership = None
    if user is not None and user.is_authenticated:
        membership = user.active_membership()
    return {"active_membership": membership}
