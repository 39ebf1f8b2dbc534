"""Trainer callbacks: metrics and checkpoints out to the sink, cancellation in, and the run's guard rails.

Every callback reports from the main process only and never sends a step twice. Evaluations outside `train()` (the
base model before it, a final one after it) are logged as metrics but do not count for early stopping, best-model
tracking or the overfitting check. On resume, the callbacks rebuild their history from the checkpoint's log_history.
"""

import math
import time
from collections import deque
from collections.abc import Sized
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from domain.config import EVALUATIONS_PER_RUN, TrainingConfig, evaluation_steps, paced_eval_steps
from domain.log import LogKind
from domain.text import plural
from worker.training.types import CheckpointSink, ProgressSink, TrainingSink

# Trainer/TRL log keys → the metric names the studio stores and plots. Anything else is dropped.
METRIC_NAMES = {
    "loss": "train_loss",
    "eval_loss": "eval_loss",
    "learning_rate": "learning_rate",
    "grad_norm": "grad_norm",
    "mean_token_accuracy": "train_token_accuracy",
    "eval_mean_token_accuracy": "eval_token_accuracy",
}
OVERFITTING_METRIC = "overfitting"  # 1.0 at the evaluation where overfitting was flagged

# The loss watchdog compares a logged training loss with the mean of the previous ones.
SPIKE_WINDOW = 10
SPIKE_MIN_HISTORY = 5  # the first logged losses of a run fall fast and say little about its level
# A floor under that mean: near zero, harmless absolute changes (0.02 → 0.15) would look like huge ratios.
SPIKE_MIN_REFERENCE = 0.1


def checkpoint_dir(output_dir: str | Path, step: int) -> Path:
    """Where the Trainer saves the checkpoint of `step` (its own naming)."""
    return Path(output_dir) / f"checkpoint-{step}"


def _trained_history(state: TrainerState) -> list[dict[str, float]]:
    """The Trainer's log entries of the training so far (restored from the checkpoint when resuming)."""
    return [entry for entry in state.log_history if entry.get("step", 0) > 0 and "train_runtime" not in entry]


class SinkCallback(TrainerCallback):
    """Forwards logged metrics and saved checkpoints to the sink, and stops training once a cancel is requested.

    `resumed_step`: when resuming from checkpoint-N, nothing at a step <= N is sent again (the first attempt sent it).
    """

    def __init__(self, sink: TrainingSink, resumed_step: int = 0) -> None:
        self.sink = sink
        self.resumed_step = resumed_step
        self.cancelled = False
        self.eval_losses: dict[int, float] = {}  # step → validation loss, step 0 being the base model
        self._sent: set[tuple[int, str]] = set()
        self._tokens_at_last_log = 0.0
        self._time_at_last_log = time.monotonic()

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if state.is_world_process_zero:
            if isinstance(self.sink, ProgressSink):
                self.sink.total_steps(state.max_steps)
            if self.resumed_step:
                self.sink.log(
                    f"resuming from checkpoint-{self.resumed_step}: step {self.resumed_step + 1} of {state.max_steps}",
                    LogKind.RESUME,
                )
            else:
                self.sink.log(f"training {plural(state.max_steps, 'step')}", LogKind.PROGRESS)
        for entry in _trained_history(state):
            if "eval_loss" in entry and math.isfinite(entry["eval_loss"]):
                self.eval_losses[int(entry["step"])] = float(entry["eval_loss"])
        self._time_at_last_log = time.monotonic()

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        if self.sink.cancel_requested():
            self.cancelled = True
            control.should_training_stop = True
            # Stop within seconds: no evaluation or checkpoint of a run the user abandoned.
            control.should_evaluate = False
            control.should_save = False

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        # Evaluation time is not training time: restart the throughput clock after it.
        self._time_at_last_log = time.monotonic()

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not isinstance(self.sink, CheckpointSink):
            return
        step = state.global_step
        path = checkpoint_dir(args.output_dir or ".", step)
        if path.is_dir():
            self.sink.checkpoint(step, path, self.eval_losses.get(step))

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if not state.is_world_process_zero or not logs:
            return
        # The end-of-training summary repeats the last step with the run's mean loss under the same name.
        if "train_runtime" in logs:
            return
        step = state.global_step
        values = {METRIC_NAMES[key]: float(value) for key, value in logs.items() if key in METRIC_NAMES}
        # TRL logs the cumulative count of non-padding training tokens as num_tokens.
        if "loss" in logs and "num_tokens" in logs:
            now = time.monotonic()
            elapsed = now - self._time_at_last_log
            if elapsed > 0:
                values["tokens_per_second"] = (float(logs["num_tokens"]) - self._tokens_at_last_log) / elapsed
            self._tokens_at_last_log = float(logs["num_tokens"])
            self._time_at_last_log = now
        # A NaN/inf validation loss is no checkpoint's or final weights' figure (the watchdog stops the run on it).
        if "eval_loss" in values and math.isfinite(values["eval_loss"]):
            self.eval_losses[step] = values["eval_loss"]
        if self.resumed_step and step <= self.resumed_step:
            return
        # NaN/inf values are sent too: the chart marks them where the loss diverged.
        fresh = {name: value for name, value in values.items() if (step, name) not in self._sent}
        if fresh:
            self._sent.update((step, name) for name in fresh)
            self.sink.metrics(step, logs.get("epoch", state.epoch), fresh)


