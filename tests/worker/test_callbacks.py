"""The callbacks' decisions on crafted logs, without a model: watchdog, early stopping, overfitting, resume, sink."""

import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from transformers import TrainerControl, TrainerState, TrainingArguments

from domain.config import TrainingConfig
from domain.log import LogKind
from tests.worker.conftest import RecordingSink
from worker.training.callbacks import LossWatchdog, SinkCallback, TrainingFlow, ValidationMonitor
from worker.training.types import CheckpointSink


@dataclass
class CheckpointRecordingSink(RecordingSink):
    checkpoints: list[tuple[int, Path, float | None]] = field(default_factory=list)

    def checkpoint(self, step: int, path: Path, eval_loss: float | None) -> None:
        self.checkpoints.append((step, path, eval_loss))


@pytest.fixture(scope="module")
def args(tmp_path_factory: pytest.TempPathFactory) -> TrainingArguments:
    return TrainingArguments(output_dir=str(tmp_path_factory.mktemp("out")), use_cpu=True, report_to="none")


def state_at(step: int, log_history: list[dict[str, float]] | None = None, max_steps: int = 100) -> TrainerState:
    state = TrainerState(global_step=step, max_steps=max_steps, save_steps=10)
    state.log_history = log_history or []
    return state


class TestLossWatchdog:
    def run(
        self, args: TrainingArguments, losses: list[float], spike_factor: float | None = 5.0
    ) -> tuple[LossWatchdog, TrainerControl, RecordingSink]:
        sink = RecordingSink()
        watchdog = LossWatchdog(sink, spike_factor)
        control = TrainerControl()
        watchdog.on_train_begin(args, state_at(0), control)
        for step, loss in enumerate(losses, start=1):
            control.should_save = control.should_evaluate = True  # what the Trainer would do next at this step
            watchdog.on_log(args, state_at(step), control, logs={"loss": loss})
            if watchdog.reason:
                break
        return watchdog, control, sink

    def test_nan_stops_with_a_reason_and_no_checkpoint(self, args: TrainingArguments) -> None:
        watchdog, control, sink = self.run(args, [2.0, 1.9, math.nan, 1.0], spike_factor=None)
        assert watchdog.step == 3
        assert watchdog.reason is not None
        assert watchdog.reason.startswith("loss watchdog: training loss became nan at step 3; training stopped.")
        assert control.should_training_stop and not control.should_save and not control.should_evaluate
        assert sink.lines == [watchdog.reason]
        assert sink.kinds == [LogKind.STOPPED]

    def test_inf_validation_loss_stops(self, args: TrainingArguments) -> None:
        watchdog = LossWatchdog(RecordingSink(), 5.0)
        control = TrainerControl()
        watchdog.on_train_begin(args, state_at(0), control)
        watchdog.on_log(args, state_at(4), control, logs={"eval_loss": math.inf})
        assert watchdog.reason is not None and "validation loss became inf at step 4" in watchdog.reason
        assert control.should_training_stop

    def test_spike_above_the_factor_stops(self, args: TrainingArguments) -> None:
        # 4.9 is below 5x the mean of 1.0; 8.0 is 5.4x the mean of the 8 before it (1.4875).
        watchdog, control, _ = self.run(args, [1.0] * 6 + [4.9, 1.0, 8.0])
        assert watchdog.step == 9
        assert watchdog.reason is not None
        assert "training loss 8 at step 9 is 5.4× the mean of the previous 8 logged losses (1.488)" in watchdog.reason
        assert "max_loss_spike_factor 5" in watchdog.reason
        assert control.should_training_stop

    def test_no_spike_check_before_enough_history_or_when_off(self, args: TrainingArguments) -> None:
        assert self.run(args, [1.0, 1.0, 1.0, 1.0, 50.0])[0].reason is None
        assert self.run(args, [1.0] * 6 + [50.0], spike_factor=None)[0].reason is None

    def test_tiny_losses_are_compared_with_a_floor(self, args: TrainingArguments) -> None:
        # 0.02 → 0.4 is 20x, but harmless: the reference is at least 0.1, so only above 0.5 stops.
        assert self.run(args, [0.02] * 6 + [0.4])[0].reason is None
        assert self.run(args, [0.02] * 6 + [0.6])[0].reason is not None

    def test_resume_restores_the_recent_losses(self, args: TrainingArguments) -> None:
        watchdog = LossWatchdog(RecordingSink(), 5.0)
        history = [{"step": s, "loss": 1.0} for s in range(1, 7)]
        control = TrainerControl()
        watchdog.on_train_begin(args, state_at(6, history), control)
        watchdog.on_log(args, state_at(7), control, logs={"loss": 5.5})
        assert watchdog.reason is not None and "at step 7" in watchdog.reason


