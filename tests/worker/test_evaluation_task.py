"""Evaluations on demand, answered by a real Celery worker process after a tiny real run, on both stacks."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.catalog import model_fingerprint
from tests.conftest import Stack
from tests.factories import create_dataset
from tests.processes import celery_worker

QUICK = {
    "max_steps": 6,
    "eval_steps": 3,
    "save_steps": 3,  # checkpoint-3 and checkpoint-6 stay on disk (save_total_limit 2)
    "per_device_train_batch_size": 4,
    "max_seq_length": 96,
    "max_new_tokens": 8,
    "learning_rate": 1e-3,
}
FINISHED = {"succeeded", "failed", "cancelled"}


@pytest.fixture
def worker(stack: Stack, tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "worker.log"
    with celery_worker(stack.env(), log):
        yield log


def _trained_run(client: TestClient, tiny_model: Path, worker_log: Path, rows: int = 24) -> dict[str, Any]:
    dataset = create_dataset(client, count=rows)
    assert client.post("/api/models", json={"name_or_path": str(tiny_model)}).status_code == 201
    response = client.post(
        "/api/runs", json={"dataset_id": dataset["id"], "base_model": str(tiny_model), "hyperparameters": QUICK}
    )
    assert response.status_code == 201, response.text
    run = _wait_for(client, f"/api/runs/{response.json()['id']}", FINISHED, worker_log)
    assert run["status"] == "succeeded", worker_log.read_text()
    return run


def _wait_for(client: TestClient, path: str, statuses: set[str], worker_log: Path, timeout: float = 240) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(path).json()
        if body["status"] in statuses:
            return body
        time.sleep(0.3)
    raise AssertionError(f"{path} still {body['status']} after {timeout}s; worker log:\n{worker_log.read_text()}")


def _evaluate(client: TestClient, worker_log: Path, **request: Any) -> dict[str, Any]:
    response = client.post("/api/evaluations", json=request)
    assert response.status_code == 201, response.text
    evaluation: dict[str, Any] = _wait_for(client, f"/api/evaluations/{response.json()['id']}", FINISHED, worker_log)
    assert evaluation["status"] == "succeeded", (evaluation["error"], worker_log.read_text())
    assert evaluation["done"] == evaluation["total"]
    assert set(evaluation["metrics"]) >= {"exact_match", "token_f1", "rouge_l", "chrf", "bleu", "answer_length"}
    predictions = client.get(f"/api/evaluations/{evaluation['id']}/predictions").json()
    assert predictions["total"] == evaluation["total"]
    evaluation["predictions"] = predictions["items"]
    return evaluation


def test_a_checkpoint_the_base_model_and_seeded_sampling_are_evaluated(
    client: TestClient, tiny_model: Path, worker: Path
) -> None:
    run = _trained_run(client, tiny_model, worker)
    steps = [c["step"] for c in client.get(f"/api/runs/{run['id']}/checkpoints").json()["items"] if not c["is_final"]]
    assert 3 in steps, steps
    dataset = client.get(f"/api/datasets/{run['dataset_id']}").json()

    checkpoint = _evaluate(client, worker, run_id=run["id"], checkpoint_step=3, batch_size=2)
    assert (checkpoint["model"], checkpoint["checkpoint_step"], checkpoint["split"]) == ("fine_tuned", 3, "test")
    assert checkpoint["total"] == dataset["num_test"]
    assert checkpoint["template"] == "alpaca"
    assert checkpoint["base_model_fingerprint"] == model_fingerprint(str(tiny_model))
    for prediction in checkpoint["predictions"]:
        assert prediction["prompt"].endswith("### Response:\n")  # the run's training template
        assert prediction["expected"]
        assert set(prediction["scores"]) >= {"rouge_l", "exact_match"}

    base = _evaluate(client, worker, run_id=run["id"], model="base", split="validation")
    assert (base["model"], base["checkpoint_step"], base["total"]) == ("base", None, dataset["num_validation"])
    assert (checkpoint["decoding"]["batch_size"], base["decoding"]["batch_size"]) == (2, None)  # None: from memory

    sampling = {"strategy": "sampling", "temperature": 1.5, "top_k": 0, "seed": 1234, "max_new_tokens": 12}
    first = _evaluate(client, worker, run_id=run["id"], split=None, decoding=sampling)
    second = _evaluate(client, worker, run_id=run["id"], split=None, decoding=sampling)
    assert first["total"] == dataset["num_rows"]
    assert first["decoding"]["seed"] == 1234
    assert [p["generated"] for p in first["predictions"]] == [p["generated"] for p in second["predictions"]]
    assert any(p["generated"] for p in first["predictions"])


def test_a_long_evaluation_is_cancelled_between_batches(client: TestClient, tiny_model: Path, worker: Path) -> None:
    run = _trained_run(client, tiny_model, worker, rows=400)
    response = client.post(
        "/api/evaluations",
        json={"run_id": run["id"], "split": None, "batch_size": 1, "decoding": {"max_new_tokens": 64}},
    )
    assert response.status_code == 201, response.text
    path = f"/api/evaluations/{response.json()['id']}"
    deadline = time.monotonic() + 120
    while client.get(path).json()["done"] == 0:
        assert time.monotonic() < deadline, worker.read_text()
        time.sleep(0.2)

    cancelling = client.post(f"{path}/cancel").json()
    assert cancelling["cancel_requested"] is True
    cancelled = _wait_for(client, path, FINISHED, worker, timeout=60)
    assert cancelled["status"] == "cancelled"
    assert 0 < cancelled["done"] < cancelled["total"] == 400
    assert cancelled["metrics"] == {}
    assert client.get(f"{path}/predictions").json()["total"] == 0
