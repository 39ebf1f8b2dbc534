"""Queued runs that no worker claimed: the broker was down when they were created, or their task was lost after the
commit. The API still answers 201, and the workers' reapers send them again; a run sent twice trains once."""

import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.core.queue import TRAINING_QUEUE, BrokerUnreachable, enqueue_training, get_celery
from backend.models import Role, Run, utcnow
from tests.accounts import ADMIN_EMAIL, create_account
from tests.conftest import REPO, Stack, make_stack, reset_caches
from tests.factories import create_dataset
from tests.processes import celery_worker, free_port, poll, redis_server
from worker import run_store
from worker.leases import reap_expired, resend_unclaimed

# As little training as shows a run trained once: its steps each logged once, its predictions once.
QUICK = {
    "max_steps": 3,
    "eval_steps": 3,
    "per_device_train_batch_size": 2,
    "max_seq_length": 64,
    "max_new_tokens": 4,
    "learning_rate": 1e-3,
}
# A worker that sends unclaimed runs again after 2 s and looks every half second, so a test takes seconds.
FAST_RESEND = {"STUDIO_QUEUED_RESEND_SECONDS": "2", "STUDIO_REAPER_SECONDS": "0.5"}
BROKER_WARNING = "the broker was unreachable"
RESENT_UNSENT = "sent to the workers again: its task had not reached the broker"
RESENT_LOST = "sent to the workers again: no worker took it within"


def _queued_run(client: TestClient) -> dict[str, Any]:
    dataset = create_dataset(client, count=12)
    response = client.post("/api/runs", json={"dataset_id": dataset["id"]})
    assert response.status_code == 201, response.text
    run: dict[str, Any] = response.json()
    return run


def _set(run_id: int, **values: Any) -> None:
    with get_sessionmaker().begin() as session:
        session.execute(update(Run).where(Run.id == run_id).values(**values))


def _last_sent(run_id: int) -> Any:
    with get_sessionmaker()() as session:
        return session.scalar(select(Run.last_sent_at).where(Run.id == run_id))


def _log(client: TestClient, run_id: int) -> list[tuple[str, str]]:
    return [(e["kind"], e["message"]) for e in client.get(f"/api/runs/{run_id}/log").json()["items"]]


class TestResendUnclaimed:
    def test_a_run_not_claimed_in_time_is_sent_again_once(self, client: TestClient) -> None:
        run = _queued_run(client)
        assert _log(client, run["id"]) == []
        assert resend_unclaimed(lambda _: None) == []  # just sent: a worker may take it any moment

        bound = get_settings().queued_resend_seconds
        _set(run["id"], last_sent_at=utcnow() - timedelta(seconds=bound + 1))
        sent: list[int] = []
        assert resend_unclaimed(sent.append) == [run["id"]]
        assert sent == [run["id"]]
        assert resend_unclaimed(sent.append) == []  # marked sent: not again at the next pass
        assert sent == [run["id"]]
        assert _log(client, run["id"]) == [
            ("info", f"{RESENT_LOST} {bound:.0f} s of being sent (its task was lost, or every worker was busy)")
        ]
        assert client.get(f"/api/runs/{run['id']}").json()["status"] == "queued"

    def test_the_wait_doubles_with_the_time_in_the_queue(self, client: TestClient) -> None:
        run = _queued_run(client)
        bound = get_settings().queued_resend_seconds
        now = utcnow()
        # Queued 10 bounds ago, last sent 4 bounds ago (after 6 bounds in the queue): due 6 bounds after that send.
        _set(run["id"], created_at=now - timedelta(seconds=10 * bound), last_sent_at=now - timedelta(seconds=4 * bound))
        assert resend_unclaimed(lambda _: None) == []
        _set(run["id"], last_sent_at=now - timedelta(seconds=5.5 * bound))  # waited 5.5 > 4.5 bounds
        assert resend_unclaimed(lambda _: None) == [run["id"]]

    def test_a_run_re_queued_after_a_lost_worker_waits_the_plain_bound(self, client: TestClient) -> None:
        run = _queued_run(client)
        assert run_store.claim(run["id"], "worker-a")
        bound = get_settings().queued_resend_seconds
        _set(run["id"], created_at=utcnow() - timedelta(hours=3), lease_expires_at=utcnow() - timedelta(seconds=1))
        assert reap_expired(lambda _: None) == [run["id"]]
        assert resend_unclaimed(lambda _: None) == []  # just sent by the reaper

        _set(run["id"], last_sent_at=utcnow() - timedelta(seconds=bound + 1))
        assert resend_unclaimed(lambda _: None) == [run["id"]]

    def test_claimed_and_cancelled_runs_are_left_alone(self, client: TestClient) -> None:
        claimed, cancelled = _queued_run(client), _queued_run(client)
        assert run_store.claim(claimed["id"], "worker-a")
        assert client.post(f"/api/runs/{cancelled['id']}/cancel").status_code == 200
        for run in (claimed, cancelled):
            _set(run["id"], last_sent_at=None)
        assert resend_unclaimed(lambda _: None) == []

    def test_reapers_of_several_workers_send_a_run_once(self, client: TestClient) -> None:
        run = _queued_run(client)
        _set(run["id"], last_sent_at=utcnow() - timedelta(seconds=get_settings().queued_resend_seconds + 1))
        sent: list[int] = []
        start = threading.Barrier(4)

        def reaper() -> None:
            start.wait()
            resend_unclaimed(sent.append)

        reapers = [threading.Thread(target=reaper) for _ in range(4)]
        for thread in reapers:
            thread.start()
        for thread in reapers:
            thread.join()
        assert sent == [run["id"]]
        assert len(_log(client, run["id"])) == 1

    def test_a_send_that_fails_is_tried_again_at_the_next_pass(self, client: TestClient) -> None:
        first, second = _queued_run(client), _queued_run(client)
        for run in (first, second):
            _set(run["id"], last_sent_at=None)  # never reached the broker

        def unreachable(_run_id: int) -> None:
            raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        assert resend_unclaimed(unreachable) == []
        # The pass stopped at the first failure (the others would wait on the broker too), and nothing says "sent".
        assert _last_sent(first["id"]) is None and _last_sent(second["id"]) is None
        assert _log(client, first["id"]) == [] and _log(client, second["id"]) == []

        sent: list[int] = []
        assert resend_unclaimed(sent.append) == sent == [first["id"], second["id"]]
        assert _log(client, first["id"]) == [("warning", RESENT_UNSENT)]
        assert _last_sent(first["id"]) is not None


