"""Templates, the token-by-token preview and token statistics: rendered by the trainer's own code."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid, NotFound, Unavailable, error_responses
from backend.core.schemas import Page
from backend.datasets import preview_service as service
from backend.datasets import token_stats_service
from backend.datasets.dependencies import DatasetDep
from backend.datasets.preview_service import PreviewOut, PreviewRequest, TemplateOut
from backend.datasets.schemas import TokenStatsOut, TokenStatsPending
from domain.templates import TemplateName

router = APIRouter(prefix="/api", tags=["templates"])


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
    responses={
        202: {"model": TokenStatsPending, "description": "Still being counted by a worker: ask again shortly."},
        **error_responses(NotFound, Conflict, Invalid, Unavailable),
    },
)
def get_token_stats(
    session: SessionDep,
    dataset: DatasetDep,
    base_model: Annotated[str, Query(min_length=1, description="A base model's name, as GET /api/models lists it.")],
    template: Annotated[TemplateName | None, Query(description="Empty: the dataset's template.")] = None,
    max_seq_length: Annotated[int, Query(ge=16, le=32768)] = service.MAX_SEQ_LENGTH_DEFAULT,
) -> TokenStatsOut | JSONResponse:
    """Token lengths of every example under a base model's tokenizer and a template, against max_seq_length.

    A worker of the light queue counts them once per dataset, model and template; until it has, the answer is
    202 with `{"status": "pending"}` (the first ask queues the count). Another max_seq_length never recounts."""
    stats = token_stats_service.token_stats(
        session, dataset, base_model=base_model, template=template, max_seq_length=max_seq_length
    )
    if isinstance(stats, TokenStatsPending):
        return JSONResponse(stats.model_dump(), status_code=202)
    return stats
