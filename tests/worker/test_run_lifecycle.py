"""After a run: resumed from its checkpoint by a real worker, and deleted with its files (a running one cancelled
first), on both stacks."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.core.config import get_settings
from backend.main import create_app
from tests.accounts import create_account
from tests.conftest import Stack
from tests.factories import create_dataset
from tests.processes import celery_worker

QUICK = {
    "max_steps": 12,
    "eval_steps": 6,
    "save_steps": 3,
    "save_total_limit": 2,
    "per_device_train_batch_size": 4,
    "max_seq_length": 96,
    "max_new_tokens": 4,
    "learning_rate": 1e-3,
}
FINISHED = {"succeeded", "failed", "cancelled"}


@pytest.fixture
def worker(stack: Stack, tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "worker.log"
    with celery_worker(stack.env(), log):
        yield log


def _launch(client: TestClient, tiny_model: Path, **overrides: Any) -> int:
    dataset = create_dataset(client, count=24)
    assert client.post("/api/models", json={"name_or_path": str(tiny_model)}).status_code == 201
    response = client.post(
        "/api/runs",
        json={"dataset_id": dataset["id"], "base_model": str(tiny_model), "hyperparameters": {**QUICK, **overrides}},
    )
    assert response.status_code == 201, response.text
    run_id: int = response.json()["id"]
    return run_id


def _until(check: Any, worker_log: Path, timeout: float = 240) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out; worker log:\n{worker_log.read_text()}")


def _checkpoints_on_disk(client: TestClient, run_id: int) -> list[int]:
    items = client.get(f"/api/runs/{run_id}/checkpoints").json()["items"]
    return [c["step"] for c in items if c["on_disk"] and not c["is_final"]]


def test_a_cancelled_run_resumes_from_its_last_checkpoint(client: TestClient, tiny_model: Path, worker: Path) -> None:
    run_id = _launch(client, tiny_model)
    _until(lambda: _checkpoints_on_disk(client, run_id), worker)
    assert client.post(f"/api/runs/{run_id}/cancel").status_code == 200
    cancelled = _until(lambda: (r := client.get(f"/api/runs/{run_id}").json())["status"] in FINISHED and r, worker)
    assert cancelled["status"] == "cancelled", cancelled
    latest = max(_checkpoints_on_disk(client, run_id))

    resumed = client.post(f"/api/runs/{run_id}/resume")
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "queued"
    assert resumed.json()["status_message"] == f"waiting for a worker: resumes from the checkpoint at step {latest}"
    done = _until(lambda: (r := client.get(f"/api/runs/{run_id}").json())["status"] in FINISHED and r, worker)
    assert done["status"] == "succeeded", (done["error"], worker.read_text())
    log = [line["message"] for line in client.get(f"/api/runs/{run_id}/log").json()["items"]]
    assert f"resuming from the checkpoint at step {latest}" in log
    # Every step's training loss once: the steps up to the checkpoint kept, the rest logged by the resumed trainer.
    steps = [m["step"] for m in client.get(f"/api/runs/{run_id}/metrics").json()["items"] if m["name"] == "train_loss"]
    assert len(steps) == len(set(steps)) and max(steps) == QUICK["max_steps"]

    conflict = client.post(f"/api/runs/{run_id}/resume")
    assert conflict.status_code == 409
    assert "only a failed or cancelled run can be resumed" in conflict.json()["detail"]


def test_a_run_without_a_checkpoint_is_not_resumed(client: TestClient, tiny_model: Path) -> None:
    run_id = _launch(client, tiny_model)  # no worker: it stays queued
    assert client.post(f"/api/runs/{run_id}/cancel").json()["status"] == "cancelled"
    response = client.post(f"/api/runs/{run_id}/resume")
    assert response.status_code == 409
    assert response.json()["detail"] == f"run {run_id} has no checkpoint on disk to resume from: run it again instead"


def test_a_running_run_is_deleted_with_its_files(client: TestClient, tiny_model: Path, worker: Path) -> None:
    run_id = _launch(client, tiny_model, max_steps=100_000, eval_steps=100_000)
    _until(lambda: _checkpoints_on_disk(client, run_id), worker)
    files = get_settings().storage_dir / "runs" / str(run_id)
    assert files.is_dir()
    member = create_account("member@example.com")
    with TestClient(create_app(), headers=member.headers) as member_client:
        assert member_client.delete(f"/api/runs/{run_id}").status_code == 404  # not theirs

    assert client.delete(f"/api/runs/{run_id}").status_code == 204
    assert client.get(f"/api/runs/{run_id}").status_code == 404
    assert client.get(f"/api/runs/{run_id}/metrics").status_code == 404
    # The worker stops at its next step and removes what it wrote since.
    _until(lambda: "deleted" in worker.read_text() or not files.exists(), worker, timeout=60)
    _until(lambda: not files.exists(), worker, timeout=60)
    assert run_id not in [run["id"] for run in client.get("/api/runs").json()["items"]]
