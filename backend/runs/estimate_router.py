"""POST /api/runs/estimate: a run's peak memory and duration, before it is queued."""

from fastapi import APIRouter

from backend.auth.dependencies import CurrentUser
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid, NotFound, error_responses
from backend.runs import estimate_service as service
from backend.runs.estimate_schemas import EstimateOut, EstimateRequest

router = APIRouter(prefix="/api/runs", tags=["runs"])


@router.post(
    "/estimate",
    response_model=EstimateOut,
    operation_id="estimateRun",
    responses=error_responses(Invalid, NotFound, Conflict),
)
def estimate_run(session: SessionDep, user: CurrentUser, request: EstimateRequest) -> EstimateOut:
    """Peak memory by cause against the memory of every live training worker (this machine's when none is
    running), naming the workers too small and what to change, and the training time at the throughput of the
    latest run on the same base model. Resolves the preset and hyperparameters exactly as creating the run would."""
    return service.estimate_run(session, user, request)
