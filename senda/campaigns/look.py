"""A campaign's look: colours that keep white text readable, and a small logo checked by content."""

from __future__ import annotations

import math
import re

from django.utils.translation import gettext as _

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# WCAG 2.2 AA for normal text.
MINIMUM_CONTRAST = 4.5
LOGO_MAX_BYTES = 200 * 1024
LOGO_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.03928 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio between ``colour`` and white text on it (1 to 21)."""
    return 1.05 / (relative_luminance(colour) + 0.05)


def colour_errors(colour: str) -> list[str]:
    """Why ``colour`` cannot be a campaign colour (white text on it), or nothing."""
    if not HEX_COLOUR.match(colour or ""):
        return [_("Give the colour as # followed by six hexadecimal digits, e.g. #1f4e79.")]
    ratio = contrast_with_white(colour)
    if ratio < MINIMUM_CONTRAST:
        # Rounded down: a colour just below the limit must not read as "4.50:1".
        ratio = math.floor(ratio * 100) / 100
        return [
            _(
                "White text on %(colour)s has a contrast of %(ratio).2f:1; it must be at least "
                "4.5:1 to be readable. Choose a darker colour."
            )
            % {"colour": colour, "ratio": ratio}
        ]
    return []


def logo_content_type(data: bytes) -> str:
    """The logo's type judged from its bytes (PNG, JPEG or SVG), or "" for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (head.startswith(b"<?xml") or head.startswith(b"<svg")) and b"<svg" in data[:4096].lower():
        return "image/svg+xml"
    return ""


def logo_errors(data: bytes) -> list[str]:
    """Why ``data`` cannot be a campaign logo, or nothing."""
    if len(data) > LOGO_MAX_BYTES:
        return [
            _("The logo must be at most 200 KB; this file is %(size)d KB.")
            % {"size": -(-len(data) // 1024)}
        ]
    if not logo_content_type(data):
        return [_("The logo must be a PNG, JPEG or SVG image.")]
    lowered = data.lower()
    if logo_content_type(data) == "image/svg+xml" and (
        b"<script" in lowered or b"javascript:" in lowered or b"<!entity" in lowered
    ):
        return [_("The SVG logo must not contain scripts or entity declarations.")]
    return []
