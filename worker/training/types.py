"""What the training function takes and gives back. No torch here: the task wrapper imports it cheaply."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from worker.training.templates import AlpacaRecord, ChatRecord, PromptCompletionRecord, TemplateContext


class EventKind(StrEnum):
    """What a run's event is about. Progress lines are many and short-lived; the other kinds are what a user reads
    the log for, so a UI can hide progress and keep the rest."""

    PROGRESS = "progress"  # how far the run got: tokenising, loading the model, answering prompts 1-8 of 12
    INFO = "info"  # a fact worth keeping: a measured loss, the trainable parameters, the saved adapter
    WARNING = "warning"  # something to check: truncated or skipped examples, a setting that has no effect here
    RESUME = "resume"  # continuing from a checkpoint after a lost worker or an out-of-memory retry
    PREFLIGHT = "preflight"  # the pre-flight's measurements: memory, seconds per step, the estimated duration
    OOM_RETRY = "oom_retry"  # out of memory: retrying with a smaller micro-batch and the same effective batch
    OVERFITTING = "overfitting"  # validation loss rising while training loss falls
    STOPPED = "stopped"  # training ended before its last step: early stopping, the loss watchdog, a cancel
    ERROR = "error"  # the run failed, and why


class TrainingSink(Protocol):
    """Where training reports to: the database in the worker, a printer on the command line."""

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        """Record named metric values (train_loss, eval_loss, learning_rate, ...) at an optimiser step."""

    def event(self, message: str, kind: EventKind = EventKind.INFO) -> None:
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


class TrainingStopped(RuntimeError):
    """The loss watchdog stopped training (NaN/inf or a spike): the run failed, and `reason` says why and what to try.

    No adapter is saved: the weights are presumed damaged."""

    def __init__(self, reason: str, step: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.step = step


AnyRecord = AlpacaRecord | PromptCompletionRecord | ChatRecord


@dataclass(frozen=True)
class SplitData:
    train: Sequence[AnyRecord]
    validation: Sequence[AnyRecord]
    test: Sequence[AnyRecord]
    template_context: TemplateContext = field(default_factory=TemplateContext)  # model chat template, custom one


# Below RunPaths.output_dir: checkpoint-N/ while training, then the final weights in adapter/ (LoRA) or model/
# (method full), and the adapter merged into the base model in merged/ when asked. The API serves downloads from these.
MERGED_DIR = "merged"


@dataclass(frozen=True)
class RunPaths:
    base_model: str  # a local model directory or a hub id
    output_dir: Path  # checkpoints and the final adapter go below it
    # Resume: a checkpoint directory (output_dir/checkpoint-N) to continue from at step N+1. Metrics of steps <= N are
    # not sent again, and the base model is not evaluated again when its loss is given below.
    resume_from: Path | None = None
    base_eval_loss: float | None = None  # the base model's validation loss measured by the first attempt


@dataclass
class TrainingResult:
    cancelled: bool
    adapter_dir: Path | None
    device: str
    quantization: str  # "nf4", "fp4", "int8" (lora_8bit) or "none"
    base_eval_loss: float | None
    final_eval_loss: float | None
    global_step: int
    environment: dict[str, str] = field(default_factory=dict)  # library versions, torch device name
    # Why training ended before its last step when that was not a cancel: early stopping's message, else None.
    stop_reason: str | None = None
    best_step: int | None = None  # the step with the lowest validation loss during training (None without one)
    adapter_step: int | None = None  # the step whose weights were saved as the final artifact (best or last)
    # "adapter": a LoRA adapter directory (adapter_config.json); "model": a whole model (method "full").
    artifact: Literal["adapter", "model"] = "adapter"
