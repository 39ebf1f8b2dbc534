"""Out-of-memory retries: the batch policy (pure), and OomRetry against the real database."""

from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.storage import LocalStorage
from backend.models import Checkpoint, Metric, Run, RunLogLine
from domain.config import TrainingConfig
from domain.log import LogKind
from tests.factories import create_dataset
from worker import run_store
from worker.leases import Lease
from worker.oom_retry import OomRetry
from worker.sinks import DatabaseSink
from worker.training.oom import BatchSettings, is_out_of_memory, next_batch_settings, retry_message
from worker.training.types import UNQUANTISED_EVAL_LOSS, RunPaths


class TestNextBatchSettings:
    def test_halves_the_micro_batch_and_doubles_accumulation(self) -> None:
        assert next_batch_settings(BatchSettings(16, 4), retries_done=0) == BatchSettings(8, 8)
        assert next_batch_settings(BatchSettings(8, 8), retries_done=1) == BatchSettings(4, 16)

    @pytest.mark.parametrize("batch_size", [2, 3, 6, 7, 9, 12, 15, 1024])
    @pytest.mark.parametrize("accumulation", [1, 3, 4])
    def test_the_effective_batch_never_changes(self, batch_size: int, accumulation: int) -> None:
        current = BatchSettings(batch_size, accumulation)
        smaller = next_batch_settings(current, retries_done=0)
        assert smaller is not None
        assert smaller.batch_size < batch_size
        assert smaller.effective == current.effective

    def test_an_odd_micro_batch_is_divided_by_its_smallest_factor(self) -> None:
        assert next_batch_settings(BatchSettings(6, 1), 0) == BatchSettings(3, 2)
        assert next_batch_settings(BatchSettings(9, 1), 0) == BatchSettings(3, 3)
        assert next_batch_settings(BatchSettings(7, 2), 0) == BatchSettings(1, 14)

    def test_gives_up_after_two_retries(self) -> None:
        assert next_batch_settings(BatchSettings(16, 1), retries_done=2) is None

    def test_gives_up_at_batch_size_one(self) -> None:
        assert next_batch_settings(BatchSettings(1, 8), retries_done=0) is None

    def test_the_message_says_what_changed_and_what_did_not(self) -> None:
        assert retry_message(BatchSettings(16, 4), BatchSettings(8, 8), 1) == (
            "Out of memory at batch size 16 × accumulation 4: retrying with 8 × 8 (same effective batch of 64), "
            "retry 1 of 2"
        )


class TestIsOutOfMemory:
    @pytest.mark.parametrize(
        "exc",
        [
            torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
            torch.cuda.OutOfMemoryError("CUDA out of memory."),
            RuntimeError("MPS backend out of memory (MPS allocated: 8 GB)"),
        ],
    )
    def test_recognises_allocator_errors(self, exc: BaseException) -> None:
        assert is_out_of_memory(exc)

    @pytest.mark.parametrize("exc", [RuntimeError("expected scalar type Float"), ValueError("out of memory")])
    def test_other_errors_are_not_retried(self, exc: BaseException) -> None:
        assert not is_out_of_memory(exc)


def _running_run(client: TestClient, **hyperparameters: Any) -> OomRetry:
    dataset = create_dataset(client, count=12)
    run = client.post("/api/runs", json={"dataset_id": dataset["id"], "hyperparameters": hyperparameters}).json()
    assert run_store.claim(run["id"], "worker-a")
    lease = Lease(run["id"], owner="worker-a")
    storage = LocalStorage(get_settings().storage_dir)
    paths = RunPaths(base_model_location="unused", output_dir=storage.local_path(f"runs/{run['id']}"))
    return OomRetry(lease, DatabaseSink(lease, storage), TrainingConfig.model_validate(run["config"]), paths)


def _record_training(run_id: int, steps: range, checkpoint_step: int | None) -> Path | None:
    """What a failed attempt leaves: metrics of each step (the base model's loss at 0), maybe one checkpoint."""
    storage = LocalStorage(get_settings().storage_dir)
    rows = [
        {"run_id": run_id, "step": s, "epoch": None, "name": "eval_loss" if s == 0 else "train_loss", "value": 2.0}
        for s in steps
    ]
    # A quantised method's base model, measured unquantised too.
    rows += [{"run_id": run_id, "step": 0, "epoch": None, "name": UNQUANTISED_EVAL_LOSS, "value": 1.5}] * (0 in steps)
    with get_sessionmaker().begin() as session:
        session.execute(insert(Metric), rows)
        if checkpoint_step is None:
            return None
        directory = storage.local_path(f"runs/{run_id}/checkpoint-{checkpoint_step}")
        directory.mkdir(parents=True)
        key = str(directory.relative_to(storage.root))
        session.execute(insert(Checkpoint).values(run_id=run_id, step=checkpoint_step, storage_key=key))
        return directory


def _log(run_id: int) -> list[tuple[LogKind, str]]:
    with get_sessionmaker()() as session:
        entries = session.scalars(select(RunLogLine).where(RunLogLine.run_id == run_id).order_by(RunLogLine.id))
        return [(e.kind, e.message) for e in entries]


