from typing import Literal

from pydantic import BaseModel, Field

from backend.runs.estimate_schemas import Verdict
from backend.workers.schemas import WorkerOut

TaskKind = Literal["run", "evaluation"]


class WorkerTaskOut(BaseModel):
    kind: TaskKind
    id: int | None = Field(description="Null when it is another user's.")


class LiveWorkerOut(WorkerOut):
    task: WorkerTaskOut | None = Field(description="The run or evaluation it is on; null when idle.")


class QueueItemOut(BaseModel):
    position: int = Field(description="1: the next to start. Runs and evaluations share the training queue.")
    kind: TaskKind
    id: int | None = Field(description="Null when it is another user's: counted, not named.")
    name: str
    verdict: Verdict | None = Field(
        description="A run of the caller's: the memory estimate against the live training workers (see "
        "POST /api/runs/estimate); null otherwise."
    )
    verdict_note: str | None = Field(description="The estimate's warning, or what it was compared with.")


class QueueOut(BaseModel):
    workers: list[LiveWorkerOut] = Field(description="Live workers, the longest running first.")
    waiting: list[QueueItemOut] = Field(description="Queued training work in the order workers take it.")
