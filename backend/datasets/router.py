import re
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import StreamingResponse

from backend.auth.dependencies import CreatorUser, CurrentUser
from backend.core.db import SessionDep
from backend.core.errors import Invalid, NotFound, TooLarge, Unavailable, error_responses
from backend.core.params import MAX_ID, Position
from backend.core.schemas import Page
from backend.core.storage import StorageDep
from backend.datasets import export, service
from backend.datasets.dependencies import DatasetDep
from backend.datasets.schemas import (
    ColumnMapping,
    DatasetOut,
    DatasetUpdate,
    ExampleOut,
    ShapeChoice,
)
from backend.datasets.splitting import DEFAULT_SEED, SplitRatios
from backend.models import Dataset, Split
from domain.templates import TemplateName

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


_DEFAULT_RATIOS = SplitRatios()


def _uploaded(file: UploadFile | None) -> service.UploadedFile | None:
    # A browser form with an empty file input sends a part without a file name.
    if file is None or not file.filename:
        return None
    return service.UploadedFile(file.filename, file.file)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetOut,
    operation_id="uploadDataset",
    responses=error_responses(Invalid, TooLarge),
)
def upload_dataset(
    session: SessionDep,
    user: CreatorUser,
    storage: StorageDep,
    file: Annotated[
        UploadFile,
        File(description="JSONL, a JSON array, CSV, TSV or Parquet; the format is read from the content."),
    ],
    name: Annotated[str | None, Form(max_length=200, description="Default: the file name.")] = None,
    shape: Annotated[
        ShapeChoice, Form(description="auto: from the columns (messages → chat, instruction+output → alpaca, ...).")
    ] = "auto",
    column_mapping: Annotated[
        str | None,
        Form(
            description='JSON object, field → your column: {"instruction": "Text", "output": "Label", '
            '"label": "Label"}. Fields not mapped are read from columns of their own name.'
        ),
    ] = None,
    drop_invalid: Annotated[
        bool, Form(description="Store the good rows and leave out the invalid ones (counted in num_dropped).")
    ] = False,
    train_ratio: Annotated[float, Form()] = _DEFAULT_RATIOS.train,
    validation_ratio: Annotated[
        float, Form(description="0: no validation split. Above 0: at least one row. Ignored with validation_file.")
    ] = _DEFAULT_RATIOS.validation,
    test_ratio: Annotated[
        float, Form(description="0: no test split. Above 0: at least one row. Ignored with test_file.")
    ] = _DEFAULT_RATIOS.test,
    seed: Annotated[
        int,
        Form(
            ge=0,
            le=MAX_ID,  # stored in an INTEGER column
            description="The split's seed: the same file, ratios and seed give the same split.",
        ),
    ] = DEFAULT_SEED,
    group_similar: Annotated[
        bool,
        Form(
            description="Keep rows with the same or nearly the same prompt (Jaccard ≥ 0.8 over 3-word shingles) in "
            "one split, so none leaks from train into validation/test. The ratios are then kept as closely as "
            "whole groups allow."
        ),
    ] = False,
    validation_file: Annotated[
        UploadFile | None, File(description="Your own validation split (same columns); `file` is then train.")
    ] = None,
    test_file: Annotated[
        UploadFile | None, File(description="Your own test split (same columns); `file` is then train.")
    ] = None,
    template: Annotated[
        TemplateName | None, Form(description="Default prompt template for runs; default by shape.")
    ] = None,
) -> Dataset:
    options = service.UploadOptions(
        name=(name or file.filename or "dataset")[:200],
        shape=shape,
        column_mapping=ColumnMapping.from_form(column_mapping),
        drop_invalid=drop_invalid,
        ratios=SplitRatios(train_ratio, validation_ratio, test_ratio),
        seed=seed,
        template=template,
        group_similar=group_similar,
    )
    main = service.UploadedFile(file.filename or "", file.file)
    return service.create_dataset(
        session, user, storage, options, main, _uploaded(validation_file), _uploaded(test_file)
    )


@router.get("", response_model=Page[DatasetOut], operation_id="listDatasets")
def list_datasets(
    session: SessionDep,
    user: CurrentUser,
    include_archived: Annotated[bool, Query(description="Archived datasets too (hidden by default).")] = False,
) -> Page[DatasetOut]:
    datasets = service.list_datasets(session, user, include_archived=include_archived)
    return Page(items=[DatasetOut.model_validate(d) for d in datasets], total=len(datasets))


@router.get("/{dataset_id}", response_model=DatasetOut, operation_id="getDataset", responses=error_responses(NotFound))
def get_dataset(dataset: DatasetDep) -> Dataset:
    return dataset


@router.get(
    "/{dataset_id}/examples",
    response_model=Page[ExampleOut],
    operation_id="listDatasetExamples",
    responses=error_responses(NotFound),
)
def list_examples(
    session: SessionDep,
    dataset: DatasetDep,
    split: Split | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Case-insensitive text search.")] = None,
    offset: Position = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[ExampleOut]:
    items, total = service.list_examples(session, dataset, split=split, q=q, offset=offset, limit=limit)
    return Page(
        items=[
            ExampleOut(
                id=example.id,
                number=number,
                row_number=example.row_number,
                split=example.split,
                record=example.record,  # type: ignore[arg-type]  # validated into a Record
                label=example.label,
            )
            for example, number in items
        ],
        total=total,
    )


@router.patch(
    "/{dataset_id}",
    response_model=DatasetOut,
    operation_id="updateDataset",
    responses=error_responses(NotFound, Invalid, Unavailable),
)
def update_dataset(session: SessionDep, dataset: DatasetDep, update: DatasetUpdate) -> Dataset:
    return service.update_dataset(session, dataset, update)


@router.delete(
    "/{dataset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteDataset",
    responses=error_responses(NotFound, service.DatasetInUse),
)
def delete_dataset(session: SessionDep, storage: StorageDep, user: CreatorUser, dataset: DatasetDep) -> None:
    """Delete the dataset, its examples and files. 409 with `run_ids` when runs trained or evaluated on it: archive
    it instead (PATCH archived: true)."""
    service.delete_dataset(session, storage, dataset)


@router.get(
    "/{dataset_id}/download",
    operation_id="downloadDataset",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}, **error_responses(NotFound)},
)
def download_dataset(
    dataset: DatasetDep,
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
