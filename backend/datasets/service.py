"""Storing uploaded datasets: stream to storage, validate every row, split, insert in one transaction."""

import uuid
from typing import BinaryIO

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from backend.core.errors import Invalid, NotFound, TooLarge
from backend.core.storage import Storage
from backend.datasets.parsing import DatasetFileError, parse_examples
from backend.datasets.splitting import assign_splits, split_hash
from backend.models import LOCAL_USER_ID, Dataset, DatasetExample, Split
from worker.training.templates import as_messages
from worker.training.types import AnyRecord

DEFAULT_SPLIT_SEED = 42
CHUNK_BYTES = 1024 * 1024


class _LimitedReader:
    """Counts bytes while storage copies the upload, and stops at the size limit."""

    def __init__(self, source: BinaryIO, limit: int) -> None:
        self.source = source
        self.limit = limit
        self.total = 0

    def read(self, size: int = CHUNK_BYTES) -> bytes:
        chunk = self.source.read(size if size > 0 else CHUNK_BYTES)
        self.total += len(chunk)
        if self.total > self.limit:
            raise TooLarge(f"the file is larger than the {self.limit // (1024 * 1024)} MB upload limit")
        return chunk


def search_text(record: AnyRecord) -> str:
    return "\n".join(message.content for message in as_messages(record)).lower()


def create_dataset(session: Session, storage: Storage, *, name: str, source: BinaryIO, max_bytes: int) -> Dataset:
    file_key = f"datasets/{uuid.uuid4().hex}/upload"
    try:
        storage.save(file_key, _LimitedReader(source, max_bytes))  # type: ignore[arg-type]
        file_format, rows = parse_examples(storage.local_path(file_key))
    except DatasetFileError as exc:
        storage.delete(file_key.rsplit("/", 1)[0])
        raise Invalid(exc.summary, field="file", errors=exc.errors) from exc
    except Exception:
        storage.delete(file_key.rsplit("/", 1)[0])  # a rejected upload leaves no file behind
        raise

    examples = [row.example for row in rows]
    splits = assign_splits(len(examples), DEFAULT_SPLIT_SEED)
    dataset = Dataset(
        owner_id=LOCAL_USER_ID,
        name=name,
        format=file_format,
        num_rows=len(examples),
        num_train=splits.count(Split.TRAIN),
        num_validation=splits.count(Split.VALIDATION),
        num_test=splits.count(Split.TEST),
        split_seed=DEFAULT_SPLIT_SEED,
        split_hash=split_hash(examples, splits),
        file_key=file_key,
    )
    session.add(dataset)
    session.flush()
    session.execute(
        insert(DatasetExample),
        [
            {
                "dataset_id": dataset.id,
                "row_number": row.row_number,
                "split": split,
                "record": row.example.model_dump(),
                "search_text": search_text(row.example),
            }
            for row, split in zip(rows, splits, strict=True)
        ],
    )
    return dataset


def list_datasets(session: Session) -> list[Dataset]:
    query = select(Dataset).where(Dataset.owner_id == LOCAL_USER_ID).order_by(Dataset.id.desc())
    return list(session.scalars(query))


def get_dataset(session: Session, dataset_id: int) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None or dataset.owner_id != LOCAL_USER_ID:
        raise NotFound(f"dataset {dataset_id} not found")
    return dataset


def list_examples(
    session: Session, dataset: Dataset, *, split: Split | None, offset: int, limit: int
) -> tuple[list[DatasetExample], int]:
    query = select(DatasetExample).where(DatasetExample.dataset_id == dataset.id)
    if split is not None:
        query = query.where(DatasetExample.split == split)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(DatasetExample.row_number).offset(offset).limit(limit))
    return list(items), total
