"""The runs list: filters, sorting, search and pagination over the figures kept on each run; tags and a note."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.core.config import get_settings
from backend.core.storage import LocalStorage
from backend.models import RunStatus, utcnow
from domain import sparkline
from tests.accounts import Account, create_account
from tests.factories import create_dataset, create_run
from worker import run_store
from worker.leases import Lease
from worker.sinks import DatabaseSink


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


@pytest.fixture
def runs(client: TestClient, admin: Account) -> dict[str, Any]:
    """Five runs on two datasets and two base models, one from a preset, with figures and tags."""
    first, second = create_dataset(client, count=12), create_dataset(client, count=12)
    now = utcnow()
    ids = {
        "alpha": create_run(
            admin.id,
            first["id"],
            "alpha baseline",
            best_eval_loss=1.2,
            rouge_l=0.41,
            rouge_l_change=0.05,
            duration_seconds=300,
            created_at=now - timedelta(hours=5),
            tags=("baseline", "lr-sweep"),
        ),
        "beta": create_run(
            admin.id,
            first["id"],
            "beta 100% lr",
            best_eval_loss=0.9,
            rouge_l=0.52,
            rouge_l_change=0.16,
            duration_seconds=900,
            created_at=now - timedelta(hours=4),
            tags=("lr-sweep",),
        ),
        "gamma": create_run(
            admin.id,
            second["id"],
            "Gamma_long",
            base_model="tiny",
            status=RunStatus.FAILED,
            duration_seconds=60,
            created_at=now - timedelta(hours=3),
        ),
        "delta": create_run(
            admin.id,
            second["id"],
            "delta",
            status=RunStatus.RUNNING,
            started_at=now - timedelta(seconds=100),
            step=25,
            total_steps=100,
            created_at=now - timedelta(hours=2),
            preset_id=None,
            preset_snapshot={"name": "QLoRA paper", "version": 1, "hyperparameters": {}},
            loss_sparkline=sparkline.build([(1, 2.0), (2, 1.5), (3, 1.0)]),
        ),
        "epsilon": create_run(
            admin.id, first["id"], "epsilon", status=RunStatus.QUEUED, created_at=now - timedelta(hours=1)
        ),
    }
    return {"ids": ids, "datasets": (first, second)}


class TestListRuns:
    def test_newest_first_with_the_figures_the_list_shows(self, client: TestClient, runs: dict[str, Any]) -> None:
        response = client.get("/api/runs")

        assert names(response) == ["epsilon", "delta", "Gamma_long", "beta 100% lr", "alpha baseline"]
        assert response.json()["total"] == 5
        delta = response.json()["items"][1]
        assert delta["dataset_name"] == runs["datasets"][1]["name"]
        assert delta["preset_name"] == "QLoRA paper"
        assert (delta["step"], delta["total_steps"]) == (25, 100)
        # 100 s for 25 of 100 steps: 300 s to go.
        assert delta["eta_seconds"] == pytest.approx(300, abs=5)
        assert delta["duration_seconds"] == pytest.approx(100, abs=5)
        assert delta["loss_sparkline"] == [2.0, 1.5, 1.0]
        alpha = response.json()["items"][4]
        assert (alpha["best_eval_loss"], alpha["rouge_l"], alpha["rouge_l_change"]) == (1.2, 0.41, 0.05)
        assert alpha["tags"] == ["baseline", "lr-sweep"]
        assert alpha["eta_seconds"] is None

    def test_filters(self, client: TestClient, runs: dict[str, Any]) -> None:
        first, second = runs["datasets"]

        assert names(client.get("/api/runs", params={"status": ["running", "queued"]})) == ["epsilon", "delta"]
        assert names(client.get("/api/runs", params={"status": "failed,running"})) == ["delta", "Gamma_long"]
        assert names(client.get("/api/runs", params={"dataset_id": second["id"]})) == ["delta", "Gamma_long"]
        assert names(client.get("/api/runs", params={"base_model": "tiny"})) == ["Gamma_long"]
        assert names(client.get("/api/runs", params={"tag": "lr-sweep"})) == ["beta 100% lr", "alpha baseline"]
        both = {"tag": "lr-sweep", "dataset_id": first["id"], "status": "succeeded", "q": "BETA"}
        assert names(client.get("/api/runs", params=both)) == ["beta 100% lr"]
        assert client.get("/api/runs", params={"tag": "nothing"}).json() == {"items": [], "total": 0}

    def test_preset_filter(self, client: TestClient, admin: Account) -> None:
        dataset = create_dataset(client, count=12)
        preset = client.get("/api/presets").json()["items"][0]
        create_run(admin.id, dataset["id"], "plain")
        create_run(admin.id, dataset["id"], "preset", preset_id=preset["id"], preset_snapshot={"name": preset["name"]})

        assert names(client.get("/api/runs", params={"preset_id": preset["id"]})) == ["preset"]

    def test_search_is_by_name_in_any_case_with_wildcards_taken_literally(
        self, client: TestClient, runs: dict[str, Any]
    ) -> None:
        assert names(client.get("/api/runs", params={"q": "gamma"})) == ["Gamma_long"]
        assert names(client.get("/api/runs", params={"q": "a_l"})) == ["Gamma_long"]
        assert names(client.get("/api/runs", params={"q": "100%"})) == ["beta 100% lr"]
        assert names(client.get("/api/runs", params={"q": "%"})) == ["beta 100% lr"]

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("name", ["alpha baseline", "beta 100% lr", "delta", "epsilon", "Gamma_long"]),
            ("created_at", ["alpha baseline", "beta 100% lr", "Gamma_long", "delta", "epsilon"]),
            ("status", ["delta", "epsilon", "alpha baseline", "beta 100% lr", "Gamma_long"]),
            # Runs without the figure come last, ascending or descending.
            ("best_val_loss", ["beta 100% lr", "alpha baseline", "Gamma_long", "delta", "epsilon"]),
            ("-best_val_loss", ["alpha baseline", "beta 100% lr", "epsilon", "delta", "Gamma_long"]),
            ("-rouge_l_change", ["beta 100% lr", "alpha baseline", "epsilon", "delta", "Gamma_long"]),
            ("-duration", ["beta 100% lr", "alpha baseline", "Gamma_long", "epsilon", "delta"]),
            ("base_model", ["alpha baseline", "beta 100% lr", "delta", "epsilon", "Gamma_long"]),
        ],
    )
    def test_sorting(self, client: TestClient, runs: dict[str, Any], sort: str, expected: list[str]) -> None:
        assert names(client.get("/api/runs", params={"sort": sort})) == expected

    def test_pages_cover_every_run_once(self, client: TestClient, runs: dict[str, Any]) -> None:
        pages = [
            client.get("/api/runs", params={"limit": 2, "offset": offset, "sort": "status"}) for offset in (0, 2, 4)
        ]

        assert [len(page.json()["items"]) for page in pages] == [2, 2, 1]
        assert {page.json()["total"] for page in pages} == {5}
        assert sorted(name for page in pages for name in names(page)) == sorted(names(client.get("/api/runs")))

    @pytest.mark.parametrize(
        ("params", "field", "message"),
        [
            ({"sort": "-loss"}, "query.sort", "sort: no field 'loss'"),
            ({"status": "running,done"}, "query.status", "status: no status 'done'"),
            ({"limit": 0}, "query.limit", "query.limit"),
            ({"limit": 201}, "query.limit", "query.limit"),
            ({"offset": -1}, "query.offset", "query.offset"),
            ({"status": ["queued"] * 6}, "query.status", "query.status: List should have at most 5 items"),
            ({"status": "queued," * 10}, "query.status.0", "query.status.0: String should have at most 41"),
        ],
    )
    def test_bad_parameters_are_422_naming_them(
        self, client: TestClient, params: dict[str, Any], field: str, message: str
    ) -> None:
        response = client.get("/api/runs", params=params)

        assert response.status_code == 422
        assert response.json()["field"] == field
        assert response.json()["detail"].startswith(message)

    def test_a_member_sees_only_their_runs(self, client: TestClient, runs: dict[str, Any]) -> None:
        member = create_account("member@studio.test")
        dataset = runs["datasets"][0]
        create_run(member.id, dataset["id"], "mine", tags=("lr-sweep",))

        assert names(client.get("/api/runs", headers=member.headers)) == ["mine"]
        assert names(client.get("/api/runs", params={"tag": "lr-sweep"}, headers=member.headers)) == ["mine"]
        assert client.get("/api/runs").json()["total"] == 6


class TestUpdateRun:
    def test_tags_and_note_are_saved_and_listed(self, client: TestClient, runs: dict[str, Any]) -> None:
        run_id = runs["ids"]["gamma"]
        response = client.patch(
            f"/api/runs/{run_id}", json={"tags": ["oom", "retry", "oom"], "note": "ran out of memory at step 3"}
        )

        assert response.status_code == 200, response.text
        assert response.json()["tags"] == ["oom", "retry"]
        assert client.get(f"/api/runs/{run_id}").json()["note"] == "ran out of memory at step 3"
        assert names(client.get("/api/runs", params={"tag": "retry"})) == ["Gamma_long"]

        # Tags are replaced as a whole; a field left out stays.
        client.patch(f"/api/runs/{run_id}", json={"tags": ["fixed"]})
        listed = client.get("/api/runs", params={"q": "gamma"}).json()["items"][0]
        assert (listed["tags"], listed["note"]) == (["fixed"], "ran out of memory at step 3")

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"tags": ["a,b"]}, "tags.0"),
            ({"tags": ["ok", " padded"]}, "tags.1"),
            ({"tags": ["x" * 41]}, "tags.0"),
            ({"note": "n" * 2001}, "note"),
            ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
            ({"name": ""}, "name"),
            ({"name": "n" * 201}, "name"),
            ({"status": "succeeded"}, "status"),
        ],
    )
    def test_bad_input_is_422_and_changes_nothing(
        self, client: TestClient, runs: dict[str, Any], body: dict[str, Any], field: str
    ) -> None:
        run_id = runs["ids"]["alpha"]
        response = client.patch(f"/api/runs/{run_id}", json={"note": "changed", **body})

        assert response.status_code == 422
        assert response.json()["field"] == field
        run = client.get(f"/api/runs/{run_id}").json()
        assert (run["tags"], run["note"]) == (["baseline", "lr-sweep"], "")

    def test_another_members_run_is_not_found(self, client: TestClient, runs: dict[str, Any]) -> None:
        member = create_account("member@studio.test")

        response = client.patch(f"/api/runs/{runs['ids']['alpha']}", json={"note": "mine now"}, headers=member.headers)

        assert response.status_code == 404
        assert client.get(f"/api/runs/{runs['ids']['alpha']}").json()["note"] == ""


class TestFiguresFromTheWorker:
    def test_metrics_keep_the_lists_figures_current(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        run = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
        assert run_store.claim(run["id"], "worker-a")
        sink = DatabaseSink(Lease(run["id"], owner="worker-a"), LocalStorage(get_settings().storage_dir))

        sink.total_steps(40)
        sink.metrics(0, 0.0, {"eval_loss": 0.5})  # the base model's: not fine-tuning's best
        for step in range(1, 41):
            sink.metrics(step, step / 40, {"train_loss": 3.0 - step / 20})
        sink.metrics(20, 0.5, {"eval_loss": 1.1})
        sink.metrics(40, 1.0, {"eval_loss": 1.3})
        sink.flush()  # as the worker does before a run's end
        run_store.finish(run["id"], "worker-a", RunStatus.SUCCEEDED, "done")

        listed = client.get("/api/runs").json()["items"][0]
        assert (listed["step"], listed["total_steps"], listed["best_eval_loss"]) == (40, 40, 1.1)
        # 40 steps in buckets of 2 steps: 21 bucket means, falling as the loss fell.
        assert len(listed["loss_sparkline"]) == 21
        assert listed["loss_sparkline"] == sorted(listed["loss_sparkline"], reverse=True)
        assert listed["loss_sparkline"][0] == pytest.approx(2.95)
        assert listed["duration_seconds"] is not None and listed["duration_seconds"] >= 0

    def test_a_resumed_run_keeps_only_the_figures_of_its_checkpoint(self, client: TestClient) -> None:
        dataset = create_dataset(client, count=12)
        run = client.post("/api/runs", json={"dataset_id": dataset["id"]}).json()
        assert run_store.claim(run["id"], "worker-a")
        storage = LocalStorage(get_settings().storage_dir)
        sink = DatabaseSink(Lease(run["id"], owner="worker-a"), storage)
        for step in range(1, 21):
            sink.metrics(step, None, {"train_loss": 2.0 - step / 100})
        sink.metrics(10, None, {"eval_loss": 1.5})
        checkpoint = storage.root / "runs" / str(run["id"]) / "checkpoint-10"
        checkpoint.mkdir(parents=True)
        sink.checkpoint(10, checkpoint, 1.5)
        sink.metrics(20, None, {"eval_loss": 1.2})
        sink.flush()

        # The worker died after step 20; the next one resumes from checkpoint-10 and trains steps 11-20 again.
        assert run_store.prepare_resume(run["id"]) is not None

        listed = client.get("/api/runs").json()["items"][0]
        assert (listed["step"], listed["best_eval_loss"]) == (10, 1.5)
        assert listed["loss_sparkline"] == pytest.approx([2.0 - step / 100 for step in range(1, 11)])
