"""What the training function takes and gives back. No torch here: the task wrapper imports it cheaply."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from worker.training.templates import AlpacaRecord, ChatRecord, PromptCompletionRecord, TemplateContext


class TrainingSink(Protocol):
    """Where training reports to: the database in the worker, a printer on the command line."""

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        """Record named metric values (train_loss, eval_loss, learning_rate, ...) at an optimiser step."""

    def event(self, message: str) -> None:
        """A human-readable progress line ("loading base model", "generating 12 answers")."""

    def cancel_requested(self) -> bool:
        """True once the user asked to stop; training checks it every step."""


AnyRecord = AlpacaRecord | PromptCompletionRecord | ChatRecord


@dataclass(frozen=True)
class SplitData:
    train: Sequence[AnyRecord]
    validation: Sequence[AnyRecord]
    test: Sequence[AnyRecord]
    template_context: TemplateContext = field(default_factory=TemplateContext)  # model chat template, custom one


@dataclass(frozen=True)
class RunPaths:
    base_model: str  # a local model directory or a hub id
    output_dir: Path  # checkpoints and the final adapter go below it


@dataclass
class TrainingResult:
    cancelled: bool
    adapter_dir: Path | None
    device: str
    quantization: str  # "nf4", "fp4" or "none"
    base_eval_loss: float | None
    final_eval_loss: float | None
    global_step: int
    environment: dict[str, str] = field(default_factory=dict)  # library versions, torch device name
