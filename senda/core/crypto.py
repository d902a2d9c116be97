"""Encryption of personal fields at rest, and keyed hashes that keep them searchable.

Keys come from the environment, never from the database:

- ``SENDA_FIELD_KEYS``: comma-separated Fernet keys (AES-128-CBC + HMAC-SHA256). The first
  encrypts; every key decrypts, so a new key can be put first while old rows are still being
  re-encrypted (``manage.py rotate_keys``): rotation needs no downtime.
- ``SENDA_SEARCH_KEYS``: comma-separated secrets for the keyed hashes (HMAC-SHA256) of
  normalised names and phone numbers. The first computes new hashes; lookups try every key, so
  the same rotation applies.

In development and tests (``SENDA_DEBUG`` or ``SENDA_TESTING``) keys are derived from the
``SECRET_KEY`` when none are set; in production missing keys are a configuration error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from senda.core.text import fold

FIELD_KEYS_VARIABLE = "SENDA_FIELD_KEYS"
SEARCH_KEYS_VARIABLE = "SENDA_SEARCH_KEYS"


class DecryptionError(Exception):
    """A stored value that no configured key can decrypt (a key was removed too early)."""


def _configured(name: str) -> list[str]:
    value = getattr(settings, name, None) or os.environ.get(name, "")
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    return [item.strip() for item in str(value).split(",") if item.strip()]


def _development_key(purpose: str) -> bytes:
    if not (settings.DEBUG or os.environ.get("SENDA_TESTING")):
        raise ImproperlyConfigured(
            f"{FIELD_KEYS_VARIABLE} and {SEARCH_KEYS_VARIABLE} must be set in production: "
            "see the README (Configuration)."
        )
    return hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = _configured(FIELD_KEYS_VARIABLE)
    if not keys:
        keys = [base64.urlsafe_b64encode(_development_key("fields")).decode()]
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{FIELD_KEYS_VARIABLE} holds a key that is not a Fernet key "
            "(32 url-safe base64-encoded bytes; `manage.py generate_keys` makes them)."
        ) from exc


@lru_cache(maxsize=1)
def _search_keys() -> tuple[bytes, ...]:
    keys = [key.encode() for key in _configured(SEARCH_KEYS_VARIABLE)]
    if not keys:
        keys = [_development_key("search")]
    return tuple(keys)


def reset_key_cache() -> None:
    """Forget the keys read so far (tests and ``rotate_keys`` change them)."""
    _fernet.cache_clear()
    _search_keys.cache_clear()
    _first_key_parts.cache_clear()


def new_field_key() -> str:
    return Fernet.generate_key().decode()


def new_search_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def encrypt_text(value: str) -> str:
    """The ciphertext of ``value`` (a new random IV each time); empty stays empty."""
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("no configured key decrypts this value") from exc


@lru_cache(maxsize=1)
def _first_key_parts() -> tuple[Any, Any, bytes]:
    """What ``decrypt_many`` needs of the first field key (Fernet splits it into a signing and
    an encryption half): the HMAC-SHA256 of the signing half as its two hash states after the
    key's padded block (RFC 2104: inner ``key ^ 0x36``, outer ``key ^ 0x5c``), and the
    encryption half. Copying a state costs a fraction of starting an HMAC again per value."""
    key = base64.urlsafe_b64decode(_configured_first_field_key())
    signing, encryption = key[:16], key[16:]
    block = signing.ljust(hashlib.sha256().block_size, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))
    return inner, outer, encryption


# A Fernet token: version byte 0x80, 8-byte time, 16-byte IV, AES-128-CBC ciphertext (whole
# 16-byte blocks), 32-byte HMAC-SHA256 of everything before it.
_FERNET_HEAD = 25
_FERNET_MAC = 32
_BLOCK = 16
_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_PADDINGS = [bytes([size]) * size for size in range(_BLOCK + 1)]


def decrypt_many(tokens: Sequence[str | None]) -> list[str]:
    """``decrypt_text`` of each token (empty stays empty), for a whole page at once.

    Decrypting value by value costs more in setting up each decryption than in the AES itself.
    Here each token made under the first key is authenticated as Fernet does (its HMAC, before
    anything is decrypted), then all of them are decrypted in one CBC pass over their IVs and
    ciphertexts laid end to end: CBC decrypts a block by XORing its AES decryption with the
    block before it, which for a token's first block is its own IV, so each token comes out
    exactly as Fernet decrypts it (the IVs' own blocks come out as noise and are skipped). Any
    other token (an older key during a rotation, or one that does not verify) goes through
    ``decrypt_text``, which tries every key or raises ``DecryptionError``."""
    clear = [""] * len(tokens)
    inner, outer, encryption_key = _first_key_parts()
    a2b, same = binascii.a2b_base64, hmac.compare_digest
    verified: list[tuple[int, int]] = []  # (position, ciphertext size)
    chained: list[bytes] = []  # each verified token's IV and ciphertext
    for index, token in enumerate(tokens):
        if not token:
            continue
        try:
            # urlsafe_b64decode, without its per-call overhead.
            data = a2b(token.encode("ascii").translate(_URLSAFE_TO_STANDARD))
        except (ValueError, binascii.Error):
            data = b""
        size = len(data) - _FERNET_HEAD - _FERNET_MAC
        if size < _BLOCK or size % _BLOCK or data[0] != 0x80:
            clear[index] = decrypt_text(token)
            continue
        mac = inner.copy()
        mac.update(data[:-_FERNET_MAC])
        signature = outer.copy()
        signature.update(mac.digest())
        if not same(signature.digest(), data[-_FERNET_MAC:]):
            clear[index] = decrypt_text(token)
            continue
        verified.append((index, size))
        chained.append(data[_FERNET_HEAD - _BLOCK : -_FERNET_MAC])
    if not verified:
        return clear
    # The IV given here only chains the first token's IV block, which is skipped.
    plain = (
        Cipher(algorithms.AES(encryption_key), modes.CBC(bytes(_BLOCK)))
        .decryptor()
        .update(b"".join(chained))
    )
    end = 0
    for index, size in verified:
        start = end + _BLOCK
        end = start + size
        padding = plain[end - 1]
        if not 1 <= padding <= _BLOCK or not plain.startswith(_PADDINGS[padding], end - padding):
            raise DecryptionError("a value's padding is wrong")
        try:
            clear[index] = plain[start : end - padding].decode()
        except UnicodeDecodeError as exc:
            raise DecryptionError("a value is not text") from exc
    return clear


def encrypted_under_current_key(token: str) -> bool:
    if not token:
        return True
    current = Fernet(_configured_first_field_key())
    try:
        current.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def _configured_first_field_key() -> bytes:
    keys = _configured(FIELD_KEYS_VARIABLE)
    if keys:
        return keys[0].encode()
    return base64.urlsafe_b64encode(_development_key("fields"))


# ---------------------------------------------------------------------------------------------
# Keyed hashes of normalised values: equal inputs give equal hashes, and without the key a hash
# says nothing (a plain hash of a phone number can be reversed by trying every number).


def normalise_name(value: str) -> str:
    """Lower case, no accents, single spaces: "  José  Pérez" -> "jose perez"."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in fold(value)).split())


def normalise_phone(value: str) -> str:
    """The last eight digits: local and international spellings of one number match
    ("+507 6123-4567", "61234567"); eight digits is the shortest mobile number in the region."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits[-8:] if len(digits) >= 7 else ""


def sounds_like(word: str) -> str:
    """A rough Spanish phonetic key, so that spelling variants of a name meet:
    Yésica/Jessica/Yessica, Wilmer/Guilmer, Catherin/Katerin, Rocío/Rosío."""
    text = normalise_name(word).replace(" ", "")
    for before, after in (
        ("w", "gu"),
        ("ch", "x"),
        ("ll", "y"),
        ("qu", "k"),
        ("gu", "g"),
        ("ph", "f"),
        ("th", "t"),
        ("sh", "x"),
        ("ce", "se"),
        ("ci", "si"),
        ("ge", "je"),
        ("gi", "ji"),
    ):
        text = text.replace(before, after)
    text = text.translate(str.maketrans("vzcqi", "bskky"))
    text = text.replace("h", "").replace("j", "y")
    collapsed: list[str] = []
    for ch in text:
        if not collapsed or collapsed[-1] != ch:
            collapsed.append(ch)
    return "".join(collapsed)


def keyed_hash(kind: str, normalised: str, *, key: bytes | None = None) -> str:
    """HMAC-SHA256 of ``kind:normalised`` under the current search key (hex, 64 chars)."""
    secret = key if key is not None else _search_keys()[0]
    return hmac.new(secret, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def keyed_hashes(kind: str, normalised: str) -> list[str]:
    """The hash under every configured search key: what a lookup matches during rotation."""
    return [keyed_hash(kind, normalised, key=key) for key in _search_keys()]
