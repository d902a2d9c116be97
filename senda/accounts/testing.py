"""Test helpers: sign a test client in the way a person ends up signed in."""

from __future__ import annotations

from django.test import Client

from senda.accounts.models import User
from senda.accounts.two_factor import mark_session_verified


def login_verified(client: Client, user: User) -> Client:
    """Log ``client`` in as ``user`` with the second factor already proven in the session
    (marked exactly as the real verification step marks it)."""
    client.force_login(user)
    session = client.session
    mark_session_verified(session, user)
    session.save()
    return client
