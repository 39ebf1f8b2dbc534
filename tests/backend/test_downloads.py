import csv
import io
import json

from fastapi.testclient import TestClient

from tests.factories import alpaca_rows, jsonl, upload_dataset


def _dataset_with_formulas(client: TestClient) -> dict:  # type: ignore[type-arg]
    rows = alpaca_rows(20)
    rows[0] = {"instruction": '=HYPERLINK("http://evil")', "input": "+1", "output": "@SUM(A1:A2)"}
    rows[1] = {"instruction": "Say a negative number", "input": "", "output": "-5, said\nthe model"}
    response = upload_dataset(client, jsonl(rows), name="formulas.jsonl")
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


class TestDownload:
    def test_jsonl_of_one_split_has_exactly_that_split(self, client: TestClient) -> None:
        dataset = _dataset_with_formulas(client)
        response = client.get(f"/api/datasets/{dataset['id']}/download", params={"split": "test", "format": "jsonl"})

        assert response.status_code == 200
        assert response.headers["content-disposition"] == 'attachment; filename="formulas-test.jsonl"'
        rows = [json.loads(line) for line in response.text.splitlines()]
        assert len(rows) == dataset["num_test"]
        stored = client.get(f"/api/datasets/{dataset['id']}/examples", params={"split": "test"}).json()["items"]
        expected = [{k: v for k, v in item["record"].items() if k != "shape"} for item in stored]
        assert rows == expected

    def test_csv_neutralises_formulas_and_keeps_newlines(self, client: TestClient) -> None:
        dataset = _dataset_with_formulas(client)
        response = client.get(f"/api/datasets/{dataset['id']}/download", params={"format": "csv"})

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == 20
        assert rows[0] == {"instruction": '\'=HYPERLINK("http://evil")', "input": "'+1", "output": "'@SUM(A1:A2)"}
        assert rows[1]["output"] == "'-5, said\nthe model"
        assert rows[2]["instruction"] == "Translate the number to English words."

    def test_unknown_dataset_is_404(self, client: TestClient) -> None:
        assert client.get("/api/datasets/404/download").status_code == 404
