"""A run's log: every event the worker reports kept with its kind, listed by the API and streamed over SSE."""

import json
from typing import Any

from fastapi.testclient import TestClient

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.storage import LocalStorage
from backend.models import Run, RunStatus
from domain.log import LogKind
from tests.factories import create_dataset
from worker import run_store
from worker.leases import Lease
from worker.sinks import DatabaseSink


def _running_run(client: TestClient, **fields: Any) -> tuple[dict[str, Any], DatabaseSink]:
    """A run a worker ("worker-a") has claimed, and the sink that worker reports through."""
    dataset = create_dataset(client, count=12)
    run: dict[str, Any] = client.post("/api/runs", json={"dataset_id": dataset["id"], **fields}).json()
    assert run_store.claim(run["id"], "worker-a")
    return run, DatabaseSink(Lease(run["id"], owner="worker-a"), LocalStorage(get_settings().storage_dir))


def _log(client: TestClient, run_id: int, **params: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/runs/{run_id}/log", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def _stream(client: TestClient, run_id: int, last_event_id: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(SSE id, RunEvent) of every message until the stream ends."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    messages, sse_id = [], ""
    with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as response:
        for line in response.iter_lines():
            if line.startswith("id:"):
                sse_id = line[3:].strip()
            elif line.startswith("data:"):
                messages.append((sse_id, json.loads(line[5:])))
    return messages


class TestListRunEvents:
    def test_every_event_is_kept_with_its_kind_and_the_step_it_came_after(self, client: TestClient) -> None:
        run, sink = _running_run(client)
        sink.log("tokenizing 10 training and 1 validation examples", LogKind.PROGRESS)
        sink.metrics(3, 0.5, {"train_loss": 1.25})
        sink.log("overfitting: validation loss rose for 2 evaluations in a row", LogKind.OVERFITTING)
        sink.log("training 6 steps")

        log = _log(client, run["id"])
        assert [(e["kind"], e["step"], e["message"]) for e in log] == [
            ("progress", None, "tokenizing 10 training and 1 validation examples"),
            ("overfitting", 3, "overfitting: validation loss rose for 2 evaluations in a row"),
            ("info", 3, "training 6 steps"),
        ]
        assert all(e["time"] for e in log)
        # status_message still shows the latest line; the log keeps the earlier ones.
        assert client.get(f"/api/runs/{run['id']}").json()["status_message"] == "training 6 steps"
        assert _log(client, run["id"], after_id=log[0]["id"]) == log[1:]

    def test_a_worker_that_lost_the_run_writes_nothing(self, client: TestClient) -> None:
        run, sink = _running_run(client)
        with get_sessionmaker().begin() as session:
            session.get_one(Run, run["id"]).lease_owner = "worker-b"  # taken over after worker-a froze

        sink.log("stopped: loss watchdog", LogKind.STOPPED)
        assert _log(client, run["id"]) == []
        assert client.get(f"/api/runs/{run['id']}").json()["status_message"] == "starting"

    def test_a_failure_ends_the_log_with_its_reason(self, client: TestClient) -> None:
        run, sink = _running_run(client)
        sink.log("training 6 steps", LogKind.PROGRESS)
        run_store.finish(run["id"], "worker-a", RunStatus.FAILED, "failed", error="Out of memory at batch size 1")

        assert [(e["kind"], e["message"]) for e in _log(client, run["id"])][-1] == (
            "error",
            "Out of memory at batch size 1",
        )

    def test_unknown_run_is_404(self, client: TestClient) -> None:
        assert client.get("/api/runs/999/log").status_code == 404


class TestStreamRunEvents:
    def test_log_lines_are_streamed_and_a_reconnect_resumes_after_the_last_one(self, client: TestClient) -> None:
        run, sink = _running_run(client)
        sink.metrics(1, 0.1, {"train_loss": 2.0})
        sink.log("first", LogKind.WARNING)
        sink.metrics(2, 0.2, {"train_loss": 1.5})
        sink.log("second", LogKind.PROGRESS)
        sink.flush()  # as the worker does before a run's end
        run_store.finish(run["id"], "worker-a", RunStatus.SUCCEEDED, "finished after 2 steps")

        messages = _stream(client, run["id"])
        lines = [
            (event["payload"]["kind"], event["payload"]["message"])
            for _, event in messages
            if event["type"] == "log_line"
        ]
        assert lines == [("warning", "first"), ("progress", "second"), ("info", "finished after 2 steps")]
        assert [event["id"] for _, event in messages if event["type"] == "log_line"] == [
            e["id"] for e in _log(client, run["id"])
        ]
        assert messages[-1][1]["payload"]["status"] == "succeeded"

        # The SSE id is the cursor of both: metric id and log id. Resuming after the first log line sends the rest.
        first_line = next(sse_id for sse_id, event in messages if event["type"] == "log_line")
        metric_id, log_id = (int(part) for part in first_line.split("-"))
        resumed = [event for _, event in _stream(client, run["id"], last_event_id=first_line)]
        assert [e["payload"]["message"] for e in resumed if e["type"] == "log_line"] == [
            "second",
            "finished after 2 steps",
        ]
        assert all(e["id"] > metric_id for e in resumed if e["type"] == "metric")
        assert all(e["id"] > log_id for e in resumed if e["type"] == "log_line")

    def test_a_bare_metric_id_from_an_older_stream_is_accepted(self, client: TestClient) -> None:
        run, sink = _running_run(client)
        sink.metrics(1, 0.1, {"train_loss": 2.0, "learning_rate": 1e-4})
        sink.log("only line")
        sink.flush()
        run_store.finish(run["id"], "worker-a", RunStatus.CANCELLED, "cancelled at step 1")
        first_metric = client.get(f"/api/runs/{run['id']}/metrics").json()["items"][0]["id"]

        resumed = [event for _, event in _stream(client, run["id"], last_event_id=str(first_metric))]
        assert [e["payload"]["name"] for e in resumed if e["type"] == "metric"] == ["learning_rate"]
        assert [e["payload"]["message"] for e in resumed if e["type"] == "log_line"] == ["only line"]

    def test_a_last_event_id_the_stream_never_sent_is_422(self, client: TestClient) -> None:
        run, _ = _running_run(client)
        for header in ("abc", f"1-{2**63}", str(2**31)):  # the last two: beyond the ids' columns
            response = client.get(f"/api/runs/{run['id']}/events", headers={"Last-Event-ID": header})
            assert response.status_code == 422, header
            assert response.json()["field"] == "Last-Event-ID"


class TestPreflightField:
    def test_off_unless_asked_for(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        plain = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
        measured = client.post("/api/runs", json={"dataset_id": dataset["id"], "preflight": True}).json()
        assert (plain["preflight"], measured["preflight"]) == (False, True)
        assert "preflight" not in measured["config"]  # not a hyperparameter: it changes no result
