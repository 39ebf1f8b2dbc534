"""Bridges the transformers Trainer to a TrainingSink: metrics out, cancellation in."""

import time
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from worker.training.types import TrainingSink

# Trainer/TRL log keys → the metric names the studio stores and plots. Anything else is dropped.
METRIC_NAMES = {
    "loss": "train_loss",
    "eval_loss": "eval_loss",
    "learning_rate": "learning_rate",
    "grad_norm": "grad_norm",
    "mean_token_accuracy": "train_token_accuracy",
    "eval_mean_token_accuracy": "eval_token_accuracy",
}


class SinkCallback(TrainerCallback):
    """Forwards logged metrics to the sink (main process only) and stops training once a cancel is requested."""

    def __init__(self, sink: TrainingSink) -> None:
        self.sink = sink
        self.cancelled = False
        self.eval_losses: dict[int, float] = {}  # step → validation loss, step 0 being the base model
        self._sent: set[tuple[int, str]] = set()
        self._tokens_at_last_log = 0.0
        self._time_at_last_log = time.monotonic()

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if state.is_world_process_zero:
            self.sink.event(f"training {state.max_steps} steps")
        self._time_at_last_log = time.monotonic()

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        if self.sink.cancel_requested():
            self.cancelled = True
            control.should_training_stop = True

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        # Evaluation time is not training time: restart the throughput clock after it.
        self._time_at_last_log = time.monotonic()

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
        if "eval_loss" in values:
            self.eval_losses[step] = values["eval_loss"]
        fresh = {name: value for name, value in values.items() if (step, name) not in self._sent}
        if fresh:
            self._sent.update((step, name) for name in fresh)
            self.sink.metrics(step, logs.get("epoch", state.epoch), fresh)
