"""Accounts for API tests: users made straight in the database, each with an API token for its requests."""

from dataclasses import dataclass
from functools import lru_cache

from backend.auth.credentials import hash_password
from backend.auth.schemas import ApiTokenCreate
from backend.auth.service import PLACEHOLDER_USER_ID, create_api_token
from backend.core.db import get_sessionmaker
from backend.models import Role, User

PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "admin@studio.test"


@lru_cache
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: once per test session


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def create_account(email: str, role: Role = Role.MEMBER) -> Account:
    """A user with the test password and an API token. The first admin takes over the placeholder owner."""
    with get_sessionmaker()() as session:
        user = None
        if email == ADMIN_EMAIL:
            user = session.get(User, PLACEHOLDER_USER_ID)
        if user is None:
            user = User(name=email)
            session.add(user)
        user.email, user.password_hash, user.role = email, password_hash(), role
        session.flush()
        _token, secret = create_api_token(session, user, ApiTokenCreate(name="tests"))
        session.commit()
        return Account(user.id, email, role, secret)
