from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from backend.models import AnswerSource, RunStatus, Split


class MetricValue(BaseModel):
    value: float | None = Field(description="The mean of the per-example scores (None: nothing was scored).")
    ci_low: float | None = Field(None, description="95% bootstrap confidence interval, low end (None: too few).")
    ci_high: float | None = None


class EvaluationOut(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    run_id: int | None
    model: AnswerSource = Field(description="fine_tuned: the run's weights; base: the base model, unquantised.")
    checkpoint_step: int | None = Field(description="The checkpoint that answered; None: the final weights.")
    dataset_id: int
    split: Split | None = Field(description="The examples answered; None: the whole dataset.")
    template: str
    decoding: dict[str, Any]
    base_model_fingerprint: str | None
    status: RunStatus
    done: int = Field(description="Examples answered so far.")
    total: int
    metrics: dict[str, MetricValue]
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class EvaluationPredictionOut(BaseModel):
    model_config = {"from_attributes": True}

    example_id: int
    prompt: str
    expected: str
    generated: str
    scores: dict[str, float | None]
