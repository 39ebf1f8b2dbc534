"""The one storage interface for uploaded files and run artifacts (local disk now, S3 later)."""

import shutil
from pathlib import Path
from typing import Annotated, BinaryIO, Protocol

from fastapi import Depends

from backend.core.config import get_settings


class Storage(Protocol):
    def save(self, key: str, source: BinaryIO) -> None: ...
    def local_path(self, key: str) -> Path: ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def local_path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"storage key escapes the storage root: {key}")
        return path

    def save(self, key: str, source: BinaryIO) -> None:
        path = self.local_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as target:
            shutil.copyfileobj(source, target)

    def delete(self, key: str) -> None:
        path = self.local_path(key)
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def get_storage() -> Storage:
    return LocalStorage(get_settings().storage_dir)


StorageDep = Annotated[Storage, Depends(get_storage)]
