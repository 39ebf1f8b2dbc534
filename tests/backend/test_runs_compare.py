"""GET /api/runs/compare: several runs side by side, only what differs between them, and how each did."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.models import AnswerSource, RunStatus
from tests.accounts import Account, create_account
from tests.factories import create_dataset, create_evaluation, create_run

CONFIG = {"method": "lora", "learning_rate": 0.0002, "lora_r": 16, "num_train_epochs": 3, "seed": 42}


def _metrics(rouge: float, exact: float) -> dict[str, dict[str, float | None]]:
    return {
        "rouge_l": {"value": rouge, "ci_low": rouge - 0.05, "ci_high": rouge + 0.05},
        "exact_match": {"value": exact, "ci_low": None, "ci_high": None},
    }


@pytest.fixture
def runs(client: TestClient, admin: Account) -> dict[str, Any]:
    """Three runs on one dataset: the learning rate differs, the rank differs in one, the third used a preset;
    the first two finished with their automatic evaluations."""
    dataset = create_dataset(client, count=24)
    first = create_run(
        admin.id,
        dataset["id"],
        "lr 2e-4",
        config=CONFIG,
        final_eval_loss=1.1,
        best_eval_loss=1.05,
        base_eval_loss=1.9,
        unquantised_base_eval_loss=1.8,
    )
    second = create_run(
        admin.id,
        dataset["id"],
        "lr 1e-4",
        config={**CONFIG, "learning_rate": 0.0001},
        final_eval_loss=0.9,
        best_eval_loss=0.85,
        base_eval_loss=1.8,
    )
    third = create_run(
        admin.id,
        dataset["id"],
        "lr 1e-4 r 64",
        status=RunStatus.FAILED,
        config={**CONFIG, "learning_rate": 0.0001, "lora_r": 64},
        preset_snapshot={"name": "QLoRA paper", "version": 1, "hyperparameters": {"lora_r": 64}},
    )
    evaluations = {}
    for run_id, tuned, base in ((first, 0.4, 0.2), (second, 0.5, 0.2)):
        evaluations[run_id] = [
            create_evaluation(admin.id, dataset["id"], run_id=run_id, model=model, metrics=_metrics(rouge, rouge / 2))[
                0
            ]
            for model, rouge in ((AnswerSource.FINE_TUNED, tuned), (AnswerSource.BASE, base))
        ]
    return {"dataset": dataset, "ids": [first, second, third], "evaluations": evaluations}


def _compare(client: TestClient, ids: str, **kwargs: Any) -> Any:
    return client.get("/api/runs/compare", params={"ids": ids}, **kwargs)


class TestCompareRuns:
    def test_only_the_settings_that_differ_in_the_order_asked(self, client: TestClient, runs: dict[str, Any]) -> None:
        first, second, third = runs["ids"]

        response = _compare(client, f"{third},{first},{second}")

        assert response.status_code == 200, response.text
        body = response.json()
        assert [run["id"] for run in body["runs"]] == [third, first, second]
        assert body["differing"] == [
            {"name": "preset", "values": ["QLoRA paper", None, None]},
            {"name": "learning_rate", "values": [0.0001, 0.0002, 0.0001]},
            {"name": "lora_r", "values": [64, 16, 16]},
        ]
        assert body["runs"][1]["config"] == CONFIG
        assert body["runs"][1]["dataset"] == {"id": runs["dataset"]["id"], "name": runs["dataset"]["name"]}

    def test_dataset_and_base_model_differ_too(self, client: TestClient, admin: Account, runs: dict[str, Any]) -> None:
        other = create_dataset(client, count=12)
        elsewhere = create_run(admin.id, other["id"], "elsewhere", base_model="tiny", config=CONFIG)

        body = _compare(client, f"{runs['ids'][0]},{elsewhere}").json()

        assert body["differing"] == [
            {"name": "dataset", "values": [runs["dataset"]["name"], other["name"]]},
            {"name": "base_model", "values": ["smollm2-135m-instruct", "tiny"]},
        ]

    def test_losses_and_both_evaluations_with_intervals(self, client: TestClient, runs: dict[str, Any]) -> None:
        first, second, third = runs["ids"]

        body = _compare(client, f"{first},{second},{third}").json()

        one, two, failed = body["runs"]
        assert (one["final_eval_loss"], one["best_eval_loss"]) == (1.1, 1.05)
        # The base model as the user has it: unquantised where the run measured it so.
        assert one["base_eval_loss"] == 1.8
        assert two["base_eval_loss"] == 1.8
        assert one["fine_tuned"]["id"] == runs["evaluations"][first][0]
        assert one["base"]["id"] == runs["evaluations"][first][1]
        assert one["fine_tuned"]["metrics"]["rouge_l"] == pytest.approx({"value": 0.4, "ci_low": 0.35, "ci_high": 0.45})
        assert two["fine_tuned"]["metrics"]["rouge_l"]["value"] == 0.5
        assert two["base"]["metrics"]["exact_match"] == {"value": 0.1, "ci_low": None, "ci_high": None}
        assert failed["fine_tuned"] is None and failed["base"] is None and failed["final_eval_loss"] is None
        assert [(m["name"], m["higher_is_better"]) for m in body["metrics"]] == [
            ("exact_match", True),
            ("rouge_l", True),
        ]

    def test_a_later_evaluation_of_the_test_split_does_not_replace_the_automatic_one(
        self, client: TestClient, admin: Account, runs: dict[str, Any]
    ) -> None:
        first, second, _ = runs["ids"]
        create_evaluation(
            admin.id, runs["dataset"]["id"], run_id=first, model=AnswerSource.FINE_TUNED, metrics=_metrics(0.9, 0.9)
        )

        body = _compare(client, f"{first},{second}").json()

        assert body["runs"][0]["fine_tuned"]["id"] == runs["evaluations"][first][0]

    def test_a_run_the_caller_cannot_see_is_not_found(self, client: TestClient, runs: dict[str, Any]) -> None:
        member = create_account("member@studio.test")
        mine = create_run(member.id, runs["dataset"]["id"], "mine", config=CONFIG)

        response = _compare(client, f"{mine},{runs['ids'][0]}", headers=member.headers)

        assert response.status_code == 404
        assert response.json()["detail"] == f"run {runs['ids'][0]} not found"
        assert _compare(client, f"{runs['ids'][0]},999999").status_code == 404

    @pytest.mark.parametrize(
        ("ids", "message"),
        [
            ("1", "ids: compare 2 to 6 runs (got 1); select fewer or more"),
            ("1,2,3,4,5,6,7", "ids: compare 2 to 6 runs (got 7); select fewer or more"),
            ("3,1,3", "ids: run 3 is listed more than once; name each run once"),
            ("1,two", "ids: '1,two' is not a comma-separated list of run ids, e.g. 1,2,3"),
            ("1,0", "ids: 0 is not a run id (1 to 2147483647)"),
        ],
    )
    def test_refused_selections(self, client: TestClient, runs: dict[str, Any], ids: str, message: str) -> None:
        response = _compare(client, ids)

        assert response.status_code == 422
        assert response.json()["detail"] == message
        assert response.json()["field"] == "query.ids"