class TestValidationMonitor:
    def run(
        self,
        args: TrainingArguments,
        evals: list[tuple[int, float, float]],
        patience: int | None = None,
        threshold: float = 0.0,
        keep_best: bool = False,
    ) -> tuple[ValidationMonitor, RecordingSink, list[int]]:
        """evals: (step, training loss logged just before, validation loss). Returns the steps asked to be saved."""
        sink = RecordingSink()
        monitor = ValidationMonitor(sink, patience, threshold, keep_best)
        control = TrainerControl()
        monitor.on_train_begin(args, state_at(0), control)
        saved = []
        for step, train_loss, eval_loss in evals:
            control.should_save = False
            monitor.on_log(args, state_at(step), control, logs={"loss": train_loss})
            monitor.on_evaluate(args, state_at(step), control, metrics={"eval_loss": eval_loss})
            if control.should_save:
                saved.append(step)
            if control.should_training_stop:
                break
        return monitor, sink, saved

    def test_early_stopping_after_patience_evaluations_without_improvement(self, args: TrainingArguments) -> None:
        evals = [(10, 2.0, 1.5), (20, 1.8, 1.2), (30, 1.6, 1.25), (40, 1.4, 1.3), (50, 1.2, 1.1)]
        monitor, sink, _ = self.run(args, evals, patience=2)
        assert monitor.evaluations[-1].step == 40
        expected = "early stopping: validation loss has not improved for 2 evaluations; best 1.2000 at step 20"
        assert monitor.stop_reason == expected
        assert expected in sink.lines
        assert monitor.best is not None and monitor.best.step == 20

    def test_improvements_smaller_than_the_threshold_do_not_count(self, args: TrainingArguments) -> None:
        evals = [(10, 2.0, 1.0), (20, 1.9, 0.995), (30, 1.8, 0.992)]
        monitor, _, _ = self.run(args, [*evals, (40, 1.7, 0.985)], patience=3, threshold=0.01)
        # 0.985 is 0.015 below the reference 1.0: an improvement, so no stop.
        assert monitor.stop_reason is None
        monitor, _, _ = self.run(args, [*evals, (40, 1.7, 0.993)], patience=3, threshold=0.01)
        assert monitor.stop_reason is not None
        assert monitor.stop_reason.endswith("by ≥0.01 for 3 evaluations; best 0.9920 at step 30")

    def test_keep_best_saves_each_new_best(self, args: TrainingArguments) -> None:
        evals = [(10, 2.0, 1.5), (20, 1.8, 1.2), (30, 1.6, 1.25), (40, 1.4, 1.1)]
        assert self.run(args, evals, keep_best=True)[2] == [10, 20, 40]
        assert self.run(args, evals, keep_best=False)[2] == []

    def test_overfitting_flagged_once_per_rise(self, args: TrainingArguments) -> None:
        evals = [(10, 2.0, 1.5), (20, 1.5, 1.2), (30, 1.2, 1.3), (40, 1.0, 1.4), (50, 0.9, 1.5), (60, 0.8, 1.3)]
        evals += [(70, 0.7, 1.4), (80, 0.6, 1.45)]
        _, sink, _ = self.run(args, evals)
        flagged = sink.lines_of(LogKind.OVERFITTING)
        assert flagged == [
            "overfitting: validation loss rose for 2 evaluations in a row (1.2000 → 1.3000 → 1.4000, steps 20–40) "
            "while training loss fell (1.5000 → 1.0000); the best validation loss was at step 20",
            "overfitting: validation loss rose for 2 evaluations in a row (1.3000 → 1.4000 → 1.4500, steps 60–80) "
            "while training loss fell (0.8000 → 0.6000); the best validation loss was at step 20",
        ]
        assert sink.series("overfitting") == [(40, 1.0), (80, 1.0)]

    def test_no_overfitting_when_training_loss_rises_too(self, args: TrainingArguments) -> None:
        evals = [(10, 1.0, 1.2), (20, 1.1, 1.3), (30, 1.2, 1.4)]
        assert not [e for e in self.run(args, evals)[1].lines if e.startswith("overfitting")]

    def test_evaluations_outside_training_do_not_count(self, args: TrainingArguments) -> None:
        monitor = ValidationMonitor(RecordingSink(), 1, 0.0, keep_best=True)
        control = TrainerControl()
        monitor.on_evaluate(args, state_at(0), control, metrics={"eval_loss": 0.1})  # the base model
        assert monitor.best is None and not control.should_save

    def test_resume_replays_the_history_silently(self, args: TrainingArguments) -> None:
        history = [
            {"step": 10, "loss": 2.0},
            {"step": 10, "eval_loss": 1.2},
            {"step": 20, "loss": 1.5},
            {"step": 20, "eval_loss": 1.3},
        ]
        sink = RecordingSink()
        monitor = ValidationMonitor(sink, 2, 0.0, keep_best=True)
        control = TrainerControl()
        monitor.on_train_begin(args, state_at(20, history), control)
        assert monitor.best is not None and monitor.best.step == 10
        assert sink.lines == []
        monitor.on_log(args, state_at(30), control, logs={"loss": 1.0})
        monitor.on_evaluate(args, state_at(30), control, metrics={"eval_loss": 1.25})
        # The second evaluation without improvement, counting the one before the checkpoint.
        assert control.should_training_stop
        assert monitor.stop_reason is not None and "best 1.2000 at step 10" in monitor.stop_reason
        assert sink.lines == [monitor.stop_reason]
        assert sink.kinds == [LogKind.STOPPED]


