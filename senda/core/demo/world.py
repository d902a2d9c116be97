"""What the demo loaders share: the world built so far and the small helpers they all use."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

from senda.accounts.models import Organisation, User

# Marks every piece of example content so that nobody takes it for real information.
EXAMPLE_NOTE_ES = "Contenido de ejemplo."
EXAMPLE_NOTE_EN = "Example content."
EXAMPLE_SOURCE = "Ejemplo de Senda — contenido ficticio (Senda example, fictional content)"

# A bilingual text: (Spanish, English).
Text = tuple[str, str]


@dataclass
class DemoWorld:
    """The demo as loaded so far: tenants by key, users by username, and today's date."""

    today: datetime.date
    organisations: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    # One line per domain that was loaded in this run (for the command's summary).
    loaded: list[str] = field(default_factory=list)

    def organisation(self, key: str) -> Organisation:
        return self.organisations[key]

    def user(self, username: str) -> User:
        return self.users[username]


def stable_fraction(key: str) -> float:
    """A number in [0, 1) that depends only on ``key``: deterministic spread without random."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def stable_int(key: str, low: int, high: int) -> int:
    """An integer in [low, high] that depends only on ``key``."""
    return low + int(stable_fraction(key) * (high - low + 1))


def with_example_note(text: Text) -> Text:
    """``text`` ending with the example-content label in each language."""
    spanish, english = text
    if not spanish.endswith(EXAMPLE_NOTE_ES):
        spanish = f"{spanish} {EXAMPLE_NOTE_ES}".strip()
    if not english.endswith(EXAMPLE_NOTE_EN):
        english = f"{english} {EXAMPLE_NOTE_EN}".strip()
    return spanish, english
