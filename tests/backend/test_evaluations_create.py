"""Evaluations created on demand through the API: what is refused and why, and the queued evaluation answered."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from backend.core.config import get_settings
from backend.core.db import get_sessionmaker
from backend.models import Checkpoint, Run, RunStatus
from domain.artifacts import checkpoint_dir, run_storage_key
from tests.accounts import create_account
from tests.factories import create_dataset


def succeeded_run(client: TestClient, model: str, checkpoint_steps: tuple[int, ...] = (3,)) -> dict[str, Any]:
    """A run as a worker leaves it: succeeded, its checkpoints and final adapter recorded and on disk."""
    dataset = create_dataset(client, count=40)
    response = client.post(
        "/api/runs", json={"dataset_id": dataset["id"], "base_model": model, "hyperparameters": {"max_new_tokens": 16}}
    )
    assert response.status_code == 201, response.text
    run: dict[str, Any] = response.json()
    output = get_settings().storage_dir / run_storage_key(run["id"])
    storage_root = get_settings().storage_dir.resolve()
    with get_sessionmaker().begin() as session:
        environment = {"base_model": {"name": model, "fingerprint": "f" * 64}}
        session.execute(
            update(Run).where(Run.id == run["id"]).values(status=RunStatus.SUCCEEDED, environment=environment)
        )
        for step, final in [*((step, False) for step in checkpoint_steps), (6, True)]:
            directory = output / "adapter" if final else checkpoint_dir(output, step)
            directory.mkdir(parents=True, exist_ok=True)
            key = str(directory.resolve().relative_to(storage_root))
            session.execute(insert(Checkpoint).values(run_id=run["id"], step=step, storage_key=key, is_final=final))
    return run


class TestCreateEvaluation:
    def test_a_checkpoint_on_the_test_split_queued(self, client: TestClient, model: str) -> None:
        run = succeeded_run(client, model)
        response = client.post(
            "/api/evaluations",
            json={"run_id": run["id"], "checkpoint_step": 3, "decoding": {"strategy": "sampling", "seed": 7}},
        )
        assert response.status_code == 201, response.text
        evaluation = response.json()
        assert evaluation["status"] == "queued"
        assert evaluation["model"] == "fine_tuned"
        assert evaluation["checkpoint_step"] == 3
        assert evaluation["dataset_id"] == run["dataset_id"]
        assert evaluation["split"] == "test"
        assert evaluation["template"] == "alpaca"
        assert evaluation["base_model_fingerprint"] == "f" * 64
        assert (evaluation["done"], evaluation["total"]) == (0, 4)  # 40 rows, 10% test
        assert evaluation["decoding"]["strategy"] == "sampling"
        assert evaluation["decoding"]["seed"] == 7
        assert evaluation["decoding"]["max_new_tokens"] == 16  # the run's
        assert evaluation["cancel_requested"] is False
        assert client.get(f"/api/evaluations/{evaluation['id']}").json()["status"] == "queued"

    def test_the_base_model_on_the_whole_dataset(self, client: TestClient, model: str) -> None:
        run = succeeded_run(client, model)
        response = client.post(
            "/api/evaluations",
            json={"run_id": run["id"], "model": "base", "split": None, "decoding": {"max_new_tokens": 4}},
        )
        assert response.status_code == 201, response.text
        evaluation = response.json()
        assert (evaluation["model"], evaluation["split"], evaluation["total"]) == ("base", None, 40)
        assert evaluation["decoding"]["max_new_tokens"] == 4

    def test_another_members_run_is_not_found(self, client: TestClient, model: str) -> None:
        run = succeeded_run(client, model)
        other = create_account("other@studio.test")
        response = client.post("/api/evaluations", json={"run_id": run["id"]}, headers=other.headers)
        assert response.status_code == 404
        assert client.post("/api/evaluations", json={"run_id": 999_999}).status_code == 404

    def test_another_members_dataset_is_not_found(self, client: TestClient, model: str) -> None:
        other = create_account("other@studio.test")
        theirs = create_dataset(client, count=24)  # the admin's: the member may not see it
        run = succeeded_run(client, model)
        with get_sessionmaker().begin() as session:
            session.execute(update(Run).where(Run.id == run["id"]).values(owner_id=other.id))
        response = client.post(
            "/api/evaluations", json={"run_id": run["id"], "dataset_id": theirs["id"]}, headers=other.headers
        )
        assert response.status_code == 404
        assert response.json()["detail"] == f"dataset {theirs['id']} not found"

    def test_a_queued_run_is_refused_saying_why(self, client: TestClient, model: str) -> None:
        dataset = create_dataset(client, count=24)
        run = client.post("/api/runs", json={"dataset_id": dataset["id"], "base_model": model}).json()
        response = client.post("/api/evaluations", json={"run_id": run["id"]})
        assert response.status_code == 409
        assert "queued" in response.json()["detail"]
        assert "only a succeeded run" in response.json()["detail"]

    def test_a_checkpoint_not_on_disk_names_the_valid_steps(self, client: TestClient, model: str) -> None:
        run = succeeded_run(client, model, checkpoint_steps=(2, 4))
        response = client.post("/api/evaluations", json={"run_id": run["id"], "checkpoint_step": 5})
        assert response.status_code == 422
        body = response.json()
        assert body["field"] == "checkpoint_step"
        assert "valid steps: 2, 4" in body["detail"]

    def test_a_checkpoint_deleted_from_disk_is_not_valid(self, client: TestClient, model: str) -> None:
        run = succeeded_run(client, model, checkpoint_steps=(2, 4))
        checkpoint_dir(get_settings().storage_dir / run_storage_key(run["id"]), 2).rmdir()
        response = client.post("/api/evaluations", json={"run_id": run["id"], "checkpoint_step": 2})
        assert response.status_code == 422
        assert "valid steps: 4" in response.json()["detail"]

    def test_the_base_model_has_no_checkpoint(self, client: TestClient, model: str) -> None:
        run = succeeded_run(client, model)
        response = client.post("/api/evaluations", json={"run_id": run["id"], "model": "base", "checkpoint_step": 3})
        assert response.status_code == 422
        assert response.json()["field"] == "checkpoint_step"

    def test_bad_decoding_is_refused_naming_the_field(self, client: TestClient, model: str) -> None:
        run = succeeded_run(client, model)
        cases = {
            "decoding.temperature": {"temperature": 0},
            "decoding.top_p": {"top_p": 1.5},
            "decoding.top_k": {"top_k": -1},
            "decoding.seed": {"seed": 2**32},
            "decoding.max_new_tokens": {"max_new_tokens": 1025},
            "decoding.repetition_penalty": {"repetition_penalty": 0.5},
            "decoding.stop": {"stop": ["a", "b", "c", "d", "e"]},
            "decoding.stop.0": {"stop": ["x" * 51]},
            "decoding.strategy": {"strategy": "beam"},
            "decoding.beams": {"beams": 4},
        }
        for field, decoding in cases.items():
            response = client.post("/api/evaluations", json={"run_id": run["id"], "decoding": decoding})
            assert response.status_code == 422, (field, response.text)
            assert response.json()["field"] == field, response.text


class TestCancelEvaluation:
    def test_a_queued_evaluation_is_cancelled_at_once(self, client: TestClient, model: str) -> None:
        run = succeeded_run(client, model)
        evaluation = client.post("/api/evaluations", json={"run_id": run["id"]}).json()
        response = client.post(f"/api/evaluations/{evaluation['id']}/cancel")
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["cancel_requested"]) == ("cancelled", True)
        again = client.post(f"/api/evaluations/{evaluation['id']}/cancel")
        assert again.status_code == 409
        assert "already cancelled" in again.json()["detail"]

    def test_another_members_evaluation_is_not_found(self, client: TestClient, model: str) -> None:
        run = succeeded_run(client, model)
        evaluation = client.post("/api/evaluations", json={"run_id": run["id"]}).json()
        other = create_account("other@studio.test")
        assert client.post(f"/api/evaluations/{evaluation['id']}/cancel", headers=other.headers).status_code == 404
