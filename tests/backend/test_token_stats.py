"""Token statistics counted by real workers of the light queue, on both stacks: pending until counted, one count per
key however many ask, failures kept and answered as before, and queues that never cross (a training worker never
counts, a light worker never trains)."""

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from backend.core.db import get_sessionmaker
from backend.datasets import token_stats_service
from backend.models import TOKEN_COUNT_LOST_AFTER, TokenStats, TokenStatsStatus, utcnow
from domain.catalog import BUNDLED_MODEL_NAME
from tests.conftest import Stack
from tests.factories import create_dataset, token_stats, upload_dataset
from tests.processes import celery_worker, poll, wait_until_ready
from worker import token_counting


def _ask(client: TestClient, dataset_id: int, **params: Any) -> httpx.Response:
    return client.get(f"/api/datasets/{dataset_id}/token-stats", params=params)


def _rows(dataset_id: int) -> list[TokenStats]:
    with get_sessionmaker()() as session:
        return list(session.scalars(select(TokenStats).where(TokenStats.dataset_id == dataset_id)))


def _received(log: Path, task: str) -> int:
    return sum(1 for line in log.read_text().splitlines() if f"Task {task}[" in line and "received" in line)


def _chat_dataset(client: TestClient) -> dict[str, Any]:
    turns = [[{"role": "user", "content": f"Hi #{i}"}, {"role": "assistant", "content": "Hello."}] for i in range(12)]
    content = "".join(json.dumps({"messages": messages}) + "\n" for messages in turns).encode()
    response = upload_dataset(client, content, name="chats")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestCounting:
    def test_pending_until_a_light_worker_has_counted(
        self, client: TestClient, model: str, stack: Stack, tmp_path: Path
    ) -> None:
        dataset = create_dataset(client, count=30)
        first = _ask(client, dataset["id"], base_model=model, max_seq_length=32)
        assert first.status_code == 202, first.text
        assert first.json() == {"status": "pending", "num_examples": 30, "waiting_for_worker": True}

        log = tmp_path / "light-worker.log"
        with celery_worker(stack.env(), log, queue="light"):
            ready = token_stats(client, dataset["id"], base_model=model, max_seq_length=32)
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready" and ready.json()["num_examples"] == 30

        [row] = _rows(dataset["id"])
        assert row.status == TokenStatsStatus.READY
        assert row.attempts == 1
        assert row.lengths is not None and len(row.lengths) == 30 and row.lengths == sorted(row.lengths)
        assert row.answer_lengths is not None and row.answer_lengths == sorted(row.answer_lengths)
        # Each answer is part of its example: the nth shortest answer is shorter than the nth shortest example.
        assert all(0 < a < n for a, n in zip(row.answer_lengths, row.lengths, strict=True))
        assert row.base_model == model and row.template == "alpaca"
        assert row.requested_at is not None and row.started_at is not None and row.finished_at is not None
        # Truncation is counted from the stored lengths for each max_seq_length: no new count.
        longer = _ask(client, dataset["id"], base_model=model, max_seq_length=row.lengths[-1])
        assert (longer.status_code, longer.json()["num_truncated"]) == (200, 0)
        assert ready.json()["num_truncated"] == sum(length > 32 for length in row.lengths)
        assert len(_rows(dataset["id"])) == 1
        assert _received(log, "datasets.token_stats") == 1

    def test_one_count_per_key_when_asked_at_once(
        self, client: TestClient, model: str, stack: Stack, tmp_path: Path
    ) -> None:
        dataset = create_dataset(client, count=20)
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda _: _ask(client, dataset["id"], base_model=model), range(6)))
        assert [a.status_code for a in answers] == [202] * 6
        assert len(_rows(dataset["id"])) == 1

        log = tmp_path / "light-worker.log"
        with celery_worker(stack.env(), log, queue="light"):
            assert token_stats(client, dataset["id"], base_model=model).status_code == 200
            assert _ask(client, dataset["id"], base_model=model, template="chatml").status_code == 202  # another key
            assert token_stats(client, dataset["id"], base_model=model, template="chatml").status_code == 200
        assert [row.attempts for row in _rows(dataset["id"])] == [1, 1]
        assert _received(log, "datasets.token_stats") == 2

    @pytest.mark.usefixtures("light_worker")
    def test_a_failed_count_is_kept_and_answered_like_the_request_did(self, client: TestClient, model: str) -> None:
        dataset = _chat_dataset(client)
        failed = token_stats(client, dataset["id"], base_model=model, template="alpaca")
        assert failed.status_code == 422
        assert failed.json()["field"] == "template"
        assert failed.json()["detail"].startswith("row 1: the Alpaca template takes single-turn")
        assert len(failed.json()["errors"]) == 12

        again = _ask(client, dataset["id"], base_model=model, template="alpaca")
        assert (again.status_code, again.json()) == (422, failed.json())
        [row] = _rows(dataset["id"])
        assert (row.status, row.error_status, row.attempts) == (TokenStatsStatus.FAILED, 422, 1)

    def test_an_unexpected_failure_is_tried_again_then_reported(
        self, client: TestClient, model: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Counted in this process with a count that breaks: not the template's fault, so asking again retries."""

        def broken(_session: Any, _stats_id: int) -> list[int]:
            raise RuntimeError("the disk went away")

        monkeypatch.setattr(token_counting, "_count", broken)
        dataset = create_dataset(client, count=12)
        for attempt in range(1, token_stats_service.MAX_ATTEMPTS + 1):
            assert _ask(client, dataset["id"], base_model=model).status_code == 202
            [row] = _rows(dataset["id"])
            token_counting.count_tokens(row.id)
            [row] = _rows(dataset["id"])
            assert (row.status, row.error_status, row.attempts) == (TokenStatsStatus.FAILED, 503, attempt)

        reported = _ask(client, dataset["id"], base_model=model)
        assert reported.status_code == 503
        assert reported.json()["detail"] == "counting the tokens failed: RuntimeError: the disk went away"

    def test_a_lost_count_is_sent_again(self, client: TestClient, model: str, stack: Stack, tmp_path: Path) -> None:
        dataset = create_dataset(client, count=12)
        assert _ask(client, dataset["id"], base_model=model).status_code == 202
        [row] = _rows(dataset["id"])
        # As if a light worker took the task and was killed mid-count: the task is gone with it.
        long_ago = utcnow() - 2 * TOKEN_COUNT_LOST_AFTER
        with get_sessionmaker()() as session:
            session.execute(
                update(TokenStats).where(TokenStats.id == row.id).values(requested_at=long_ago, started_at=long_ago)
            )
            session.commit()
        assert _ask(client, dataset["id"], base_model=model).status_code == 202
        [resent] = _rows(dataset["id"])
        assert row.requested_at is not None and resent.requested_at is not None
        assert resent.requested_at > row.requested_at

        log = tmp_path / "light-worker.log"
        with celery_worker(stack.env(), log, queue="light"):
            assert token_stats(client, dataset["id"], base_model=model).status_code == 200
        [done] = _rows(dataset["id"])
        assert done.attempts == 1  # two tasks were queued: one counted, the other found the count taken

    @pytest.mark.usefixtures("light_worker")
    def test_counted_after_upload_and_after_a_template_change(
        self, client: TestClient, stack: Stack, tiny_model: Path
    ) -> None:
        # The bundled model, "prepared": its tokenizer is SmolLM2's, like the tiny model's.
        shutil.copytree(tiny_model, stack.data_dir / "models" / BUNDLED_MODEL_NAME)
        dataset = create_dataset(client, count=16)

        def counted(template: str) -> TokenStats | None:
            rows = [r for r in _rows(dataset["id"]) if r.template == template]
            return rows[0] if rows and rows[0].status == TokenStatsStatus.READY else None

        # Nobody asked: the upload queued the count the dataset page shows first.
        row = poll(lambda: counted("alpaca"), timeout=60, what="the upload's token count")
        assert row.base_model == BUNDLED_MODEL_NAME
        started = time.monotonic()
        first_ask = _ask(client, dataset["id"], base_model=BUNDLED_MODEL_NAME)
        assert first_ask.status_code == 200 and time.monotonic() - started < 1

        assert client.patch(f"/api/datasets/{dataset['id']}", json={"template": "chatml"}).status_code == 200
        poll(lambda: counted("chatml"), timeout=60, what="the new template's token count")


class TestQueues:
    def test_a_training_worker_never_counts(self, client: TestClient, model: str, stack: Stack, tmp_path: Path) -> None:
        dataset = create_dataset(client, count=12)
        training_log = tmp_path / "worker.log"
        with celery_worker(stack.env(), training_log, queue="training"):
            wait_until_ready(training_log)
            assert _ask(client, dataset["id"], base_model=model).status_code == 202
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                answer = _ask(client, dataset["id"], base_model=model)
                assert answer.status_code == 202 and answer.json()["waiting_for_worker"] is True
                time.sleep(0.5)
        assert "datasets.token_stats[" not in training_log.read_text()

        light_log = tmp_path / "light-worker.log"
        with celery_worker(stack.env(), light_log, queue="light"):
            assert token_stats(client, dataset["id"], base_model=model).status_code == 200

    def test_a_light_worker_never_trains(self, client: TestClient, model: str, light_worker: Path) -> None:
        wait_until_ready(light_worker)
        dataset = create_dataset(client, count=12)
        run = client.post("/api/runs", json={"dataset_id": dataset["id"], "base_model": model}).json()
        time.sleep(5)
        assert client.get(f"/api/runs/{run['id']}").json()["status"] == "queued"
        assert "runs.train" not in light_worker.read_text()
