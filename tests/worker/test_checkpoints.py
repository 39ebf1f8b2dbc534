"""Checkpoints every save_steps, the last K kept, the best adapter restored, and resuming from a checkpoint."""

import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from domain.config import TrainingConfig
from domain.records import AlpacaRecord
from tests.worker.conftest import RecordingSink
from worker.training.sft import train
from worker.training.types import RunPaths, SplitData, TrainingResult

ROWS = [AlpacaRecord(instruction=f"Repeat the word twice: w{i}", output=f"w{i} w{i}") for i in range(24)]
DATA = SplitData(train=ROWS[:18], validation=ROWS[18:22], test=[])
OPPOSITE_ANSWERS = SplitData(
    train=[AlpacaRecord(instruction=f"Answer question {i}", output="yes yes yes") for i in range(16)],
    validation=[AlpacaRecord(instruction=f"Answer question {i}", output="no no no") for i in range(16, 20)],
    test=[],
)
CONFIG = TrainingConfig(
    max_steps=7,
    per_device_train_batch_size=4,
    eval_strategy="steps",
    eval_steps=2,
    learning_rate=1e-2,
    save_steps=2,
    save_total_limit=2,
)


@dataclass
class CheckpointRecordingSink(RecordingSink):
    checkpoints: list[tuple[int, Path, float | None]] = field(default_factory=list)

    def checkpoint(self, step: int, path: Path, eval_loss: float | None) -> None:
        assert path.is_dir()
        self.checkpoints.append((step, path, eval_loss))


@dataclass
class Run:
    result: TrainingResult
    sink: CheckpointRecordingSink
    output_dir: Path


@pytest.fixture(scope="module")
def first(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    sink = CheckpointRecordingSink()
    output_dir = tmp_path_factory.mktemp("first")
    result = train(CONFIG, DATA, RunPaths(base_model_location=str(tiny_model), output_dir=output_dir), sink)
    return Run(result, sink, output_dir)


@pytest.fixture(scope="module")
def resumed(first: Run, tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A second worker picks the run up from checkpoint-4 (copied: the first run's directory stays as it was)."""
    output_dir = tmp_path_factory.mktemp("resumed")
    shutil.copytree(first.output_dir / "checkpoint-4", output_dir / "checkpoint-4")
    paths = RunPaths(
        base_model_location=str(tiny_model),
        output_dir=output_dir,
        resume_from=output_dir / "checkpoint-4",
        base_eval_loss=first.result.base_eval_loss,
    )
    sink = CheckpointRecordingSink()
    return Run(train(CONFIG, DATA, paths, sink), sink, output_dir)


def test_a_checkpoint_every_save_steps_reaches_the_sink(first: Run) -> None:
    evals = dict(first.sink.series("eval_loss"))
    reported = [(step, path.name, loss) for step, path, loss in first.sink.checkpoints]
    assert reported == [
        (2, "checkpoint-2", evals[2]),
        (4, "checkpoint-4", evals[4]),
        (6, "checkpoint-6", evals[6]),
    ]
    # Not after the last step (7): the final adapter is saved on its own.
    assert first.result.weights_dir == first.output_dir / "adapter"


def test_save_total_limit_keeps_the_last_k(first: Run) -> None:
    on_disk = sorted(path.name for path in first.output_dir.glob("checkpoint-*"))
    assert on_disk == ["checkpoint-4", "checkpoint-6"]
    checkpoint = first.output_dir / "checkpoint-6"
    for name in ("adapter_model.safetensors", "optimizer.pt", "scheduler.pt", "trainer_state.json", "rng_state.pth"):
        assert (checkpoint / name).is_file(), name


def test_resume_continues_at_the_next_step_without_repeating_metrics(first: Run, resumed: Run) -> None:
    sent = [(step, name) for step, _, values in resumed.sink.metrics_calls for name in values]
    assert len(sent) == len(set(sent))
    assert min(step for step, _ in sent) == 5  # nothing at or before the checkpoint's step, the base model included
    assert [step for step, _ in resumed.sink.series("train_loss")] == [5, 6, 7]
    assert [step for step, _ in resumed.sink.series("eval_loss")] == [6, 7]
    assert not any(event.startswith("evaluating the base model") for event in resumed.sink.lines)
    assert "resuming from checkpoint-4: step 5 of 7" in resumed.sink.lines
    # Same weights, optimiser, schedule, data order and random state: the same losses as without the interruption.
    first_losses = dict(first.sink.series("train_loss"))
    for step, loss in resumed.sink.series("train_loss"):
        assert loss == pytest.approx(first_losses[step], rel=1e-5), step
    assert resumed.result.global_step == 7
    assert resumed.result.base_eval_loss == first.result.base_eval_loss
    assert resumed.result.final_eval_loss == pytest.approx(first.result.final_eval_loss, rel=1e-5)
    assert [step for step, _, _ in resumed.sink.checkpoints] == [6]


def test_load_best_model_at_end_restores_the_best_adapter(tiny_model: Path, tmp_path: Path) -> None:
    # Validation answers the opposite of every training answer: the more the model learns "yes", the worse it
    # scores "no", so the validation loss rises while training goes on and the best is not the last step, whatever
    # the CPU's float rounding (measured: 10.662 at step 1, rising to 10.768 at step 6). A trajectory that merely
    # jumps around, as a high learning rate makes it, had its best at the end on some CPUs.
    config = TrainingConfig(
        max_steps=6,
        per_device_train_batch_size=8,
        eval_steps=1,
        learning_rate=1e-2,
        lr_scheduler_type="constant",
        warmup_ratio=0.0,
        load_best_model_at_end=True,
        save_total_limit=1,
    )
    sink = CheckpointRecordingSink()
    result = train(config, OPPOSITE_ANSWERS, RunPaths(base_model_location=str(tiny_model), output_dir=tmp_path), sink)
    evals = {step: loss for step, loss in sink.series("eval_loss") if step > 0}
    best_step = min(evals, key=lambda step: evals[step])
    assert best_step < result.global_step == 6
    assert (result.best_step, result.weights_step, result.stop_reason) == (best_step, best_step, None)
    assert result.final_eval_loss == evals[best_step]
    # A checkpoint at each new best (save_steps is 50); the best survives save_total_limit=1.
    new_bests, lowest = [], math.inf
    for step in sorted(evals):
        if evals[step] < lowest:
            new_bests.append(step)
            lowest = evals[step]
    assert [step for step, _, _ in sink.checkpoints] == new_bests
    assert (tmp_path / f"checkpoint-{best_step}").is_dir()
    assert result.weights_dir is not None
    final = load_file(result.weights_dir / "adapter_model.safetensors")
    best = load_file(tmp_path / f"checkpoint-{best_step}" / "adapter_model.safetensors")
    assert final.keys() == best.keys()
    assert all(torch.equal(final[name], best[name]) for name in final)
