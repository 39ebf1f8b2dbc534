"""Templates, the token-by-token preview, token statistics and template changes: rendered by the trainer's own code."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid, NotFound, error_responses
from backend.core.schemas import Page
from backend.datasets import preview_service as service
from backend.datasets.preview_service import (
    DatasetUpdate,
    PreviewOut,
    PreviewRequest,
    TemplateOut,
    TokenStatsOut,
)
from backend.datasets.schemas import DatasetOut
from backend.datasets.service import get_dataset
from backend.models import Dataset
from worker.training.templates import TemplateName

router = APIRouter(prefix="/api", tags=["templates"])


def load_dataset(session: SessionDep, dataset_id: int) -> Dataset:
    return get_dataset(session, dataset_id)


DatasetDep = Annotated[Dataset, Depends(load_dataset)]


@router.get("/templates", response_model=Page[TemplateOut], operation_id="listTemplates")
def list_templates() -> Page[TemplateOut]:
    templates = service.list_templates()
    return Page(items=templates, total=len(templates))


@router.post(
    "/datasets/{dataset_id}/preview",
    response_model=PreviewOut,
    operation_id="previewTokens",
    responses=error_responses(NotFound, Conflict, Invalid),
)
def preview_tokens(session: SessionDep, dataset: DatasetDep, request: PreviewRequest) -> PreviewOut:
    return service.preview_example(session, dataset, request)


@router.get(
    "/datasets/{dataset_id}/token-stats",
    response_model=TokenStatsOut,
    operation_id="getTokenStats",
    responses=error_responses(NotFound, Conflict, Invalid),
)
def get_token_stats(
    session: SessionDep,
    dataset: DatasetDep,
    base_model: Annotated[str, Query(min_length=1, description="A base model's name, as GET /api/models lists it.")],
    template: Annotated[TemplateName | None, Query(description="Empty: the dataset's template.")] = None,
    max_seq_length: Annotated[int, Query(ge=16, le=32768)] = service.MAX_SEQ_LENGTH_DEFAULT,
) -> TokenStatsOut:
    return service.token_stats(
        session, dataset, base_model=base_model, template=template, max_seq_length=max_seq_length
    )


@router.patch(
    "/datasets/{dataset_id}",
    response_model=DatasetOut,
    operation_id="updateDataset",
    tags=["datasets"],
    responses=error_responses(NotFound, Invalid),
)
def update_dataset(session: SessionDep, dataset: DatasetDep, update: DatasetUpdate) -> Dataset:
    return service.update_dataset(session, dataset, update)
