"""Field work API: tasks."""

# No "from __future__ import annotations": Ninja reads annotations at run time.

from ninja import Router

router = Router(tags=["field work: tasks"])
