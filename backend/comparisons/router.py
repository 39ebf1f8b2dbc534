"""Blind A/B between two evaluations' answers: pairs to vote on, the votes, the result, a ranking of three or more,
and the votes as preference pairs."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import StreamingResponse

from backend.auth.dependencies import CurrentUser
from backend.comparisons import service
from backend.comparisons.schemas import (
    BlindComparisonOut,
    BlindPairOut,
    ComparisonCreate,
    RankingOut,
    VoteIn,
    VoteOut,
)
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid, NotFound, error_responses
from backend.core.params import Id, id_list_query
from backend.models import Comparison

router = APIRouter(prefix="/api/comparisons", tags=["comparisons"])


def load_comparison(session: SessionDep, user: CurrentUser, comparison_id: Id) -> Comparison:
    return service.get_comparison(session, comparison_id, user)


ComparisonDep = Annotated[Comparison, Depends(load_comparison)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=BlindComparisonOut,
    operation_id="createComparison",
    responses=error_responses(NotFound, Invalid),
)
def create_comparison(session: SessionDep, user: CurrentUser, request: ComparisonCreate) -> BlindComparisonOut:
    """A blind A/B of two finished generation evaluations on the examples both answered."""
    return service.create_comparison(session, user, request)


@router.get("", response_model=list[BlindComparisonOut], operation_id="listComparisons")
def list_comparisons(
    session: SessionDep,
    user: CurrentUser,
    evaluation_id: Annotated[
        Id | None, Query(description="Only comparisons with this evaluation on either side.")
    ] = None,
) -> list[BlindComparisonOut]:
    return service.list_comparisons(session, user, evaluation_id)


# Before /{comparison_id}: "ranking" is not an id.
@router.get(
    "/ranking", response_model=RankingOut, operation_id="rankEvaluations", responses=error_responses(NotFound, Invalid)
)
def rank_evaluations(
    session: SessionDep,
    user: CurrentUser,
    evaluation_ids: Annotated[str, id_list_query("evaluation", service.MIN_RANKED, service.MAX_RANKED)],
) -> RankingOut:
    """Bradley-Terry strengths from every decisive blind vote between any two of the evaluations, with 95% bootstrap
    intervals, best first."""
    return service.rank(session, user, service.parse_ids(evaluation_ids))


@router.get(
    "/{comparison_id}",
    response_model=BlindComparisonOut,
    operation_id="getComparison",
    responses=error_responses(NotFound),
)
def get_comparison(session: SessionDep, comparison: ComparisonDep) -> BlindComparisonOut:
    """Every reviewer's votes so far, by model: wins, ties, both bad, A's win rate with its interval, and the
    lengths of the preferred and rejected answers."""
    return service.result(session, comparison)


@router.get(
    "/{comparison_id}/next",
    response_model=BlindPairOut | None,
    operation_id="getNextPair",
    responses=error_responses(NotFound),
)
def next_pair(session: SessionDep, user: CurrentUser, comparison: ComparisonDep) -> BlindPairOut | None:
    """Your next pair to vote on (the same one until you vote on it), without model names; null when you have voted
    on every example."""
    return service.next_pair(session, comparison, user)


@router.post(
    "/{comparison_id}/votes",
    response_model=VoteOut,
    operation_id="voteOnPair",
    responses=error_responses(NotFound, Conflict),
)
def vote(session: SessionDep, user: CurrentUser, comparison: ComparisonDep, request: VoteIn) -> VoteOut:
    """Your vote on one of your pairs, by position; answers which model was on which side (show it only if asked)."""
    return service.vote(session, comparison, user, request)


@router.get(
    "/{comparison_id}/export",
    operation_id="exportPreferencePairs",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}, **error_responses(NotFound)},
)
def export_pairs(session: SessionDep, comparison: ComparisonDep) -> StreamingResponse:
    """Decisive votes as preference pairs, one JSON object a line: {prompt, chosen, rejected} (the prompt as
    evaluation A rendered it), for preference training (DPO)."""
    lines = service.preference_pairs(session, comparison)
    return StreamingResponse(
        iter(lines),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="comparison-{comparison.id}-preferences.jsonl"'},
    )