class TrainingFlow(TrainerCallback):
    """Evaluation and checkpoint cadence beyond the Trainer's own.

    - eval_steps None with evaluation by steps: paced once the Trainer knows how many optimiser steps the run takes
      (after tokenising, packing, epochs, batch, accumulation and max_steps): domain.config.paced_eval_steps.
    - eval_strategy "steps_and_epoch": the Trainer evaluates every eval_steps; this adds each epoch's end.
    - Checkpoints exactly every save_steps: the Trainer also saves one after the last step, a copy of the final
      adapter that train() saves anyway (with optimiser state: gigabytes for a 7B model).
    """

    def __init__(self, sink: TrainingSink, config: TrainingConfig) -> None:
        self.sink = sink
        self.evaluate_each_epoch = config.eval_strategy == "steps_and_epoch"
        self.by_steps = config.eval_strategy in ("steps", "steps_and_epoch")
        self.paced = self.by_steps and config.eval_steps is None
        self._last_evaluated = -1

    def on_train_begin(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        train_dataloader: Sized | None = None,
        **kwargs: Any,
    ) -> None:
        if self.paced:
            # The Trainer reads state.eval_steps (also after a resume, which restores the state saved with it).
            state.eval_steps = paced_eval_steps(state.max_steps)
        if not state.is_world_process_zero or (not self.by_steps and not self.evaluate_each_epoch):
            return
        steps_per_epoch = (
            math.ceil(len(train_dataloader) / args.gradient_accumulation_steps)
            if self.evaluate_each_epoch and train_dataloader is not None
            else None
        )
        count = len(evaluation_steps(state.max_steps, state.eval_steps if self.by_steps else None, steps_per_epoch))
        cadence = [
            *([f"every {plural(state.eval_steps, 'step')}"] if self.by_steps else []),
            *(["at each epoch's end"] if steps_per_epoch is not None and steps_per_epoch < state.max_steps else []),
        ]
        paced = f" (eval_steps paced to about {EVALUATIONS_PER_RUN} per run)" if self.paced else ""
        self.sink.log(
            f"validation loss {' and '.join(cadence) or 'at the end'}: {plural(count, 'evaluation')} after the base "
            f"model's{paced}"
        )

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        if state.global_step >= state.max_steps and state.save_steps and state.global_step % state.save_steps:
            control.should_save = False

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self._last_evaluated = state.global_step

    def on_epoch_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self.evaluate_each_epoch and state.global_step > 0 and self._last_evaluated != state.global_step:
            control.should_evaluate = True


class DuringTraining(TrainerCallback):
    """A callback that acts only inside the training loop: the base model's evaluation before it, and the Trainer's
    end-of-training summary after it, are not training. On resume it rebuilds its state from the checkpoint's log."""

    _training = False

    def restore(self, history: list[dict[str, float]]) -> None:
        """Take in the log entries of the steps trained before a resume (none on a fresh start)."""

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self._training = True
        self.restore(_trained_history(state))

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self._training = False


@dataclass(frozen=True)
class Evaluation:
    step: int
    eval_loss: float
    train_loss: float | None  # mean training loss logged since the previous evaluation (the last known if none)


