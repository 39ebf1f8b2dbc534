from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from backend.auth.dependencies import CreatorUser, CurrentUser
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid, NotFound, Unavailable, error_responses
from backend.core.params import Id, Position
from backend.core.schemas import Page
from backend.evaluations.router import EvaluationDep
from backend.evaluations.service import get_evaluation
from backend.judgings import service
from backend.judgings.schemas import JudgeRequest, JudgingOut, PairJudgementOut, PairwiseJudgingCreate
from backend.models import Judging

router = APIRouter(tags=["judgings"])


def load_judging(session: SessionDep, user: CurrentUser, judging_id: Id) -> Judging:
    return service.get_judging(session, judging_id, user)


JudgingDep = Annotated[Judging, Depends(load_judging)]


@router.post(
    "/api/evaluations/{evaluation_id}/judge",
    status_code=status.HTTP_201_CREATED,
    response_model=JudgingOut,
    operation_id="judgeEvaluation",
    responses=error_responses(NotFound, Conflict, Invalid, Unavailable),
)
def judge_evaluation(
    session: SessionDep, user: CreatorUser, evaluation: EvaluationDep, request: JudgeRequest
) -> Judging:
    """Grade a succeeded evaluation's answers with a judge, 0-100 against the expected answers (a run's two
    automatic evaluations included). A worker does it; the evaluation's `judge_score` metric and each answer's
    score and explanation replace any earlier judge's."""
    return service.judge_evaluation(session, user, evaluation, request)


@router.post(
    "/api/judgings/pairwise",
    status_code=status.HTTP_201_CREATED,
    response_model=JudgingOut,
    operation_id="judgePair",
    responses=error_responses(NotFound, Conflict, Invalid, Unavailable),
)
def judge_pair(session: SessionDep, user: CreatorUser, request: PairwiseJudgingCreate) -> Judging:
    """Ask a judge which of two evaluations answered each example better (a run against its base model, two
    checkpoints...). Each example is asked twice, the answers swapped; when the two orders disagree it is a tie."""
    a, b = get_evaluation(session, request.a, user), get_evaluation(session, request.b, user)
    return service.judge_pair(session, user, a, b, request)


@router.get("/api/judgings", response_model=Page[JudgingOut], operation_id="listJudgings")
def list_judgings(
    session: SessionDep,
    user: CurrentUser,
    evaluation_id: Annotated[Id | None, Query(description="Only the judgings of this evaluation (A or B).")] = None,
) -> Page[JudgingOut]:
    """Newest first."""
    judgings = service.list_judgings(session, user, evaluation_id)
    return Page(items=[JudgingOut.model_validate(judging) for judging in judgings], total=len(judgings))


@router.get(
    "/api/judgings/{judging_id}",
    response_model=JudgingOut,
    operation_id="getJudging",
    responses=error_responses(NotFound),
)
def get_judging(judging: JudgingDep) -> Judging:
    return judging


@router.post(
    "/api/judgings/{judging_id}/cancel",
    response_model=JudgingOut,
    operation_id="cancelJudging",
    responses=error_responses(NotFound, Conflict),
)
def cancel_judging(session: SessionDep, judging: JudgingDep) -> Judging:
    """Ends it at once; the worker stops within a second or so and writes no scores."""
    return service.cancel_judging(session, judging)


@router.get(
    "/api/judgings/{judging_id}/pairs",
    response_model=Page[PairJudgementOut],
    operation_id="listJudgingPairs",
    responses=error_responses(NotFound, Invalid),
)
def list_pairs(
    session: SessionDep,
    judging: JudgingDep,
    offset: Position = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[PairJudgementOut]:
    """A pairwise judging's verdict on each example, with both answers."""
    pairs, total = service.list_pairs(session, judging, offset=offset, limit=limit)
    return Page(items=pairs, total=total)
