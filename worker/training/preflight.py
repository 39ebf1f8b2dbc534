"""Pre-flight: a few steps of a run's exact config before the run, to measure its memory and time per step.

An out-of-memory error then shows up in a minute instead of after the base model's evaluation, and the seconds per
step give the run page a real ETA. Nothing is evaluated or saved, and the steps are thrown away: the run itself then
trains from scratch.
"""

import math
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from domain.config import TrainingConfig
from domain.log import LogKind
from domain.text import plural
from worker.training.memory import PeakMemory, release_memory
from worker.training.sft import train
from worker.training.types import RunPaths, SplitData, TrainingSink

PREFLIGHT_STEPS = 3


@dataclass(frozen=True)
class PreflightResult:
    steps: int
    seconds_per_step: float
    peak_memory_bytes: int
    total_steps: int  # the optimiser steps the run itself will train

    @property
    def estimated_seconds(self) -> float:
        """Training time only: evaluations, checkpoints and answering the test prompts come on top."""
        return self.seconds_per_step * self.total_steps

    def figures(self) -> dict[str, float | int]:
        return {
            "steps": self.steps,
            "seconds_per_step": self.seconds_per_step,
            "peak_memory_bytes": self.peak_memory_bytes,
            "total_steps": self.total_steps,
            "estimated_seconds": self.estimated_seconds,
        }

    def describe(self) -> str:
        return (
            f"Pre-flight: {plural(self.steps, 'step')} fit in {self.peak_memory_bytes / 1e9:.1f} GB, "
            f"{self.seconds_per_step:.1f} s/step → about {_duration(self.estimated_seconds)} "
            f"for {plural(self.total_steps, 'step')}"
        )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def planned_steps(config: TrainingConfig, batches_per_epoch: int) -> int:
    """The optimiser steps a run of `config` trains, given its dataloader's length: the Trainer's own arithmetic."""
    if config.max_steps > 0:
        return config.max_steps
    steps_per_epoch = max(math.ceil(batches_per_epoch / config.gradient_accumulation_steps), 1)
    return math.ceil(config.num_train_epochs * steps_per_epoch)


class StepTimer(TrainerCallback):
    """Wall time per optimiser step, data loading and logging included (what the ETA is made of). The first step
    is left out when there are more: it pays for one-off warm-up (kernel selection, allocator growth)."""

    def __init__(self) -> None:
        self.batches_per_epoch = 0
        self._marks: list[float] = []  # the start of training, then the end of each step

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.batches_per_epoch = len(kwargs["train_dataloader"])
        self._marks = [time.monotonic()]

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self._marks.append(time.monotonic())

    @property
    def seconds_per_step(self) -> float:
        steady = self._marks[1:] if len(self._marks) > 2 else self._marks
        return (steady[-1] - steady[0]) / max(len(steady) - 1, 1)


class _QuietSink:
    """The pre-flight reports nothing of its own (its steps are discarded), but a cancel still stops it."""

    def __init__(self, sink: TrainingSink) -> None:
        self.sink = sink

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        pass

    def log(self, message: str, kind: LogKind = LogKind.INFO) -> None:
        pass

    def cancel_requested(self) -> bool:
        return self.sink.cancel_requested()


def preflight(
    config: TrainingConfig,
    data: SplitData,
    paths: RunPaths,
    sink: TrainingSink,
    extra_callbacks: Sequence[TrainerCallback] = (),
) -> PreflightResult | None:
    """Train PREFLIGHT_STEPS steps of `config` from scratch and measure them; None when cancelled meanwhile.

    Out-of-memory errors propagate like the run's own, so the caller retries both the same way.
    """
    trial = config.model_copy(
        # Past the last step: no checkpoint is written. (The validation split is left out below: no evaluation.)
        update={"max_steps": PREFLIGHT_STEPS, "save_steps": PREFLIGHT_STEPS + 1}
    )
    timer = StepTimer()
    with tempfile.TemporaryDirectory(prefix="preflight-") as scratch:
        with PeakMemory() as peak:
            result = train(
                trial,
                replace(data, validation=[], test=[]),
                RunPaths(base_model_location=paths.base_model_location, output_dir=Path(scratch)),
                _QuietSink(sink),
                extra_callbacks=[timer, *extra_callbacks],
                save=False,
            )
        release_memory()  # the run loads its own model next
    if result.cancelled:
        return None
    return PreflightResult(
        steps=result.global_step,
        seconds_per_step=timer.seconds_per_step,
        peak_memory_bytes=peak.bytes,
        total_steps=planned_steps(config, timer.batches_per_epoch),
    )
