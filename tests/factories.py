"""Builders of test data, used instead of a fixture for every shape."""

import io
import json
from typing import Any

import httpx
from fastapi.testclient import TestClient

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
