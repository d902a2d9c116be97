"""Card codes and the keyed search hashes of a person's name and phone."""

from __future__ import annotations

import secrets

from senda.casework.models import Person, PersonSearchKey, SearchKeyKind
from senda.core.crypto import (
    keyed_hash,
    keyed_hashes,
    normalise_name,
    normalise_phone,
    sounds_like,
)

# Crockford's base32 without I, L, O, U: read aloud and typed from a card without mistakes.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_card_code(country_code: str = "") -> str:
    """``PA-7K3M-Q9XD``: a country prefix and 8 random characters (40 bits)."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    prefix = (country_code or "SE").upper()[:2]
    return f"{prefix}-{body[:4]}-{body[4:]}"


def name_words(*names: str) -> list[str]:
    words: list[str] = []
    for name in names:
        for word in normalise_name(name).split():
            if len(word) >= 2 and word not in words:
                words.append(word)
    return words


def search_digests(given_name: str, family_name: str, phone: str) -> set[tuple[str, str]]:
    """(kind, digest) pairs under the current search key for a person's current values."""
    digests: set[tuple[str, str]] = set()
    for word in name_words(given_name, family_name):
        digests.add((SearchKeyKind.NAME_WORD, keyed_hash(SearchKeyKind.NAME_WORD, word)))
        digests.add(
            (SearchKeyKind.NAME_SOUND, keyed_hash(SearchKeyKind.NAME_SOUND, sounds_like(word)))
        )
    normalised_phone = normalise_phone(phone)
    if normalised_phone:
        digests.add((SearchKeyKind.PHONE, keyed_hash(SearchKeyKind.PHONE, normalised_phone)))
    return digests


def store_search_keys(person: Person) -> None:
    """Replace the person's search keys with those of their current name and phone."""
    PersonSearchKey.objects.filter(person=person).delete()
    PersonSearchKey.objects.bulk_create(
        PersonSearchKey(person=person, organisation_id=person.organisation_id, kind=k, digest=d)
        for k, d in sorted(search_digests(person.given_name, person.family_name, person.phone))
    )


def lookup_digests(kind: str, normalised: str) -> list[str]:
    """What a search for ``normalised`` matches: its hash under every configured key."""
    return keyed_hashes(kind, normalised)


def name_lookup_digests(text: str) -> dict[str, list[str]]:
    """For each word typed, the digests of the word and of its sound."""
    return {
        word: lookup_digests(SearchKeyKind.NAME_WORD, word)
        + lookup_digests(SearchKeyKind.NAME_SOUND, sounds_like(word))
        for word in name_words(text)
    }


def phone_lookup_digests(text: str) -> list[str]:
    normalised = normalise_phone(text)
    return lookup_digests(SearchKeyKind.PHONE, normalised) if normalised else []
