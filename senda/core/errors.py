"""Domain errors raised by queries and actions; views and the API translate them."""

from __future__ import annotations


class NotFoundError(Exception):
    """The object does not exist, or the acting user may not see it (never say which)."""


class PermissionDeniedError(Exception):
    """The acting user may see the object but not do this to it."""


class ValidationError(Exception):
    """Input that cannot be saved; ``errors`` maps a field (or ``"__all__"``) to messages."""

    def __init__(self, errors: dict[str, list[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))

    @property
    def messages(self) -> list[str]:
        """Every message, flattened, for a page that shows them together."""
        return [message for messages in self.errors.values() for message in messages]