def _stored(run_id: int) -> tuple[dict[str, Any], list[int]]:
    with get_sessionmaker()() as session:
        config = session.get_one(Run, run_id).config
        steps = list(session.scalars(select(Metric.step).where(Metric.run_id == run_id).order_by(Metric.step)))
        return config, steps


class TestOomRetry:
    def test_resumes_from_the_latest_checkpoint_with_the_smaller_batch(self, client: TestClient) -> None:
        retry = _running_run(client, per_device_train_batch_size=8, gradient_accumulation_steps=2)
        run_id = retry.lease.run_id
        checkpoint = _record_training(run_id, range(0, 7), checkpoint_step=4)
        attempts: list[tuple[TrainingConfig, RunPaths]] = []

        def attempt(config: TrainingConfig, paths: RunPaths) -> str:
            attempts.append((config, paths))
            if len(attempts) == 1:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.00 GiB")
            return "trained"

        assert retry.run(attempt) == "trained"
        (first_config, first_paths), (config, paths) = attempts
        assert (first_config.per_device_train_batch_size, first_paths.resume_from) == (8, None)
        assert (config.per_device_train_batch_size, config.gradient_accumulation_steps) == (4, 4)
        assert config.per_device_eval_batch_size == 4  # capped by the new micro-batch: validation fits too
        assert paths.resume_from == checkpoint
        assert paths.base_eval_loss == 2.0  # the base model is not evaluated again
        assert paths.unquantised_base_eval_loss == 1.5  # nor unquantised
        stored_config, steps = _stored(run_id)
        assert (stored_config["per_device_train_batch_size"], stored_config["gradient_accumulation_steps"]) == (4, 4)
        assert stored_config["per_device_eval_batch_size"] == 4
        assert steps == [0, 0, 1, 2, 3, 4]  # the steps after the checkpoint are trained (and logged) again
        assert _log(run_id) == [
            (
                LogKind.OOM_RETRY,
                "Out of memory at batch size 8 × accumulation 2: retrying with 4 × 4 (same effective batch of 16), "
                "retry 1 of 2",
            ),
            (LogKind.RESUME, "resuming from the checkpoint at step 4"),
        ]

    def test_without_a_checkpoint_starts_over_without_the_failed_attempts_metrics(self, client: TestClient) -> None:
        retry = _running_run(client, per_device_train_batch_size=4)
        _record_training(retry.lease.run_id, range(0, 3), checkpoint_step=None)
        calls = 0

        def attempt(config: TrainingConfig, paths: RunPaths) -> RunPaths:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("CUDA error: out of memory")
            return paths

        paths = retry.run(attempt)
        assert paths.resume_from is None and paths.base_eval_loss is None and paths.unquantised_base_eval_loss is None
        assert _stored(retry.lease.run_id)[1] == []  # the base model is evaluated again, so its step 0 goes too
        assert [kind for kind, _ in _log(retry.lease.run_id)] == [LogKind.OOM_RETRY]

    def test_gives_up_after_two_retries_with_the_last_settings_stored(self, client: TestClient) -> None:
        retry = _running_run(client, per_device_train_batch_size=8)
        batch_sizes: list[int] = []

        def attempt(config: TrainingConfig, paths: RunPaths) -> None:
            batch_sizes.append(config.per_device_train_batch_size)
            raise torch.OutOfMemoryError("CUDA out of memory.")

        with pytest.raises(torch.OutOfMemoryError):
            retry.run(attempt)
        assert batch_sizes == [8, 4, 2]
        assert retry.config.per_device_train_batch_size == 2  # what the failure message names
        assert _stored(retry.lease.run_id)[0]["gradient_accumulation_steps"] == 4
        assert [kind for kind, _ in _log(retry.lease.run_id)] == [LogKind.OOM_RETRY, LogKind.OOM_RETRY]

    def test_other_errors_fail_at_once(self, client: TestClient) -> None:
        retry = _running_run(client)

        def attempt(config: TrainingConfig, paths: RunPaths) -> None:
            raise ValueError("every training example's prompt is longer than max_seq_length (16)")

        with pytest.raises(ValueError):
            retry.run(attempt)
        assert retry.retries == 0
        assert _log(retry.lease.run_id) == []

    def test_a_worker_that_lost_the_run_changes_neither_its_config_nor_its_log(self, client: TestClient) -> None:
        retry = _running_run(client, per_device_train_batch_size=8)
        with get_sessionmaker().begin() as session:
            session.get_one(Run, retry.lease.run_id).lease_owner = "worker-b"  # taken over after worker-a froze
        calls = 0

        def attempt(config: TrainingConfig, paths: RunPaths) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise torch.OutOfMemoryError("CUDA out of memory.")

        retry.run(attempt)
        assert _stored(retry.lease.run_id)[0]["per_device_train_batch_size"] == 8
        assert _log(retry.lease.run_id) == []
