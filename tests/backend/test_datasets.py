import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.core.db import get_sessionmaker
from backend.models import Dataset, DatasetExample
from tests.accounts import Account
from tests.conftest import Stack
from tests.factories import alpaca_rows, create_dataset, jsonl, upload_dataset

FILES = Path(__file__).parent / "files"


# Helpers for every upload test (test_ingest_*.py import them).


def upload(
    client: TestClient,
    content: bytes,
    filename: str = "data.jsonl",
    *,
    validation: tuple[str, bytes] | None = None,
    test: tuple[str, bytes] | None = None,
    **fields: Any,
) -> httpx.Response:
    """POST /api/datasets with form fields as the browser sends them (dicts as JSON, booleans as true/false)."""
    files: dict[str, tuple[str, io.BytesIO]] = {"file": (filename, io.BytesIO(content))}
    if validation:
        files["validation_file"] = (validation[0], io.BytesIO(validation[1]))
    if test:
        files["test_file"] = (test[0], io.BytesIO(test[1]))
    data = {
        key: json.dumps(value) if isinstance(value, dict) else str(value).lower() if isinstance(value, bool) else value
        for key, value in fields.items()
    }
    return client.post("/api/datasets", files=files, data=data)


def upload_file(client: TestClient, path: Path, **fields: Any) -> httpx.Response:
    return upload(client, path.read_bytes(), path.name, **fields)


def stored_counts() -> tuple[int, int]:
    with get_sessionmaker()() as session:
        datasets = session.scalar(select(func.count()).select_from(Dataset)) or 0
        examples = session.scalar(select(func.count()).select_from(DatasetExample)) or 0
        return datasets, examples


def uploaded_files(stack: Stack) -> list[Path]:
    root = stack.data_dir / "artifacts"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_nothing_stored(stack: Stack) -> None:
    assert stored_counts() == (0, 0)
    assert uploaded_files(stack) == []


@dataclass
class RawResponse:
    status_code: int
    body: dict[str, Any]
    chunks_read: int  # how many of the body's chunks the server asked for


def post_chunks(client: TestClient, path: str, chunks: int, *, declare_length: bool) -> RawResponse:
    """POST a multipart file of `chunks` 64 KB chunks straight to the app, counting the chunks it reads.

    (The test client reads a whole body before the app sees any of it, so the ASGI messages are sent here.)"""
    chunk = b"x" * 64 * 1024
    head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n\r\n'
    headers = [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=b")]
    headers += [
        (name.lower().encode(), value.encode()) for name, value in client.headers.items() if name == "authorization"
    ]
    if declare_length:
        headers.append((b"content-length", str(chunks * len(chunk)).encode()))
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read == chunks:
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": head + chunk if read == 1 else chunk, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
    }
    assert client.portal is not None
    client.portal.call(client.app, scope, receive, send)
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return RawResponse(sent[0]["status"], json.loads(body), read)


def examples(client: TestClient, dataset_id: int, **params: Any) -> list[dict[str, Any]]:
    page = client.get(f"/api/datasets/{dataset_id}/examples", params={"limit": 500, **params})
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


