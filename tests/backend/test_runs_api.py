import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.core.db import get_sessionmaker
from backend.models import Dataset
from tests.factories import create_dataset, create_worker


class TestCreateRun:
    def test_defaults_are_resolved_and_snapshotted(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        response = client.post("/api/runs", json={"dataset_id": dataset["id"], "hyperparameters": {"lora_r": 8}})

        assert response.status_code == 201, response.text
        run = response.json()
        assert run["status"] == "queued"
        assert run["base_model"] == "smollm2-135m-instruct"
        assert run["config"]["lora_r"] == 8
        assert run["config"]["learning_rate"] == 2e-4
        assert run["split_hash"] == dataset["split_hash"]

    def test_preset_values_apply_under_overrides(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        presets = client.get("/api/presets").json()["items"]
        qlora = next(p for p in presets if p["name"].startswith("QLoRA paper"))
        run = client.post(
            "/api/runs",
            json={"dataset_id": dataset["id"], "preset_id": qlora["id"], "hyperparameters": {"lora_r": 32}},
        ).json()

        assert run["config"]["method"] == "qlora"
        assert run["config"]["lora_alpha"] == 16
        assert run["config"]["lora_r"] == 32
        assert run["preset_snapshot"]["name"] == qlora["name"]
        assert run["preset_snapshot"]["version"] == 1

    def test_out_of_range_hyperparameter_is_422_naming_the_field(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        response = client.post(
            "/api/runs", json={"dataset_id": dataset["id"], "hyperparameters": {"learning_rate": -1}}
        )
        assert response.status_code == 422
        assert response.json()["field"] == "hyperparameters.learning_rate"
        assert "greater than 0" in response.json()["detail"]
        assert client.get("/api/runs").json()["total"] == 0

    def test_unknown_hyperparameter_is_422(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        response = client.post("/api/runs", json={"dataset_id": dataset["id"], "hyperparameters": {"lr": 0.1}})
        assert response.status_code == 422
        assert response.json()["field"] == "hyperparameters.lr"

    def test_unknown_base_model_is_422(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        response = client.post("/api/runs", json={"dataset_id": dataset["id"], "base_model": "nonsense"})
        assert response.status_code == 422
        assert response.json()["field"] == "base_model"

    def test_unknown_dataset_is_404(self, client: TestClient) -> None:
        assert client.post("/api/runs", json={"dataset_id": 12345}).status_code == 404


class TestRunsCertainToFail:
    """Refused at creation (422 naming the field) rather than failing a minute into training."""

    @pytest.mark.parametrize("seed", [-1, 2**32, 2**64])
    def test_a_seed_numpy_refuses(self, client: TestClient, seed: int) -> None:
        dataset = create_dataset(client, count=12)
        response = client.post("/api/runs", json={"dataset_id": dataset["id"], "hyperparameters": {"seed": seed}})
        assert response.status_code == 422
        assert response.json()["field"] == "hyperparameters.seed"
        assert client.get("/api/runs").json()["total"] == 0

    def test_a_target_module_the_model_lacks_lists_those_it_has(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        response = client.post(
            "/api/runs",
            json={"dataset_id": dataset["id"], "hyperparameters": {"lora_target_modules": "q_proj,no_such_module"}},
        )
        assert response.status_code == 422
        assert response.json()["field"] == "hyperparameters.lora_target_modules"
        assert "no linear module 'no_such_module'" in response.json()["detail"]
        assert "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head" in response.json()["detail"]
        adapted = {"lora_target_modules": "self_attn.q_proj, v_proj,lm_head"}
        ok = client.post("/api/runs", json={"dataset_id": dataset["id"], "hyperparameters": adapted})
        assert ok.status_code == 201, ok.text

    def test_a_layer_beyond_the_models_is_422_with_its_layer_count(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        response = client.post(
            "/api/runs", json={"dataset_id": dataset["id"], "hyperparameters": {"layers_to_transform": [0, 999]}}
        )
        assert response.status_code == 422
        assert response.json()["field"] == "hyperparameters.layers_to_transform"
        assert "30 decoder layers, numbered 0 to 29: 999 is not one" in response.json()["detail"]
        estimate = client.post(
            "/api/runs/estimate", json={"dataset_id": dataset["id"], "hyperparameters": {"layers_to_transform": [30]}}
        )
        assert estimate.json()["field"] == "hyperparameters.layers_to_transform"

    def test_a_run_that_fits_on_no_live_worker_needs_force(self, client: TestClient) -> None:
        create_worker(hostname="gpu-small.example", memory_bytes=256 * 2**20)
        dataset = create_dataset(client, count=12)

        refused = client.post("/api/runs", json={"dataset_id": dataset["id"]})

        assert refused.status_code == 422
        assert refused.json()["field"] == "hyperparameters.per_device_train_batch_size"
        assert refused.json()["detail"].startswith("the run will not fit on the training worker: gpu-small.example")
        assert refused.json()["detail"].endswith("or send force: true to queue it anyway")
        assert client.get("/api/runs").json()["total"] == 0
        forced = client.post("/api/runs", json={"dataset_id": dataset["id"], "force": True})
        assert forced.status_code == 201, forced.text
        assert forced.json()["status"] == "queued"

    def test_a_run_that_fits_on_some_worker_is_queued(self, client: TestClient) -> None:
        create_worker(hostname="gpu-small.example", memory_bytes=256 * 2**20)
        create_worker(hostname="gpu-big.example", memory_bytes=80 * 10**9)
        dataset = create_dataset(client, count=12)
        assert client.post("/api/runs", json={"dataset_id": dataset["id"]}).status_code == 201


class TestTimestamps:
    def test_every_timestamp_is_utc_with_its_zone_when_read_back(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        created = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
        cancelled = client.post(f"/api/runs/{created['id']}/cancel").json()
        read_back = client.get(f"/api/runs/{created['id']}").json()

        stamps = [
            created["created_at"],
            cancelled["finished_at"],
            read_back["created_at"],
            read_back["finished_at"],
            client.get("/api/runs").json()["items"][0]["created_at"],
            client.get(f"/api/datasets/{dataset['id']}").json()["created_at"],
            client.get("/api/models").json()["items"][0]["created_at"],
        ]
        assert all(stamp.endswith("Z") for stamp in stamps), stamps
        assert read_back["created_at"] == created["created_at"]


class TestCancelQueuedRun:
    def test_queued_run_is_cancelled_at_once_and_cannot_be_cancelled_twice(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        run = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()

        cancelled = client.post(f"/api/runs/{run['id']}/cancel")
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        again = client.post(f"/api/runs/{run['id']}/cancel")
        assert again.status_code == 409
        assert "already cancelled" in again.json()["detail"]


class TestRunEvents:
    def test_finished_run_streams_its_status_and_ends(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        run = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
        client.post(f"/api/runs/{run['id']}/cancel")

        with client.stream("GET", f"/api/runs/{run['id']}/events") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            data = [json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:")]
        assert data[-1]["type"] == "status"
        assert data[-1]["payload"]["status"] == "cancelled"
        assert data[-1]["run_id"] == run["id"]

    def test_unknown_run_is_404(self, client: TestClient) -> None:
        assert client.get("/api/runs/999/events").status_code == 404


class TestCatalog:
    def test_health_names_the_database(self, client: TestClient, stack: object) -> None:
        body = client.get("/api/health").json()
        assert body["status"] == "ok"
        assert body["database"] in {"sqlite", "postgresql"}

    def test_bundled_model_is_listed(self, client: TestClient) -> None:
        names = [m["name"] for m in client.get("/api/models").json()["items"]]
        assert names == ["smollm2-135m-instruct"]

    def test_register_local_model_requires_a_model_directory(self, client: TestClient, tmp_path: object) -> None:
        response = client.post("/api/models", json={"name_or_path": str(tmp_path)})
        assert response.status_code == 422
        assert "no config.json" in response.json()["detail"]

    def test_hyperparameters_have_help_texts(self, client: TestClient) -> None:
        specs = {spec["name"]: spec for spec in client.get("/api/hyperparameters").json()}
        assert specs["learning_rate"]["default"] == 2e-4
        assert all(spec["help"] for spec in specs.values())


class TestPresets:
    def test_create_and_list(self, client: TestClient) -> None:
        response = client.post("/api/presets", json={"name": "mine", "hyperparameters": {"lora_r": 4}})
        assert response.status_code == 201
        names = [p["name"] for p in client.get("/api/presets").json()["items"]]
        assert "mine" in names
        assert "Quick CPU check" in names

    def test_invalid_preset_is_rejected(self, client: TestClient) -> None:
        response = client.post("/api/presets", json={"name": "bad", "hyperparameters": {"lora_r": 0}})
        assert response.status_code == 422
        assert response.json()["field"] == "hyperparameters.lora_r"


class TestPresetVersions:
    def test_editing_makes_a_new_version_and_runs_keep_their_snapshot(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        preset = client.post("/api/presets", json={"name": "mine", "hyperparameters": {"lora_r": 4}}).json()
        run = client.post("/api/runs", json={"dataset_id": dataset["id"], "preset_id": preset["id"]}).json()

        edited = client.put(f"/api/presets/{preset['id']}", json={"name": "mine", "hyperparameters": {"lora_r": 8}})
        assert edited.status_code == 200
        assert edited.json()["version"] == 2
        snapshot = client.get(f"/api/runs/{run['id']}").json()["preset_snapshot"]
        assert snapshot == {"name": "mine", "version": 1, "hyperparameters": {"lora_r": 4}}
        assert client.get(f"/api/runs/{run['id']}").json()["config"]["lora_r"] == 4

    def test_built_in_presets_cannot_be_changed_or_deleted(self, client: TestClient) -> None:
        builtin = client.get("/api/presets").json()["items"][0]
        assert builtin["builtin"]
        changed = client.put(f"/api/presets/{builtin['id']}", json={"name": "x", "hyperparameters": {}})
        assert changed.status_code == 409
        assert "built in" in changed.json()["detail"]
        assert client.delete(f"/api/presets/{builtin['id']}").status_code == 409

    def test_deleting_a_used_preset_keeps_the_runs_snapshot(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        preset = client.post("/api/presets", json={"name": "gone", "hyperparameters": {"lora_r": 2}}).json()
        run = client.post("/api/runs", json={"dataset_id": dataset["id"], "preset_id": preset["id"]}).json()

        assert client.delete(f"/api/presets/{preset['id']}").status_code == 204
        assert client.get(f"/api/presets/{preset['id']}").status_code == 404
        kept = client.get(f"/api/runs/{run['id']}").json()
        assert kept["preset_id"] is None
        assert kept["preset_snapshot"]["hyperparameters"] == {"lora_r": 2}


class TestCloneRun:
    def test_clone_repeats_the_resolved_config_not_the_presets_new_version(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        preset = client.post("/api/presets", json={"name": "mine", "hyperparameters": {"lora_r": 4}}).json()
        source = client.post(
            "/api/runs",
            json={"dataset_id": dataset["id"], "preset_id": preset["id"], "hyperparameters": {"learning_rate": 1e-4}},
        ).json()
        client.put(f"/api/presets/{preset['id']}", json={"name": "mine", "hyperparameters": {"lora_r": 64}})

        response = client.post(f"/api/runs/{source['id']}/clone", json={"preflight": True})

        assert response.status_code == 201, response.text
        clone = response.json()
        assert clone["id"] != source["id"]
        assert clone["status"] == "queued"
        assert clone["preflight"] is True
        assert clone["config"] == source["config"]
        assert clone["config"]["lora_r"] == 4
        assert (
            clone["preset_snapshot"]
            == source["preset_snapshot"]
            == {
                "name": "mine",
                "version": 1,
                "hyperparameters": {"lora_r": 4},
            }
        )
        assert (clone["dataset_id"], clone["split_hash"], clone["base_model"]) == (
            source["dataset_id"],
            source["split_hash"],
            source["base_model"],
        )
        assert clone["name"] == f"{source['name']} (again, from run {source['id']})"

    def test_clone_without_a_body_and_with_a_name(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        source = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
        assert client.post(f"/api/runs/{source['id']}/clone").json()["preflight"] is False
        named = client.post(f"/api/runs/{source['id']}/clone", json={"name": "second try"}).json()
        assert named["name"] == "second try"

    def test_clone_of_a_run_whose_dataset_was_split_again_is_409(self, client: TestClient) -> None:
        dataset = create_dataset(client)
        source = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
        with get_sessionmaker().begin() as session:
            session.execute(update(Dataset).where(Dataset.id == dataset["id"]).values(split_hash="resplit"))

        response = client.post(f"/api/runs/{source['id']}/clone")

        assert response.status_code == 409
        assert f"dataset {dataset['id']} was split again since run {source['id']}" in response.json()["detail"]
        assert len(client.get("/api/runs").json()["items"]) == 1

    def test_clone_of_an_unknown_run_is_404(self, client: TestClient) -> None:
        assert client.post("/api/runs/999/clone").status_code == 404
