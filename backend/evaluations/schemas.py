from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from backend.core.params import MAX_ID, Id
from backend.judgings.schemas import JudgeRequest
from backend.models import AnswerSource, EvaluationKind, RunStatus, Split
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
    benchmark_id: Id | None = Field(
        None,
        description="Score a multiple-choice benchmark (POST /api/benchmarks) instead of a dataset: each choice's "
        "log-likelihood given the question, nothing generated. dataset_id, split and decoding are then left out.",
    )
    split: Split | None = Field(Split.TEST, description="The examples answered. Null: the whole dataset.")
    decoding: Decoding = Field(default_factory=Decoding)
    batch_size: int | None = Field(
        None,
        ge=1,
        le=MAX_BATCH_SIZE,
        description="At most this many prompts answered together (a benchmark: questions, each with all its "
        "choices). Empty: as many as the free memory holds (a benchmark: 8). Larger: faster, more memory; smaller: "
        "finer progress and a cancel that stops sooner.",
    )
    judge: JudgeRequest | None = Field(
        None, description="Also grade the answers with a judge once they are in (see POST /api/evaluations/{id}/judge)."
    )


class MetricValue(BaseModel):
    value: float | None = Field(description="The mean of the per-example scores (None: nothing was scored).")
    ci_low: float | None = Field(None, description="95% bootstrap confidence interval, low end (None: too few).")
    ci_high: float | None = None


class SubjectMetricsOut(BaseModel):
    subject: str
    questions: int
    metrics: dict[str, MetricValue]


class EvaluationOut(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    run_id: int | None
    kind: EvaluationKind = Field(
        description="generation: answers generated and scored (GET .../predictions); multiple_choice: a benchmark's "
        "choices ranked by log-likelihood (GET .../answers)."
    )
    model: AnswerSource = Field(description="fine_tuned: the run's weights; base: the base model, unquantised.")
    checkpoint_step: int | None = Field(description="The checkpoint that answered; None: the final weights.")
    dataset_id: int | None = Field(description="The examples' dataset; None for a benchmark.")
    benchmark_id: int | None = Field(description="multiple_choice: the benchmark answered.")
    split: Split | None = Field(description="The examples answered; None: the whole dataset (or a benchmark).")
    template: str = Field(
        description="The prompt template; multiple_choice: question_answer, lm-evaluation-harness's "
        "'Question: {question}\\nAnswer:' followed by ' {choice}'."
    )
    decoding: dict[str, Any]
    base_model_fingerprint: str | None
    status: RunStatus
    done: int = Field(description="Examples answered so far.")
    total: int
    metrics: dict[str, MetricValue]
    subjects: list[SubjectMetricsOut] | None = Field(
        description="multiple_choice: accuracy and accuracy_norm per subject, by subject (questions without one are "
        "only in the overall metrics); None otherwise."
    )
    error: str | None
    cancel_requested: bool = Field(description="A cancel was asked: the worker stops after its current batch.")
    created_at: datetime
    started_at: datetime | None = Field(description="When a worker started answering; None while queued.")
    finished_at: datetime | None

    @computed_field(description="Seconds left at the pace so far; None until the first batch is answered.")
    def eta_seconds(self) -> float | None:
        if self.status != RunStatus.RUNNING or self.started_at is None or not 0 < self.done < self.total:
            return None
        elapsed = (datetime.now(UTC) - self.started_at).total_seconds()
        return round(elapsed / self.done * (self.total - self.done), 1)


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
    scores: dict[str, float | None] = Field(description="{metric: score}; judge_score only where a judge gave one.")
    judge_explanation: str | None = Field(description="Why the judge gave its score.")
    not_judged_reason: str | None = Field(
        description="Why the judge gave no score (an unreadable reply, a timeout, an HTTP error): not judged, not 0."
    )


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


class BenchmarkAnswerOut(BaseModel):
    question_id: int
    number: int = Field(description="The question's position in its benchmark, from 1.")
    subject: str | None
    question: str
    choices: list[str]
    correct: int = Field(description="The right choice's index, from 0.")
    chosen: int = Field(description="The choice with the highest log-likelihood (what accuracy counts).")
    chosen_norm: int = Field(description="The highest log-likelihood per character (what accuracy_norm counts).")
    logliks: list[float] = Field(description="Each choice's log-likelihood, summed over its tokens.")
    scores: dict[str, float] = Field(description="accuracy and accuracy_norm: 1 when right, else 0.")


class FlippedQuestionOut(BaseModel):
    question_id: int
    number: int
    subject: str | None
    question: str
    choices: list[str]
    correct: int
    a_chosen: int = Field(description="A's answer: its choice with the highest log-likelihood.")
    b_chosen: int
    change: Literal["right_to_wrong", "wrong_to_right"]


class SubjectComparisonOut(BaseModel):
    subject: str
    questions: int
    metrics: list[MetricComparisonOut]


class ComparisonOut(BaseModel):
    a: int
    b: int
    kind: EvaluationKind
    examples: int = Field(description="Examples (or benchmark questions) both evaluations answered.")
    metrics: list[MetricComparisonOut]
    most_changed: list[ExampleChangeOut] = Field(
        description="generation: regressions first, the largest drop first; empty for multiple_choice."
    )
    flipped: list[FlippedQuestionOut] = Field(
        [],
        description="multiple_choice: questions answered right by one and wrong by the other (as accuracy counts), "
        "right → wrong first, then by question; at most 200 (accuracy's worse/better counts give the totals).",
    )
    subjects: list[SubjectComparisonOut] = Field([], description="multiple_choice: the comparison per subject.")
