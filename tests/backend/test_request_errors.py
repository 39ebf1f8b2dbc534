"""Malformed requests on both stacks: refused with 422 in the one ErrorBody shape, never a 500 from the database.

backend/core/errors.py renders them, backend/core/params.py bounds ids and offsets, backend/core/storable.py refuses
NUL characters and non-finite numbers.
"""

import io
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.factories import create_dataset

BEYOND_POSTGRES = 2**31  # INTEGER columns are 32-bit there
BEYOND_SQLITE = 2**63  # and 64-bit here


def _refused(response: httpx.Response, field: str) -> dict[str, Any]:
    """The one error shape: a sentence naming the field, the field, and every problem."""
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert body["field"] == field
    assert isinstance(body["detail"], str)
    assert body["detail"].startswith(f"{field}: ")
    assert body["errors"][0] == body["detail"]
    return body


def _post_json(client: TestClient, url: str, text: str) -> httpx.Response:
    return client.post(url, content=text.encode(), headers={"content-type": "application/json"})


class TestIdsOutOfRange:
    @pytest.mark.parametrize("number", [BEYOND_POSTGRES, BEYOND_SQLITE])
    @pytest.mark.parametrize("path", ["/api/runs/{}", "/api/datasets/{}", "/api/presets/{}", "/api/runs/{}/metrics"])
    def test_a_path_id_no_row_can_have_is_422(self, client: TestClient, path: str, number: int) -> None:
        response = client.get(path.format(number))
        assert response.json()["field"].startswith("path.")
        assert "less than or equal to 2147483647" in _refused(response, response.json()["field"])["detail"]

    def test_the_largest_id_is_merely_not_found(self, client: TestClient) -> None:
        assert client.get(f"/api/runs/{BEYOND_POSTGRES - 1}").status_code == 404

    def test_after_id_and_offset_beyond_the_column_are_422(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        run = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
        _refused(client.get(f"/api/runs/{run['id']}/log", params={"after_id": BEYOND_SQLITE}), "query.after_id")
        _refused(client.get(f"/api/runs/{run['id']}/metrics", params={"after_id": -1}), "query.after_id")
        examples = f"/api/datasets/{dataset['id']}/examples"
        _refused(client.get(examples, params={"offset": BEYOND_POSTGRES}), "query.offset")
        assert client.get(examples, params={"offset": BEYOND_POSTGRES - 1}).json()["items"] == []

    def test_ids_in_a_body_are_bounded(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        _refused(client.post("/api/runs", json={"dataset_id": BEYOND_POSTGRES}), "dataset_id")
        _refused(client.post("/api/runs", json={"dataset_id": dataset["id"], "preset_id": BEYOND_SQLITE}), "preset_id")
        preview = client.post(
            f"/api/datasets/{dataset['id']}/preview", json={"example_id": BEYOND_SQLITE, "base_model": "x"}
        )
        _refused(preview, "example_id")

    def test_a_split_seed_beyond_its_column_is_422(self, client: TestClient) -> None:
        response = client.post(
            "/api/datasets",
            files={"file": ("data.jsonl", io.BytesIO(b'{"instruction": "a", "output": "b"}\n'))},
            data={"seed": str(BEYOND_POSTGRES)},
        )
        _refused(response, "seed")


class TestUnstorableInput:
    def test_nul_in_a_json_string_is_422_naming_it(self, client: TestClient) -> None:
        body = _refused(client.post("/api/models", json={"name_or_path": "a\x00/b"}), "name_or_path")
        assert "NUL" in body["detail"]
        dataset = create_dataset(client, count=12)
        _refused(client.post("/api/runs", json={"dataset_id": dataset["id"], "name": "run\x00"}), "name")
        _refused(client.post("/api/presets", json={"name": "p\x00"}), "name")
        _refused(client.patch(f"/api/datasets/{dataset['id']}", json={"name": "\x00"}), "name")
        nested = client.post(
            "/api/presets", json={"name": "p", "hyperparameters": {"llm_int8_skip_modules": ["lm_head", "a\x00"]}}
        )
        _refused(nested, "hyperparameters.llm_int8_skip_modules.1")
        assert [p["name"] for p in client.get("/api/presets").json()["items"]].count("p") == 0

    def test_nul_in_a_key_is_422(self, client: TestClient) -> None:
        _refused(
            client.post("/api/presets", json={"name": "p", "hyperparameters": {"lora_r\x00": 8}}),
            "hyperparameters.lora_r\x00",
        )

    def test_nul_in_a_form_field_is_422(self, client: TestClient) -> None:
        response = client.post(
            "/api/datasets",
            files={"file": ("data.jsonl", io.BytesIO(b'{"instruction": "a", "output": "b"}\n'))},
            data={"name": "tiny\x00"},
        )
        _refused(response, "name")
        assert client.get("/api/datasets").json()["total"] == 0

    def test_nul_in_a_query_or_path_is_422(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        _refused(client.get(f"/api/datasets/{dataset['id']}/examples", params={"q": "a\x00b"}), "query.q")
        token_stats = client.get(f"/api/datasets/{dataset['id']}/token-stats", params={"base_model": "\x00"})
        _refused(token_stats, "query.base_model")
        _refused(client.get("/api/runs/1%00"), "path.run_id")

    @pytest.mark.parametrize(
        ("name", "number"),
        [("max_grad_norm", "Infinity"), ("neftune_noise_alpha", "NaN"), ("llm_int8_threshold", "1e999")],
    )
    def test_non_finite_numbers_are_422(self, client: TestClient, name: str, number: str) -> None:
        dataset = create_dataset(client, count=12)
        run = _post_json(
            client, "/api/runs", f'{{"dataset_id": {dataset["id"]}, "hyperparameters": {{"{name}": {number}}}}}'
        )
        assert "finite" in _refused(run, f"hyperparameters.{name}")["detail"]
        preset = _post_json(client, "/api/presets", f'{{"name": "p", "hyperparameters": {{"{name}": {number}}}}}')
        _refused(preset, f"hyperparameters.{name}")
        assert client.get("/api/runs").json()["total"] == 0


class TestErrorShape:
    def test_every_problem_is_listed_the_first_is_the_detail(self, client: TestClient) -> None:
        response = client.post("/api/runs", json={"name": 5, "preflight": "maybe"})
        body = _refused(response, "dataset_id")
        assert body["detail"] == "dataset_id: Field required"
        assert [error.split(":")[0] for error in body["errors"]] == ["dataset_id", "name", "preflight"]

    def test_malformed_json_is_422_on_the_body(self, client: TestClient) -> None:
        assert "not valid JSON" in _refused(_post_json(client, "/api/presets", '{"name": '), "body")["detail"]

    def test_a_body_that_is_not_utf8_is_422_on_the_body(self, client: TestClient) -> None:
        response = client.post(
            "/api/presets", content='{"name": "é"}'.encode("latin-1"), headers={"content-type": "application/json"}
        )
        assert "UTF-8" in _refused(response, "body")["detail"]

    def test_the_frameworks_own_errors_have_the_same_shape(self, client: TestClient) -> None:
        missing = client.get("/api/nothing-here")
        assert missing.status_code == 404
        assert missing.json()["detail"] == "Not Found"
        assert missing.json()["errors"] == []
        wrong_method = client.put("/api/runs")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["detail"] == "Method Not Allowed"
        assert "POST" in wrong_method.headers["allow"]
