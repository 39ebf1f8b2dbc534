"""Evaluations through the API: a run's two automatic evaluations, their scored answers, and the comparison."""

import csv
import io
import json
import threading
import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from backend.core.db import get_sessionmaker
from backend.models import AnswerSource, DatasetExample, Evaluation, Run, RunStatus, Split, utcnow
from tests.accounts import Account, create_account
from tests.factories import TASKS, create_dataset, create_evaluation
from worker.evaluation_store import Answers, record_automatic


def finished_run(client: TestClient, model: str, tuned: list[str] | None = None) -> dict[str, Any]:
    """A run whose test answers were written as the worker writes them: the fine-tuned ones right, the base's not."""
    dataset = create_dataset(client, count=40)
    run = client.post("/api/runs", json={"dataset_id": dataset["id"], "base_model": model}).json()
    with get_sessionmaker().begin() as session:
        examples = list(
            session.scalars(
                select(DatasetExample)
                .where(DatasetExample.dataset_id == dataset["id"], DatasetExample.split == Split.TEST)
                .order_by(DatasetExample.id)
            )
        )
        expected = [example.record["output"] for example in examples]
        answers = Answers(
            example_ids=[example.id for example in examples],
            prompts=[f"prompt {example.id}" for example in examples],
            expected=expected,
            tuned=tuned if tuned is not None else expected,
            base=["I do not know" for _ in examples],
        )
        record_automatic(session, session.get_one(Run, run["id"]), answers, fingerprint="f" * 64)
    return run


class TestListEvaluations:
    def test_a_runs_two_evaluations(self, client: TestClient, model: str) -> None:
        run = finished_run(client, model)
        evaluations = client.get("/api/evaluations", params={"run_id": run["id"]}).json()
        assert evaluations["total"] == 2
        tuned, base = evaluations["items"]
        assert (tuned["model"], base["model"]) == ("fine_tuned", "base")
        assert tuned["metrics"]["exact_match"] == {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0}
        assert base["metrics"]["exact_match"]["value"] == 0.0
        assert tuned["done"] == tuned["total"] == 4
        assert tuned["created_at"].endswith("Z")

    def test_another_members_evaluations_are_not_found(self, client: TestClient, model: str) -> None:
        run = finished_run(client, model)
        other = create_account("other@studio.test")
        assert client.get("/api/evaluations", params={"run_id": run["id"]}, headers=other.headers).json()["total"] == 0
        evaluation_id = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"][0]["id"]
        for path in (f"/api/evaluations/{evaluation_id}", f"/api/evaluations/{evaluation_id}/predictions"):
            assert client.get(path, headers=other.headers).status_code == 404

    def test_of_one_dataset(self, client: TestClient, admin: Account) -> None:
        """The evaluations a blind A/B can pair with one: those of the same dataset, whatever run made them."""
        first, second = create_dataset(client), create_dataset(client)
        one, _ = create_evaluation(admin.id, first["id"])
        other, _ = create_evaluation(admin.id, first["id"], model=AnswerSource.BASE, split=None)
        create_evaluation(admin.id, second["id"])
        listed = client.get("/api/evaluations", params={"dataset_id": first["id"]}).json()
        assert (listed["total"], [e["id"] for e in listed["items"]]) == (2, [one, other])
        assert client.get("/api/evaluations").json()["total"] == 3  # without a filter: all the caller can see
        member = create_account("member@studio.test")
        assert client.get("/api/evaluations", params={"dataset_id": first["id"]}, headers=member.headers).json() == {
            "items": [],
            "total": 0,
        }
        response = client.get("/api/evaluations", params={"dataset_id": 0})
        assert response.status_code == 422
        assert "dataset_id" in response.text


class TestEvaluationPredictions:
    def test_every_answer_with_its_scores(self, client: TestClient, model: str) -> None:
        run = finished_run(client, model)
        base = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"][1]
        page = client.get(f"/api/evaluations/{base['id']}/predictions", params={"limit": 3}).json()
        assert page["total"] == 4
        assert len(page["items"]) == 3
        row = page["items"][0]
        assert row["generated"] == "I do not know"
        # What a person wrote, without the template the prompt was rendered with.
        instruction, value, _ = next(task for task in TASKS if row["expected"].startswith(task[2]))
        assert (row["instruction"], row["input"]) == (instruction, f"{value} #{row['expected'].split('#')[1]}")
        assert row["scores"]["exact_match"] == 0.0
        assert row["scores"]["answer_length"] == 4.0


