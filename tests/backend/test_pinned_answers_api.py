"""GET /api/runs/{run_id}/pinned-answers: what the worker's sink stored, grouped by example, private to the owner."""

from typing import Any

from fastapi.testclient import TestClient

from backend.core.config import get_settings
from backend.core.storage import LocalStorage
from tests.accounts import create_account
from tests.factories import create_dataset
from worker import run_store
from worker.leases import Lease
from worker.sinks import DatabaseSink
from worker.training.types import PinnedAnswer


def _running_run(client: TestClient) -> tuple[dict[str, Any], list[int], DatabaseSink]:
    """A run "worker-a" has claimed, its validation example ids and the sink that worker reports through."""
    dataset = create_dataset(client, count=40)
    run: dict[str, Any] = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
    assert run_store.claim(run["id"], "worker-a")
    ids = list(run_store.load_inputs(run["id"]).data.validation_ids)
    return run, ids, DatabaseSink(Lease(run["id"], owner="worker-a"), LocalStorage(get_settings().storage_dir))


def _answers(ids: list[int], *answers: str) -> list[PinnedAnswer]:
    return [PinnedAnswer(i, f"question {i}", f"expected {i}", a) for i, a in zip(ids, answers, strict=False)]


class TestListPinnedAnswers:
    def test_answers_grouped_by_example_in_step_order(self, client: TestClient) -> None:
        run, ids, sink = _running_run(client)
        assert len(ids) >= 2
        sink.answers(0, _answers(ids, "base a", "base b"))
        sink.answers(5, _answers(ids, "five a", "five b"))
        sink.answers(5, _answers(ids, "five a again", "five b again"))  # a retry replaces the step's answers
        sink.answers(10, _answers(ids, "ten a", "ten b"))

        response = client.get(f"/api/runs/{run['id']}/pinned-answers")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == 2
        first, second = body["items"]
        assert (first["example_id"], first["prompt"], first["expected"]) == (
            ids[0],
            f"question {ids[0]}",
            f"expected {ids[0]}",
        )
        assert first["answers"] == [
            {"step": 0, "answer": "base a"},
            {"step": 5, "answer": "five a again"},
            {"step": 10, "answer": "ten a"},
        ]
        assert [a["answer"] for a in second["answers"]] == ["base b", "five b again", "ten b"]

    def test_a_worker_that_lost_the_lease_writes_nothing(self, client: TestClient) -> None:
        run, ids, _sink = _running_run(client)
        stale = DatabaseSink(Lease(run["id"], owner="worker-b"), LocalStorage(get_settings().storage_dir))
        stale.answers(0, _answers(ids, "late"))
        assert client.get(f"/api/runs/{run['id']}/pinned-answers").json() == {"items": [], "total": 0}

    def test_another_member_gets_404(self, client: TestClient) -> None:
        run, ids, sink = _running_run(client)
        sink.answers(0, _answers(ids, "base"))
        other = create_account("other@studio.test")
        response = client.get(f"/api/runs/{run['id']}/pinned-answers", headers=other.headers)
        assert response.status_code == 404
        assert client.get(f"/api/runs/{run['id']}/pinned-answers").json()["total"] == 1
        assert client.get("/api/runs/999999/pinned-answers").status_code == 404
