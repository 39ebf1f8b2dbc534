from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from backend.models import AnswerSource, RunStatus, Split
from domain.scoring.compare import Verdict


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


class MetricComparisonOut(BaseModel):
    name: str
    description: str
    higher_is_better: bool | None = Field(description="None: neither way is better (answer_length).")
    a: float | None
    b: float | None
    difference: float | None = Field(description="b − a.")
    ci_low: float | None = Field(description="95% paired bootstrap interval of the difference (None: too few).")
    ci_high: float | None
    verdict: Verdict = Field(description="better/worse only when the whole interval is on one side of zero.")
    better: int = Field(description="Examples whose score improved from a to b.")
    same: int
    worse: int


class ExampleChangeOut(BaseModel):
    example_id: int
    prompt: str
    expected: str
    a_generated: str
    b_generated: str
    differences: dict[str, float] = Field(description="b − a per metric.")
    net: float = Field(description="The sum of the quality metrics' differences: below 0 a regression.")


class ComparisonOut(BaseModel):
    a: int
    b: int
    examples: int = Field(description="Examples both evaluations answered.")
    metrics: list[MetricComparisonOut]
    most_changed: list[ExampleChangeOut] = Field(description="Regressions first, the largest drop first.")
