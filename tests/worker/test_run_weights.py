"""A run's weights, from a real Celery worker to a zip download: the adapter, the merged model, method full."""

import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from tests.conftest import Stack
from tests.factories import create_dataset
from tests.processes import celery_worker
from worker.training.generate import generate_answers

QUICK = {
    "max_steps": 6,
    "eval_steps": 3,
    "per_device_train_batch_size": 4,
    "max_seq_length": 96,
    "max_new_tokens": 8,
    "learning_rate": 1e-2,  # bold, so six steps visibly change what the tiny model answers
}


@pytest.fixture
def worker(stack: Stack, tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "worker.log"
    with celery_worker(stack.env(), log):
        yield log


def _finished_run(client: TestClient, model_dir: Path, worker_log: Path, **hyperparameters: Any) -> dict[str, Any]:
    dataset = create_dataset(client, count=24)
    assert client.post("/api/models", json={"name_or_path": str(model_dir)}).status_code == 201
    run = client.post(
        "/api/runs",
        json={
            "dataset_id": dataset["id"],
            "base_model": str(model_dir),
            "hyperparameters": {**QUICK, **hyperparameters},
        },
    ).json()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run['id']}").json()
        if run["status"] in {"succeeded", "failed", "cancelled"}:
            assert run["status"] == "succeeded", f"{run['error']}\n{worker_log.read_text()}"
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run['id']} still {run['status']}; worker log:\n{worker_log.read_text()}")


def _download(client: TestClient, run: dict[str, Any], name: str, into: Path) -> Path:
    """The artifact's zip, checked against the run's download list, extracted below `into`; returns its folder."""
    url = f"/api/runs/{run['id']}/artifacts/{name}.zip"
    assert url in [artifact["url"] for artifact in run["artifacts"]]
    response = client.get(url)
    assert response.status_code == 200, response.text
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(into)
    return into / f"run-{run['id']}-{name}"


def _logits(model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    with torch.inference_mode():
        return model(**inputs).logits  # type: ignore[no-any-return]


def test_merged_model_computes_what_base_plus_adapter_does(
    client: TestClient, tiny_model: Path, worker: Path, tmp_path: Path
) -> None:
    run = _finished_run(client, tiny_model, worker, merge_adapter=True, save_steps=3)
    assert [artifact["name"] for artifact in run["artifacts"]] == ["adapter", "merged"]

    adapter_dir = _download(client, run, "adapter", tmp_path)
    merged_dir = _download(client, run, "merged", tmp_path)
    adapter_files = {path.name for path in adapter_dir.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", "tokenizer.json", "tokenizer_config.json"} <= (
        adapter_files
    )
    merged_files = {path.name for path in merged_dir.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json"} <= merged_files
    assert not any(name.startswith("adapter_") for name in merged_files)  # a plain model: no PEFT needed

    tokenizer = AutoTokenizer.from_pretrained(merged_dir)
    inputs = tokenizer(["Reverse the word: stream", "Give the opposite of hot"], return_tensors="pt", padding=True)
    base = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    base_logits = _logits(base, inputs)
    tuned_logits = _logits(PeftModel.from_pretrained(base, adapter_dir), inputs)
    merged_logits = _logits(AutoModelForCausalLM.from_pretrained(merged_dir), inputs)
    assert not torch.allclose(tuned_logits, base_logits, atol=1e-3)  # the adapter learned something
    torch.testing.assert_close(merged_logits, tuned_logits, atol=1e-4, rtol=1e-4)

    checkpoints = client.get(f"/api/runs/{run['id']}/checkpoints").json()["items"]
    [final] = [c for c in checkpoints if c["is_final"]]
    assert final["step"] == 6 and final["on_disk"]
    assert final["size_bytes"] == next(a["size_bytes"] for a in run["artifacts"] if a["name"] == "adapter")
    assert final["eval_loss"] == pytest.approx(run["final_eval_loss"])
    assert [(c["step"], c["on_disk"]) for c in checkpoints if not c["is_final"]] == [(3, True), (6, True)]


def test_full_fine_tuning_answers_with_the_whole_fine_tuned_model(
    client: TestClient, tiny_model: Path, worker: Path, tmp_path: Path
) -> None:
    run = _finished_run(client, tiny_model, worker, method="full", merge_adapter=True)
    assert [artifact["name"] for artifact in run["artifacts"]] == ["model"]  # nothing to merge
    assert client.get(f"/api/runs/{run['id']}/artifacts/merged.zip").status_code == 409

    model_dir = _download(client, run, "model", tmp_path)
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= {path.name for path in model_dir.iterdir()}
    tuned_evaluation, base_evaluation = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"]
    tuned_rows = client.get(f"/api/evaluations/{tuned_evaluation['id']}/predictions").json()["items"]
    base_rows = client.get(f"/api/evaluations/{base_evaluation['id']}/predictions").json()["items"]
    assert tuned_rows
    prompts = [row["prompt"] for row in tuned_rows]
    # The downloaded model and the base model give the worker's two evaluations, and they differ.
    tuned, base = generate_answers(str(tiny_model), model_dir, prompts, QUICK["max_new_tokens"])
    assert [row["generated"] for row in tuned_rows] == tuned
    assert [row["generated"] for row in base_rows] == base
    assert tuned != base
