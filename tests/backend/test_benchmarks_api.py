"""Multiple-choice benchmarks through the API: the upload formats, every bad line reported with nothing stored,
reading, ownership, deletion, and evaluations of a benchmark created and compared."""

import csv
import io
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from backend.models import Role
from tests.accounts import create_account
from tests.backend.test_evaluations_create import succeeded_run
from tests.conftest import reset_caches
from worker import benchmark_store, evaluation_store

CAPITALS = [
    {"question": "The capital of France?", "choices": ["Paris", "Rome", "Oslo", "Lima"], "answer": 0},
    {"question": "The capital of Italy?", "choices": ["Paris", "Rome", "Oslo", "Lima"], "answer": "B"},
    {"question": "The capital of Norway?", "choices": ["Paris", "Rome", "Oslo"], "answer": "c", "subject": "north"},
    {"question": "2 + 2?", "choices": [3, 4], "answer": 1, "subject": "maths", "id": "ignored"},
]


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _upload(client: TestClient, content: bytes, filename: str = "set.jsonl", **form: str) -> httpx.Response:
    return client.post("/api/benchmarks", files={"file": (filename, io.BytesIO(content))}, data=form)


def _created(client: TestClient, content: bytes, filename: str = "set.jsonl") -> dict[str, Any]:
    response = _upload(client, content, filename)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _questions(client: TestClient, benchmark_id: int, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/benchmarks/{benchmark_id}/questions", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestUploadBenchmark:
    def test_jsonl_with_indexes_letters_and_subjects(self, client: TestClient) -> None:
        benchmark = _created(client, _jsonl(CAPITALS))
        assert benchmark["name"] == "set.jsonl"
        assert (benchmark["format"], benchmark["num_questions"]) == ("jsonl", 4)
        assert benchmark["subjects"] == {"maths": 1, "north": 1}
        items = _questions(client, benchmark["id"])["items"]
        assert [(q["number"], q["row_number"], q["answer"]) for q in items] == [
            (1, 1, 0),
            (2, 2, 1),
            (3, 3, 2),
            (4, 4, 1),
        ]
        assert items[3]["choices"] == ["3", "4"]
        assert items[2]["subject"] == "north"
        assert items[0]["subject"] is None

    def test_mmlu_csv_without_a_header_with_and_without_a_subject(self, client: TestClient) -> None:
        mmlu = b'"Which is a prime, really?",4,6,7,9,C\nWhat is 2+2?,3,4,5,"six, or so",B\n'
        plain = _created(client, mmlu, "abstract_algebra_test.csv")
        assert (plain["format"], plain["num_questions"], plain["subjects"]) == ("csv", 2, {})
        items = _questions(client, plain["id"])["items"]
        assert items[0]["question"] == "Which is a prime, really?"
        assert items[1]["choices"] == ["3", "4", "5", "six, or so"]
        assert [q["answer"] for q in items] == [2, 1]
        assert [q["row_number"] for q in items] == [1, 2]

        with_subject = _created(client, b"Red or blue?,red,blue,A,colours\nUp?,up,down,A,directions\n", "mixed.csv")
        assert with_subject["subjects"] == {"colours": 1, "directions": 1}
        assert _questions(client, with_subject["id"], subject="colours")["items"][0]["choices"] == ["red", "blue"]

    def test_csv_with_a_header_any_number_of_choices_and_other_columns(self, client: TestClient) -> None:
        content = (
            b"id,question,A,B,C,D,E,answer,subject\n"
            b"1,Pick the vowel,b,a,c,d,f,B,letters\n"
            b"2,Pick true,true,false,,,,A,logic\n"
        )
        benchmark = _created(client, content, "header.csv")
        items = _questions(client, benchmark["id"])["items"]
        assert [len(q["choices"]) for q in items] == [5, 2]  # trailing empty choices: fewer choices
        assert [q["answer"] for q in items] == [1, 0]
        assert benchmark["subjects"] == {"letters": 1, "logic": 1}
        tsv = _created(client, b"question\tchoice one\tchoice two\tanswer\nYes?\tyes\tno\t0\n", "tabs.tsv")
        assert _questions(client, tsv["id"])["items"][0]["choices"] == ["yes", "no"]

    def test_every_bad_line_is_reported_and_nothing_is_stored(self, client: TestClient) -> None:
        rows: list[Any] = [
            CAPITALS[0],
            {"question": "Q?", "choices": ["a", "b", "c", "d"], "answer": "E"},
            {"question": "Q?", "choices": ["only"], "answer": 0},
            {"choices": ["a", "b"], "answer": 0},
            {"question": "Q?", "choices": ["a", ""], "answer": 0},
            {"question": "Q?", "choices": "a, b", "answer": 0},
            {"question": "Q?", "choices": ["a", "b"], "answer": True},
        ]
        content = _jsonl(rows) + b"{not json\n"
        response = _upload(client, content)
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["field"] == "file"
        assert (body["bad_rows"], body["usable_rows"]) == (7, 1)
        assert "nothing was stored" in body["detail"]
        assert body["errors"] == [
            "line 2: answer: 'E' is not a choice of 4; give an index from 0 to 3 or a letter from A to D",
            "line 3: choices: 1 given; a question needs from 2 to 26 choices",
            'line 4: question: missing; every question needs "question", "choices" and "answer"',
            "line 5: choices[1]: empty; write its text",
            'line 6: choices: expected an array of texts, got a string; e.g. "choices": ["Paris", "Rome"]',
            "line 7: answer: expected an index or a letter, got bool; give an index from 0 to 1 or a letter from A to B",
            "line 8: invalid JSON (Expecting property name enclosed in double quotes at column 2)",
        ]
        assert client.get("/api/benchmarks").json()["total"] == 0

    def test_bad_table_rows_and_layouts(self, client: TestClient) -> None:
        rows = b"Q1?,a,b,c,d,A\nQ2?,a,b,c,A\nQ3?,a,b,c,d,Z\n"
        body = _upload(client, rows, "mmlu.csv").json()
        assert body["errors"] == [
            "row 2: 5 cells but the first row has 6 cells",
            "row 3: answer: 'Z' is not a choice of 4; give an index from 0 to 3 or a letter from A to D",
        ]
        gaps = _upload(client, b"question,A,B,D,answer\nQ?,a,b,d,A\n", "gaps.csv")
        assert gaps.status_code == 422
        assert "must be named A, B, C, ... without gaps" in gaps.json()["detail"]
        no_answer = _upload(client, b"Q?,a,b,c,d,maybe\n", "mmlu.csv")
        assert no_answer.status_code == 422
        assert "neither its last cell ('maybe') nor the one before is an answer" in no_answer.json()["detail"]
        assert _upload(client, b"", "empty.jsonl").json()["detail"] == "the file is empty"
        assert "ZIP archive" in _upload(client, b"PK\x03\x04rest", "book.xlsx").json()["detail"]
        assert client.get("/api/benchmarks").json()["total"] == 0

    def test_size_and_question_limits(self, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("STUDIO_MAX_BENCHMARK_BYTES", "300")
        monkeypatch.setenv("STUDIO_MAX_BENCHMARK_QUESTIONS", "3")
        reset_caches()
        too_large = _upload(client, _jsonl(CAPITALS * 3))
        assert too_large.status_code == 413
        assert too_large.json()["field"] == "file"
        too_many = _upload(client, b"Q?,a,b,A\n" * 4, "many.csv")
        assert too_many.status_code == 422
        assert "more than 3 questions" in too_many.json()["detail"]

    def test_a_reviewer_cannot_upload(self, client: TestClient) -> None:
        reviewer = create_account("reviewer@studio.test", Role.REVIEWER)
        response = client.post(
            "/api/benchmarks", files={"file": ("s.jsonl", io.BytesIO(_jsonl(CAPITALS)))}, headers=reviewer.headers
        )
        assert response.status_code == 403


class TestReadBenchmarks:
    def test_list_one_questions_paginated_and_ownership(self, client: TestClient) -> None:
        benchmark = _created(client, _jsonl(CAPITALS * 30))
        assert client.get(f"/api/benchmarks/{benchmark['id']}").json()["num_questions"] == 120
        page = _questions(client, benchmark["id"], offset=100, limit=50)
        assert page["total"] == 120
        assert [q["number"] for q in page["items"]] == list(range(101, 121))
        assert _questions(client, benchmark["id"], subject="maths")["total"] == 30

        other = create_account("other@studio.test")
        assert client.get("/api/benchmarks", headers=other.headers).json()["total"] == 0
        for path in (f"/api/benchmarks/{benchmark['id']}", f"/api/benchmarks/{benchmark['id']}/questions"):
            assert client.get(path, headers=other.headers).status_code == 404
        assert client.delete(f"/api/benchmarks/{benchmark['id']}", headers=other.headers).status_code == 404
        assert client.get("/api/benchmarks").json()["items"][0]["id"] == benchmark["id"]


def _finish(evaluation_id: int, logliks: list[list[float]]) -> None:
    """What the worker does once it has scored every choice (worker.benchmark_store), without the model."""
    assert evaluation_store.claim(evaluation_id, "worker-a")
    assert benchmark_store.finish(evaluation_id, "worker-a", benchmark_store.load_inputs(evaluation_id), logliks)


class TestBenchmarkEvaluations:
    def test_created_refused_deleted_with_the_benchmark(self, client: TestClient, model: str) -> None:
        run = succeeded_run(client, model)
        benchmark = _created(client, _jsonl(CAPITALS))
        request = {"run_id": run["id"], "benchmark_id": benchmark["id"], "model": "base", "batch_size": 4}
        response = client.post("/api/evaluations", json=request)
        assert response.status_code == 201, response.text
        evaluation = response.json()
        assert (evaluation["kind"], evaluation["benchmark_id"], evaluation["dataset_id"]) == (
            "multiple_choice",
            benchmark["id"],
            None,
        )
        assert (evaluation["total"], evaluation["split"], evaluation["template"]) == (4, None, "question_answer")
        assert evaluation["decoding"] == {"batch_size": 4}

        split = client.post("/api/evaluations", json={**request, "split": "test"})
        assert (split.status_code, split.json()["field"]) == (422, "split")
        assert client.post("/api/evaluations", json={**request, "benchmark_id": 999_999}).status_code == 404

        busy = client.delete(f"/api/benchmarks/{benchmark['id']}")
        assert busy.status_code == 409
        assert "cancel them or wait" in busy.json()["detail"]
        assert client.post(f"/api/evaluations/{evaluation['id']}/cancel").status_code == 200
        assert client.delete(f"/api/benchmarks/{benchmark['id']}").status_code == 204
        assert client.get(f"/api/benchmarks/{benchmark['id']}").status_code == 404
        assert client.get(f"/api/evaluations/{evaluation['id']}").status_code == 404

    def test_answers_and_the_comparison_with_flipped_questions(self, client: TestClient, model: str) -> None:
        run = succeeded_run(client, model)
        rows = [
            {"question": "q1", "choices": ["a", "bbbbbbbbbb"], "answer": 1, "subject": "s1"},
            {"question": "q2", "choices": ["a", "b"], "answer": 0, "subject": "s1"},
            {"question": "q3", "choices": ["a", "b", "c"], "answer": 2, "subject": "s2"},
            {"question": "q4", "choices": ["a", "b"], "answer": 1},
        ]
        benchmark = _created(client, _jsonl(rows))
        ids = []
        for source in ("base", "fine_tuned"):
            request = {"run_id": run["id"], "benchmark_id": benchmark["id"], "model": source}
            ids.append(client.post("/api/evaluations", json=request).json()["id"])
        # Base: q1's long right choice loses on the sum (acc) and wins per character (acc_norm); q2 right, q3 wrong.
        _finish(ids[0], [[-2.0, -5.0], [-1.0, -3.0], [-3.0, -1.0, -2.0], [-1.0, -2.0]])
        # Fine-tuned: q2 right → wrong, q3 wrong → right, q4 stays wrong.
        _finish(ids[1], [[-2.0, -5.0], [-3.0, -1.0], [-3.0, -2.0, -1.0], [-1.0, -2.0]])

        base = client.get(f"/api/evaluations/{ids[0]}").json()
        assert (base["status"], base["done"]) == ("succeeded", 4)
        assert base["metrics"]["accuracy"]["value"] == pytest.approx(1 / 4)
        assert base["metrics"]["accuracy_norm"]["value"] == pytest.approx(2 / 4)
        assert [(s["subject"], s["questions"]) for s in base["subjects"]] == [("s1", 2), ("s2", 1)]
        assert base["subjects"][0]["metrics"]["accuracy"]["value"] == pytest.approx(1 / 2)
        assert base["subjects"][0]["metrics"]["accuracy_norm"]["value"] == pytest.approx(1.0)

        answers = client.get(f"/api/evaluations/{ids[0]}/answers").json()
        assert answers["total"] == 4
        first = answers["items"][0]
        assert (first["number"], first["correct"], first["chosen"], first["chosen_norm"]) == (1, 1, 0, 1)
        assert first["scores"] == {"accuracy": 0.0, "accuracy_norm": 1.0}
        assert first["logliks"] == [-2.0, -5.0]
        assert client.get(f"/api/evaluations/{ids[0]}/answers", params={"subject": "s2"}).json()["total"] == 1
        assert client.get(f"/api/evaluations/{ids[0]}/predictions").json()["total"] == 0

        comparison = client.get("/api/evaluations/compare", params={"a": ids[0], "b": ids[1]}).json()
        assert (comparison["kind"], comparison["examples"], comparison["most_changed"]) == ("multiple_choice", 4, [])
        accuracy = next(m for m in comparison["metrics"] if m["name"] == "accuracy")
        assert (accuracy["a"], accuracy["b"], accuracy["difference"]) == (0.25, 0.25, 0.0)
        assert (accuracy["better"], accuracy["same"], accuracy["worse"]) == (1, 2, 1)
        assert accuracy["verdict"] == "no_clear_change"
        assert [(f["number"], f["change"], f["a_chosen"], f["b_chosen"]) for f in comparison["flipped"]] == [
            (2, "right_to_wrong", 0, 1),
            (3, "wrong_to_right", 1, 2),
        ]
        assert [(s["subject"], s["questions"]) for s in comparison["subjects"]] == [("s1", 2), ("s2", 1)]

        generation = client.post("/api/evaluations", json={"run_id": run["id"], "model": "base"}).json()
        mixed = client.get("/api/evaluations/compare", params={"a": generation["id"], "b": ids[1]})
        assert mixed.status_code == 422
        assert "compare two of one kind" in mixed.json()["detail"]


class TestExportBenchmarkEvaluation:
    def test_jsonl_as_the_answers_and_csv_one_column_per_choice_formulas_neutralised(
        self, client: TestClient, model: str
    ) -> None:
        run = succeeded_run(client, model)
        rows = [
            {"question": "=1+1?", "choices": ["2", "=2", "@two"], "answer": 1, "subject": "+maths"},
            {"question": "Nορβηγία?", "choices": ["Όσλο", "Ρώμη"], "answer": 0},
        ]
        benchmark = _created(client, _jsonl(rows))
        request = {"run_id": run["id"], "benchmark_id": benchmark["id"], "model": "base"}
        evaluation_id = client.post("/api/evaluations", json=request).json()["id"]

        empty = client.get(f"/api/evaluations/{evaluation_id}/export", params={"format": "csv"})
        assert empty.text.splitlines()[0].startswith("question_id,number,subject,question,A,B,C,correct")

        # Question 1: "2" wins on the sum (acc), "=2" per character (acc_norm); question 2 right both ways.
        _finish(evaluation_id, [[-1.0, -1.5, -4.0], [-0.5, -3.0]])

        response = client.get(f"/api/evaluations/{evaluation_id}/export", params={"format": "jsonl"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/x-ndjson"
        disposition = response.headers["content-disposition"]
        assert f'filename="evaluation-{evaluation_id}-base-benchmark{benchmark["id"]}.jsonl"' in disposition
        exported = [json.loads(line) for line in response.text.splitlines()]
        assert exported == client.get(f"/api/evaluations/{evaluation_id}/answers").json()["items"]
        first = exported[0]
        assert (first["question"], first["choices"], first["subject"]) == ("=1+1?", ["2", "=2", "@two"], "+maths")
        assert (first["correct"], first["chosen"], first["chosen_norm"]) == (1, 0, 1)
        assert first["scores"] == {"accuracy": 0.0, "accuracy_norm": 1.0}
        assert first["logliks"] == [-1.0, -1.5, -4.0]

        response = client.get(f"/api/evaluations/{evaluation_id}/export", params={"format": "csv"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"].endswith('.csv"')
        cells = list(csv.DictReader(io.StringIO(response.text)))
        assert list(cells[0]) == [
            "question_id",
            "number",
            "subject",
            "question",
            "A",
            "B",
            "C",
            "correct",
            "chosen",
            "chosen_norm",
            "accuracy",
            "accuracy_norm",
            "loglik_A",
            "loglik_B",
            "loglik_C",
        ]
        assert {key: cells[0][key] for key in ("subject", "question", "A", "B", "C")} == {
            "subject": "'+maths",
            "question": "'=1+1?",
            "A": "2",
            "B": "'=2",
            "C": "'@two",
        }
        assert [(c["correct"], c["chosen"], c["chosen_norm"]) for c in cells] == [("B", "A", "B"), ("A", "A", "A")]
        assert [(float(c["accuracy"]), float(c["accuracy_norm"])) for c in cells] == [(0.0, 1.0), (1.0, 1.0)]
        assert [float(cells[0][f"loglik_{letter}"]) for letter in "ABC"] == [-1.0, -1.5, -4.0]
        second = cells[1]
        assert (second["question"], second["subject"], second["A"], second["C"], second["loglik_C"]) == (
            "Nορβηγία?",
            "",
            "Όσλο",
            "",
            "",
        )
        assert int(second["question_id"]) == exported[1]["question_id"]

        other = create_account("other@studio.test")
        assert client.get(f"/api/evaluations/{evaluation_id}/export", headers=other.headers).status_code == 404
