"""Early stopping, overfitting and the loss watchdog in real (tiny) training runs."""

import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from trl import SFTTrainer

from domain.config import TrainingConfig
from domain.records import AlpacaRecord
from tests.worker.conftest import RecordingSink
from worker.training.sft import train
from worker.training.types import RunPaths, SplitData, TrainingResult, TrainingStopped

# A crafted overfitting set: the validation answers use words the training answers never contain, so memorising
# the training answers soon makes the validation answers less likely. Full fine-tuning with a high learning rate
# moves the tiny random model fast: validation loss is lowest at step 4, then rises while training loss falls.
_rng = random.Random(0)
_TRAIN_WORDS = ["apple", "river", "stone", "cloud", "tiger", "lemon", "paper", "green", "seven", "metal", "quiet"]
_VALIDATION_WORDS = ["violet", "castle", "rabbit", "silver", "window", "orange", "planet", "candle", "forest"]
OVERFITTING = SplitData(
    train=[
        AlpacaRecord(
            instruction=f"Say the code for item {i}.", output=f"{_rng.choice(_TRAIN_WORDS)} {_rng.choice(_TRAIN_WORDS)}"
        )
        for i in range(8)
    ],
    validation=[
        AlpacaRecord(
            instruction=f"Say the code for item {i}.",
            output=f"{_rng.choice(_VALIDATION_WORDS)} {_rng.choice(_VALIDATION_WORDS)}",
        )
        for i in range(8)
    ],
    test=[],
)
EARLY_STOPPING = TrainingConfig(
    method="full",
    max_steps=20,
    per_device_train_batch_size=8,
    eval_strategy="steps",  # one batch is an epoch here: not at each epoch's end
    eval_steps=2,
    learning_rate=5e-2,
    lr_scheduler_type="constant",
    warmup_ratio=0.0,
    early_stopping_patience=2,
)
# The same steps with eval_steps paced: 40 steps at about 20 evaluations is every 2 steps.
PACED_EARLY_STOPPING = EARLY_STOPPING.model_copy(update={"max_steps": 40, "eval_steps": None})


@dataclass
class CheckpointRecordingSink(RecordingSink):
    checkpoints: list[tuple[int, str, float | None]] = field(default_factory=list)

    def checkpoint(self, step: int, path: Path, eval_loss: float | None) -> None:
        self.checkpoints.append((step, path.name, eval_loss))


@dataclass
class StoppedRun:
    result: TrainingResult
    sink: CheckpointRecordingSink
    output_dir: Path


