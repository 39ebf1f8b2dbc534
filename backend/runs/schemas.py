from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.models import RunStatus


class RunCreate(BaseModel):
    dataset_id: int
    base_model: str = Field(
        "smollm2-135m-instruct",
        description="A name from GET /api/models, an absolute path to a local model directory, or a hub id.",
    )
    preset_id: int | None = None
    hyperparameters: dict[str, Any] = Field(
        default_factory=dict, description="Overrides on top of the preset; see GET /api/hyperparameters."
    )
    name: str | None = Field(None, max_length=200)


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    dataset_id: int
    base_model: str
    preset_id: int | None
    preset_snapshot: dict[str, Any] | None
    config: dict[str, Any]
    split_hash: str
    status: RunStatus
    status_message: str
    error: str | None
    cancel_requested: bool
    attempts: int = Field(description="Tries at this run so far: 1, plus one per resume after a lost worker.")
    environment: dict[str, Any] | None
    base_eval_loss: float | None
    final_eval_loss: float | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class MetricOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    step: int
    epoch: float | None
    name: str
    value: float
    time: datetime


class PredictionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    example_id: int
    prompt: str
    expected: str
    generated: str
    base_generated: str | None


class RunEvent(BaseModel):
    """The one envelope for everything a run reports, whatever the transport."""

    id: int | None
    type: Literal["status", "metric", "reconnect"]
    run_id: int
    step: int | None
    payload: dict[str, Any]
