"""The worker registry on both stacks: real workers list themselves with their device and memory and leave when they
stop, stale rows are hidden, and the run estimate compares with the live training workers."""

import math
import re
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient
from sqlalchemy import select
from transformers import AutoTokenizer

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.models import DatasetExample, Split, Worker
from domain import machine
from domain.config import TrainingConfig
from domain.estimate import CUDA_CONTEXT_BYTES, HEADROOM_SHARE, HardwareChoice
from domain.records import RECORD
from domain.templates import TemplateContext
from tests.conftest import Stack
from tests.factories import create_dataset, create_worker, token_stats
from tests.processes import celery_worker, wait_until_ready
from worker.registry import Presence, describe
from worker.training.hardware import choose_hardware_here
from worker.training.sft_data import load_training_tokenizer, tokenized_dataset


def _workers(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/api/workers")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


def _estimate(client: TestClient, dataset: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = client.post("/api/runs/estimate", json={"dataset_id": dataset["id"], **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestListWorkers:
    def test_a_training_worker_lists_itself_is_compared_with_and_leaves(
        self, client: TestClient, stack: Stack, tmp_path: Path
    ) -> None:
        dataset = create_dataset(client, count=12)
        log = tmp_path / "training-worker.log"
        with celery_worker(stack.env(), log, queue="training"):
            wait_until_ready(log)  # the worker registers before it logs "ready."
            [worker] = _workers(client)
            assert worker["queues"] == ["training"]
            assert worker["device"] == "cpu"  # no GPU on the test machine
            assert worker["device_count"] == 0
            assert worker["device_name"] == machine.cpu_name()
            assert worker["memory_bytes"] == machine.memory_bytes() > 0
            assert worker["cpu_count"] == machine.cpu_count()
            assert set(worker["versions"]) >= {"python", "torch"}

            # The estimate compares with that worker, on its device, instead of assuming this machine.
            estimate = _estimate(client, dataset)
            assert estimate["device"] == "cpu"
            assert estimate["method"] == "lora"
            assert estimate["compared_with"] == [
                {
                    "worker_id": worker["id"],
                    "hostname": worker["hostname"],
                    "device": "cpu",
                    "device_name": worker["device_name"],
                    "memory_bytes": worker["memory_bytes"],
                    "method": "lora",
                    "needs_bytes": estimate["total_bytes"],  # resident memory: no context to add on CPU
                    "fits": True,
                }
            ]
            assert (estimate["fits"], estimate["verdict"], estimate["warning"]) == (True, "fits", None)
            assert estimate["available_bytes"] == worker["memory_bytes"]
            assert estimate["note"].startswith("Compared with the training worker running now")
            on_cpu = estimate["total_bytes"]

            # A second training worker on a remote GPU machine, with a GPU too small for this run. The row stands for
            # one: this machine has no GPU, so the test writes what such a worker writes when it registers.
            gpu = create_worker(hostname="gpu-small.example", device_name="NVIDIA Tiny GPU", memory_bytes=256 * 2**20)
            estimate = _estimate(client, dataset)
            assert estimate["device"] == "cuda"  # with method auto, a GPU too small for LoRA trains with QLoRA
            assert estimate["method"] == "qlora"
            assert estimate["method_reason"].startswith("method auto: QLoRA, the least memory, though it needs")
            by_host = {w["hostname"]: w for w in estimate["compared_with"]}
            assert by_host["gpu-small.example"]["fits"] is False
            assert by_host["gpu-small.example"]["method"] == "qlora"
            # Compared with the GPU's memory: the allocator's peak plus the CUDA context.
            assert estimate["context_bytes"] == CUDA_CONTEXT_BYTES
            needs = estimate["total_bytes"] + CUDA_CONTEXT_BYTES
            assert by_host["gpu-small.example"]["needs_bytes"] == needs > 256 * 2**20
            assert by_host[worker["hostname"]]["fits"] is True
            assert by_host[worker["hostname"]]["needs_bytes"] == on_cpu  # each worker is compared on its device
            assert estimate["fits"] is False
            assert estimate["verdict"] == "some_too_small"
            assert estimate["available_bytes"] == 256 * 2**20  # the smallest GPU among the GPU workers
            assert estimate["warning"].startswith(
                f"fits on 1 of 2 training workers; too small: gpu-small.example has 0.3 GB (cuda), needs "
                f"{needs / 1e9:.1f} GB. "
                "A run goes to whichever worker is free: on a too-small GPU it runs out of memory, then retries "
                "with smaller micro-batches"
            )
            assert "To fit on every worker, try " in estimate["warning"]

            with get_sessionmaker().begin() as session:
                session.delete(session.get_one(Worker, gpu.id))
            assert len(_workers(client)) == 1

        # A warm shutdown (SIGTERM) removes the row before the process exits.
        assert _workers(client) == []
        with get_sessionmaker()() as session:
            assert session.scalars(select(Worker)).all() == []
        estimate = _estimate(client, dataset)
        assert estimate["compared_with"] == []
        assert estimate["note"].startswith("No training worker is running: the run will wait in the queue")

    def test_a_light_worker_lists_itself_but_is_not_compared_with(self, client: TestClient, light_worker: Path) -> None:
        wait_until_ready(light_worker)
        [worker] = _workers(client)
        assert worker["queues"] == ["light"]
        assert worker["device"] == "cpu"
        assert worker["memory_bytes"] == machine.memory_bytes()
        assert "torch" not in worker["versions"]  # a light worker never imports it
        estimate = _estimate(client, create_dataset(client, count=12))
        assert estimate["compared_with"] == []
        assert "No training worker is running" in estimate["note"]

    def test_workers_not_seen_for_three_reaper_intervals_are_hidden(self, client: TestClient) -> None:
        interval = get_settings().reaper_seconds
        live = create_worker(hostname="live.example", seen_seconds_ago=2.5 * interval)
        create_worker(hostname="stale.example", seen_seconds_ago=3.5 * interval)
        assert [w["id"] for w in _workers(client)] == [live.id]
        estimate = _estimate(client, create_dataset(client, count=12))
        assert [w["hostname"] for w in estimate["compared_with"]] == ["live.example"]


class TestEstimateAgainstWorkers:
    """Registry rows standing for training workers on remote GPU machines (this one has no GPU), written as such a
    worker writes its own when it starts. The bundled model at batch 8 needs about 3 GB on a GPU (QLoRA)."""

    def test_too_big_for_every_worker_names_the_roomiest_and_what_fits_there(self, client: TestClient) -> None:
        create_worker(hostname="gpu-a.example", memory_bytes=1_000_000_000)
        create_worker(hostname="gpu-b.example", memory_bytes=2_000_000_000)
        dataset = create_dataset(client, count=12)
        estimate = _estimate(client, dataset)

        assert (estimate["device"], estimate["method"]) == ("cuda", "qlora")
        assert (estimate["fits"], estimate["verdict"]) == (False, "wont_fit")
        assert [w["fits"] for w in estimate["compared_with"]] == [False, False]
        assert estimate["available_bytes"] == 1_000_000_000
        needs = f"{(estimate['total_bytes'] + estimate['context_bytes']) / 1e9:.1f} GB"
        warning = estimate["warning"]
        assert warning.startswith(
            f"will not fit on any of the 2 training workers: gpu-b.example has 2.0 GB (cuda), needs {needs}; try batch "
        )
        suggested = int(re.search(r"try batch (\d+)", warning).group(1))  # type: ignore[union-attr]
        smaller = _estimate(client, dataset, hyperparameters={"per_device_train_batch_size": suggested})
        assert [w["fits"] for w in smaller["compared_with"]] == [False, True]
        assert smaller["verdict"] == "some_too_small"
        assert "too small: gpu-a.example has 1.0 GB (cuda)" in smaller["warning"]
        assert "plus 0.5 GB of CUDA context when compared with a GPU's memory" in smaller["note"]

    def test_close_to_a_workers_memory_may_not_fit(self, client: TestClient) -> None:
        create_worker(hostname="gpu-a.example", memory_bytes=3_200_000_000)
        estimate = _estimate(client, create_dataset(client, count=12))
        needs_bytes = estimate["total_bytes"] + estimate["context_bytes"]
        assert 0.8 * 3_200_000_000 < needs_bytes <= 3_200_000_000
        assert (estimate["fits"], estimate["verdict"]) == (True, "tight")
        needs = f"{needs_bytes / 1e9:.1f} GB"
        assert estimate["warning"] == (
            f"may not fit: needs about {needs} of gpu-a.example's 3.2 GB, and the estimate can be 25% off"
        )

    @pytest.mark.usefixtures("light_worker")
    def test_method_auto_is_what_the_worker_chooses_on_that_gpu(
        self, client: TestClient, model: str, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # a GPU of this decade
        dataset = create_dataset(client, count=24)
        assert token_stats(client, dataset["id"], base_model=model).status_code == 200
        # What a worker with this GPU decides once it has tokenised the run's splits, as train() does.
        with get_sessionmaker()() as session:
            records = session.scalars(
                select(DatasetExample.record).where(
                    DatasetExample.dataset_id == dataset["id"], DatasetExample.split != Split.TEST
                )
            )
            examples = [RECORD.validate_python(record) for record in records]
        config = TrainingConfig()
        tokenizer = load_training_tokenizer(str(tiny_model), AutoTokenizer.from_pretrained(tiny_model))
        tokenized, _, _ = tokenized_dataset(config, examples, TemplateContext(), tokenizer)
        lengths = [len(ids) for ids in tokenized["input_ids"]]
        answer_lengths = [sum(mask) for mask in tokenized["completion_mask"]]

        def on_worker(memory: int) -> HardwareChoice:
            return choose_hardware_here(
                config,
                str(tiny_model),
                lengths,
                answer_lengths,
                dataset["num_validation"],
                device="cuda",
                memory_bytes=memory,
            )

        lora = on_worker(10**12).estimate
        roomy, snug = 10**12, math.ceil(lora.device_bytes / HEADROOM_SHARE) - 1  # snug: LoRA would leave < 20%
        create_worker(hostname="gpu-roomy.example", memory_bytes=roomy)
        create_worker(hostname="gpu-snug.example", memory_bytes=snug)
        estimate = _estimate(client, dataset, base_model=model)

        by_host = {w["hostname"]: w for w in estimate["compared_with"]}
        for host, memory, method in (("gpu-roomy.example", roomy, "lora"), ("gpu-snug.example", snug, "qlora")):
            worker = on_worker(memory)
            assert worker.hardware.method == by_host[host]["method"] == method
            assert by_host[host]["needs_bytes"] == worker.estimate.device_bytes
            assert by_host[host]["fits"] is True
        # The breakdown is the smallest GPU's, with the worker's log line for it.
        assert (estimate["method"], estimate["method_reason"]) == ("qlora", on_worker(snug).reason)
        assert estimate["verdict"] == "fits"

    def test_workers_sharing_a_host_are_named_with_their_ids(self, client: TestClient) -> None:
        first = create_worker(hostname="gpu-host.example", memory_bytes=1_000_000_000)
        second = create_worker(hostname="gpu-host.example", memory_bytes=1_000_000_000)
        warning = _estimate(client, create_dataset(client, count=12))["warning"]
        assert f"gpu-host.example ({first.id})" in warning or f"gpu-host.example ({second.id})" in warning


class TestPresence:
    def test_beats_refresh_the_row_prune_hour_old_rows_and_rejoin_after_a_prune(self, stack: Stack) -> None:
        old = create_worker(hostname="killed.example", seen_seconds_ago=2 * 3600)
        presence = Presence(describe(["light"]))
        presence.join()
        with get_sessionmaker()() as session:
            joined = session.get_one(Worker, presence.description.id).last_seen_at

        presence.beat()
        with get_sessionmaker()() as session:
            assert session.get(Worker, old.id) is None
            assert session.get_one(Worker, presence.description.id).last_seen_at > joined

        # Pruned while frozen for an hour: the next beat adds the row again.
        presence.leave()
        presence.beat()
        with get_sessionmaker()() as session:
            assert session.get_one(Worker, presence.description.id).queues == ["light"]
        presence.leave()
        with get_sessionmaker()() as session:
            assert session.get(Worker, presence.description.id) is None
