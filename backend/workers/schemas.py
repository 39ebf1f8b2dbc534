from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class WorkerOut(BaseModel):
    """A live worker: seen within the last three reaper intervals."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="The worker process's id, new at every start.")
    hostname: str
    pid: int
    queues: list[str] = Field(description="What it takes: training (fine-tuning runs), light (token counts).")
    device: Literal["cuda", "cpu"] = Field(description="Where it trains: cuda when it sees a GPU.")
    device_name: str = Field(description="The GPU's name (the smallest one's when it sees several) or the CPU model.")
    device_count: int = Field(description="GPUs it sees; 0 on CPU.")
    memory_bytes: int = Field(
        description="What a run can use there: the smallest GPU's memory on CUDA, else the RAM or the container's limit."
    )
    cpu_count: int = Field(description="CPUs it may use (its container's quota, when lower).")
    versions: dict[str, str] = Field(description="python, and torch and CUDA on a training worker.")
    started_at: datetime
    last_seen_at: datetime = Field(description="Workers say they are alive every reaper interval.")
