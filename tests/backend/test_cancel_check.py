"""The worker's cancel check, asked at every optimiser step: the database at most once a second, so a GPU's several
steps a second cost no query each; a cancel (or a deleted run) is still noticed within the second."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from backend.core.config import get_settings
from backend.core.db import get_engine
from backend.core.storage import LocalStorage
from tests.factories import create_dataset
from worker import run_store
from worker.leases import Lease
from worker.sinks import CANCEL_CHECK_SECONDS, DatabaseSink


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_database_is_asked_at_most_once_a_second(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = create_dataset(client, count=12)
    run: dict[str, Any] = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
    assert run_store.claim(run["id"], "worker-a")
    sink = DatabaseSink(Lease(run["id"], owner="worker-a"), LocalStorage(get_settings().storage_dir))
    clock = Clock()
    monkeypatch.setattr("worker.sinks.time.monotonic", clock)
    asked: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("SELECT runs.cancel_requested"):  # the sink's question, not the API's own reads
            asked.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        # A hundred fast steps within one second: one query.
        assert not any(sink.cancel_requested() for _ in range(100))
        assert len(asked) == 1

        assert client.post(f"/api/runs/{run['id']}/cancel").json()["cancel_requested"] is True
        clock.now += CANCEL_CHECK_SECONDS / 2
        assert sink.cancel_requested() is False  # not asked again yet
        clock.now += CANCEL_CHECK_SECONDS / 2
        assert sink.cancel_requested() is True  # within the second
        assert len(asked) == 2
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
