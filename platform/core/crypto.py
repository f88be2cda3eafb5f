"""Encryption at rest for sensitive fields, with rotatable keys.

``FIELD_ENCRYPTION_KEYS`` lists secrets newest first. Values are encrypted with the first
and decrypted with whichever matches, so a key is rotated by prepending a new one and
re-saving rows (``MultiFernet.rotate``); the old key is dropped once nothing uses it.
Each configured secret is stretched with SHA-256 into a Fernet key, so any long random
string will do. None of the keys is derived from SECRET_KEY (settings: "data keys"), so
rotating SECRET_KEY leaves encrypted values and blind indexes readable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _fernet_for(secret: str) -> Fernet:
    digest = hashlib.sha256(secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


@cache
def _keyring(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet_for(key) for key in keys])


def keyring() -> MultiFernet:
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("Set the FIELD_ENCRYPTION_KEYS setting.")
    return _keyring(keys)


def encrypt_text(value: str) -> str:
    return keyring().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return keyring().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("Encrypted value cannot be read with the configured keys.") from exc


def rotate_text(token: str) -> str:
    """Re-encrypt a stored value with the newest key."""
    return keyring().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token. Empty strings stay empty (not encrypted),
    so 'no value' remains queryable; nothing else about the plaintext is."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_text(value)


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash for exact-match lookups of an encrypted value. The key is separate
    from the encryption keys (BLIND_INDEX_KEY), so rotating those leaves lookups intact."""
    secret = settings.BLIND_INDEX_KEY
    if not secret:
        raise ImproperlyConfigured("Set the BLIND_INDEX_KEY setting.")
    message = f"{purpose}:{value}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
