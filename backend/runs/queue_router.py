from fastapi import APIRouter

from backend.auth.dependencies import CurrentUser
from backend.core.db import SessionDep
from backend.runs.queue import describe_queue
from backend.runs.queue_schemas import QueueOut

router = APIRouter(prefix="/api/queue", tags=["workers"])


@router.get("", response_model=QueueOut, operation_id="getQueue")
def get_queue(session: SessionDep, user: CurrentUser) -> QueueOut:
    """The live workers with the run or evaluation each is on, and the training work waiting for them in the order
    they take it; for each waiting run of the caller's, the memory estimate's verdict against those workers. Other
    users' work is counted, not named."""
    return describe_queue(session, user)
