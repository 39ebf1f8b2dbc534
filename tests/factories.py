"""Builders of test data, used instead of a fixture for every shape."""

import io
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.core.db import get_sessionmaker
from backend.models import (
    AnswerSource,
    DatasetExample,
    Evaluation,
    EvaluationPrediction,
    Run,
    RunStatus,
    RunTag,
    Split,
    Worker,
    utcnow,
)
from domain.records import RECORD, final_answer
from tests.processes import poll

TASKS = (
    ("Reverse the word.", "stream", "maerts"),
    ("Give the opposite of the word.", "hot", "cold"),
    ("Translate the number to English words.", "7", "seven"),
    ("Answer with the capital city.", "France", "Paris"),
)


def alpaca_rows(count: int) -> list[dict[str, str]]:
    rows = []
    for index in range(count):
        instruction, value, answer = TASKS[index % len(TASKS)]
        rows.append({"instruction": instruction, "input": f"{value} #{index}", "output": f"{answer} #{index}"})
    return rows


def jsonl(rows: list[dict[str, str]]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def upload_dataset(
    client: TestClient, content: bytes, name: str = "tiny", filename: str = "data.jsonl"
) -> httpx.Response:
    return client.post("/api/datasets", files={"file": (filename, io.BytesIO(content))}, data={"name": name})


def create_dataset(client: TestClient, count: int = 24) -> dict[str, Any]:
    response = upload_dataset(client, jsonl(alpaca_rows(count)))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def token_stats(client: TestClient, dataset_id: int, timeout: float = 60, **params: Any) -> httpx.Response:
    """GET /api/datasets/{id}/token-stats until a worker of the light queue has counted (the answer is not 202)."""

    def answer() -> httpx.Response | None:
        response = client.get(f"/api/datasets/{dataset_id}/token-stats", params=params)
        return None if response.status_code == 202 else response

    return poll(answer, timeout=timeout, what=f"the token stats of dataset {dataset_id} ({params})")


def create_worker(*, seen_seconds_ago: float = 0, **values: Any) -> Worker:
    """A registry row written straight into the database, as a worker on another machine writes its own: by default
    a training worker with one small GPU, seen just now."""
    now = utcnow()
    row = {
        "id": uuid.uuid4().hex[:12],
        "hostname": "gpu-small.example",
        "pid": 4242,
        "queues": ["training"],
        "device": "cuda",
        "device_name": "NVIDIA Tiny GPU",
        "device_count": 1,
        "memory_bytes": 256 * 1024**2,
        "cpu_count": 8,
        "versions": {"python": "3.11.9", "torch": "2.13.0", "cuda": "12.8"},
        "started_at": now - timedelta(seconds=seen_seconds_ago + 60),
        "last_seen_at": now - timedelta(seconds=seen_seconds_ago),
        **values,
    }
    with get_sessionmaker().begin() as session:
        worker = Worker(**row)
        session.add(worker)
    return worker


def create_evaluation(
    owner_id: int,
    dataset_id: int,
    answer: Any = None,
    *,
    judge_score: float | None = None,
    split: Split | None = Split.TEST,
    model: AnswerSource = AnswerSource.FINE_TUNED,
    run_id: int | None = None,
    metrics: dict[str, dict[str, float | None]] | None = None,
) -> tuple[int, list[int]]:
    """A finished generation evaluation of a dataset's split, written as a worker writes one, without a model.
    `answer(example_id, expected)` gives each generated answer (default: the expected one); `judge_score` (0-1) is every
    answer's judge score; `metrics` the evaluation's ({name: {value, ci_low, ci_high}}). Returns its id and its
    examples' ids in answering order."""
    with get_sessionmaker().begin() as session:
        query = select(DatasetExample).where(DatasetExample.dataset_id == dataset_id).order_by(DatasetExample.id)
        if split is not None:
            query = query.where(DatasetExample.split == split)
        examples = list(session.scalars(query))
        evaluation = Evaluation(
            owner_id=owner_id,
            run_id=run_id,
            model=model,
            dataset_id=dataset_id,
            split=split,
            template="alpaca",
            decoding={"strategy": "greedy", "max_new_tokens": 32},
            status=RunStatus.SUCCEEDED,
            done=len(examples),
            total=len(examples),
            metrics=metrics or {},
            finished_at=utcnow(),
        )
        session.add(evaluation)
        session.flush()
        for example in examples:
            expected = final_answer(RECORD.validate_python(example.record))
            scores: dict[str, float] = {"exact_match": 1.0}
            if judge_score is not None:
                scores["judge_score"] = judge_score
            session.add(
                EvaluationPrediction(
                    evaluation_id=evaluation.id,
                    example_id=example.id,
                    prompt=f"### Prompt {example.id}",
                    expected=expected,
                    generated=answer(example.id, expected) if answer else expected,
                    scores=scores,
                )
            )
        return evaluation.id, [example.id for example in examples]


def create_run(owner: int, dataset_id: int, name: str, *, tags: tuple[str, ...] = (), **values: Any) -> int:
    """A run row written straight into the database, as the worker leaves one, with the runs list's figures given
    (best_eval_loss, loss_sparkline, rouge_l, ...): by default a succeeded run of the bundled model."""
    with get_sessionmaker().begin() as session:
        run = Run(
            owner_id=owner,
            name=name,
            dataset_id=dataset_id,
            base_model=values.pop("base_model", "smollm2-135m-instruct"),
            config=values.pop("config", {}),
            split_hash="h",
            status=values.pop("status", RunStatus.SUCCEEDED),
            **values,
        )
        session.add(run)
        session.flush()
        session.add_all(RunTag(run_id=run.id, tag=tag) for tag in tags)
        return run.id
