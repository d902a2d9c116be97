"""The sync protocol's JSON API (devices, push, pull), mounted under /api/sync/."""

from ninja import Router

router = Router(tags=["sync"])
