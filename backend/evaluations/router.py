from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.auth.dependencies import CurrentUser
from backend.core.db import SessionDep
from backend.core.errors import Invalid, NotFound, error_responses
from backend.core.params import Id, Position
from backend.core.schemas import Page
from backend.evaluations import service
from backend.evaluations.schemas import ComparisonOut, EvaluationOut, EvaluationPredictionOut
from backend.models import Evaluation

router = APIRouter(prefix="/api/evaluations", tags=["evaluations"])


def load_evaluation(session: SessionDep, user: CurrentUser, evaluation_id: Id) -> Evaluation:
    return service.get_evaluation(session, evaluation_id, user)


EvaluationDep = Annotated[Evaluation, Depends(load_evaluation)]


@router.get("", response_model=Page[EvaluationOut], operation_id="listEvaluations")
def list_evaluations(
    session: SessionDep,
    user: CurrentUser,
    run_id: Annotated[Id | None, Query(description="Only this run's evaluations.")] = None,
) -> Page[EvaluationOut]:
    evaluations = service.list_evaluations(session, user, run_id)
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
    rows, total = service.list_predictions(session, evaluation, offset=offset, limit=limit)
    return Page(items=[EvaluationPredictionOut.model_validate(row) for row in rows], total=total)
