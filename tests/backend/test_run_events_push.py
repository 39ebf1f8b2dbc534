"""A run's live stream served by a real API process while this test writes as the worker does: with Redis the worker's
notices wake the stream (one subscription per run per API process, whatever its number of clients), without Redis it
polls; either way a reconnect with Last-Event-ID resumes with no gap and no duplicate."""

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from backend.core.config import get_settings
from backend.core.run_notices import run_channel
from backend.core.storage import LocalStorage
from backend.models import RunStatus
from backend.runs import events
from backend.runs.events import Cursor, RunFeeds, run_events
from domain.log import LogKind
from tests.accounts import Account
from tests.conftest import REDIS_URL, Stack
from tests.factories import create_dataset
from tests.processes import api_server, poll
from worker import run_store
from worker.leases import Lease
from worker.sinks import METRIC_FLUSH_SECONDS, DatabaseSink

OWNER = "worker-a"


@dataclass
class Received:
    """What one SSE client got, as it arrived: (arrival time, SSE id, RunEvent)."""

    messages: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    ended: threading.Event = field(default_factory=threading.Event)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event for _, _, event in self.messages if event["type"] == kind]

    def arrival(self, kind: str, event_id: int) -> float | None:
        return next((t for t, _, e in self.messages if e["type"] == kind and e["id"] == event_id), None)


def _listen(
    base_url: str, account: Account, run_id: int, received: Received, last_event_id: str = "", stop_after: int = 0
) -> None:
    """Read the stream until it ends (or after `stop_after` more metric/log messages: the client drops the
    connection)."""
    headers = {**account.headers, **({"Last-Event-ID": last_event_id} if last_event_id else {})}
    count, sse_id = 0, ""
    try:
        with httpx.stream("GET", f"{base_url}/api/runs/{run_id}/events", headers=headers, timeout=60) as response:
            assert response.status_code == 200, response.read()
            for line in response.iter_lines():
                if line.startswith("id:"):
                    sse_id = line[3:].strip()
                elif line.startswith("data:"):
                    event = json.loads(line[5:])
                    received.messages.append((time.monotonic(), sse_id, event))
                    count += event["type"] in {"metric", "log_line"}
                    if stop_after and count >= stop_after:
                        return
    except httpx.RemoteProtocolError:
        return  # the server stopped (the test is over): the stream did not end
    received.ended.set()


def _follow(base_url: str, account: Account, run_id: int) -> Received:
    received = Received()
    threading.Thread(target=_listen, args=(base_url, account, run_id, received), daemon=True).start()
    poll(lambda: received.of("status") or None, timeout=20, what="the stream's first status")
    return received


def _running_run(client: TestClient) -> tuple[int, DatabaseSink]:
    dataset = create_dataset(client, count=12)
    run_id: int = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()["id"]
    assert run_store.claim(run_id, OWNER)
    return run_id, DatabaseSink(Lease(run_id, owner=OWNER), LocalStorage(get_settings().storage_dir))


@pytest.fixture
def server(stack: Stack, admin: Account, tmp_path: Path) -> Iterator[str]:
    with api_server(stack.env(), tmp_path / "api.log") as base_url:
        yield base_url


def _subscribers(run_id: int) -> int:
    counts: list[tuple[bytes, int]] = redis.Redis.from_url(REDIS_URL).pubsub_numsub(run_channel(run_id))
    return counts[0][1]


@pytest.mark.parametrize("stack", ["production"], indirect=True)
class TestPushedWithRedis:
    def test_a_metric_and_a_log_line_arrive_without_waiting_for_a_poll(
        self, client: TestClient, server: str, admin: Account
    ) -> None:
        run_id, sink = _running_run(client)
        received = _follow(server, admin, run_id)
        # Subscribed: from here on, every write sends a notice this API process hears.
        poll(lambda: _subscribers(run_id) or None, timeout=10, what="the API's subscription")

        logged = time.monotonic()
        sink.metrics(1, 0.1, {"train_loss": 2.0})  # batched: the sink's timer writes it
        metric = poll(lambda: received.of("metric") or None, timeout=20, what="the metric")[0]
        # Without a notice the stream would read the run again only after NOTICE_SAFETY_POLL_SECONDS (10 s).
        latency = (received.arrival("metric", metric["id"]) or 0) - logged
        assert latency < METRIC_FLUSH_SECONDS + 0.75, latency
        assert (metric["step"], metric["payload"]["name"], metric["payload"]["value"]) == (1, "train_loss", 2.0)
        assert metric["payload"]["time"]  # when it was logged: the chart's wall-time axis

        written = time.monotonic()
        sink.log("evaluating", LogKind.PROGRESS)  # written at once
        line = poll(lambda: received.of("log_line") or None, timeout=20, what="the log line")[0]
        assert (received.arrival("log_line", line["id"]) or 0) - written < 0.75
        assert received.of("status")[-1]["payload"]["status_message"] == "evaluating"

    def test_one_subscription_per_run_whatever_the_number_of_clients(
        self, client: TestClient, server: str, admin: Account
    ) -> None:
        (watched, sink), (other, _) = _running_run(client), _running_run(client)
        clients = [_follow(server, admin, watched) for _ in range(5)] + [_follow(server, admin, other)]
        poll(lambda: _subscribers(other) or None, timeout=10, what="the other run's subscription")
        assert (_subscribers(watched), _subscribers(other)) == (1, 1)

        sink.metrics(1, 0.1, {"train_loss": 2.0})
        sink.flush()
        for received in clients[:5]:
            poll(lambda r=received: r.of("metric") or None, timeout=20, what="the metric at every client")
        assert clients[5].of("metric") == []

        sink.flush()
        run_store.finish(watched, OWNER, RunStatus.SUCCEEDED, "done")  # its streams end: the clients leave
        for received in clients[:5]:
            assert received.ended.wait(20)
        poll(lambda: True if _subscribers(watched) == 0 else None, timeout=10, what="the unsubscription")
        assert _subscribers(other) == 1


