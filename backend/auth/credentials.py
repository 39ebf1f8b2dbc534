"""Passwords, and the random secrets behind sessions, API tokens and invitations."""

import hashlib
import hmac
import secrets

from pwdlib import PasswordHash

from backend.core.secret_key import secret_key

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
    return hmac.new(secret_key(), secret.encode(), hashlib.sha256).hexdigest()
