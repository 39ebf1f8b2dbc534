"""Turning a labelled table (Label, Text) into instruction data, and downloading splits."""

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from backend.core.db import SessionDep
from backend.core.errors import NotFound, error_responses
from backend.datasets import export, service
from backend.models import Dataset, Split

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


def _load_dataset(session: SessionDep, dataset_id: int) -> Dataset:
    return service.get_dataset(session, dataset_id)


@router.get(
    "/{dataset_id}/download",
    operation_id="downloadDataset",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}, **error_responses(NotFound)},
)
def download_dataset(
    dataset: Annotated[Dataset, Depends(_load_dataset)],
    split: Split | None = None,
    format: Annotated[Literal["jsonl", "csv"], Query(description="jsonl, or csv with formulas neutralised")] = "jsonl",
) -> StreamingResponse:
    """One split (or all rows) as JSONL or CSV, in file order."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", dataset.name.rsplit(".", 1)[0]) or "dataset"
    filename = f"{stem}-{split.value if split else 'all'}.{format}"
    lines = export.jsonl_lines(dataset.id, split) if format == "jsonl" else export.csv_lines(dataset.id, split)
    media_type = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return StreamingResponse(
        lines, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
