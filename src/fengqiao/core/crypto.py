"""Encryption at rest (Fernet) and keyed hashes (HMAC-SHA256) for exact look-up."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    # Several comma-separated keys allow rotation: the first encrypts, all decrypt.
    return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])


def encrypt(plain: str) -> str:
    return _fernet(settings.FENGQIAO_DATA_KEY).encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FENGQIAO_DATA_KEY).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise ValueError("personal data cannot be decrypted with the configured key") from exc


def keyed_digest(kind: str, normalized_value: str) -> str:
    """A stable keyed hash: equal values give equal digests; without the key nothing is learned."""
    msg = f"{kind}:{normalized_value}".encode()
    return hmac.new(settings.FENGQIAO_HASH_KEY.encode("utf-8"), msg, hashlib.sha256).hexdigest()
