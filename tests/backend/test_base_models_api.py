"""Registering and deleting base models on both stacks: a directory is checked to hold a model's config.json."""

import json
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from domain.catalog import BUNDLED_MODEL_CONFIG
from tests.factories import create_dataset


def _model_directory(path: Path, config: object = BUNDLED_MODEL_CONFIG) -> Path:
    """A directory with only a config.json: enough to register a model and create runs on it."""
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps(config))
    return path


def _register(client: TestClient, directory: Path) -> dict[str, object]:
    response = client.post("/api/models", json={"name_or_path": str(directory)})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


class TestRegisterBaseModel:
    def test_a_path_component_too_long_for_the_file_system_is_422(self, client: TestClient) -> None:
        # Under the model roots (the temporary folder in tests), so that it is the file system that refuses it.
        response = client.post("/api/models", json={"name_or_path": f"{tempfile.gettempdir()}/{'a' * 256}"})
        assert response.status_code == 422
        assert response.json()["field"] == "name_or_path"
        assert "cannot be read" in response.json()["detail"]

    def test_a_name_longer_than_its_column_is_422(self, client: TestClient) -> None:
        response = client.post("/api/models", json={"name_or_path": "org/" + "a" * 300})
        assert response.status_code == 422
        assert response.json()["field"] == "name_or_path"

    def test_a_config_json_that_is_not_a_models_is_refused(self, client: TestClient, tmp_path: Path) -> None:
        for name, config in (
            ("tokenizer", {"model_max_length": 512}),
            ("list", [1, 2]),
            ("zero", {**BUNDLED_MODEL_CONFIG, "num_hidden_layers": 0}),
        ):
            response = client.post("/api/models", json={"name_or_path": str(_model_directory(tmp_path / name, config))})
            assert response.status_code == 422, name
            assert response.json()["field"] == "name_or_path"
            assert "config.json" in response.json()["detail"]
            assert "is not a model config" in response.json()["detail"]
        (tmp_path / "garbled").mkdir()
        (tmp_path / "garbled" / "config.json").write_bytes(b"\xff{")
        response = client.post("/api/models", json={"name_or_path": str(tmp_path / "garbled")})
        assert "not valid JSON" in response.json()["detail"]
        assert [m["name"] for m in client.get("/api/models").json()["items"]] == ["smollm2-135m-instruct"]

    def test_estimating_on_a_directory_whose_config_changed_says_so(self, client: TestClient, tmp_path: Path) -> None:
        directory = _model_directory(tmp_path / "model")
        _register(client, directory)
        (directory / "config.json").write_text(json.dumps({"tokenizer_class": "GPT2Tokenizer"}))
        dataset = create_dataset(client, count=12)

        response = client.post("/api/runs/estimate", json={"dataset_id": dataset["id"], "base_model": str(directory)})

        assert response.status_code == 422
        assert response.json()["field"] == "base_model"
        assert response.json()["detail"] == (
            f"the config.json in {directory} is not a model config: it has no hidden_size or n_embd or d_model"
        )


class TestDeleteBaseModel:
    def test_an_unused_registered_model_is_deleted(self, client: TestClient, tmp_path: Path) -> None:
        directory = _model_directory(tmp_path / "model")
        model = _register(client, directory)

        assert client.delete(f"/api/models/{model['id']}").status_code == 204

        assert [m["name"] for m in client.get("/api/models").json()["items"]] == ["smollm2-135m-instruct"]
        assert (directory / "config.json").is_file()  # only forgotten
        assert client.delete(f"/api/models/{model['id']}").status_code == 404

    def test_a_model_runs_use_is_kept_naming_them(self, client: TestClient, tmp_path: Path) -> None:
        model = _register(client, _model_directory(tmp_path / "model"))
        dataset = create_dataset(client, count=12)
        runs = [
            client.post("/api/runs", json={"dataset_id": dataset["id"], "base_model": model["name"]}).json()
            for _ in range(2)
        ]

        response = client.delete(f"/api/models/{model['id']}")

        assert response.status_code == 409
        assert f"runs {runs[0]['id']}, {runs[1]['id']}" in response.json()["detail"]
        assert len(client.get("/api/models").json()["items"]) == 2

    def test_the_bundled_model_cannot_be_deleted(self, client: TestClient) -> None:
        bundled = client.get("/api/models").json()["items"][0]
        response = client.delete(f"/api/models/{bundled['id']}")
        assert response.status_code == 409
        assert "ships with the studio" in response.json()["detail"]

    def test_an_unknown_model_is_404(self, client: TestClient) -> None:
        assert client.delete("/api/models/4242").status_code == 404
