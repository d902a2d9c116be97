"""``manage.py generate_keys``: new keys for the encryption of personal fields and for the
search hashes, printed as the environment lines to set (nothing is stored)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from senda.core.crypto import (
    FIELD_KEYS_VARIABLE,
    SEARCH_KEYS_VARIABLE,
    _configured,
    new_field_key,
    new_search_key,
)


class Command(BaseCommand):
    help = (
        "Print a new field-encryption key and a new search key. To rotate, put each first in "
        "its variable, keep the old keys after it, restart, run rotate_keys, then drop the old."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for variable, new_key in (
            (FIELD_KEYS_VARIABLE, new_field_key()),
            (SEARCH_KEYS_VARIABLE, new_search_key()),
        ):
            current = _configured(variable)
            self.stdout.write(f"{variable}={','.join([new_key, *current])}")
        self.stderr.write(
            "Keep these secret. Old keys stay after the new one until rotate_keys has finished."
        )
