"""Turning a labelled table (Label, Text) into instruction data."""

import io
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile, status
from pydantic import BaseModel

from backend.auth.dependencies import CreatorUser
from backend.core.config import get_settings
from backend.core.db import SessionDep
from backend.core.errors import Invalid, TooLarge, error_responses
from backend.core.storage import StorageDep
from backend.datasets import conversion, service
from backend.datasets.parsing import FileRejected, open_table
from backend.datasets.schemas import DatasetOut
from backend.models import Dataset
from domain.records import AlpacaRecord

router = APIRouter(prefix="/api/datasets", tags=["datasets"])
PREVIEW_ROWS = 20


class ConversionPreview(BaseModel):
    labels: list[str]
    num_examples: int
    items: list[AlpacaRecord]


class ConversionForm(BaseModel):
    label_column: str
    text_column: str
    task: str
    paraphrases: int
    inverted: bool


def conversion_form(
    label_column: Annotated[str, Form(min_length=1, description="The column holding each row's class.")],
    text_column: Annotated[str, Form(min_length=1, description="The column holding the text to classify.")],
    task: Annotated[
        str, Form(min_length=3, max_length=2000, description="The task, e.g. 'Is this message a complaint?'")
    ],
    paraphrases: Annotated[
        int, Form(ge=1, le=conversion.MAX_PARAPHRASES, description="How many phrasings of the instruction to mix.")
    ] = 3,
    inverted: Annotated[bool, Form(description="Also add the inverted task: write a text for a given label.")] = False,
) -> ConversionForm:
    return ConversionForm(
        label_column=label_column, text_column=text_column, task=task, paraphrases=paraphrases, inverted=inverted
    )


ConversionFormDep = Annotated[ConversionForm, Depends(conversion_form)]


@contextmanager
def _table_file(upload: UploadFile) -> Iterator[Path]:
    """The upload as a file the table readers can re-read; gone afterwards, whatever happens."""
    limit = get_settings().max_upload_bytes
    if upload.size is not None and upload.size > limit:
        raise TooLarge(f"the file is larger than the {limit // (1024 * 1024)} MB upload limit", field="file")
    with tempfile.TemporaryDirectory(dir=get_settings().data_dir) as folder:
        path = Path(folder) / (Path(upload.filename or "table").name or "table")
        with path.open("wb") as target:
            shutil.copyfileobj(upload.file, target)
        yield path


def _read_rows(upload: UploadFile, form: ConversionForm) -> list[conversion.LabelledRow]:
    with _table_file(upload) as path:
        try:
            table = open_table(path, upload.filename, service.upload_limits())
            return conversion.read_labelled_rows(table, label_column=form.label_column, text_column=form.text_column)
        except FileRejected as exc:
            raise service.file_error(exc, "file") from exc


def _convert(upload: UploadFile, form: ConversionForm) -> list[conversion.ConvertedExample]:
    rows = _read_rows(upload, form)
    return conversion.convert(rows, task=form.task, paraphrases=form.paraphrases, inverted=form.inverted)


@router.post(
    "/convert/preview",
    response_model=ConversionPreview,
    operation_id="previewConversion",
    responses=error_responses(Invalid, TooLarge),
)
def preview_conversion(
    file: Annotated[UploadFile, File(description="A labelled table: CSV, TSV, JSONL, JSON or Parquet.")],
    form: ConversionFormDep,
) -> ConversionPreview:
    """What the labelled table becomes, before anything is stored."""
    examples = _convert(file, form)
    return ConversionPreview(
        labels=sorted({example.label for example in examples}),
        num_examples=len(examples),
        items=[example.record for example in examples[:PREVIEW_ROWS]],
    )


@router.post(
    "/convert",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetOut,
    operation_id="convertDataset",
    responses=error_responses(Invalid, TooLarge),
)
def convert_dataset(
    session: SessionDep,
    user: CreatorUser,
    storage: StorageDep,
    file: Annotated[UploadFile, File(description="A labelled table: CSV, TSV, JSONL, JSON or Parquet.")],
    form: ConversionFormDep,
    name: Annotated[str | None, Form(max_length=200)] = None,
) -> Dataset:
    """Store the converted examples as a new dataset, through the same validation, split and warnings as an upload.

    The split keeps the examples made from one row, and rows with nearly the same text, in one split."""
    rows = _read_rows(file, form)
    examples = conversion.convert(rows, task=form.task, paraphrases=form.paraphrases, inverted=form.inverted)
    dataset_name = name or f"{Path(file.filename or 'table').stem} (instructions)"
    options = service.UploadOptions(
        name=dataset_name,
        shape="alpaca",
        column_mapping=conversion.CONVERTED_MAPPING,
        groups=conversion.split_groups(rows, examples),
        leakage_fix=conversion.LEAKAGE_FIX,
    )
    upload = service.UploadedFile(f"{dataset_name}.jsonl", io.BytesIO(conversion.as_jsonl(examples)))
    return service.create_dataset(session, user, storage, options, upload)
