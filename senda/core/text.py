"""Text normalisation shared by search and matching: accent- and case-insensitive."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")

# Words too common to help ranking, in the languages Senda ships.
STOPWORDS = frozenset(
    [
        "a",
        "al",
        "ante",
        "con",
        "de",
        "del",
        "desde",
        "e",
        "el",
        "en",
        "entre",
        "la",
        "las",
        "lo",
        "los",
        "o",
        "para",
        "por",
        "que",
        "se",
        "sin",
        "su",
        "sus",
        "un",
        "una",
        "unos",
        "unas",
        "y",
        "the",
        "of",
        "and",
        "or",
        "for",
        "in",
        "on",
        "to",
        "with",
        "at",
        "by",
        "from",
        "an",
        "is",
        "are",
    ]
)


def fold(text: str | None) -> str:
    """Lower-case and strip accents: "Vacunación" -> "vacunacion", "Ñandú" -> "nandu"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str | None, *, keep_stopwords: bool = False) -> list[str]:
    """The folded words of ``text``, in order, without stopwords unless asked."""
    words = _WORD.findall(fold(text))
    if keep_stopwords:
        return words
    return [word for word in words if word not in STOPWORDS]