class TestUploadDataset:
    def test_alpaca_jsonl_is_stored_and_split_85_5_10(self, client: TestClient, stack: Stack) -> None:
        dataset = create_dataset(client, count=120)

        assert dataset["num_rows"] == 120
        assert (dataset["num_train"], dataset["num_validation"], dataset["num_test"]) == (102, 6, 12)
        assert dataset["split_ratios"] == {"train": 0.85, "validation": 0.05, "test": 0.1}
        assert (dataset["format"], dataset["shape"], dataset["template"]) == ("jsonl", "alpaca", "alpaca")
        assert (dataset["num_dropped"], dataset["label_counts"], dataset["warnings"]) == (0, None, [])
        assert dataset["column_mapping"] is None
        test_rows = examples(client, dataset["id"], split="test")
        assert len(test_rows) == 12
        assert {item["split"] for item in test_rows} == {"test"}
        assert test_rows[0]["record"]["shape"] == "alpaca"
        # The upload itself is kept beside the rows.
        assert [p.name for p in uploaded_files(stack)] == ["upload"]

    def test_split_is_reproducible(self, client: TestClient) -> None:
        first = create_dataset(client, count=40)
        second = create_dataset(client, count=40)
        assert first["split_hash"] == second["split_hash"]

    def test_bom_crlf_and_blank_lines_are_accepted(self, client: TestClient) -> None:
        content = b"\xef\xbb\xbf" + jsonl(alpaca_rows(12)).replace(b"\n", b"\r\n\r\n")
        response = upload_dataset(client, content)
        assert response.status_code == 201, response.text
        assert response.json()["num_rows"] == 12
        # Row numbers are the file's lines, blank lines included.
        assert [e["row_number"] for e in examples(client, response.json()["id"])][:3] == [1, 3, 5]

    def test_json_array_is_accepted(self, client: TestClient) -> None:
        response = upload_dataset(client, json.dumps(alpaca_rows(11)).encode(), filename="data.json")
        assert response.status_code == 201, response.text
        assert response.json()["format"] == "json"

    def test_bad_rows_are_reported_by_line_and_nothing_is_stored(self, client: TestClient, stack: Stack) -> None:
        lines = jsonl(alpaca_rows(12)).decode().splitlines()
        lines[2] = '{"instruction": "x" "output": "y"}'
        lines[6] = '{"instruction": "Say hi", "input": ""}'
        lines[9] = '{"instruction": "Say hi", "output": "   "}'
        response = upload_dataset(client, "\n".join(lines).encode())

        assert response.status_code == 422
        body = response.json()
        assert body["field"] == "file"
        assert body["detail"].startswith("3 invalid rows")
        assert body["errors"] == [
            "line 3: invalid JSON (Expecting ',' delimiter at column 21)",
            "line 7: missing 'output'",
            "line 10: empty 'output'",
        ]
        assert_nothing_stored(stack)

    def test_too_few_rows_is_rejected(self, client: TestClient) -> None:
        response = upload_dataset(client, jsonl(alpaca_rows(5)))
        assert response.status_code == 422
        assert "only 5 usable examples; at least 10" in response.json()["detail"]

    def test_over_the_size_limit_is_413_and_leaves_nothing(self, client: TestClient, stack: Stack) -> None:
        from backend.core.config import get_settings

        get_settings().max_upload_bytes = 1000
        response = upload_dataset(client, jsonl(alpaca_rows(100)))
        assert response.status_code == 413
        assert response.json()["detail"] == "the file is larger than the 1,000-byte upload limit"
        assert response.json()["field"] == "file"
        assert_nothing_stored(stack)

    def test_a_split_file_over_the_size_limit_leaves_nothing_either(self, client: TestClient, stack: Stack) -> None:
        from backend.core.config import get_settings

        get_settings().max_upload_bytes = 3000
        response = upload(client, jsonl(alpaca_rows(12)), validation=("v.jsonl", jsonl(alpaca_rows(100))))
        assert response.status_code == 413
        assert response.json()["field"] == "validation_file"
        assert_nothing_stored(stack)

    def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(self, client: TestClient) -> None:
        from backend.core.config import get_settings

        get_settings().max_upload_bytes = 1000
        response = post_chunks(client, "/api/datasets", 1000, declare_length=True)
        assert response.status_code == 413
        assert response.body["detail"] == (
            "the request is larger than the 68,536 bytes an upload may send (3 files of at most 1,000 bytes each, "
            "and the form): send smaller files"
        )
        assert response.chunks_read == 0

    def test_a_chunked_body_is_cut_off_once_over_the_limit(self, client: TestClient, stack: Stack) -> None:
        from backend.core.config import get_settings

        get_settings().max_upload_bytes = 1000
        response = post_chunks(client, "/api/datasets", 1000, declare_length=False)
        assert response.status_code == 413
        assert response.body["detail"].startswith("the request is larger than the 68,536 bytes an upload may send")
        assert response.chunks_read == 2  # 128 KB: past the 67 KB limit
        assert_nothing_stored(stack)
        assert client.get("/api/health").status_code == 200

    def test_name_and_template_are_taken_from_the_form(self, client: TestClient) -> None:
        response = upload(client, jsonl(alpaca_rows(12)), "mine.jsonl", name="My data", template="chatml")
        assert response.status_code == 201, response.text
        assert (response.json()["name"], response.json()["template"]) == ("My data", "chatml")
        assert upload(client, jsonl(alpaca_rows(12)), "mine.jsonl").json()["name"] == "mine.jsonl"