@pytest.fixture(scope="module", params=[EARLY_STOPPING, PACED_EARLY_STOPPING], ids=["eval_steps 2", "paced"])
def early_stopped(
    tiny_model: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> StoppedRun:
    sink = CheckpointRecordingSink()
    output_dir = tmp_path_factory.mktemp("early-stopping")
    result = train(
        request.param, OVERFITTING, RunPaths(base_model_location=str(tiny_model), output_dir=output_dir), sink
    )
    return StoppedRun(result, sink, output_dir)


def test_early_stopping_fires_on_the_overfitting_set(early_stopped: StoppedRun) -> None:
    result, sink = early_stopped.result, early_stopped.sink
    evals = dict(sink.series("eval_loss"))
    assert sorted(evals) == [0, 2, 4, 6, 8]  # stopped at step 8: validation loss rose at 6 and at 8
    assert evals[6] > evals[4] and evals[8] > evals[6]
    assert result.global_step == 8
    assert result.stop_reason == (
        f"early stopping: validation loss has not improved for 2 evaluations; best {evals[4]:.4f} at step 4"
    )
    assert result.stop_reason in sink.lines
    assert not result.cancelled


def test_early_stopped_run_keeps_the_best_weights(early_stopped: StoppedRun) -> None:
    result, sink = early_stopped.result, early_stopped.sink
    evals = dict(sink.series("eval_loss"))
    assert (result.best_step, result.weights_step) == (4, 4)
    assert result.final_eval_loss == evals[4]
    assert any(event.startswith("restored the weights of step 4") for event in sink.lines)
    # Full fine-tuning: the artifact is a whole model, and it is the best checkpoint's.
    assert result.weights_kind == "model" and result.weights_dir == early_stopped.output_dir / "model"
    final = load_file(result.weights_dir / "model.safetensors")
    best = load_file(early_stopped.output_dir / "checkpoint-4" / "model.safetensors")
    assert final.keys() == best.keys()
    assert all(torch.equal(final[name], best[name]) for name in final)
    # Each new best was checkpointed (save_steps is 50), and the best is never rotated away.
    assert [(step, name) for step, name, _ in sink.checkpoints] == [(2, "checkpoint-2"), (4, "checkpoint-4")]
    assert [loss for _, _, loss in sink.checkpoints] == [evals[2], evals[4]]


def test_overfitting_is_flagged_while_training_loss_falls(early_stopped: StoppedRun) -> None:
    sink = early_stopped.sink
    flagged = [event for event in sink.lines if event.startswith("overfitting:")]
    assert len(flagged) == 1
    assert "validation loss rose for 2 evaluations in a row" in flagged[0] and "steps 4–8" in flagged[0]
    assert sink.series("overfitting") == [(8, 1.0)]
    train_losses = dict(sink.series("train_loss"))
    assert train_losses[8] < train_losses[4]


def _corrupt_loss_from(monkeypatch: pytest.MonkeyPatch, step: int, corrupt: float | None) -> None:
    """From optimiser step `step` on, the loss the Trainer logs becomes NaN (corrupt=None) or `corrupt` times itself."""
    original = SFTTrainer.training_step

    def training_step(self: SFTTrainer, *args: object, **kwargs: object) -> torch.Tensor:
        loss = original(self, *args, **kwargs)  # type: ignore[arg-type]
        if self.state.global_step + 1 >= step:
            return torch.full_like(loss, float("nan")) if corrupt is None else loss * corrupt
        return loss

    monkeypatch.setattr(SFTTrainer, "training_step", training_step)


ROWS = [AlpacaRecord(instruction=f"Repeat the word twice: w{i}", output=f"w{i} w{i}") for i in range(24)]
DATA = SplitData(train=ROWS[:18], validation=ROWS[18:22], test=[])
QUICK = TrainingConfig(max_steps=12, per_device_train_batch_size=4, eval_steps=100, save_steps=2)


def test_watchdog_stops_on_nan_without_an_adapter(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _corrupt_loss_from(monkeypatch, 3, None)
    sink = CheckpointRecordingSink()
    with pytest.raises(TrainingStopped) as stopped:
        train(QUICK, DATA, RunPaths(base_model_location=str(tiny_model), output_dir=tmp_path), sink)
    assert stopped.value.step == 3
    assert stopped.value.reason.startswith("loss watchdog: training loss became nan at step 3; training stopped.")
    assert str(stopped.value) == stopped.value.reason
    assert stopped.value.reason in sink.lines
    # The NaN is recorded (the chart marks it) as well as stopping the run.
    [*finite, (nan_step, nan)] = sink.series("train_loss")
    assert [step for step, _ in finite] == [1, 2] and all(math.isfinite(loss) for _, loss in finite)
    assert nan_step == 3 and math.isnan(nan)
    assert [step for step, _, _ in sink.checkpoints] == [2]  # no checkpoint of the damaged step
    assert not (tmp_path / "adapter").exists()


def test_watchdog_stops_on_a_loss_spike(tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _corrupt_loss_from(monkeypatch, 8, 50.0)
    sink = RecordingSink()
    with pytest.raises(TrainingStopped) as stopped:
        train(QUICK, DATA, RunPaths(base_model_location=str(tiny_model), output_dir=tmp_path), sink)
    assert stopped.value.step == 8
    assert re.search(r"training loss [\d.]+ at step 8 is \d+\.\d× the mean of the previous 7", stopped.value.reason)
    assert "above max_loss_spike_factor 5; training stopped" in stopped.value.reason
    assert max(step for step, _ in sink.series("train_loss")) == 8
