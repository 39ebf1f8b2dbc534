"""A run's checkpoints and weight downloads, written the way the worker writes them (no worker process needed)."""

import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.storage import LocalStorage
from backend.models import Run, RunStatus
from tests.factories import create_dataset
from worker import run_store
from worker.leases import Lease
from worker.sinks import DatabaseSink

OWNER = "worker-a"
ADAPTER_FILES = {
    "adapter_model.safetensors": b"\x00" * 4096,
    "adapter_config.json": b'{"r": 16}',
    "tokenizer.json": b'{"model": {}}',
    "tokenizer_config.json": b"{}",
}


def _running_run(client: TestClient, **hyperparameters: Any) -> int:
    """A run a worker has claimed (no worker runs here: the test writes what the worker would)."""
    dataset = create_dataset(client, count=12)
    run = client.post("/api/runs", json={"dataset_id": dataset["id"], "hyperparameters": hyperparameters}).json()
    assert run_store.claim(run["id"], OWNER)
    return int(run["id"])


def _run_dir(run_id: int) -> Path:
    return get_settings().storage_dir / f"runs/{run_id}"


def _write(directory: Path, files: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_bytes(content)
    return directory


def _saved_checkpoint(sink: DatabaseSink, step: int, eval_loss: float | None, size: int = 100) -> None:
    path = _write(_run_dir(sink.run_id) / f"checkpoint-{step}", {"adapter_model.safetensors": b"\x00" * size})
    sink.checkpoint(step, path, eval_loss)


def _finished_with(run_id: int, weights: str, files: dict[str, bytes] = ADAPTER_FILES, step: int = 6) -> Path:
    directory = _write(_run_dir(run_id) / weights, files)
    assert run_store.record_final_weights(run_id, OWNER, directory, step, 0.5)
    assert run_store.finish(run_id, OWNER, RunStatus.SUCCEEDED, "finished")
    return directory


def _set_status(run_id: int, status: RunStatus) -> None:
    with get_sessionmaker().begin() as session:
        session.execute(update(Run).where(Run.id == run_id).values(status=status))


class TestListCheckpoints:
    def test_each_step_once_with_the_best_the_final_weights_and_what_is_left_on_disk(self, client: TestClient) -> None:
        run_id = _running_run(client)
        sink = DatabaseSink(Lease(run_id, OWNER), LocalStorage(get_settings().storage_dir))
        _saved_checkpoint(sink, 2, 1.5)
        _saved_checkpoint(sink, 4, 0.9)
        _saved_checkpoint(sink, 6, 1.2, size=300)
        _saved_checkpoint(sink, 4, 0.8, size=200)  # training restarted from checkpoint-2 saves step 4 again
        shutil.rmtree(_run_dir(run_id) / "checkpoint-2")  # rotated away by save_total_limit
        _finished_with(run_id, "adapter", step=4)

        response = client.get(f"/api/runs/{run_id}/checkpoints")

        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 4
        rows = [
            (c["step"], c["eval_loss"], c["is_best"], c["is_final"], c["on_disk"], c["size_bytes"])
            for c in body["items"]
        ]
        adapter_size = sum(len(content) for content in ADAPTER_FILES.values())
        assert rows == [
            (2, 1.5, False, False, False, None),
            (4, 0.8, False, False, True, 200),
            (4, 0.5, True, True, True, adapter_size),  # the restored best weights, as the run's final adapter
            (6, 1.2, False, False, True, 300),
        ]

    def test_a_run_without_checkpoints_has_none(self, client: TestClient) -> None:
        run_id = _running_run(client)
        assert client.get(f"/api/runs/{run_id}/checkpoints").json() == {"items": [], "total": 0}

    def test_unknown_run_is_404(self, client: TestClient) -> None:
        assert client.get("/api/runs/404/checkpoints").status_code == 404

    def test_a_worker_that_lost_the_run_records_no_final_weights(self, client: TestClient) -> None:
        run_id = _running_run(client)
        directory = _write(_run_dir(run_id) / "adapter", ADAPTER_FILES)
        assert not run_store.record_final_weights(run_id, "worker-b", directory, 6, 0.5)
        assert client.get(f"/api/runs/{run_id}/checkpoints").json()["total"] == 0


class TestDownloadAdapter:
    def test_adapter_zip_holds_the_adapter_and_its_tokenizer_in_one_folder(self, client: TestClient) -> None:
        run_id = _running_run(client)
        _finished_with(run_id, "adapter")

        response = client.get(f"/api/runs/{run_id}/artifacts/adapter.zip")

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        assert response.headers["content-disposition"] == f'attachment; filename="run-{run_id}-adapter.zip"'
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        assert archive.testzip() is None
        assert {name: archive.read(name) for name in archive.namelist()} == {
            f"run-{run_id}-adapter/{name}": content for name, content in ADAPTER_FILES.items()
        }

    def test_the_run_lists_its_downloads(self, client: TestClient) -> None:
        run_id = _running_run(client)
        _finished_with(run_id, "adapter")
        expected = [
            {
                "name": "adapter",
                "size_bytes": sum(len(content) for content in ADAPTER_FILES.values()),
                "url": f"/api/runs/{run_id}/artifacts/adapter.zip",
            }
        ]

        assert client.get(f"/api/runs/{run_id}").json()["artifacts"] == expected

    def test_a_run_still_training_has_no_adapter_yet(self, client: TestClient) -> None:
        run_id = _running_run(client)

        response = client.get(f"/api/runs/{run_id}/artifacts/adapter.zip")

        assert response.status_code == 409
        assert response.json()["detail"] == f"Run {run_id} has no adapter yet: it is running"
        assert client.get(f"/api/runs/{run_id}").json()["artifacts"] == []

    def test_a_cancelled_run_has_no_adapter(self, client: TestClient) -> None:
        run_id = _running_run(client)
        _set_status(run_id, RunStatus.CANCELLED)

        response = client.get(f"/api/runs/{run_id}/artifacts/adapter.zip")

        assert response.status_code == 409
        assert "cancelled" in response.json()["detail"]

    def test_deleted_files_are_404(self, client: TestClient) -> None:
        run_id = _running_run(client)
        shutil.rmtree(_finished_with(run_id, "adapter"))

        response = client.get(f"/api/runs/{run_id}/artifacts/adapter.zip")

        assert response.status_code == 404
        assert response.json()["detail"] == f"The adapter of run {run_id} is no longer on disk"
        assert client.get(f"/api/runs/{run_id}").json()["artifacts"] == []

    def test_unknown_run_is_404_and_unknown_artifact_422(self, client: TestClient) -> None:
        assert client.get("/api/runs/404/artifacts/adapter.zip").status_code == 404
        run_id = _running_run(client)
        assert client.get(f"/api/runs/{run_id}/artifacts/weights.zip").status_code == 422


class TestDownloadOtherWeights:
    def test_a_lora_run_has_no_whole_model_and_no_merged_one_unless_asked(self, client: TestClient) -> None:
        run_id = _running_run(client)
        _finished_with(run_id, "adapter")

        model = client.get(f"/api/runs/{run_id}/artifacts/model.zip")
        merged = client.get(f"/api/runs/{run_id}/artifacts/merged.zip")

        assert model.status_code == 409
        assert model.json()["detail"] == (
            f"Run {run_id} has no fine-tuned model: it trained a LoRA adapter, download adapter.zip"
        )
        assert merged.status_code == 409
        assert merged.json()["detail"] == f"Run {run_id} has no merged model: it ran with merge_adapter off"

    def test_a_full_fine_tuning_run_downloads_as_model_zip(self, client: TestClient) -> None:
        run_id = _running_run(client, method="full", merge_adapter=True)
        _finished_with(run_id, "model", {"model.safetensors": b"\x01" * 64, "config.json": b"{}"})

        response = client.get(f"/api/runs/{run_id}/artifacts/model.zip")

        assert response.status_code == 200
        assert response.headers["content-disposition"] == f'attachment; filename="run-{run_id}-model.zip"'
        names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        assert sorted(names) == [f"run-{run_id}-model/config.json", f"run-{run_id}-model/model.safetensors"]
        adapter = client.get(f"/api/runs/{run_id}/artifacts/adapter.zip")
        assert adapter.status_code == 409
        assert adapter.json()["detail"] == (
            f"Run {run_id} has no adapter: method full trained the whole model, download model.zip"
        )
        merged = client.get(f"/api/runs/{run_id}/artifacts/merged.zip")
        assert merged.status_code == 409
        assert "method full" in merged.json()["detail"]
        assert [a["name"] for a in client.get(f"/api/runs/{run_id}").json()["artifacts"]] == ["model"]

    def test_merged_model_is_offered_beside_the_adapter(self, client: TestClient) -> None:
        run_id = _running_run(client, merge_adapter=True)
        _write(_run_dir(run_id) / "merged", {"model.safetensors": b"\x02" * 32, "config.json": b"{}"})
        _finished_with(run_id, "adapter")

        response = client.get(f"/api/runs/{run_id}/artifacts/merged.zip")

        assert response.status_code == 200
        assert response.headers["content-disposition"] == f'attachment; filename="run-{run_id}-merged.zip"'
        assert [a["name"] for a in client.get(f"/api/runs/{run_id}").json()["artifacts"]] == ["adapter", "merged"]

    def test_a_merge_that_left_no_model_is_404(self, client: TestClient) -> None:
        run_id = _running_run(client, merge_adapter=True)
        _finished_with(run_id, "adapter")

        response = client.get(f"/api/runs/{run_id}/artifacts/merged.zip")

        assert response.status_code == 404
        assert "merge failed" in response.json()["detail"]
