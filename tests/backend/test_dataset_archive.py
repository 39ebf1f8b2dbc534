"""Deleting and archiving datasets: an unused one is deleted with its files; one that runs used answers 409 naming
them and is archived instead, hidden from the list and from new runs until unarchived."""

from fastapi.testclient import TestClient

from backend.core.config import get_settings
from backend.main import create_app
from tests.accounts import Account, create_account
from tests.factories import create_dataset, create_evaluation


def _listed(client: TestClient, **params: object) -> list[int]:
    return [d["id"] for d in client.get("/api/datasets", params=params).json()["items"]]


def test_an_unused_dataset_is_deleted_with_its_files(client: TestClient) -> None:
    dataset = create_dataset(client, count=12)
    member = create_account("member@example.com")
    with TestClient(create_app(), headers=member.headers) as member_client:
        assert member_client.delete(f"/api/datasets/{dataset['id']}").status_code == 404

    assert client.delete(f"/api/datasets/{dataset['id']}").status_code == 204
    assert client.get(f"/api/datasets/{dataset['id']}").status_code == 404
    assert dataset["id"] not in _listed(client, include_archived=True)
    assert not any((get_settings().storage_dir / "datasets").iterdir())  # its uploaded file went with it


def test_a_dataset_runs_used_is_archived_not_deleted(client: TestClient, admin: Account) -> None:
    dataset = create_dataset(client, count=12)
    other = create_dataset(client, count=12)
    run = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
    # A run of the other dataset evaluated on this one: its answers point at this dataset's examples too.
    second = client.post("/api/runs", json={"dataset_id": other["id"]}).json()
    create_evaluation(admin.id, dataset["id"], run_id=second["id"])

    refused = client.delete(f"/api/datasets/{dataset['id']}")
    assert refused.status_code == 409
    body = refused.json()
    assert body["run_ids"] == sorted([run["id"], second["id"]])
    assert body["detail"] == (
        f"dataset {dataset['id']} was used by runs {min(body['run_ids'])}, {max(body['run_ids'])}: archive it "
        "instead (PATCH archived: true), or delete those runs first"
    )
    assert client.get(f"/api/datasets/{dataset['id']}").status_code == 200  # nothing deleted

    archived = client.patch(f"/api/datasets/{dataset['id']}", json={"archived": True})
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    assert dataset["id"] not in _listed(client)
    assert dataset["id"] in _listed(client, include_archived=True)
    assert client.get(f"/api/runs/{run['id']}").json()["dataset_id"] == dataset["id"]  # its runs keep it

    new_run = client.post("/api/runs", json={"dataset_id": dataset["id"]})
    assert new_run.status_code == 422
    assert new_run.json()["field"] == "dataset_id"
    assert "is archived: unarchive it" in new_run.json()["detail"]
    assert client.post(f"/api/runs/{run['id']}/clone").status_code == 422

    assert client.patch(f"/api/datasets/{dataset['id']}", json={"archived": False}).json()["archived_at"] is None
    assert dataset["id"] in _listed(client)
    assert client.post("/api/runs", json={"dataset_id": dataset["id"]}).status_code == 201