class ValidationMonitor(DuringTraining):
    """Watches validation loss during training: best step, early stopping, overfitting.

    - Best: the lowest validation loss. With `keep_best`, a checkpoint is saved at each new best (the Trainer then
      tracks it as best_model_checkpoint and never rotates it away), so the run can end on the best weights.
    - Early stopping (`patience` evaluations without an improvement of at least `threshold` over the reference, the
      reference moving only on such improvements): stops training with `stop_reason` set.
    - Overfitting: validation loss rose at 2 evaluations in a row while training loss fell: an "overfitting: ..."
      event and the metric `overfitting` = 1 at that step, once per rise.
    """

    def __init__(self, sink: TrainingSink, patience: int | None, threshold: float, keep_best: bool) -> None:
        self.sink = sink
        self.patience = patience
        self.threshold = threshold
        self.keep_best = keep_best
        self.evaluations: list[Evaluation] = []
        self.best: Evaluation | None = None
        self.stop_reason: str | None = None
        self._reference: float | None = None
        self._evaluations_without_improvement = 0
        self._train_losses: list[float] = []
        self._last_train_loss: float | None = None
        self._overfitting_flagged = False

    def restore(self, history: list[dict[str, float]]) -> None:
        # Replayed silently, so patience and the best carry over.
        for entry in history:
            if "loss" in entry:
                self._train_losses.append(float(entry["loss"]))
            if "eval_loss" in entry:
                self._observe(int(entry["step"]), float(entry["eval_loss"]), replay=True)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if self._training and logs and "loss" in logs and "train_runtime" not in logs:
            self._train_losses.append(float(logs["loss"]))

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        loss = (metrics or {}).get("eval_loss")
        if not self._training or loss is None or not math.isfinite(loss):
            return
        step = state.global_step
        if self.evaluations and self.evaluations[-1].step == step:
            return
        if self.keep_best and (self.best is None or loss < self.best.eval_loss):
            # Runs before the Trainer compares the same metric (strictly lower) and saves: the save asked for here
            # becomes state.best_model_checkpoint.
            control.should_save = True
        self._observe(step, float(loss), replay=False)
        if self.stop_reason is not None:
            control.should_training_stop = True

    def _observe(self, step: int, loss: float, *, replay: bool) -> None:
        if self._train_losses:
            self._last_train_loss = fmean(self._train_losses)
            self._train_losses = []
        evaluation = Evaluation(step, loss, self._last_train_loss)
        self.evaluations.append(evaluation)
        if self.best is None or loss < self.best.eval_loss:
            self.best = evaluation

        if self._reference is None or (loss < self._reference and self._reference - loss >= self.threshold):
            self._reference = loss
            self._evaluations_without_improvement = 0
        else:
            self._evaluations_without_improvement += 1

        self._check_overfitting(replay)
        if (
            self.patience is not None
            and self._evaluations_without_improvement >= self.patience
            and self.stop_reason is None
            and not replay
        ):
            best = self.best
            count = self._evaluations_without_improvement
            by = f" by ≥{self.threshold:g}" if self.threshold else ""
            self.stop_reason = (
                f"early stopping: validation loss has not improved{by} for {count} "
                f"evaluation{'s' if count > 1 else ''}; best {best.eval_loss:.4f} at step {best.step}"
            )
            self.sink.log(self.stop_reason, LogKind.STOPPED)

    def _check_overfitting(self, replay: bool) -> None:
        if len(self.evaluations) < 3:
            return
        first, middle, last = self.evaluations[-3:]
        rising = first.eval_loss < middle.eval_loss < last.eval_loss
        if not rising:
            self._overfitting_flagged = False
            return
        falling = first.train_loss is not None and last.train_loss is not None and last.train_loss < first.train_loss
        if not falling or self._overfitting_flagged:
            return
        self._overfitting_flagged = True
        if replay:
            return
        assert first.train_loss is not None and last.train_loss is not None
        self.sink.log(
            f"overfitting: validation loss rose for 2 evaluations in a row ({first.eval_loss:.4f} → "
            f"{middle.eval_loss:.4f} → {last.eval_loss:.4f}, steps {first.step}–{last.step}) while training loss fell "
            f"({first.train_loss:.4f} → {last.train_loss:.4f}); the best validation loss was at step "
            f"{self.best.step if self.best else first.step}",
            LogKind.OVERFITTING,
        )
        self.sink.metrics(last.step, None, {OVERFITTING_METRIC: 1.0})


class LossWatchdog(DuringTraining):
    """Stops training when the loss becomes NaN/inf, or (with `spike_factor`) jumps above that multiple of the mean
    of the previous logged losses. `reason` is set; the caller turns it into a failed run."""

    def __init__(self, sink: TrainingSink, spike_factor: float | None) -> None:
        self.sink = sink
        self.spike_factor = spike_factor
        self.reason: str | None = None
        self.step = 0
        self._recent: deque[float] = deque(maxlen=SPIKE_WINDOW)

    def restore(self, history: list[dict[str, float]]) -> None:
        self._recent.extend(float(entry["loss"]) for entry in history if "loss" in entry)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if not self._training or not logs or "train_runtime" in logs or self.reason is not None:
            return
        step = state.global_step
        reason = None
        for key, label in (("loss", "training loss"), ("eval_loss", "validation loss")):
            value = logs.get(key)
            if value is not None and not math.isfinite(value):
                reason = (
                    f"loss watchdog: {label} became {value} at step {step}; training stopped. Lower the learning "
                    "rate, keep max_grad_norm clipping on, or use bf16/fp32 instead of fp16."
                )
        loss = logs.get("loss")
        if reason is None and loss is not None:
            reason = self._spike(float(loss), step)
            self._recent.append(float(loss))
        if reason is not None:
            self.reason, self.step = reason, step
            self.sink.log(reason, LogKind.STOPPED)
            # The step's evaluation and checkpoint would come next: neither is worth having from damaged weights.
            control.should_training_stop = True
            control.should_evaluate = False
            control.should_save = False

    def _spike(self, loss: float, step: int) -> str | None:
        if self.spike_factor is None or len(self._recent) < SPIKE_MIN_HISTORY:
            return None
        average = fmean(self._recent)
        if loss <= self.spike_factor * max(average, SPIKE_MIN_REFERENCE):
            return None
        return (
            f"loss watchdog: training loss {loss:.4g} at step {step} is {loss / average:.1f}× the mean of the previous "
            f"{len(self._recent)} logged losses ({average:.4g}), above max_loss_spike_factor {self.spike_factor:g}; "
            "training stopped. Lower the learning rate or raise max_loss_spike_factor."
        )
