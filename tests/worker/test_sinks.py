"""The database sink's metric batching and its notices to the live streams, against the real databases and Redis."""

import time
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from backend.core import run_notices
from backend.core.config import get_settings
from backend.core.db import get_engine, get_sessionmaker
from backend.core.run_notices import run_channel
from backend.core.storage import LocalStorage
from backend.models import Metric, RunLogLine
from tests.conftest import REDIS_URL
from tests.factories import create_dataset
from tests.processes import poll
from worker import run_store
from worker.leases import Lease
from worker.sinks import METRIC_FLUSH_SECONDS, DatabaseSink


def _running_run(client: TestClient) -> tuple[int, DatabaseSink]:
    dataset = create_dataset(client, count=12)
    run_id: int = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()["id"]
    assert run_store.claim(run_id, "worker-a")
    return run_id, DatabaseSink(Lease(run_id, owner="worker-a"), LocalStorage(get_settings().storage_dir))


def _metric_count(run_id: int) -> int:
    with get_sessionmaker()() as session:
        return session.scalar(select(func.count()).where(Metric.run_id == run_id)) or 0


class TestMetricBatching:
    def test_points_of_quick_steps_are_written_together_within_the_flush_interval(self, client: TestClient) -> None:
        run_id, sink = _running_run(client)
        inserts: list[str] = []

        def count_inserts(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO METRICS"):
                inserts.append(statement)

        event.listen(get_engine(), "before_cursor_execute", count_inserts)
        try:
            logged = time.monotonic()
            for step in range(1, 11):
                sink.metrics(step, None, {"train_loss": 1.0 / step, "learning_rate": 1e-4})
            poll(lambda: True if _metric_count(run_id) == 20 else None, timeout=10, what="the points written")
            assert time.monotonic() - logged < METRIC_FLUSH_SECONDS + 1.5
        finally:
            event.remove(get_engine(), "before_cursor_execute", count_inserts)
        assert 1 <= len(inserts) <= 2  # one write per interval, not one per step
        listed = client.get("/api/runs").json()["items"][0]  # the list's figures come with the batch
        assert listed["step"] == 10
        assert listed["loss_sparkline"] == pytest.approx([1.0 / step for step in range(1, 11)])
        with get_sessionmaker()() as session:
            times = session.scalars(select(Metric.time).where(Metric.run_id == run_id).order_by(Metric.id)).all()
        assert list(times) == sorted(times)  # each point keeps when it was logged, not when it was written

    def test_flush_writes_what_waits_at_once(self, client: TestClient) -> None:
        run_id, sink = _running_run(client)
        sink.metrics(1, 0.5, {"train_loss": 2.0})
        sink.flush()
        assert _metric_count(run_id) == 1


@pytest.mark.parametrize("stack", ["production"], indirect=True)
def test_every_write_sends_a_notice_once_it_is_committed(client: TestClient) -> None:
    run_id, sink = _running_run(client)
    pubsub = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(run_channel(run_id))
    poll(lambda: pubsub.get_message(timeout=0.1) is None or None, timeout=5, what="the subscription")

    def notice() -> dict[str, Any]:
        message: dict[str, Any] | None = poll(lambda: pubsub.get_message(timeout=0.1), timeout=5, what="a notice")
        return message

    sink.log("tokenizing")
    assert notice()["channel"] == run_channel(run_id).encode()
    with get_sessionmaker()() as session:  # what the notice announces is there to read
        assert session.scalars(select(RunLogLine.message).where(RunLogLine.run_id == run_id)).all() == ["tokenizing"]

    sink.metrics(1, None, {"train_loss": 2.0})
    notice()
    assert _metric_count(run_id) == 1
    pubsub.close()


def test_studios_sharing_a_redis_server_in_different_databases_hear_only_their_own_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pub/Sub channels are shared by all of a server's databases: run 7 of one studio must not wake another's run 7.
    channels = set()
    for url in ("redis://cache:6379/1", "redis://cache:6379/2", "redis://cache:6379"):
        monkeypatch.setattr(run_notices, "get_settings", lambda url=url: SimpleNamespace(redis_url=url))
        channels.add(run_channel(7))
    assert len(channels) == 3
