"""A directory streamed as a zip archive while it is written: no temporary copy, memory bounded by one chunk."""

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

from typing_extensions import Buffer

CHUNK_BYTES = 1024 * 1024
# Weights barely compress and deflating gigabytes would keep the API's CPU busy: they are stored as they are.
STORED_SUFFIXES = frozenset({".safetensors", ".bin", ".pt", ".gguf"})


class _Pipe(io.RawIOBase):
    """A write-only file that is not seekable, so zipfile writes each member's sizes after its data."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        return len(chunk)

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def zip_directory(directory: Path, root: str) -> Iterator[bytes]:
    """The files below `directory`, in a zip archive whose members sit in a `root/` folder."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w") as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo.from_file(path, f"{root}/{path.relative_to(directory).as_posix()}")
            info.compress_type = zipfile.ZIP_STORED if path.suffix in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
            with path.open("rb") as source, archive.open(info, "w") as target:
                while chunk := source.read(CHUNK_BYTES):
                    target.write(chunk)
                    if data := pipe.drain():
                        yield data
    # Closing the archive wrote the last member's sizes and the central directory.
    yield pipe.drain()
