from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.core.db import get_sessionmaker
from backend.models import Dataset, DatasetExample
from tests.conftest import Stack
from tests.factories import alpaca_rows, create_dataset, jsonl, upload_dataset


def _stored_counts() -> tuple[int, int]:
    with get_sessionmaker()() as session:
        datasets = session.scalar(select(func.count()).select_from(Dataset)) or 0
        examples = session.scalar(select(func.count()).select_from(DatasetExample)) or 0
        return datasets, examples


def _uploaded_files(stack: Stack) -> list[Path]:
    root = stack.data_dir / "artifacts" / "datasets"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


class TestUploadDataset:
    def test_alpaca_jsonl_is_stored_and_split_85_5_10(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=120)

        assert dataset["num_rows"] == 120
        assert (dataset["num_train"], dataset["num_validation"], dataset["num_test"]) == (102, 6, 12)
        page = client.get(f"/api/datasets/{dataset['id']}/examples", params={"split": "test", "limit": 500}).json()
        assert page["total"] == 12
        assert {item["split"] for item in page["items"]} == {"test"}

    def test_split_is_reproducible(self, client: TestClient) -> None:
        first = create_dataset(client, count=40)
        second = create_dataset(client, count=40)
        assert first["split_hash"] == second["split_hash"]

    def test_bom_crlf_and_blank_lines_are_accepted(self, client: TestClient) -> None:
        content = b"\xef\xbb\xbf" + jsonl(alpaca_rows(12)).replace(b"\n", b"\r\n\r\n")
        response = upload_dataset(client, content)
        assert response.status_code == 201, response.text
        assert response.json()["num_rows"] == 12

    def test_json_array_is_accepted(self, client: TestClient) -> None:
        import json

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
        assert _stored_counts() == (0, 0)
        assert _uploaded_files(stack) == []

    def test_too_few_rows_is_rejected(self, client: TestClient) -> None:
        response = upload_dataset(client, jsonl(alpaca_rows(5)))
        assert response.status_code == 422
        assert "only 5 usable examples; at least 10" in response.json()["detail"]

    def test_empty_and_binary_files_are_rejected(self, client: TestClient) -> None:
        assert upload_dataset(client, b"").json()["detail"] == "the file is empty"
        binary = upload_dataset(client, b"\x00\x01\x02garbage")
        assert binary.status_code == 422
        assert "binary" in binary.json()["detail"]

    def test_non_utf8_is_rejected(self, client: TestClient) -> None:
        content = jsonl(alpaca_rows(12)) + '{"instruction": "caf\u00e9", "output": "x"}\n'.encode("latin-1")
        response = upload_dataset(client, content)
        assert response.status_code == 422
        assert response.json()["detail"].startswith("line 13: not UTF-8 text (byte 0xe9 at column 21)")

    def test_over_the_size_limit_is_413_and_leaves_nothing(
        self, client: TestClient, stack: Stack, monkeypatch: object
    ) -> None:
        from backend.core.config import get_settings

        get_settings().max_upload_bytes = 1000
        response = upload_dataset(client, jsonl(alpaca_rows(100)))
        assert response.status_code == 413
        assert "upload limit" in response.json()["detail"]
        assert _stored_counts() == (0, 0)
        assert _uploaded_files(stack) == []


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


class TestReadYourWrites:
    def test_a_created_dataset_is_readable_as_soon_as_the_201_arrives(self, stack: Stack) -> None:
        """Over a real socket: the session must commit before the response, not after it."""
        import httpx

        from tests.processes import api_server

        content = jsonl(alpaca_rows(10))
        with api_server(stack.env(), stack.data_dir / "api.log") as base_url, httpx.Client(base_url=base_url) as http:
            for _ in range(20):
                created = http.post("/api/datasets", files={"file": ("d.jsonl", content)}).json()
                assert http.get(f"/api/datasets/{created['id']}").status_code == 200
