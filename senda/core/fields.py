"""Model fields for personal data: stored encrypted, read as plain text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models

from senda.core.crypto import decrypt_text, encrypt_text


class EncryptedTextField(models.TextField):
    """Text encrypted at rest with the field keys (see ``senda.core.crypto``).

    The database holds only ciphertext, so the field cannot be filtered or ordered on: search
    goes through keyed hashes kept beside it. ``manage.py rotate_keys`` re-encrypts every such
    field under a new key.
    """

    description = "Text encrypted at rest"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        return decrypt_text(value) if value else ""

    def get_prep_value(self, value: Any) -> str:
        value = super().get_prep_value(value)
        return encrypt_text(value) if value else ""

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("blank", None)
        if kwargs.get("default") == "":
            kwargs.pop("default")
        return name, path, args, kwargs