def _write_steadily(sink: DatabaseSink, run_id: int, stop: threading.Event) -> None:
    """A fast run: a metric point every 20 ms and a log line every 10 steps, until told to stop; then its end."""
    step = 0
    while not stop.is_set():
        step += 1
        sink.metrics(step, None, {"train_loss": 1.0 / step})
        if step % 10 == 0:
            sink.log(f"step {step}", LogKind.PROGRESS)
        time.sleep(0.02)
    sink.flush()
    run_store.finish(run_id, OWNER, RunStatus.SUCCEEDED, f"finished after {step} steps")


def test_reconnects_with_last_event_id_while_the_worker_writes_miss_nothing_and_repeat_nothing(
    client: TestClient, server: str, admin: Account
) -> None:
    run_id, sink = _running_run(client)
    stop = threading.Event()
    writer = threading.Thread(target=_write_steadily, args=(sink, run_id, stop))
    writer.start()
    # Three clients, each dropping its connection after a different number of messages and coming back with its
    # Last-Event-ID, so clients join the shared feed while it reads and while the others are caught up.
    clients = [Received() for _ in range(3)]

    def reconnecting(received: Received, every: int) -> None:
        while not received.ended.is_set():
            last_id = received.messages[-1][1] if received.messages else ""
            _listen(server, admin, run_id, received, last_event_id=last_id, stop_after=every)

    readers = [
        threading.Thread(target=reconnecting, args=(received, every))
        for received, every in zip(clients, (7, 23, 61), strict=True)
    ]
    try:
        for reader in readers:
            reader.start()
            time.sleep(0.4)
        time.sleep(3)
    finally:
        stop.set()
        writer.join()
    for reader in readers:
        reader.join(timeout=60)
        assert not reader.is_alive()

    metrics = client.get(f"/api/runs/{run_id}/metrics").json()["items"]
    log = client.get(f"/api/runs/{run_id}/log").json()["items"]
    assert len(metrics) > 50
    for received in clients:
        assert [e["id"] for e in received.of("metric")] == [m["id"] for m in metrics]
        assert [e["id"] for e in received.of("log_line")] == [line["id"] for line in log]
        assert received.of("status")[-1]["payload"]["status"] == "succeeded"


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
def test_the_embedded_default_streams_by_polling(client: TestClient, server: str, admin: Account) -> None:
    run_id, sink = _running_run(client)
    received = _follow(server, admin, run_id)
    sink.metrics(1, 0.1, {"train_loss": 2.0})
    sink.log("evaluating", LogKind.PROGRESS)
    poll(lambda: received.of("metric") or None, timeout=5, what="the metric")
    poll(lambda: received.of("log_line") or None, timeout=5, what="the log line")
    assert get_settings().redis_url is None


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
def test_a_client_that_fell_behind_the_shared_feed_reads_what_it_missed(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUDIO_SSE_POLL_SECONDS", "0.05")
    get_settings.cache_clear()
    monkeypatch.setattr(events, "MAX_PENDING_READINGS", 1)  # the second reading it does not take is dropped
    run_id, sink = _running_run(client)

    def write(step: int) -> None:
        sink.metrics(step, None, {"train_loss": 1.0 / step})
        sink.flush()

    async def follow() -> list[int]:
        feeds = RunFeeds(None)
        stream = run_events(run_id, Cursor(), feeds)
        assert [event.type for event, _ in await anext(stream)] == ["status"]  # caught up; the feed follows from here
        for step in (1, 2):  # two readings while the client reads nothing: the second is dropped
            await asyncio.to_thread(write, step)
            await asyncio.sleep(0.5)
        await asyncio.to_thread(write, 3)
        steps: list[int] = []
        while len(steps) < 3:
            steps += [event.step or 0 for event, _ in await asyncio.wait_for(anext(stream), 10)]
        await stream.aclose()
        await feeds.aclose()
        return steps

    assert asyncio.run(follow()) == [1, 2, 3]
