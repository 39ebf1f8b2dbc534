"""Recovery owned by the database: leases, the reaper, fencing; and a real worker killed mid-training."""

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.models import AnswerSource, Evaluation, JudgeKind, Judging, JudgingKind, Run, RunStatus, utcnow
from tests.conftest import Stack
from tests.factories import create_dataset
from tests.processes import celery_worker
from worker import evaluation_store, run_store
from worker.leases import Lease, reap_expired, reap_expired_evaluations


def _queued_run(client: TestClient) -> dict[str, Any]:
    dataset = create_dataset(client, count=12)
    run: dict[str, Any] = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
    return run


def _set(run_id: int, **values: Any) -> None:
    with get_sessionmaker().begin() as session:
        session.execute(update(Run).where(Run.id == run_id).values(**values))


class TestReaper:
    def test_an_expired_lease_is_queued_again(self, client: TestClient) -> None:
        run = _queued_run(client)
        assert run_store.claim(run["id"], "worker-a")
        _set(run["id"], lease_expires_at=utcnow() - timedelta(seconds=1))

        enqueued: list[int] = []
        assert reap_expired(enqueued.append) == [run["id"]]
        assert enqueued == [run["id"]]
        again = client.get(f"/api/runs/{run['id']}").json()
        assert again["status"] == "queued"
        assert "worker lost" in again["status_message"]
        log = client.get(f"/api/runs/{run['id']}/log").json()["items"]
        assert [(e["kind"], e["message"]) for e in log] == [("warning", "worker lost; queued again (attempt 2 of 3)")]
        assert reap_expired(enqueued.append) == []  # nothing left to reap

    def test_a_live_lease_is_left_alone(self, client: TestClient) -> None:
        run = _queued_run(client)
        assert run_store.claim(run["id"], "worker-a")
        assert reap_expired(lambda _: None) == []
        assert client.get(f"/api/runs/{run['id']}").json()["status"] == "running"

    def test_after_max_attempts_the_run_fails_with_the_reason(self, client: TestClient) -> None:
        run = _queued_run(client)
        assert run_store.claim(run["id"], "worker-a")
        _set(run["id"], attempts=get_settings().max_attempts, lease_expires_at=utcnow() - timedelta(seconds=1))

        assert reap_expired(lambda _: None) == []
        failed = client.get(f"/api/runs/{run['id']}").json()
        assert failed["status"] == "failed"
        assert "stopped responding 3 times" in failed["error"]
        log = client.get(f"/api/runs/{run['id']}/log").json()["items"]
        assert [(e["kind"], e["message"]) for e in log] == [("error", failed["error"])]

    def test_a_worker_that_lost_its_lease_cannot_write_the_result(self, client: TestClient) -> None:
        run = _queued_run(client)
        assert run_store.claim(run["id"], "worker-a")
        _set(run["id"], lease_owner="worker-b")  # taken over after worker-a froze

        assert not run_store.finish(run["id"], "worker-a", RunStatus.SUCCEEDED, "done")
        assert client.get(f"/api/runs/{run['id']}").json()["status"] == "running"
        assert run_store.finish(run["id"], "worker-b", RunStatus.SUCCEEDED, "done")
        assert client.get(f"/api/runs/{run['id']}").json()["status"] == "succeeded"

    def test_a_claimed_run_cannot_be_claimed_twice(self, client: TestClient) -> None:
        run = _queued_run(client)
        assert run_store.claim(run["id"], "worker-a")
        assert not run_store.claim(run["id"], "worker-b")


def _claimed_evaluation(client: TestClient, owner: str) -> int:
    """An evaluation a worker claimed, of a run as the API left it (the reaper looks at neither's weights)."""
    run = _queued_run(client)
    with get_sessionmaker().begin() as session:
        evaluation = Evaluation(
            owner_id=1,
            run_id=run["id"],
            model=AnswerSource.BASE,
            dataset_id=run["dataset_id"],
            template="alpaca",
            decoding={"strategy": "greedy", "max_new_tokens": 4},
            total=3,
        )
        session.add(evaluation)
        session.flush()
        evaluation_id = evaluation.id
    assert evaluation_store.claim(evaluation_id, owner)
    return evaluation_id


def _expire(evaluation_id: int, **values: Any) -> None:
    with get_sessionmaker().begin() as session:
        session.execute(
            update(Evaluation)
            .where(Evaluation.id == evaluation_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1), **values)
        )


