from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from backend.auth.dependencies import CreatorUser, CurrentUser
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid, NotFound, Unavailable, error_responses
from backend.core.params import Id, Position
from backend.core.schemas import Page
from backend.core.storage import StorageDep
from backend.evaluations import export, multiple_choice, service
from backend.evaluations.dependencies import EvaluationDep
from backend.evaluations.events import evaluation_events
from backend.evaluations.schemas import (
    BenchmarkAnswerOut,
    ComparisonOut,
    EvaluationCreate,
    EvaluationOut,
    EvaluationPredictionOut,
)
from backend.models import Evaluation

router = APIRouter(prefix="/api/evaluations", tags=["evaluations"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EvaluationOut,
    operation_id="createEvaluation",
    responses=error_responses(NotFound, Conflict, Invalid, Unavailable),
)
def create_evaluation(
    session: SessionDep, storage: StorageDep, user: CreatorUser, request: EvaluationCreate
) -> Evaluation:
    """Answer a dataset's examples with a succeeded run's model (a checkpoint, the final weights or the base model),
    rendered with the run's training template and decoded as asked, then score the answers. A training worker does
    it: the evaluation is queued, its `done` counts the answers so far."""
    return service.create_evaluation(session, storage, user, request)


@router.get("", response_model=Page[EvaluationOut], operation_id="listEvaluations")
def list_evaluations(
    session: SessionDep,
    user: CurrentUser,
    run_id: Annotated[Id | None, Query(description="Only this run's evaluations.")] = None,
    dataset_id: Annotated[
        Id | None, Query(description="Only evaluations of this dataset's examples: those a blind A/B can pair.")
    ] = None,
) -> Page[EvaluationOut]:
    evaluations = service.list_evaluations(session, user, run_id=run_id, dataset_id=dataset_id)
    return Page(items=[EvaluationOut.model_validate(e) for e in evaluations], total=len(evaluations))


# Before /{evaluation_id}: "compare" is not an id.
@router.get(
    "/compare",
    response_model=ComparisonOut,
    operation_id="compareEvaluations",
    responses=error_responses(NotFound, Invalid),
)
def compare_evaluations(
    session: SessionDep,
    user: CurrentUser,
    a: Annotated[Id, Query(description="The evaluation compared against, e.g. the base model's.")],
    b: Annotated[Id, Query(description="The evaluation compared, e.g. the fine-tuned model's.")],
) -> ComparisonOut:
    """B against A on the same examples: each metric's change with a 95% paired bootstrap interval (a change whose
    interval crosses zero is "no_clear_change"), how many examples got better, stayed or got worse, and the examples
    that changed most, regressions first."""
    return service.compare_evaluations(session, user, a, b)


@router.get(
    "/{evaluation_id}", response_model=EvaluationOut, operation_id="getEvaluation", responses=error_responses(NotFound)
)
def get_evaluation(evaluation: EvaluationDep) -> Evaluation:
    return evaluation


@router.post(
    "/{evaluation_id}/cancel",
    response_model=EvaluationOut,
    operation_id="cancelEvaluation",
    responses=error_responses(NotFound, Conflict),
)
def cancel_evaluation(session: SessionDep, evaluation: EvaluationDep) -> Evaluation:
    """A queued evaluation is cancelled at once; a running one after the batch it is answering."""
    return service.cancel_evaluation(session, evaluation)


@router.get(
    "/{evaluation_id}/predictions",
    response_model=Page[EvaluationPredictionOut],
    operation_id="listEvaluationPredictions",
    responses=error_responses(NotFound),
)
def list_predictions(
    session: SessionDep,
    evaluation: EvaluationDep,
    offset: Position = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[EvaluationPredictionOut]:
    predictions, total = service.list_predictions(session, evaluation, offset=offset, limit=limit)
    return Page(items=predictions, total=total)


@router.get(
    "/{evaluation_id}/events",
    operation_id="streamEvaluationEvents",
    responses={
        200: {
            "model": EvaluationOut,
            "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/EvaluationOut"}}},
            "description": "`progress` messages carrying the evaluation whenever its status or progress changes, until "
            "it finishes; `reconnect` when the server closes a long connection (resume by opening it again).",
        },
        **error_responses(NotFound),
    },
)
async def stream_events(evaluation: EvaluationDep) -> EventSourceResponse:
    """Server-Sent Events: the evaluation's status and progress (done of total, ETA) as they change."""
    evaluation_id = evaluation.id  # the request's session closes before the stream starts: none is held open

    async def _encoded() -> AsyncIterator[ServerSentEvent]:
        async for update in evaluation_events(evaluation_id):
            if update is None:
                yield ServerSentEvent(data="{}", event="reconnect")
            else:
                yield ServerSentEvent(data=update.model_dump_json(), event="progress")

    return EventSourceResponse(_encoded(), ping=15)


@router.get(
    "/{evaluation_id}/answers",
    response_model=Page[BenchmarkAnswerOut],
    operation_id="listEvaluationAnswers",
    responses=error_responses(NotFound),
)
def list_answers(
    session: SessionDep,
    evaluation: EvaluationDep,
    subject: Annotated[str | None, Query(max_length=200, description="Only this subject's questions.")] = None,
    offset: Position = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[BenchmarkAnswerOut]:
    """A multiple_choice evaluation's answers, in the benchmark's order: each choice's log-likelihood and the choice
    picked with and without length normalisation. Empty for a generation evaluation (see /predictions)."""
    items, total = multiple_choice.list_answers(session, evaluation, subject=subject, offset=offset, limit=limit)
    return Page(items=items, total=total)


@router.get(
    "/{evaluation_id}/export",
    operation_id="exportEvaluation",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}, **error_responses(NotFound)},
)
def export_evaluation(
    evaluation: EvaluationDep,
    format: Annotated[
        Literal["jsonl", "csv"], Query(description="jsonl (scores as an object), or csv with formulas neutralised")
    ] = "jsonl",
) -> StreamingResponse:
    """Every answer in answering order: the example's id, rendered prompt, instruction and input, the expected and
    the generated answer, and each score (in CSV one column per metric). A multiple_choice evaluation's in the
    benchmark's order, as /answers lists them; its CSV has a column per choice (A, B...), the right choice and the
    picked ones as letters, accuracy and accuracy_norm (1 when right), and each choice's log-likelihood (loglik_A...)."""
    step = "" if evaluation.checkpoint_step is None else f"-step{evaluation.checkpoint_step}"
    if evaluation.benchmark_id is not None:
        answered = f"benchmark{evaluation.benchmark_id}"
    else:
        answered = evaluation.split.value if evaluation.split else "all"
    filename = f"evaluation-{evaluation.id}-{evaluation.model.value}{step}-{answered}.{format}"
    lines = export.jsonl_lines(evaluation) if format == "jsonl" else export.csv_lines(evaluation)
    media_type = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return StreamingResponse(
        lines, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