class TestBrokerDownAtCreation:
    def test_the_run_is_created_queued_and_its_log_says_why(
        self, client: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dataset = create_dataset(client, count=12)

        def unreachable(_run_id: int) -> str:
            raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        monkeypatch.setattr("backend.runs.service.enqueue_training", unreachable)
        response = client.post("/api/runs", json={"dataset_id": dataset["id"]})
        assert response.status_code == 201, response.text
        run = response.json()
        assert run["status"] == "queued"
        assert "waiting for the broker" in run["status_message"]
        (kind, message), *_ = _log(client, run["id"])
        assert kind == "warning" and message.startswith(BROKER_WARNING)
        assert "Connection refused" in message
        assert _last_sent(run["id"]) is None  # the first reaper pass sends it, without waiting for the bound

        clone = client.post(f"/api/runs/{run['id']}/clone")
        assert clone.status_code == 201, clone.text
        assert _log(client, clone.json()["id"])[0][1].startswith(BROKER_WARNING)


# Real broker outages, then a real worker


def _migrated(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    for key, value in stack.env().items():
        monkeypatch.setenv(key, value)
    reset_caches()
    command.upgrade(Config(str(REPO / "alembic.ini")), "head")
    return stack


def _app_client() -> TestClient:
    from backend.main import create_app

    return TestClient(create_app(), headers=create_account(ADMIN_EMAIL, Role.ADMIN).headers)


def _prepare(client: TestClient, tiny_model: Path) -> dict[str, Any]:
    """A dataset and the tiny model, registered while the broker is up; the body of a quick run on them."""
    dataset = create_dataset(client, count=12)
    assert client.post("/api/models", json={"name_or_path": str(tiny_model)}).status_code == 201
    return {"dataset_id": dataset["id"], "base_model": str(tiny_model), "hyperparameters": QUICK}


def _create_while_down(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    response = client.post("/api/runs", json=body)
    took = time.monotonic() - started
    assert response.status_code == 201, response.text
    assert took < 10, f"the API took {took:.1f} s to answer with the broker down"
    run: dict[str, Any] = response.json()
    assert run["status"] == "queued"
    assert _log(client, run["id"])[0][1].startswith(BROKER_WARNING)
    return run


def _wait_until_finished(client: TestClient, run_id: int, worker_log: Path, timeout: float = 180) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        run: dict[str, Any] = client.get(f"/api/runs/{run_id}").json()
        return run if run["status"] in {"succeeded", "failed", "cancelled"} else None

    return poll(finished, timeout=timeout, what=f"run {run_id} to finish", log_path=worker_log)


def _assert_trained_once(client: TestClient, run_id: int, worker_log: Path) -> dict[str, Any]:
    run = _wait_until_finished(client, run_id, worker_log)
    assert run["status"] == "succeeded", run["error"] or worker_log.read_text()
    assert run["attempts"] == 1
    metrics = client.get(f"/api/runs/{run_id}/metrics").json()["items"]
    assert [m["step"] for m in metrics if m["name"] == "train_loss"] == [1, 2, 3]
    dataset = client.get(f"/api/datasets/{run['dataset_id']}").json()
    evaluations = client.get("/api/evaluations", params={"run_id": run_id}).json()["items"]
    assert [(e["model"], e["total"]) for e in evaluations] == [
        ("fine_tuned", dataset["num_test"]),
        ("base", dataset["num_test"]),
    ]
    return run


@pytest.fixture
def own_redis_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """PostgreSQL, and a Redis broker of this test's own that it can stop (the shared one is never stopped)."""
    production = make_stack("production", tmp_path / "data")
    yield _migrated(replace(production, broker_url=f"redis://127.0.0.1:{free_port()}/0"), monkeypatch)
    reset_caches()


def test_a_run_created_while_redis_is_stopped_trains_once_it_is_back(
    own_redis_stack: Stack, tiny_model: Path, tmp_path: Path
) -> None:
    port = int(own_redis_stack.broker_url.rsplit(":", 1)[1].split("/")[0])
    with _app_client() as client:
        with redis_server(port, tmp_path / "redis-1.log"):
            body = _prepare(client, tiny_model)
        run = _create_while_down(client, body)
        assert "Connection refused" in _log(client, run["id"])[0][1]

        with redis_server(port, tmp_path / "redis-2.log"):
            # The API's own connection recovers: the next run is sent at once.
            later = client.post("/api/runs", json=body).json()
            assert _log(client, later["id"]) == []
            assert client.post(f"/api/runs/{later['id']}/cancel").status_code == 200

            worker_log = tmp_path / "worker.log"
            with celery_worker({**own_redis_stack.env(), **FAST_RESEND}, worker_log):
                _assert_trained_once(client, run["id"], worker_log)
        assert [m for _, m in _log(client, run["id"]) if m == RESENT_UNSENT] == [RESENT_UNSENT]


def test_a_frozen_redis_costs_the_api_seconds_not_a_hang(own_redis_stack: Stack, tmp_path: Path) -> None:
    port = int(own_redis_stack.broker_url.rsplit(":", 1)[1].split("/")[0])
    with _app_client() as client, redis_server(port, tmp_path / "redis.log") as redis:
        dataset = create_dataset(client, count=12)
        # Frozen (stopped by a debugger, swapping): it accepts connections and never answers.
        redis.send_signal(signal.SIGSTOP)
        try:
            run = _create_while_down(client, {"dataset_id": dataset["id"]})
        finally:
            redis.send_signal(signal.SIGCONT)
        assert "Timeout" in _log(client, run["id"])[0][1]


@pytest.fixture
def embedded_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    yield _migrated(make_stack("embedded", tmp_path / "data"), monkeypatch)
    reset_caches()


def test_a_run_created_while_the_embedded_broker_is_locked_trains_once_it_is_free(
    embedded_stack: Stack, tiny_model: Path, tmp_path: Path
) -> None:
    broker_file = embedded_stack.broker_url.removeprefix("sqla+sqlite:///")
    with _app_client() as client:
        body = _prepare(client, tiny_model)
        enqueue_training(0)  # the broker's file and tables exist, as in a studio that has run before (run 0: skipped)
        # Another process holds the broker's SQLite file (a crashed writer, a backup tool): no one else can use it.
        holder = sqlite3.connect(broker_file, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            run = _create_while_down(client, body)
            assert "database is locked" in _log(client, run["id"])[0][1]
        finally:
            holder.execute("ROLLBACK")
            holder.close()

        worker_log = tmp_path / "worker.log"
        with celery_worker({**embedded_stack.env(), **FAST_RESEND}, worker_log):
            _assert_trained_once(client, run["id"], worker_log)
        assert [m for _, m in _log(client, run["id"]) if m == RESENT_UNSENT] == [RESENT_UNSENT]


def test_a_lost_task_is_sent_again_and_a_task_sent_twice_trains_once(
    client: TestClient, stack: Stack, tiny_model: Path, tmp_path: Path
) -> None:
    body = _prepare(client, tiny_model)
    lost = client.post("/api/runs", json=body).json()
    with get_celery().connection_for_write() as connection:
        assert connection.default_channel.queue_purge(TRAINING_QUEUE) == 1  # lost after the commit
    twice = client.post("/api/runs", json=body).json()
    enqueue_training(twice["id"])  # a duplicate, as a resend of a task that was only late makes

    worker_log = tmp_path / "worker.log"
    with celery_worker({**stack.env(), **FAST_RESEND}, worker_log):
        _assert_trained_once(client, twice["id"], worker_log)
        _assert_trained_once(client, lost["id"], worker_log)
    assert any(message.startswith(RESENT_LOST) for _, message in _log(client, lost["id"]))