class TestSinkCallback:
    def test_resumed_steps_are_not_sent(self, args: TrainingArguments) -> None:
        sink = RecordingSink()
        callback = SinkCallback(sink, resumed_step=5)
        control = TrainerControl()
        callback.on_train_begin(args, state_at(5, [{"step": 4, "eval_loss": 1.5}]), control)
        assert sink.lines == ["resuming from checkpoint-5: step 6 of 100"]
        assert sink.kinds == [LogKind.RESUME]
        assert callback.eval_losses == {4: 1.5}
        callback.on_log(args, state_at(0), control, logs={"eval_loss": 2.0})  # the base model, already sent
        callback.on_log(args, state_at(5), control, logs={"loss": 1.0})
        callback.on_log(args, state_at(6), control, logs={"loss": 0.9})
        callback.on_log(args, state_at(6), control, logs={"loss": 0.9})
        assert sink.metrics_calls == [(6, 0, {"train_loss": 0.9})]

    def test_non_finite_values_are_sent_but_no_checkpoint_takes_them(self, args: TrainingArguments) -> None:
        sink = CheckpointRecordingSink()
        callback = SinkCallback(sink)
        control = TrainerControl()
        callback.on_log(args, state_at(6), control, logs={"loss": math.nan, "grad_norm": math.inf})
        callback.on_log(args, state_at(8), control, logs={"eval_loss": math.nan})
        [(step, _, values)] = sink.metrics_calls[:1]
        assert step == 6 and math.isnan(values["train_loss"]) and values["grad_norm"] == math.inf
        assert sink.metrics_calls[1][0] == 8 and math.isnan(sink.metrics_calls[1][2]["eval_loss"])
        assert callback.eval_losses == {}  # a NaN validation loss is no checkpoint's or final weights' figure
        (Path(args.output_dir or ".") / "checkpoint-8").mkdir()
        callback.on_save(args, state_at(8), control)
        assert [loss for _, _, loss in sink.checkpoints] == [None]

    def test_checkpoints_reach_a_sink_that_records_them(self, args: TrainingArguments) -> None:
        sink = CheckpointRecordingSink()
        assert isinstance(sink, CheckpointSink) and not isinstance(RecordingSink(), CheckpointSink)
        callback = SinkCallback(sink)
        control = TrainerControl()
        callback.on_log(args, state_at(10), control, logs={"eval_loss": 1.25})
        path = Path(args.output_dir or ".") / "checkpoint-10"
        path.mkdir()
        callback.on_save(args, state_at(10), control)
        callback.on_save(args, state_at(20), control)  # no such directory: nothing reported
        assert sink.checkpoints == [(10, path, 1.25)]
        SinkCallback(RecordingSink()).on_save(args, state_at(10), control)  # a sink without checkpoint(): ignored


