"""POST /api/runs/estimate on both stacks: peak memory by cause before a run is queued, against this machine while no
training worker is running (tests/backend/test_workers_api.py: against the workers)."""

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.core.db import get_sessionmaker
from backend.models import Metric, Run, RunStatus
from domain import machine
from tests.conftest import Stack
from tests.factories import create_dataset, token_stats
from tests.processes import celery_worker, poll

BREAKDOWN = {"weights", "lora", "gradients", "optimizer", "activations", "logits", "overhead"}


def _estimate(client: TestClient, dataset: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = client.post("/api/runs/estimate", json={"dataset_id": dataset["id"], **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestEstimate:
    @pytest.mark.usefixtures("light_worker")
    def test_breakdown_for_the_longest_example_against_this_machine(self, client: TestClient, model: str) -> None:
        dataset = create_dataset(client, count=24)
        stats = token_stats(client, dataset["id"], base_model=model).json()
        estimate = _estimate(client, dataset, base_model=model)

        assert estimate["device"] == "cpu"
        assert estimate["compared_with"] == []  # no training worker: this machine, CPU assumed
        assert estimate["method"] == "lora"
        assert set(estimate["breakdown"]) == BREAKDOWN
        assert sum(estimate["breakdown"].values()) == estimate["total_bytes"]
        assert estimate["breakdown"]["lora"] == 4 * estimate["trainable_parameters"]
        # A padding-free batch holds its examples' tokens only: the 8 longest examples set the peak.
        assert estimate["token_lengths_pending"] is False
        assert 0 < estimate["seq_len_used"] <= stats["max"]
        # The LM head scores only what the loss counts: the answers, a share of the batch's tokens.
        source = re.fullmatch(
            rf"the 8 longest examples \(a padding-free batch: {estimate['seq_len_used']} tokens each on average\); "
            r"the LM head scores only the answer tokens, (\d+)% of them",
            estimate["seq_len_source"],
        )
        assert source is not None and 0 < int(source[1]) < 100, estimate["seq_len_source"]
        whole_text = _estimate(client, dataset, base_model=model, hyperparameters={"completion_only_loss": False})
        assert whole_text["breakdown"]["logits"] > estimate["breakdown"]["logits"]
        assert whole_text["seq_len_source"].endswith("tokens each on average)")
        # A padded batch is padded to its longest row: the longest example sets the peak, and more memory.
        padded = _estimate(client, dataset, base_model=model, hyperparameters={"padding_free": False})
        assert padded["seq_len_used"] == stats["max"]
        assert padded["seq_len_source"].startswith(f"the longest example ({stats['max']} tokens); the LM head")
        assert padded["breakdown"]["activations"] >= estimate["breakdown"]["activations"]
        assert estimate["available_bytes"] == machine.memory_bytes() > 0
        assert estimate["fits"] is True
        assert estimate["verdict"] == "fits"
        assert estimate["warning"] is None
        assert estimate["note"].startswith("No training worker is running: the run will wait in the queue")
        assert "CPU" in estimate["note"] and "share" in estimate["note"]
        # No run on this model yet: tokens are known, the throughput is not.
        assert estimate["train_tokens"] > 0
        assert estimate["tokens_per_second"] is None
        assert estimate["estimated_seconds"] is None
        assert client.get("/api/runs").json()["total"] == 0

    @pytest.mark.usefixtures("light_worker")
    def test_long_examples_are_cut_to_max_seq_length(self, client: TestClient, model: str) -> None:
        dataset = create_dataset(client, count=12)
        assert token_stats(client, dataset["id"], base_model=model).status_code == 200
        estimate = _estimate(
            client, dataset, base_model=model, hyperparameters={"max_seq_length": 16, "padding_free": False}
        )
        assert estimate["seq_len_used"] == 16
        assert "cut to max_seq_length 16;" in estimate["seq_len_source"]

    @pytest.mark.usefixtures("light_worker")
    def test_preset_and_overrides_resolve_as_for_a_run(self, client: TestClient, model: str) -> None:
        dataset = create_dataset(client, count=24)
        assert token_stats(client, dataset["id"], base_model=model).status_code == 200
        presets = client.get("/api/presets").json()["items"]
        quick = next(p for p in presets if p["name"] == "Quick CPU check")  # batch 4
        default = _estimate(client, dataset, base_model=model)
        with_preset = _estimate(client, dataset, base_model=model, preset_id=quick["id"])
        overridden = _estimate(
            client, dataset, base_model=model, preset_id=quick["id"], hyperparameters={"per_device_train_batch_size": 8}
        )
        checkpointed = _estimate(client, dataset, base_model=model, hyperparameters={"gradient_checkpointing": True})

        assert with_preset["total_bytes"] < default["total_bytes"]
        assert overridden["breakdown"]["activations"] == default["breakdown"]["activations"]
        assert checkpointed["breakdown"]["activations"] < default["breakdown"]["activations"]

    def test_while_the_lengths_are_counted(self, client: TestClient, model: str, stack: Stack, tmp_path: Path) -> None:
        dataset = create_dataset(client, count=24)
        # No worker yet: the estimate asks for the count and meanwhile assumes max_seq_length.
        waiting = _estimate(client, dataset, base_model=model)
        assert waiting["token_lengths_pending"] is True
        assert waiting["seq_len_used"] == 256
        assert waiting["seq_len_source"] == "max_seq_length (256): the token lengths are still being counted"
        assert waiting["train_tokens"] is None

        def from_counts() -> dict[str, Any] | None:
            estimate = _estimate(client, dataset, base_model=model)
            return None if estimate["token_lengths_pending"] else estimate

        log = tmp_path / "light-worker.log"
        with celery_worker(stack.env(), log, queue="light"):
            counted = poll(from_counts, timeout=60, what="an estimate from counted token lengths", log_path=log)
        assert counted["seq_len_source"].startswith("the 8 longest examples (")
        assert counted["seq_len_used"] < 256
        assert counted["train_tokens"] > 0

    def test_bundled_model_before_it_is_prepared(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        estimate = _estimate(client, dataset)
        # No tokenizer without the converted model: the sequence length falls back to max_seq_length.
        assert estimate["seq_len_used"] == 256
        assert "tokenizer is not available" in estimate["seq_len_source"]
        assert estimate["token_lengths_pending"] is False
        assert estimate["total_parameters"] == 134_515_008

    def test_will_not_fit_says_what_fits(self, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(machine, "memory_bytes", lambda: 8_000_000_000)
        dataset = create_dataset(client, count=12)
        estimate = _estimate(client, dataset, hyperparameters={"per_device_train_batch_size": 64})

        assert estimate["fits"] is False
        assert estimate["verdict"] == "wont_fit"
        assert estimate["available_bytes"] == 8_000_000_000
        needs = f"{estimate['total_bytes'] / 1e9:.1f} GB"
        warning = estimate["warning"]
        assert warning.startswith(f"will not fit: needs {needs}, this machine has 8.0 GB; try batch ")
        suggested = int(re.search(r"try batch (\d+)", warning).group(1))  # type: ignore[union-attr]
        # Following the advice is enough.
        smaller = _estimate(client, dataset, hyperparameters={"per_device_train_batch_size": suggested})
        assert smaller["fits"] is True
        assert (
            _estimate(client, dataset, hyperparameters={"per_device_train_batch_size": suggested * 2})["fits"] is False
        )

    @pytest.mark.usefixtures("light_worker")
    def test_time_from_the_latest_run_on_the_model(self, client: TestClient, model: str) -> None:
        dataset = create_dataset(client, count=24)
        assert token_stats(client, dataset["id"], base_model=model).status_code == 200
        run = client.post("/api/runs", json={"dataset_id": dataset["id"], "base_model": model}).json()
        with get_sessionmaker()() as session:
            stored = session.get(Run, run["id"])
            assert stored is not None
            stored.status = RunStatus.SUCCEEDED
            for step, value in enumerate([100.0, 300.0, 200.0], start=1):
                session.add(Metric(run_id=run["id"], step=step, name="tokens_per_second", value=value))
            session.commit()

        estimate = _estimate(client, dataset, base_model=model)
        assert estimate["tokens_per_second"] == 200.0
        assert estimate["estimated_seconds"] == pytest.approx(estimate["train_tokens"] / 200.0)


class TestEstimateErrors:
    def test_unknown_dataset_is_404(self, client: TestClient) -> None:
        assert client.post("/api/runs/estimate", json={"dataset_id": 12345}).status_code == 404

    def test_bad_hyperparameter_is_422_naming_it(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        response = client.post(
            "/api/runs/estimate", json={"dataset_id": dataset["id"], "hyperparameters": {"lora_r": 0}}
        )
        assert response.status_code == 422
        assert response.json()["field"] == "hyperparameters.lora_r"

    def test_hub_model_needs_a_local_copy(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        response = client.post("/api/runs/estimate", json={"dataset_id": dataset["id"], "base_model": "org/model"})
        assert response.status_code == 422
        assert response.json()["field"] == "base_model"
