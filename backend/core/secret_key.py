"""The studio's secret key, and the encryption of secrets kept in the database (a judge's API key) derived from it.

The key keys the hashes of sessions and tokens (backend.auth.credentials) and, through HKDF, the Fernet key that
encrypts stored secrets: a copy of the database alone reveals neither. Workers read the same key (the same setting, or
the same data dir), so that they can decrypt what the API stored.
"""

import base64
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.core.config import get_settings

# HKDF's context: a key derived for one use is unrelated to one derived for another, from the same secret key.
_ENCRYPTION_CONTEXT = b"finetune-studio: secrets stored in the database"


class Undecryptable(ValueError):
    """A stored secret that the current secret key cannot decrypt: the key changed since it was stored."""


@lru_cache
def secret_key() -> bytes:
    settings = get_settings()
    configured = settings.secret_key.get_secret_value()
    if configured:
        return configured.encode()
    # The loopback default: a key generated once and kept beside the database (never a fixed default).
    path: Path = settings.data_dir / "secret_key"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made earlier, or by another process starting at the same time
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


@lru_cache
def _fernet() -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_ENCRYPTION_CONTEXT).derive(secret_key())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(plaintext: str) -> str:
    """Authenticated encryption (Fernet: AES-128-CBC with HMAC-SHA256), as text for a database column."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise Undecryptable(
            "the stored secret cannot be decrypted: the studio's secret key changed since it was stored"
        ) from exc


def clear_key_cache() -> None:
    secret_key.cache_clear()
    _fernet.cache_clear()