class TestTrainingFlow:
    def test_checkpoints_only_every_save_steps(self, args: TrainingArguments) -> None:
        flow = TrainingFlow(RecordingSink(), TrainingConfig(eval_strategy="steps"))
        for step, expected in ((95, True), (100, True), (97, False)):
            control = TrainerControl(should_save=True)
            flow.on_step_end(args, state_at(step, max_steps=step if step != 95 else 100), control)
            assert control.should_save is expected, step

    def test_evaluates_at_each_epoch_end_once(self, args: TrainingArguments) -> None:
        flow = TrainingFlow(RecordingSink(), TrainingConfig(eval_strategy="steps_and_epoch"))
        control = TrainerControl()
        flow.on_epoch_end(args, state_at(7), control)
        assert control.should_evaluate
        control = TrainerControl()
        flow.on_evaluate(args, state_at(14), control)
        flow.on_epoch_end(args, state_at(14), control)
        assert not control.should_evaluate
        control = TrainerControl()
        TrainingFlow(RecordingSink(), TrainingConfig(eval_strategy="steps")).on_epoch_end(args, state_at(7), control)
        assert not control.should_evaluate

    @pytest.mark.parametrize(
        ("config", "batches", "max_steps", "eval_steps", "evaluations"),
        [
            (TrainingConfig(eval_strategy="steps"), 10, 1000, 50, 20),
            (TrainingConfig(eval_strategy="steps"), 10, 30, 2, 15),
            (TrainingConfig(eval_strategy="steps"), 10, 3, 1, 3),
            # The default adds each epoch's end. 2 epochs of 25 steps: every 3 steps (16), step 25, step 50.
            (TrainingConfig(), 25, 50, 3, 16 + 2),
            # Asked for: kept. Every 7 steps (5), the epoch ends 10-40 (4: 40 is the last step too).
            (TrainingConfig(eval_steps=7), 10, 40, 7, 5 + 4),
        ],
    )
    def test_eval_steps_paced_once_the_steps_are_known(
        self,
        args: TrainingArguments,
        config: TrainingConfig,
        batches: int,
        max_steps: int,
        eval_steps: int,
        evaluations: int,
    ) -> None:
        sink = RecordingSink()
        state = state_at(0, max_steps=max_steps)
        state.eval_steps = args.eval_steps or 1  # what the Trainer computed from the arguments
        if config.eval_steps is not None:
            state.eval_steps = config.eval_steps
        TrainingFlow(sink, config).on_train_begin(args, state, TrainerControl(), train_dataloader=range(batches))
        assert state.eval_steps == eval_steps
        assert sink.lines[-1].endswith(
            f": {evaluations} evaluations after the base model's"
            + (" (eval_steps paced to about 20 per run)" if config.eval_steps is None else "")
        )
