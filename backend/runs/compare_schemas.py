from typing import Any

from pydantic import BaseModel, Field

from backend.evaluations.schemas import MetricValue
from backend.models import RunStatus


class DatasetRef(BaseModel):
    id: int
    name: str


class TestEvaluationOut(BaseModel):
    """One model's answers to the run's test split, scored: the automatic evaluation a finished run writes."""

    id: int = Field(description="The evaluation: its answers, reviews and blind A/B go by this id.")
    total: int = Field(description="Test examples answered.")
    metrics: dict[str, MetricValue] = Field(description="Each metric's mean with its 95% bootstrap interval.")


class ComparedRunOut(BaseModel):
    id: int
    name: str
    status: RunStatus
    dataset: DatasetRef
    base_model: str
    preset_name: str | None = Field(description="The preset's name as the run snapshotted it; None: no preset.")
    config: dict[str, Any] = Field(description="The resolved training configuration.")
    final_eval_loss: float | None = Field(description="Validation loss of the final weights.")
    best_eval_loss: float | None = Field(description="The lowest validation loss after step 0.")
    base_eval_loss: float | None = Field(
        description="The base model's validation loss as the user has it: unquantised for qlora and lora_8bit."
    )
    fine_tuned: TestEvaluationOut | None = Field(
        description="The fine-tuned model's automatic test evaluation; None until the run has succeeded."
    )
    base: TestEvaluationOut | None = Field(description="The base model's automatic test evaluation, same examples.")


class DifferingParameterOut(BaseModel):
    name: str = Field(description="dataset, base_model, preset, or a hyperparameter of the resolved config.")
    values: list[Any] = Field(description="Per run, in the order of `runs`; null where a run does not have it.")


class ComparedMetricOut(BaseModel):
    name: str
    description: str
    higher_is_better: bool | None = Field(description="None: neither way is better (answer_length).")


class RunComparisonOut(BaseModel):
    runs: list[ComparedRunOut] = Field(description="In the order of `ids`.")
    differing: list[DifferingParameterOut] = Field(
        description="Only the settings whose values are not all equal: dataset, base model and preset first, then "
        "the hyperparameters in the config's order."
    )
    metrics: list[ComparedMetricOut] = Field(
        description="The evaluation metrics any of the runs' test evaluations has, in the scorers' order."
    )
