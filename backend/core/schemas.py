from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """Every list endpoint answers {"items": [...], "total": N}."""

    items: list[T]
    total: int
