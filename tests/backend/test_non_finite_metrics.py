"""A diverging run's NaN and infinite metrics: stored on both databases, served as value null plus `non_finite` by the
metrics endpoint and the event stream, and left out of the runs list's best validation loss and sparkline."""

import json
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.storage import LocalStorage
from backend.models import Metric, RunStatus
from tests.factories import create_dataset
from worker import run_store
from worker.leases import Lease
from worker.sinks import DatabaseSink


def _diverged_run(client: TestClient) -> int:
    """A run whose worker recorded a NaN training loss, an infinite grad norm and a NaN validation loss, then failed."""
    dataset = create_dataset(client, count=12)
    run_id: int = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()["id"]
    assert run_store.claim(run_id, "worker-a")
    storage = LocalStorage(get_settings().storage_dir)
    sink = DatabaseSink(Lease(run_id, owner="worker-a"), storage)
    sink.metrics(1, 0.1, {"train_loss": 2.0, "grad_norm": 1.5})
    sink.metrics(2, 0.2, {"eval_loss": 1.8})
    sink.metrics(3, 0.3, {"train_loss": math.nan, "grad_norm": math.inf})
    sink.metrics(4, 0.4, {"eval_loss": math.nan, "grad_norm": -math.inf})
    checkpoint = storage.root / "runs" / str(run_id) / "checkpoint-4"
    checkpoint.mkdir(parents=True)
    sink.checkpoint(4, checkpoint, None)
    sink.flush()  # as the worker does before it finishes a run
    run_store.finish(run_id, "worker-a", RunStatus.FAILED, "loss watchdog: training loss became nan at step 3")
    return run_id


def _points(items: list[dict[str, Any]]) -> dict[tuple[int, str], tuple[float | None, str | None]]:
    return {(item["step"], item["name"]): (item["value"], item["non_finite"]) for item in items}


class TestNonFiniteMetrics:
    def test_stored_as_recorded(self, client: TestClient) -> None:
        run_id = _diverged_run(client)
        with get_sessionmaker()() as session:
            stored = {
                (step, name): value
                for step, name, value in session.execute(
                    select(Metric.step, Metric.name, Metric.value).where(Metric.run_id == run_id)
                )
            }
        assert math.isnan(stored[(3, "train_loss")]) and math.isnan(stored[(4, "eval_loss")])
        assert stored[(3, "grad_norm")] == math.inf and stored[(4, "grad_norm")] == -math.inf
        assert stored[(1, "train_loss")] == 2.0

    def test_metrics_endpoint_names_them(self, client: TestClient) -> None:
        run_id = _diverged_run(client)
        response = client.get(f"/api/runs/{run_id}/metrics")
        assert response.status_code == 200, response.text
        assert "NaN" not in response.text.replace('"NaN"', "")  # strict JSON: no bare NaN or Infinity
        points = _points(response.json()["items"])
        assert points[(1, "train_loss")] == (2.0, None)
        assert points[(3, "train_loss")] == (None, "NaN")
        assert points[(3, "grad_norm")] == (None, "Infinity")
        assert points[(4, "grad_norm")] == (None, "-Infinity")
        assert points[(4, "eval_loss")] == (None, "NaN")

    def test_event_stream_names_them(self, client: TestClient) -> None:
        run_id = _diverged_run(client)
        with client.stream("GET", f"/api/runs/{run_id}/events") as response:
            events = [json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:")]
        metrics = [{"step": e["step"], **e["payload"]} for e in events if e["type"] == "metric"]
        points = _points(metrics)
        assert points[(3, "train_loss")] == (None, "NaN")
        assert points[(3, "grad_norm")] == (None, "Infinity")
        assert points[(2, "eval_loss")] == (1.8, None)

    def test_best_loss_and_sparkline_leave_them_out(self, client: TestClient) -> None:
        run_id = _diverged_run(client)
        listed = client.get("/api/runs").json()["items"][0]
        assert listed["id"] == run_id
        assert listed["best_eval_loss"] == 1.8
        assert listed["loss_sparkline"] == [2.0]
        # Recomputed from the stored metrics, as a resume from checkpoint-4 does, the figures are the same.
        assert run_store.prepare_resume(run_id) is not None
        listed = client.get("/api/runs").json()["items"][0]
        assert (listed["best_eval_loss"], listed["loss_sparkline"]) == (1.8, [2.0])


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 0.0, -1.5])
def test_metric_value_round_trips(client: TestClient, value: float) -> None:
    dataset = create_dataset(client, count=12)
    run_id: int = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()["id"]
    with get_sessionmaker().begin() as session:
        session.add(Metric(run_id=run_id, step=1, epoch=None, name="train_loss", value=value))
    with get_sessionmaker()() as session:
        stored = session.scalars(select(Metric.value).where(Metric.run_id == run_id)).one()
    assert stored == value or (math.isnan(stored) and math.isnan(value))
