"""The demo is loaded once per test module that reads it (it takes tens of seconds: months
of field work written through the actions); each test runs in a transaction rolled back, so
what a test changes does not leak, and the module's teardown empties the database again."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from senda.core.testing import ensure_reference_data


@pytest.fixture(scope="module")
def demo_output(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """What ``manage.py demo`` printed, with the demo loaded for the whole module."""
    out = StringIO()
    with django_db_blocker.unblock():
        call_command("demo", stdout=out)
    yield out.getvalue()
    with django_db_blocker.unblock():
        # Leave the database as a transactional test leaves it: emptied (the audit log is
        # append-only, so the demo's trail cannot be deleted row by row; Senda's flush lifts the
        # guard for it), then the reference data of the migrations put back.
        call_command("flush", interactive=False, verbosity=0)
        ensure_reference_data()
