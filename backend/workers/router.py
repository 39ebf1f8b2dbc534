from fastapi import APIRouter

from backend.core.db import SessionDep
from backend.core.schemas import Page
from backend.workers import service
from backend.workers.schemas import WorkerOut

router = APIRouter(prefix="/api/workers", tags=["workers"])


@router.get("", response_model=Page[WorkerOut], operation_id="listWorkers")
def list_workers(session: SessionDep) -> Page[WorkerOut]:
    """The live workers: their queues, device and memory. The run estimate compares with the training ones."""
    workers = service.list_live_workers(session)
    return Page(items=[WorkerOut.model_validate(w) for w in workers], total=len(workers))
