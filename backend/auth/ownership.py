"""Who sees what: admins everything, everyone else what they own. What one may not see answers 404, never 403."""

from typing import Any

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import InstrumentedAttribute

from backend.models import User


def owned_by(user: User, owner_column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    return true() if user.is_admin else owner_column == user.id


def can_see(user: User, owner_id: int | None) -> bool:
    return user.is_admin or owner_id == user.id