class TestCompareEvaluations:
    def test_fine_tuned_against_base(self, client: TestClient, model: str) -> None:
        run = finished_run(client, model)
        tuned, base = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"]
        response = client.get("/api/evaluations/compare", params={"a": base["id"], "b": tuned["id"]})
        assert response.status_code == 200, response.text
        comparison = response.json()
        assert comparison["examples"] == 4
        exact = next(metric for metric in comparison["metrics"] if metric["name"] == "exact_match")
        assert (exact["a"], exact["b"], exact["difference"]) == (0.0, 1.0, 1.0)
        assert (exact["ci_low"], exact["ci_high"]) == (1.0, 1.0)
        assert exact["verdict"] == "better"
        assert (exact["better"], exact["same"], exact["worse"]) == (4, 0, 0)
        length = next(metric for metric in comparison["metrics"] if metric["name"] == "answer_length")
        assert (length["better"], length["same"], length["worse"]) == (0, 0, 4)  # "I do not know" was longer
        reverse = client.get("/api/evaluations/compare", params={"a": tuned["id"], "b": base["id"]}).json()
        assert next(m for m in reverse["metrics"] if m["name"] == "exact_match")["verdict"] == "worse"
        assert reverse["most_changed"][0]["net"] < 0  # regressions first

    def test_a_mixed_change_is_no_clear_change(self, client: TestClient, model: str) -> None:
        run = finished_run(client, model, tuned=["I do not know", "I do not know", "x", "y"])
        tuned, base = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"]
        comparison = client.get("/api/evaluations/compare", params={"a": base["id"], "b": tuned["id"]}).json()
        exact = next(metric for metric in comparison["metrics"] if metric["name"] == "exact_match")
        assert exact["verdict"] == "no_clear_change"

    def test_evaluations_of_different_examples_are_not_compared(self, client: TestClient, model: str) -> None:
        first = finished_run(client, model)
        second = finished_run(client, model)
        a = client.get("/api/evaluations", params={"run_id": first["id"]}).json()["items"][0]
        b = client.get("/api/evaluations", params={"run_id": second["id"]}).json()["items"][0]
        response = client.get("/api/evaluations/compare", params={"a": a["id"], "b": b["id"]})
        assert response.status_code == 422
        assert "answered different examples" in response.json()["detail"]


class TestEvaluationEvents:
    def test_progress_is_pushed_until_the_evaluation_finishes(self, client: TestClient, model: str) -> None:
        run = finished_run(client, model)
        evaluation_id = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"][0]["id"]
        started = utcnow() - timedelta(seconds=30)
        _set_evaluation(evaluation_id, status=RunStatus.RUNNING, done=1, total=4, started_at=started)

        def answer_the_rest() -> None:
            for done in (2, 3):
                time.sleep(0.3)
                _set_evaluation(evaluation_id, done=done)
            time.sleep(0.3)
            _set_evaluation(evaluation_id, status=RunStatus.SUCCEEDED, done=4)

        worker = threading.Thread(target=answer_the_rest)
        worker.start()
        with client.stream("GET", f"/api/evaluations/{evaluation_id}/events") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            messages = [
                json.loads(line[len("data: ") :]) for line in response.iter_lines() if line.startswith("data: ")
            ]
        worker.join()
        assert (messages[0]["status"], messages[0]["done"]) == ("running", 1)
        assert messages[-1]["status"] == "succeeded"
        done = [m["done"] for m in messages]
        assert done == sorted(set(done))  # in order, each change once
        # 30 s for the first of 4: about 90 s left.
        assert 85 <= messages[0]["eta_seconds"] <= 100
        assert messages[-1]["eta_seconds"] is None

    def test_another_members_stream_is_not_found(self, client: TestClient, model: str) -> None:
        run = finished_run(client, model)
        evaluation_id = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"][0]["id"]
        other = create_account("other@studio.test")
        assert client.get(f"/api/evaluations/{evaluation_id}/events", headers=other.headers).status_code == 404


def _set_evaluation(evaluation_id: int, **values: Any) -> None:
    with get_sessionmaker().begin() as session:
        session.execute(update(Evaluation).where(Evaluation.id == evaluation_id).values(**values))


class TestExportEvaluation:
    def test_every_answer_as_jsonl_and_as_csv_with_formulas_neutralised(self, client: TestClient, model: str) -> None:
        run = finished_run(client, model, tuned=["=1+1", "@SUM(A1)", "x", "y"])
        tuned = client.get("/api/evaluations", params={"run_id": run["id"]}).json()["items"][0]

        response = client.get(f"/api/evaluations/{tuned['id']}/export", params={"format": "jsonl"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/x-ndjson"
        assert f'filename="evaluation-{tuned["id"]}-fine_tuned-test.jsonl"' in response.headers["content-disposition"]
        rows = [json.loads(line) for line in response.text.splitlines()]
        assert [row["generated"] for row in rows] == ["=1+1", "@SUM(A1)", "x", "y"]  # JSONL keeps what was answered
        predictions = client.get(f"/api/evaluations/{tuned['id']}/predictions").json()["items"]
        assert rows == [{key: p[key] for key in rows[0]} for p in predictions]
        assert set(rows[0]) == {"example_id", "prompt", "instruction", "input", "expected", "generated", "scores"}

        response = client.get(f"/api/evaluations/{tuned['id']}/export", params={"format": "csv"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"].endswith('.csv"')
        cells = list(csv.DictReader(io.StringIO(response.text)))
        assert [cell["generated"] for cell in cells] == ["'=1+1", "'@SUM(A1)", "x", "y"]
        assert [int(cell["example_id"]) for cell in cells] == [row["example_id"] for row in rows]
        assert cells[0]["instruction"] == rows[0]["instruction"] != ""
        for name, score in rows[0]["scores"].items():  # one column per metric
            assert float(cells[0][name]) == score