class TestEvaluationReaper:
    def test_an_evaluation_whose_worker_died_is_queued_again_and_starts_over(self, client: TestClient) -> None:
        evaluation_id = _claimed_evaluation(client, "worker-a")
        assert evaluation_store.record_progress(evaluation_id, "worker-a", 2)
        _expire(evaluation_id)

        enqueued: list[int] = []
        assert reap_expired_evaluations(enqueued.append) == [evaluation_id] == enqueued
        again = client.get(f"/api/evaluations/{evaluation_id}").json()
        assert (again["status"], again["done"]) == ("queued", 0)
        assert reap_expired_evaluations(enqueued.append) == []
        # The next worker claims it; the one that lost it can no longer report progress or finish it.
        assert evaluation_store.claim(evaluation_id, "worker-b")
        assert not evaluation_store.record_progress(evaluation_id, "worker-a", 3)
        assert not evaluation_store.finish(evaluation_id, "worker-a", RunStatus.FAILED, error="late")
        assert client.get(f"/api/evaluations/{evaluation_id}").json()["status"] == "running"
        assert evaluation_store.finish(evaluation_id, "worker-b", RunStatus.FAILED, error="done by b")
        assert client.get(f"/api/evaluations/{evaluation_id}").json()["error"] == "done by b"

    def test_a_renewed_lease_is_left_alone(self, client: TestClient) -> None:
        evaluation_id = _claimed_evaluation(client, "worker-a")
        _expire(evaluation_id)
        assert Lease(evaluation_id, "worker-a", table=Evaluation).renew()
        assert not Lease(evaluation_id, "worker-b", table=Evaluation).renew()
        assert reap_expired_evaluations(lambda _: None) == []
        assert client.get(f"/api/evaluations/{evaluation_id}").json()["status"] == "running"

    def test_after_max_attempts_the_evaluation_fails_with_the_reason(self, client: TestClient) -> None:
        evaluation_id = _claimed_evaluation(client, "worker-a")
        _expire(evaluation_id, attempts=get_settings().max_attempts)

        judging = Judging(
            owner_id=1,
            evaluation_id=evaluation_id,
            judge_name="waiting judge",
            judge_kind=JudgeKind.OPENAI,
            judge_model="m",
            kind=JudgingKind.SCORE,
            rubric="r",
            status=RunStatus.QUEUED,
        )
        with get_sessionmaker().begin() as session:
            session.add(judging)

        assert reap_expired_evaluations(lambda _: None) == []
        failed = client.get(f"/api/evaluations/{evaluation_id}").json()
        assert failed["status"] == "failed"
        assert "stopped responding 3 times" in failed["error"]
        # The judging that waited for its answers fails too, instead of waiting for good.
        waited = client.get("/api/judgings", params={"evaluation_id": evaluation_id}).json()["items"]
        assert [(j["status"], j["error"]) for j in waited] == [
            ("failed", "the evaluation failed: there are no answers to judge")
        ]


def test_killed_worker_is_replaced_and_the_run_finishes_once(
    client: TestClient, stack: Stack, tiny_model: Path, tmp_path: Path
) -> None:
    fast_leases = {"STUDIO_LEASE_SECONDS": "3", "STUDIO_HEARTBEAT_SECONDS": "0.5", "STUDIO_REAPER_SECONDS": "0.5"}
    env = {**stack.env(), **fast_leases}
    dataset = create_dataset(client, count=24)
    client.post("/api/models", json={"name_or_path": str(tiny_model)})
    hyperparameters = {"max_steps": 30, "eval_steps": 1000, "per_device_train_batch_size": 2, "max_new_tokens": 4}
    run = client.post(
        "/api/runs",
        json={"dataset_id": dataset["id"], "base_model": str(tiny_model), "hyperparameters": hyperparameters},
    ).json()

    def train_steps() -> list[int]:
        metrics = client.get(f"/api/runs/{run['id']}/metrics").json()["items"]
        return [m["step"] for m in metrics if m["name"] == "train_loss"]

    with celery_worker(env, tmp_path / "worker-a.log") as first:
        deadline = time.monotonic() + 120
        while len(train_steps()) < 5:
            assert time.monotonic() < deadline, (tmp_path / "worker-a.log").read_text()
            time.sleep(0.2)
        first.kill()  # SIGKILL: no warm shutdown, no chance to tidy up
        first.wait()
    assert client.get(f"/api/runs/{run['id']}").json()["status"] == "running"

    with celery_worker(env, tmp_path / "worker-b.log"):
        deadline = time.monotonic() + 180
        while (current := client.get(f"/api/runs/{run['id']}").json())["status"] not in {"succeeded", "failed"}:
            assert time.monotonic() < deadline, (tmp_path / "worker-b.log").read_text()
            time.sleep(0.5)

    assert current["status"] == "succeeded", current["error"]
    assert current["attempts"] == 2
    steps = train_steps()
    assert steps == sorted(set(steps))  # no step logged twice
    assert steps[-1] == 30
    evaluations = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"]
    assert [(e["model"], e["total"]) for e in evaluations] == [
        ("fine_tuned", dataset["num_test"]),
        ("base", dataset["num_test"]),
    ]
