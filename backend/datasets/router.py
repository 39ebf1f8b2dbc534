from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile, status

from backend.core.config import get_settings
from backend.core.db import SessionDep
from backend.core.errors import Invalid, NotFound, TooLarge, error_responses
from backend.core.schemas import Page
from backend.core.storage import Storage, get_storage
from backend.datasets import service
from backend.datasets.schemas import DatasetOut, ExampleOut
from backend.models import Dataset, Split

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


def load_dataset(session: SessionDep, dataset_id: int) -> Dataset:
    return service.get_dataset(session, dataset_id)


DatasetDep = Annotated[Dataset, Depends(load_dataset)]
StorageDep = Annotated[Storage, Depends(get_storage)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetOut,
    operation_id="uploadDataset",
    responses=error_responses(Invalid, TooLarge),
)
def upload_dataset(
    session: SessionDep,
    storage: StorageDep,
    file: Annotated[UploadFile, File(description="JSONL (or a JSON array) of {instruction, input, output}")],
    name: Annotated[str | None, Form(max_length=200)] = None,
) -> Dataset:
    return service.create_dataset(
        session,
        storage,
        name=name or (file.filename or "dataset"),
        source=file.file,
        max_bytes=get_settings().max_upload_bytes,
    )


@router.get("", response_model=Page[DatasetOut], operation_id="listDatasets")
def list_datasets(session: SessionDep) -> Page[DatasetOut]:
    datasets = service.list_datasets(session)
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
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[ExampleOut]:
    items, total = service.list_examples(session, dataset, split=split, offset=offset, limit=limit)
    return Page(items=[ExampleOut.model_validate(item) for item in items], total=total)
