"""Reviewing a generation evaluation's answers: each reviewer's verdicts, their summary, export, and a new dataset
version made from them."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from backend.auth.dependencies import CreatorUser, CurrentUser
from backend.core.db import SessionDep
from backend.core.errors import Invalid, NotFound, error_responses
from backend.core.params import Id
from backend.core.storage import StorageDep
from backend.evaluations.dependencies import EvaluationDep
from backend.reviews import dataset, export, service
from backend.reviews.schemas import (
    DerivedDatasetOut,
    ReviewDatasetPreview,
    ReviewDatasetRequest,
    ReviewIn,
    ReviewOut,
    ReviewSummaryOut,
)
from backend.reviews.service import ReviewConflict

router = APIRouter(prefix="/api/evaluations/{evaluation_id}/reviews", tags=["reviews"])


@router.get("", response_model=list[ReviewOut], operation_id="listReviews", responses=error_responses(NotFound))
def list_reviews(
    session: SessionDep,
    user: CurrentUser,
    evaluation: EvaluationDep,
    reviewer: Annotated[Literal["me"] | None, Query(description="me: only your own reviews.")] = None,
) -> list[ReviewOut]:
    """Every reviewer's reviews of the evaluation's answers, by example."""
    return service.list_reviews(session, evaluation, user if reviewer == "me" else None)


@router.post(
    "",
    response_model=ReviewOut,
    status_code=status.HTTP_200_OK,
    operation_id="saveReview",
    responses={
        status.HTTP_201_CREATED: {"model": ReviewOut, "description": "Your first review of this example."},
        **error_responses(NotFound, Invalid, ReviewConflict),
    },
)
def save_review(
    session: SessionDep, user: CurrentUser, evaluation: EvaluationDep, review: ReviewIn, response: Response
) -> ReviewOut:
    """Create or replace your review of one answer (autosave): 201 when created, 200 when replaced. Send the
    `version` your edit started from (null when you saw none); a different stored one answers 409 with it."""
    saved, created = service.save_review(session, evaluation, user, review)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return saved


@router.get(
    "/summary",
    response_model=ReviewSummaryOut,
    operation_id="getReviewSummary",
    responses=error_responses(NotFound),
)
def get_summary(session: SessionDep, evaluation: EvaluationDep) -> ReviewSummaryOut:
    """How many answers are reviewed, the share correct with its interval, verdicts by tag, the agreement between
    reviewers and the judge's agreement with them."""
    return service.summarise(session, evaluation)


@router.get(
    "/export",
    operation_id="exportReviews",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}, **error_responses(NotFound)},
)
def export_reviews(
    evaluation: EvaluationDep,
    format: Annotated[
        Literal["jsonl", "csv"], Query(description="jsonl, or csv with formulas neutralised (tags joined by '; ')")
    ] = "jsonl",
) -> StreamingResponse:
    """One row per review with its answer: example_id, instruction, input, expected, generated, verdict, score,
    tags, note, corrected_answer, reviewer, updated_at."""
    lines = export.jsonl_lines(evaluation.id) if format == "jsonl" else export.csv_lines(evaluation.id)
    return StreamingResponse(
        lines,
        media_type="application/x-ndjson" if format == "jsonl" else "text/csv",
        headers={"Content-Disposition": f'attachment; filename="evaluation-{evaluation.id}-reviews.{format}"'},
    )


@router.post(
    "/dataset",
    response_model=DerivedDatasetOut | ReviewDatasetPreview,
    status_code=status.HTTP_201_CREATED,
    operation_id="createDatasetFromReviews",
    responses={
        status.HTTP_200_OK: {"model": ReviewDatasetPreview, "description": "preview: what would change."},
        **error_responses(NotFound, Invalid),
    },
)
def create_dataset(
    session: SessionDep,
    storage: StorageDep,
    user: CreatorUser,
    evaluation: EvaluationDep,
    request: ReviewDatasetRequest,
    response: Response,
) -> DerivedDatasetOut | ReviewDatasetPreview:
    """A new version of the evaluation's dataset, next to the original: every example in its split, a reviewed
    answer's corrected answer as its output (or, with use_approved_answers, the model's answer reviewed as correct;
    the latest review wins when several reviewers reviewed it). With preview, what would change, stored nothing."""
    if request.preview:
        response.status_code = status.HTTP_200_OK
        return dataset.preview(session, evaluation, request)
    return DerivedDatasetOut.model_validate(dataset.create(session, storage, user, evaluation, request))


@router.delete(
    "/{example_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteReview",
    responses=error_responses(NotFound, ReviewConflict),
)
def delete_review(
    session: SessionDep,
    user: CurrentUser,
    evaluation: EvaluationDep,
    example_id: Id,
    version: Annotated[Id, Query(description="The version you are undoing; another one answers 409.")],
) -> None:
    """Undo your review of one example (e.g. of a first verdict)."""
    service.delete_review(session, evaluation, user, example_id, version)
