"""Passwords, and the random secrets behind sessions, API tokens and invitations."""

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pwdlib import PasswordHash

from backend.core.config import get_settings

API_TOKEN_PREFIX = "fts_"
SESSION_COOKIE = "studio_session"
MIN_PASSWORD_LENGTH = 8

_passwords = PasswordHash.recommended()  # argon2id with the library's current parameters


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        # Same work as a real check, so the answer's timing does not tell which emails have accounts.
        _passwords.verify(password, _DUMMY_HASH)
        return False
    return _passwords.verify(password, password_hash)


_DUMMY_HASH = _passwords.hash(secrets.token_urlsafe(16))


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """A keyed hash: the stored value is useless without the secret key, and lookups stay one indexed equality."""
    return hmac.new(_secret_key(), secret.encode(), hashlib.sha256).hexdigest()


@lru_cache
def _secret_key() -> bytes:
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


def clear_key_cache() -> None:
    _secret_key.cache_clear()
