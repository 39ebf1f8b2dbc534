"""A run from the REST API through the real broker to a real Celery worker process, on both stacks."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.core.config import get_settings
from domain.catalog import model_fingerprint
from tests.conftest import Stack
from tests.factories import create_dataset
from tests.processes import celery_worker

QUICK = {
    "max_steps": 6,
    "eval_steps": 3,
    "per_device_train_batch_size": 4,
    "max_seq_length": 96,
    "max_new_tokens": 8,
    "learning_rate": 1e-3,
}


@pytest.fixture
def worker(stack: Stack, tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "worker.log"
    with celery_worker(stack.env(), log):
        yield log


def _launch(client: TestClient, tiny_model: Path, **overrides: Any) -> dict[str, Any]:
    dataset = create_dataset(client, count=24)
    assert client.post("/api/models", json={"name_or_path": str(tiny_model)}).status_code == 201
    response = client.post(
        "/api/runs",
        json={"dataset_id": dataset["id"], "base_model": str(tiny_model), "hyperparameters": {**QUICK, **overrides}},
    )
    assert response.status_code == 201, response.text
    run: dict[str, Any] = response.json()
    return run


def _wait_for(client: TestClient, run_id: int, statuses: set[str], worker_log: Path, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in statuses:
            return run  # type: ignore[no-any-return]
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} still {run['status']} after {timeout}s; worker log:\n{worker_log.read_text()}")


def test_run_streams_live_metrics_and_ends_with_side_by_side_answers(
    client: TestClient, tiny_model: Path, worker: Path
) -> None:
    get_settings().sse_max_connection_seconds = 240  # a stuck run ends the stream (and fails the test) in time
    run = _launch(client, tiny_model)

    events = []
    with client.stream("GET", f"/api/runs/{run['id']}/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    statuses = [e["payload"]["status"] for e in events if e["type"] == "status"]
    assert statuses[0] in {"queued", "running"}
    assert statuses[-1] == "succeeded", worker.read_text()
    metric_events = [e for e in events if e["type"] == "metric"]
    assert {e["payload"]["name"] for e in metric_events} >= {"train_loss", "eval_loss"}

    finished = client.get(f"/api/runs/{run['id']}").json()
    assert finished["environment"]["device"] == "cpu"
    assert finished["environment"]["base_model"] == {
        "name": str(tiny_model),
        "location": str(tiny_model),
        "fingerprint": model_fingerprint(str(tiny_model)),
    }
    assert finished["environment"]["peak_memory_bytes"] > 100 * 2**20  # the worker process holds torch at least
    assert finished["base_eval_loss"] is not None
    assert finished["final_eval_loss"] is not None

    metrics = client.get(f"/api/runs/{run['id']}/metrics").json()["items"]
    train_steps = [m["step"] for m in metrics if m["name"] == "train_loss"]
    assert train_steps == [1, 2, 3, 4, 5, 6]  # each step once, in order
    eval_steps = [m["step"] for m in metrics if m["name"] == "eval_loss"]
    assert eval_steps[0] == 0 and eval_steps[-1] == 6  # the base model first, the final adapter last
    assert [e["id"] for e in metric_events] == [m["id"] for m in metrics]  # the stream carried every metric

    dataset = client.get(f"/api/datasets/{run['dataset_id']}").json()
    # Without asking: the fine-tuned and the base model's answers scored, each metric with its interval.
    evaluations = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"]
    assert [(e["model"], e["status"], e["split"]) for e in evaluations] == [
        ("fine_tuned", "succeeded", "test"),
        ("base", "succeeded", "test"),
    ]
    tuned, base = evaluations
    assert tuned["base_model_fingerprint"] == model_fingerprint(str(tiny_model))
    assert tuned["decoding"]["strategy"] == "greedy"
    assert set(tuned["metrics"]) >= {"exact_match", "token_f1", "rouge_l", "chrf", "bleu", "answer_length"}
    rouge = tuned["metrics"]["rouge_l"]
    assert 0 <= rouge["ci_low"] <= rouge["value"] <= rouge["ci_high"] <= 1
    tuned_answers = client.get(f"/api/evaluations/{tuned['id']}/predictions").json()
    base_answers = client.get(f"/api/evaluations/{base['id']}/predictions").json()
    assert tuned_answers["total"] == base_answers["total"] == dataset["num_test"]
    for tuned_row, base_row in zip(tuned_answers["items"], base_answers["items"], strict=True):
        # The same test example and rendered prompt, answered by each model.
        assert (tuned_row["example_id"], tuned_row["prompt"]) == (base_row["example_id"], base_row["prompt"])
        assert tuned_row["prompt"].endswith("### Response:\n")
        assert tuned_row["expected"]
        assert isinstance(tuned_row["generated"], str) and isinstance(base_row["generated"], str)
        assert set(base_row["scores"]) >= {"rouge_l", "exact_match"}
    comparison = client.get("/api/evaluations/compare", params={"a": base["id"], "b": tuned["id"]}).json()
    assert comparison["examples"] == dataset["num_test"]
    rouge_change = next(m for m in comparison["metrics"] if m["name"] == "rouge_l")
    assert rouge_change["a"] == pytest.approx(base["metrics"]["rouge_l"]["value"])
    assert rouge_change["better"] + rouge_change["same"] + rouge_change["worse"] == dataset["num_test"]

    # The runs list's figures, kept on the run by the worker as it went.
    listed = client.get("/api/runs").json()["items"][0]
    assert (listed["id"], listed["step"], listed["total_steps"]) == (run["id"], 6, 6)
    assert listed["best_eval_loss"] == pytest.approx(
        min(m["value"] for m in metrics if m["name"] == "eval_loss" and m["step"] > 0)
    )
    assert listed["loss_sparkline"] == pytest.approx([m["value"] for m in metrics if m["name"] == "train_loss"])
    assert listed["rouge_l"] == pytest.approx(rouge["value"])
    assert listed["rouge_l_change"] == pytest.approx(rouge["value"] - base["metrics"]["rouge_l"]["value"])
    assert listed["duration_seconds"] > 0


def test_running_run_is_cancelled_within_seconds(client: TestClient, tiny_model: Path, worker: Path) -> None:
    run = _launch(client, tiny_model, max_steps=100_000, eval_steps=100_000)
    _wait_for(client, run["id"], {"running"}, worker)
    deadline = time.monotonic() + 120
    while not any(m["name"] == "train_loss" for m in client.get(f"/api/runs/{run['id']}/metrics").json()["items"]):
        assert time.monotonic() < deadline, worker.read_text()
        time.sleep(0.3)

    assert client.post(f"/api/runs/{run['id']}/cancel").json()["cancel_requested"] is True
    started = time.monotonic()
    cancelled = _wait_for(client, run["id"], {"cancelled", "succeeded", "failed"}, worker, timeout=30)
    assert cancelled["status"] == "cancelled"
    assert time.monotonic() - started < 15
    assert client.get("/api/evaluations", params={"run_id": run["id"]}).json()["total"] == 0


def test_bad_base_model_fails_with_a_readable_error(client: TestClient, tiny_model: Path, worker: Path) -> None:
    # A model config the API accepts (it reads config.json), but no weights: only the worker finds out.
    broken = tiny_model.parent / "broken-model"
    broken.mkdir(exist_ok=True)
    (broken / "config.json").write_text((tiny_model / "config.json").read_text())
    dataset = create_dataset(client, count=12)
    run = client.post(
        "/api/runs", json={"dataset_id": dataset["id"], "base_model": str(broken), "hyperparameters": QUICK}
    ).json()

    failed = _wait_for(client, run["id"], {"failed", "succeeded"}, worker)
    assert failed["status"] == "failed"
    assert failed["error"]
    assert failed["finished_at"] is not None
