"""Out of memory, through the API and a real worker process: retried with a smaller micro-batch, or failed readably.

No GPU here: the worker's fault-injection setting STUDIO_SIMULATE_OOM_ABOVE_BATCH raises the error CUDA raises
whenever a training micro-batch is above the limit.
"""

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.core.config import get_settings
from tests.conftest import Stack
from tests.factories import create_dataset
from tests.processes import celery_worker

HYPERPARAMETERS = {
    "max_steps": 6,
    "eval_steps": 3,
    "per_device_train_batch_size": 8,
    "max_seq_length": 96,
    "max_new_tokens": 8,
    "learning_rate": 1e-3,
}


def _launch(client: TestClient, tiny_model: Path, **fields: Any) -> dict[str, Any]:
    dataset = create_dataset(client, count=24)
    client.post("/api/models", json={"name_or_path": str(tiny_model)})
    body = {"dataset_id": dataset["id"], "base_model": str(tiny_model), "hyperparameters": HYPERPARAMETERS, **fields}
    response = client.post("/api/runs", json=body)
    assert response.status_code == 201, response.text
    run: dict[str, Any] = response.json()
    return run


def _wait_until_finished(client: TestClient, run_id: int, worker_log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while (run := client.get(f"/api/runs/{run_id}").json())["status"] not in {"succeeded", "failed", "cancelled"}:
        assert time.monotonic() < deadline, worker_log.read_text()
        time.sleep(0.5)
    return run  # type: ignore[no-any-return]


def _log(client: TestClient, run_id: int) -> list[dict[str, Any]]:
    return client.get(f"/api/runs/{run_id}/log").json()["items"]  # type: ignore[no-any-return]


def _steps(client: TestClient, run_id: int, name: str) -> list[int]:
    return [m["step"] for m in client.get(f"/api/runs/{run_id}/metrics").json()["items"] if m["name"] == name]


def test_training_out_of_memory_is_retried_with_the_same_effective_batch(
    client: TestClient, stack: Stack, tiny_model: Path, tmp_path: Path
) -> None:
    get_settings().sse_max_connection_seconds = 300  # a stuck run ends the stream (and fails the test) in time
    with celery_worker({**stack.env(), "STUDIO_SIMULATE_OOM_ABOVE_BATCH": "2"}, tmp_path / "worker.log"):
        run = _launch(client, tiny_model)
        with client.stream("GET", f"/api/runs/{run['id']}/events") as stream:
            streamed = [json.loads(line[5:]) for line in stream.iter_lines() if line.startswith("data:")]

    finished = client.get(f"/api/runs/{run['id']}").json()
    assert finished["status"] == "succeeded", finished["error"]
    # The stored config is what trained: micro-batch 2 with accumulation 4, not 8 with 1.
    assert finished["config"]["per_device_train_batch_size"] == 2
    assert finished["config"]["gradient_accumulation_steps"] == 4
    log = _log(client, run["id"])
    assert [e["message"] for e in log if e["kind"] == "oom_retry"] == [
        "Out of memory at batch size 8 × accumulation 1: retrying with 4 × 2 (same effective batch of 8), retry 1 of 2",
        "Out of memory at batch size 4 × accumulation 2: retrying with 2 × 4 (same effective batch of 8), retry 2 of 2",
    ]
    assert (log[-1]["kind"], log[-1]["message"]) == ("info", "finished after 6 steps")
    # The failed attempts' metrics are gone: each step once, the base model's validation loss once.
    assert _steps(client, run["id"], "train_loss") == [1, 2, 3, 4, 5, 6]
    assert _steps(client, run["id"], "eval_loss") == [0, 3, 6]
    # The live stream carried the log as it grew, every line once.
    assert [e["id"] for e in streamed if e["type"] == "log_line"] == [e["id"] for e in log]
    assert streamed[-1]["payload"]["status"] == "succeeded"


def test_out_of_memory_at_every_size_fails_after_two_retries(
    client: TestClient, stack: Stack, tiny_model: Path, tmp_path: Path
) -> None:
    with celery_worker({**stack.env(), "STUDIO_SIMULATE_OOM_ABOVE_BATCH": "1"}, tmp_path / "worker.log"):
        run = _launch(client, tiny_model)
        failed = _wait_until_finished(client, run["id"], tmp_path / "worker.log")

    assert failed["status"] == "failed"
    assert failed["error"] == (
        "Out of memory at batch size 2: try 1, a shorter max_seq_length, or enable gradient_checkpointing."
    )
    assert failed["config"]["per_device_train_batch_size"] == 2
    log = _log(client, run["id"])
    assert [e["kind"] for e in log].count("oom_retry") == 2
    assert (log[-1]["kind"], log[-1]["message"]) == ("error", failed["error"])


def test_preflight_measures_the_run_and_finds_a_batch_that_fits_before_it_starts(
    client: TestClient, stack: Stack, tiny_model: Path, tmp_path: Path
) -> None:
    with celery_worker({**stack.env(), "STUDIO_SIMULATE_OOM_ABOVE_BATCH": "4"}, tmp_path / "worker.log"):
        run = _launch(client, tiny_model, preflight=True)
        assert run["preflight"] is True
        finished = _wait_until_finished(client, run["id"], tmp_path / "worker.log")

    assert finished["status"] == "succeeded", finished["error"]
    log = _log(client, run["id"])
    kinds = [e["kind"] for e in log]
    # Out of memory in the pre-flight, one retry, the figures, and only then the run's own training.
    retry, figures = kinds.index("oom_retry"), kinds.index("preflight")
    started = next(i for i, e in enumerate(log) if e["message"] == "training 6 steps")
    assert retry < figures < started
    assert kinds.count("oom_retry") == 1
    assert re.fullmatch(
        r"Pre-flight: 3 steps fit in [\d.]+ GB, [\d.]+ s/step → about \d+ s for 6 steps", log[figures]["message"]
    )
    preflight = finished["environment"]["preflight"]
    assert (preflight["steps"], preflight["total_steps"]) == (3, 6)
    assert preflight["seconds_per_step"] > 0 and preflight["peak_memory_bytes"] > 0
    assert preflight["estimated_seconds"] == pytest.approx(6 * preflight["seconds_per_step"])
    assert finished["environment"]["device"] == "cpu"  # the final facts joined the pre-flight's, not replaced them
    assert finished["config"]["per_device_train_batch_size"] == 4
    # The pre-flight's steps are not the run's: its metrics start at step 1, once each.
    assert _steps(client, run["id"], "train_loss") == [1, 2, 3, 4, 5, 6]
