"""A benchmark scored by a real Celery worker: the base model and a LoRA adapter answer the same questions, and the
comparison lists the questions whose answer flipped."""

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

from backend.core.config import get_settings
from domain.artifacts import run_storage_key
from domain.scoring.choices import ChoiceQuestion
from tests.backend.test_evaluations_create import succeeded_run
from tests.conftest import Stack
from tests.processes import celery_worker, poll
from worker.training.choices import score_with
from worker.training.generate import load_answering_model, load_tokenizer

QUESTIONS = [
    {
        "question": f"Question number {index} about {subject}?",
        "choices": ["yes", "no", f"an answer as long as {'many ' * index}words"],
        "answer": index % 3,
        "subject": subject,
    }
    for index, subject in enumerate(["history", "physics"] * 5)
]


@pytest.fixture
def worker(stack: Stack, tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "worker.log"
    with celery_worker(stack.env(), log):
        yield log


def _save_random_adapter(base_model: Path, directory: Path) -> None:
    """A LoRA adapter whose B matrices are random (not zero), so the fine-tuned model answers differently."""
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(base_model)
    config = LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(directory)


def _evaluate(client: TestClient, worker_log: Path, **request: Any) -> dict[str, Any]:
    response = client.post("/api/evaluations", json=request)
    assert response.status_code == 201, response.text
    path = f"/api/evaluations/{response.json()['id']}"

    def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(path).json()
        return body if body["status"] in ("succeeded", "failed", "cancelled") else None

    evaluation = poll(finished, timeout=120, what=path, log_path=worker_log)
    assert evaluation["status"] == "succeeded", (evaluation["error"], worker_log.read_text())
    evaluation["answers"] = client.get(f"/api/evaluations/{evaluation['id']}/answers").json()["items"]
    return evaluation


# One stack: both run the worker's writes in the API tests (test_benchmarks_api), and a worker costs ~30 s.
@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
def test_a_benchmark_scored_for_the_base_and_the_fine_tuned_model(
    client: TestClient, tiny_model: Path, worker: Path
) -> None:
    assert client.post("/api/models", json={"name_or_path": str(tiny_model)}).status_code == 201
    run = succeeded_run(client, str(tiny_model))
    _save_random_adapter(tiny_model, get_settings().storage_dir / run_storage_key(run["id"]) / "adapter")
    content = "".join(json.dumps(q) + "\n" for q in QUESTIONS).encode()
    response = client.post("/api/benchmarks", files={"file": ("set.jsonl", io.BytesIO(content))})
    benchmark = response.json()

    request = {"run_id": run["id"], "benchmark_id": benchmark["id"], "batch_size": 4}
    base = _evaluate(client, worker, **request, model="base")
    tuned = _evaluate(client, worker, **request, model="fine_tuned")

    for evaluation in (base, tuned):
        assert (evaluation["kind"], evaluation["done"], evaluation["total"]) == ("multiple_choice", 10, 10)
        assert [s["subject"] for s in evaluation["subjects"]] == ["history", "physics"]
        answers = evaluation["answers"]
        assert [a["number"] for a in answers] == list(range(1, 11))
        right = [a["chosen"] == a["correct"] for a in answers]
        assert evaluation["metrics"]["accuracy"]["value"] == sum(right) / 10
        for item in answers:
            assert item["chosen"] == max(range(3), key=lambda i: item["logliks"][i])
    # The worker's log-likelihoods are what the scoring function gives in this process, with the base model alone.
    model, tokenizer = load_answering_model(str(tiny_model), None, "cpu"), load_tokenizer(str(tiny_model), None)
    expected = score_with(
        model, tokenizer, [ChoiceQuestion(q["question"], q["choices"]) for q in QUESTIONS], batch_size=2
    )
    assert expected is not None
    assert [item["logliks"] for item in base["answers"]] == [pytest.approx(values, abs=1e-4) for values in expected]
    # The adapter was applied: the fine-tuned model's log-likelihoods are its own.
    assert [item["logliks"] for item in tuned["answers"]] != [
        pytest.approx(item["logliks"], abs=1e-3) for item in base["answers"]
    ]

    comparison = client.get("/api/evaluations/compare", params={"a": base["id"], "b": tuned["id"]}).json()
    flips = {
        b["number"]: "right_to_wrong" if b["chosen"] == b["correct"] else "wrong_to_right"
        for b, t in zip(base["answers"], tuned["answers"], strict=True)
        if (b["chosen"] == b["correct"]) != (t["chosen"] == t["correct"])
    }
    assert {f["number"]: f["change"] for f in comparison["flipped"]} == flips
    assert [f["change"] for f in comparison["flipped"]] == sorted(f["change"] for f in comparison["flipped"])
    assert [m["name"] for m in comparison["metrics"]] == ["accuracy", "accuracy_norm"]
