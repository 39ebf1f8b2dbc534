"""What the training function takes and gives back. No torch here: the task wrapper imports it cheaply."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from domain.artifacts import WeightsKind
from domain.log import LogKind
from domain.records import AnyRecord
from domain.templates import TemplateContext


class TrainingSink(Protocol):
    """Where training reports to: the database in the worker, a printer on the command line."""

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        """Record named metric values (train_loss, eval_loss, learning_rate, ...) at an optimiser step."""

    def log(self, message: str, kind: LogKind = LogKind.INFO) -> None:
        """A human-readable line for the run's log ("loading base model", "overfitting: ...")."""

    def cancel_requested(self) -> bool:
        """True once the user asked to stop; training checks it every step."""


@runtime_checkable
class CheckpointSink(TrainingSink, Protocol):
    """A sink that also records checkpoints. Optional: training calls `checkpoint` only on sinks that have it."""

    def checkpoint(self, step: int, path: Path, eval_loss: float | None) -> None:
        """A resumable checkpoint was written to `path` (output_dir/checkpoint-{step}) after optimiser step `step`.

        `eval_loss` is the validation loss measured at that step, None if there was no evaluation at it. Called after
        the Trainer has deleted the checkpoints beyond save_total_limit (the best one is kept), so older
        `checkpoint-*` directories may be gone: the live ones are those still on disk.
        """


@runtime_checkable
class ProgressSink(TrainingSink, Protocol):
    """A sink that also records how many optimiser steps training will take, for a progress bar and an ETA."""

    def total_steps(self, steps: int) -> None:
        """Training starts (or resumes) and will end at optimiser step `steps`."""


@dataclass(frozen=True)
class PinnedAnswer:
    """A pinned validation example's greedy answer at one evaluation step."""

    example_id: int  # the validation example's id (its index in SplitData.validation without validation_ids)
    prompt: str  # what the user asked (the last user turn, no template): the example's label
    expected: str
    answer: str


@runtime_checkable
class AnswerSink(TrainingSink, Protocol):
    """A sink that also records the pinned examples' answers. Optional: training generates them only for such sinks."""

    def answers(self, step: int, items: Sequence[PinnedAnswer]) -> None:
        """The pinned examples' answers by the model of optimiser step `step` (0: the base model). Sent once per step
        by a training attempt; a retry that trains the step again sends it again, replacing the earlier answers."""


class TrainingStopped(RuntimeError):
    """The loss watchdog stopped training (NaN/inf or a spike): the run failed, and `reason` says why and what to try.

    No adapter is saved: the weights are presumed damaged."""

    def __init__(self, reason: str, step: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.step = step


# The metric, at step 0, of the unquantised base model's validation loss (a quantised method's eval_loss at step 0 is
# the quantised model's).
UNQUANTISED_EVAL_LOSS = "unquantised_eval_loss"


@dataclass(frozen=True)
class SplitData:
    train: Sequence[AnyRecord]
    validation: Sequence[AnyRecord]
    test: Sequence[AnyRecord]
    template_context: TemplateContext = field(default_factory=TemplateContext)  # model chat template, custom one
    validation_ids: Sequence[int] = ()  # the validation examples' ids, in order; empty: their indices stand in


@dataclass(frozen=True)
class RunPaths:
    base_model_location: str  # a local model directory or a hub id (domain.catalog.model_location)
    output_dir: Path  # checkpoints and the trained weights go below it (domain.artifacts)
    # Resume: a checkpoint directory (output_dir/checkpoint-N) to continue from at step N+1. Metrics of steps <= N are
    # not sent again, and the base model is not evaluated again when its loss is given below.
    resume_from: Path | None = None
    base_eval_loss: float | None = None  # the base model's validation loss measured by the first attempt
    unquantised_base_eval_loss: float | None = None  # and that of the unquantised one, for a quantised method


@dataclass
class TrainingResult:
    cancelled: bool
    weights_dir: Path | None  # the trained weights: output_dir/adapter or output_dir/model; None when cancelled
    device: str
    quantization: str  # "nf4", "fp4", "int8" (lora_8bit) or "none"
    base_eval_loss: float | None
    final_eval_loss: float | None
    global_step: int
    environment: dict[str, str] = field(default_factory=dict)  # library versions, torch device name
    # Why training ended before its last step when that was not a cancel: early stopping's message, else None.
    stop_reason: str | None = None
    best_step: int | None = None  # the step with the lowest validation loss during training (None without one)
    weights_step: int | None = None  # the step whose weights were saved (best or last)
    # "adapter": a LoRA adapter directory (adapter_config.json); "model": a whole model (method "full").
    weights_kind: WeightsKind = "adapter"
    # A quantised method's (qlora, lora_8bit) base model unquantised, as the user has it; base_eval_loss is then the
    # quantised model's, where training starts. None when the method does not quantise: the two are the same.
    unquantised_base_eval_loss: float | None = None
