from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from backend.core.params import MAX_ID, Id
from backend.models import AnswerSource, RunStatus, Split
from domain.decoding import Decoding
from domain.scoring.compare import Verdict

MAX_BATCH_SIZE = 64


class EvaluationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: Id = Field(description="The succeeded run whose model answers.")
    model: AnswerSource = Field(
        AnswerSource.FINE_TUNED, description="fine_tuned: the run's weights; base: the base model, unquantised."
    )
    checkpoint_step: int | None = Field(
        None,
        ge=0,
        le=MAX_ID,
        description="fine_tuned only: answer with this checkpoint (still on disk). Empty: the run's final weights.",
    )
    dataset_id: Id | None = Field(None, description="The examples' dataset. Empty: the run's.")
    split: Split | None = Field(Split.TEST, description="The examples answered. Null: the whole dataset.")
    decoding: Decoding = Field(default_factory=Decoding)
    batch_size: int = Field(
        8,
        ge=1,
        le=MAX_BATCH_SIZE,
        description="Prompts answered together. Larger: faster on a GPU, more memory; smaller: finer progress and "
        "a cancel that stops sooner.",
    )


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
    cancel_requested: bool = Field(description="A cancel was asked: the worker stops after its current batch.")
    created_at: datetime
    finished_at: datetime | None


class EvaluationPredictionOut(BaseModel):
    example_id: int
    prompt: str = Field(description="The example as the model saw it, rendered with the template.")
    instruction: str = Field(
        description="What a person wrote, without the template: an Alpaca instruction, a prompt, or a chat's last "
        "user turn."
    )
    input: str = Field(description="An Alpaca example's input; empty for the other shapes.")
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
    better: int = Field(
        description="Examples whose score improved from a to b (answer_length: got longer; worse: got shorter)."
    )
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
