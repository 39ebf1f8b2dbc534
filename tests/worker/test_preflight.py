"""The pre-flight on the tiny random Llama: a few measured steps, nothing reported, evaluated or saved."""

from pathlib import Path

import pytest
import torch

from domain.config import TrainingConfig
from domain.records import AlpacaRecord
from tests.worker.conftest import RecordingSink
from worker.training.oom import SimulatedOutOfMemory
from worker.training.preflight import PREFLIGHT_STEPS, PreflightResult, planned_steps, preflight
from worker.training.types import RunPaths, SplitData

ROWS = [AlpacaRecord(instruction=f"Repeat the word twice: w{i}", output=f"w{i} w{i}") for i in range(24)]
DATA = SplitData(train=ROWS[:18], validation=ROWS[18:22], test=ROWS[22:])
# 18 rows in batches of 4: 5 batches per epoch, 3 steps per epoch with accumulation 2, 6 steps over 2 epochs.
CONFIG = TrainingConfig(num_train_epochs=2, per_device_train_batch_size=4, gradient_accumulation_steps=2, save_steps=1)


class CancelledSink(RecordingSink):
    def cancel_requested(self) -> bool:
        return True


def test_measures_steps_and_leaves_nothing_behind(tiny_model: Path, tmp_path: Path) -> None:
    sink = RecordingSink()
    output = tmp_path / "run"
    measured = preflight(CONFIG, DATA, RunPaths(base_model_location=str(tiny_model), output_dir=output), sink)

    assert measured is not None
    assert measured.steps == PREFLIGHT_STEPS
    assert measured.total_steps == 6
    assert 0 < measured.seconds_per_step < 60
    assert measured.peak_memory_bytes > 100 * 2**20  # the process holds torch and the model at least
    assert measured.estimated_seconds == pytest.approx(6 * measured.seconds_per_step)
    # Its steps are discarded: nothing reaches the run's metrics or log, no checkpoint (save_steps 1) or weights.
    assert (sink.metrics_calls, sink.lines) == ([], [])
    assert not output.exists()


def test_a_cancel_stops_it(tiny_model: Path, tmp_path: Path) -> None:
    paths = RunPaths(base_model_location=str(tiny_model), output_dir=tmp_path)
    assert preflight(CONFIG, DATA, paths, CancelledSink()) is None


def test_out_of_memory_reaches_the_caller(tiny_model: Path, tmp_path: Path) -> None:
    """So the worker retries it like the run's own (and the simulated error is the one CUDA raises)."""
    paths = RunPaths(base_model_location=str(tiny_model), output_dir=tmp_path)
    with pytest.raises(torch.OutOfMemoryError, match="simulated: micro-batch 4 is above"):
        preflight(CONFIG, DATA, paths, RecordingSink(), extra_callbacks=[SimulatedOutOfMemory(limit=2)])


def test_planned_steps_follow_the_trainer() -> None:
    assert planned_steps(CONFIG, batches_per_epoch=5) == 6
    assert planned_steps(CONFIG.model_copy(update={"max_steps": 400}), batches_per_epoch=5) == 400
    assert planned_steps(CONFIG.model_copy(update={"num_train_epochs": 1.5}), batches_per_epoch=5) == 5
    assert planned_steps(CONFIG, batches_per_epoch=0) == 2  # an epoch is at least one step


def test_the_message_gives_an_eta() -> None:
    measured = PreflightResult(steps=3, seconds_per_step=6.1, peak_memory_bytes=1_200_000_000, total_steps=400)
    assert measured.describe() == "Pre-flight: 3 steps fit in 1.2 GB, 6.1 s/step → about 41 min for 400 steps"