class TestReadDatasets:
    def test_list_and_get(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        listing = client.get("/api/datasets").json()
        assert [item["id"] for item in listing["items"]] == [dataset["id"]]
        assert client.get(f"/api/datasets/{dataset['id']}").json()["name"] == "tiny"

    def test_unknown_dataset_is_404(self, client: TestClient) -> None:
        response = client.get("/api/datasets/999")
        assert response.status_code == 404
        assert response.json()["detail"] == "dataset 999 not found"


class TestSearchExamples:
    ROWS = [
        {"instruction": "Name the capital.", "input": "France", "output": "PARIS"},
        {"instruction": "What share?", "input": "all of it", "output": "100%"},
        {"instruction": "What share?", "input": "ten times", "output": "1000"},
        {"instruction": "Name the variable.", "input": "", "output": "snake_case"},
        {"instruction": "Name the variable.", "input": "", "output": "snakeXcase"},
        {"instruction": "Greet in German.", "input": "", "output": "Grüß Gott"},
    ]

    def _dataset(self, client: TestClient) -> int:
        rows = self.ROWS + [{"instruction": f"Count to {i}.", "output": str(i)} for i in range(6)]
        response = upload(client, jsonl(rows))
        assert response.status_code == 201, response.text
        dataset_id: int = response.json()["id"]
        return dataset_id

    def test_q_is_case_insensitive_over_every_field(self, client: TestClient) -> None:
        dataset_id = self._dataset(client)
        assert [e["record"]["output"] for e in examples(client, dataset_id, q="paris")] == ["PARIS"]
        assert [e["record"]["input"] for e in examples(client, dataset_id, q="FRANCE")] == ["France"]
        assert [e["record"]["output"] for e in examples(client, dataset_id, q="GRÜSS")] == []
        assert [e["record"]["output"] for e in examples(client, dataset_id, q="GRÜß")] == ["Grüß Gott"]

    def test_like_wildcards_in_q_are_literal(self, client: TestClient) -> None:
        dataset_id = self._dataset(client)
        assert [e["record"]["output"] for e in examples(client, dataset_id, q="100%")] == ["100%"]
        assert [e["record"]["output"] for e in examples(client, dataset_id, q="snake_case")] == ["snake_case"]

    def test_q_combines_with_split_and_counts_the_matches(self, client: TestClient) -> None:
        dataset_id = self._dataset(client)
        page = client.get(f"/api/datasets/{dataset_id}/examples", params={"q": "name the", "limit": 1}).json()
        assert page["total"] == 3 and len(page["items"]) == 1
        splits = {e["split"] for e in examples(client, dataset_id, q="name the")}
        for split in splits:
            assert {e["split"] for e in examples(client, dataset_id, q="name the", split=split)} == {split}


class TestReadYourWrites:
    def test_a_created_dataset_is_readable_as_soon_as_the_201_arrives(self, stack: Stack, admin: Account) -> None:
        """Over a real socket: the session must commit before the response, not after it."""
        from tests.processes import api_server

        content = jsonl(alpaca_rows(10))
        with (
            api_server(stack.env(), stack.data_dir / "api.log") as base_url,
            httpx.Client(base_url=base_url, headers=admin.headers) as http,
        ):
            for _ in range(20):
                created = http.post("/api/datasets", files={"file": ("d.jsonl", content)}).json()
                assert http.get(f"/api/datasets/{created['id']}").status_code == 200
