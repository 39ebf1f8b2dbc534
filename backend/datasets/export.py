"""Downloading a split as JSONL or CSV, streamed from the database in batches."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from backend.core.db import get_sessionmaker
from backend.models import DatasetExample, Split

BATCH_ROWS = 1000
# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def _flat(record: dict[str, Any]) -> dict[str, str]:
    """The record as it was uploaded: its own fields, chats as their messages list."""
    fields = {key: value for key, value in record.items() if key != "shape"}
    return {
        key: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) for key, value in fields.items()
    }


def _records(dataset_id: int, split: Split | None) -> Iterator[tuple[dict[str, Any], str | None]]:
    # Its own session: the response streams after the request's session has closed.
    query = select(DatasetExample.record, DatasetExample.label).where(DatasetExample.dataset_id == dataset_id)
    if split is not None:
        query = query.where(DatasetExample.split == split)
    with get_sessionmaker()() as session:
        rows = session.execute(query.order_by(DatasetExample.row_number).execution_options(yield_per=BATCH_ROWS))
        yield from ((record, label) for record, label in rows)  # plain tuples, not Row objects


def jsonl_lines(dataset_id: int, split: Split | None) -> Iterator[str]:
    for record, label in _records(dataset_id, split):
        row: dict[str, Any] = {key: value for key, value in record.items() if key != "shape"}
        if label is not None:
            row["label"] = label
        yield json.dumps(row, ensure_ascii=False) + "\n"


def csv_lines(dataset_id: int, split: Split | None) -> Iterator[str]:
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for record, label in _records(dataset_id, split):
        row = {key: neutralise_formula(value) for key, value in _flat(record).items()}
        if label is not None:
            row["label"] = neutralise_formula(label)
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(row), extrasaction="ignore", lineterminator="\r\n")
            writer.writeheader()
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
