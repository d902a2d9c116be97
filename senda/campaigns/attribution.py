"""Which placement (poster, radio spot...) brought a visitor: the ``via`` short code.

The code travels in the query string or a hidden form field, never in a cookie, and says
nothing about the person: it names the poster, not the reader.
"""

from __future__ import annotations

import re
import secrets

from django.http import HttpRequest

# Crockford's base32 alphabet in lower case: no i, l, o or u, so a code read aloud or typed
# from a poster is not mistaken.
CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
CODE_LENGTH = 7
_CODE_PATTERN = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def normalise_code(value: str | None) -> str:
    """The code in its canonical form if ``value`` has the shape of a placement code, else ""."""
    if not value:
        return ""
    candidate = value.strip().lower()
    return candidate if _CODE_PATTERN.match(candidate) else ""


def placement_code(request: HttpRequest) -> str:
    """The validated ``via`` code from the query string or the posted form, or ""."""
    return normalise_code(request.GET.get("via")) or normalise_code(request.POST.get("via"))


def new_code() -> str:
    """A fresh random code: 7 base32 characters, 35 bits, short enough to type."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
