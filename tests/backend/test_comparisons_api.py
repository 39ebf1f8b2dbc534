"""Blind A/B through the API: pairs without names in a stable order per reviewer, votes by position resolved to
models, the result with its interval and lengths, the Bradley-Terry ranking and the preference-pair export."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.models import AnswerSource, Role
from tests.accounts import Account, create_account
from tests.factories import create_dataset, create_evaluation


def answers(label: str, words: int = 1) -> Any:
    """Each example's answer named after its model, `words` words long before the example id."""
    return lambda example_id, _expected: " ".join([label] * words) + f" {example_id}"


@pytest.fixture
def pair_of_models(client: TestClient, admin: Account) -> tuple[int, int, list[int]]:
    """Two finished evaluations of the same 10 test examples: A's answers 4 words long, B's 2."""
    dataset = create_dataset(client, count=100)
    a, examples = create_evaluation(admin.id, dataset["id"], answers("alpha", 3), model=AnswerSource.BASE)
    b, _ = create_evaluation(admin.id, dataset["id"], answers("beta"))
    return a, b, examples


def compare(client: TestClient, a: int, b: int, **kwargs: Any) -> Any:
    return client.post("/api/comparisons", json={"evaluation_a": a, "evaluation_b": b}, **kwargs)


def vote_for(client: TestClient, comparison_id: int, model: str, headers: dict[str, str] | None = None) -> str:
    """Vote for `model` (alpha or beta) on the next pair, by its position; the choice made."""
    pair = client.get(f"/api/comparisons/{comparison_id}/next", headers=headers).json()
    choice = "left" if pair["left"].startswith(model) else "right"
    response = client.post(
        f"/api/comparisons/{comparison_id}/votes", json={"pair_id": pair["pair_id"], "choice": choice}, headers=headers
    )
    assert response.status_code == 200, response.text
    return choice


class TestCreateComparison:
    def test_two_evaluations_of_the_same_examples(
        self, client: TestClient, pair_of_models: tuple[int, int, list[int]]
    ) -> None:
        a, b, _ = pair_of_models
        response = compare(client, a, b)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["evaluation_a"], body["evaluation_b"], body["total"], body["votes"]) == (a, b, 10, 0)
        assert body["a_win_rate"] is None
        listed = client.get("/api/comparisons", params={"evaluation_id": b}).json()
        assert [c["id"] for c in listed] == [body["id"]]

    def test_refused_unless_comparable(
        self, client: TestClient, admin: Account, pair_of_models: tuple[int, int, list[int]]
    ) -> None:
        a, _b, _ = pair_of_models
        assert compare(client, a, a).json()["field"] == "evaluation_b"
        elsewhere, _ = create_evaluation(admin.id, create_dataset(client, count=40)["id"])
        response = compare(client, a, elsewhere)
        assert response.status_code == 422
        assert "no example in common" in response.json()["detail"]

    def test_another_members_evaluations_are_not_found(
        self, client: TestClient, pair_of_models: tuple[int, int, list[int]]
    ) -> None:
        a, b, _ = pair_of_models
        comparison = compare(client, a, b).json()
        other = create_account("member@studio.test")
        assert compare(client, a, b, headers=other.headers).status_code == 404
        assert client.get("/api/comparisons", headers=other.headers).json() == []
        for path in ("", "/next", "/export"):
            assert client.get(f"/api/comparisons/{comparison['id']}{path}", headers=other.headers).status_code == 404
        vote = {"pair_id": 1, "choice": "tie"}
        assert (
            client.post(f"/api/comparisons/{comparison['id']}/votes", json=vote, headers=other.headers).status_code
            == 404
        )


class TestBlindPairs:
    def test_a_pair_has_no_names_and_waits_for_its_vote(
        self, client: TestClient, pair_of_models: tuple[int, int, list[int]]
    ) -> None:
        a, b, _ = pair_of_models
        comparison = compare(client, a, b).json()
        path = f"/api/comparisons/{comparison['id']}"
        pair = client.get(f"{path}/next").json()
        assert set(pair) == {"pair_id", "instruction", "input", "expected", "left", "right", "voted", "total"}
        assert {pair["left"].split()[0], pair["right"].split()[0]} == {"alpha", "beta"}
        assert (pair["voted"], pair["total"]) == (0, 10)
        assert client.get(f"{path}/next").json() == pair  # pending: the same pair again
        voted = client.post(f"{path}/votes", json={"pair_id": pair["pair_id"], "choice": "tie"})
        assert voted.status_code == 200
        left_model = voted.json()["left_model"]
        assert left_model == (f"evaluation {a}" if pair["left"].startswith("alpha") else f"evaluation {b}")
        again = client.post(f"{path}/votes", json={"pair_id": pair["pair_id"], "choice": "left"})
        assert again.status_code == 409
        assert client.get(f"{path}/next").json()["voted"] == 1

    def test_every_example_once_in_each_reviewers_own_order(
        self, client: TestClient, pair_of_models: tuple[int, int, list[int]]
    ) -> None:
        a, b, examples = pair_of_models
        comparison = compare(client, a, b).json()
        path = f"/api/comparisons/{comparison['id']}"
        other = create_account("second@studio.test", Role.ADMIN)
        orders: list[list[str]] = []
        for headers in (None, other.headers):
            order = []
            while (pair := client.get(f"{path}/next", headers=headers).json()) is not None:
                order.append(pair["left"].split()[-1])
                client.post(f"{path}/votes", json={"pair_id": pair["pair_id"], "choice": "tie"}, headers=headers)
            orders.append(order)
        assert [sorted(order, key=int) for order in orders] == [[str(e) for e in examples]] * 2
        assert orders[0] != orders[1]  # 10! orders: two reviewers drawing the same one is a 1 in 3.6 million chance
        # Someone else's pair is not yours to vote on.
        mine = client.post(f"{path}/votes", json={"pair_id": 1, "choice": "left"}, headers=other.headers)
        assert mine.status_code == 404


class TestResult:
    def test_wins_interval_lengths_and_preference_pairs(
        self, client: TestClient, pair_of_models: tuple[int, int, list[int]]
    ) -> None:
        a, b, _ = pair_of_models
        comparison = compare(client, a, b).json()
        path = f"/api/comparisons/{comparison['id']}"
        for model in ["alpha"] * 6 + ["beta"] * 2:
            vote_for(client, comparison["id"], model)
        pair = client.get(f"{path}/next").json()
        client.post(f"{path}/votes", json={"pair_id": pair["pair_id"], "choice": "both_bad"})
        result = client.get(path).json()
        assert (result["votes"], result["a_wins"], result["b_wins"], result["ties"], result["both_bad"]) == (
            9,
            6,
            2,
            0,
            1,
        )
        # Wilson 95% for 6 of 8 decisive votes.
        assert result["a_win_rate"] == pytest.approx({"value": 0.75, "ci_low": 0.4093, "ci_high": 0.9285}, abs=1e-4)
        # A's answers are 4 words, B's 2: A was chosen 6 times of 8.
        assert result["preferred_length"] == pytest.approx((6 * 4 + 2 * 2) / 8)
        assert result["rejected_length"] == pytest.approx((6 * 2 + 2 * 4) / 8)

        response = client.get(f"{path}/export")
        assert response.headers["content-type"].startswith("application/x-ndjson")
        rows = [json.loads(line) for line in response.text.splitlines()]
        assert len(rows) == 8
        assert sum(row["chosen"].startswith("alpha") for row in rows) == 6
        assert all(row["chosen"].split()[-1] == row["rejected"].split()[-1] for row in rows)
        assert all(row["prompt"] == f"### Prompt {row['chosen'].split()[-1]}" for row in rows)


class TestRanking:
    def test_three_models_best_first(self, client: TestClient, admin: Account) -> None:
        dataset = create_dataset(client, count=100)
        ids = {
            label: create_evaluation(admin.id, dataset["id"], answers(label))[0] for label in ("alpha", "beta", "gamma")
        }
        # alpha beats beta 8-2, beta beats gamma 8-2, alpha beats gamma 9-1.
        for first, second, first_wins in (("alpha", "beta", 8), ("beta", "gamma", 8), ("alpha", "gamma", 9)):
            comparison = compare(client, ids[first], ids[second]).json()
            for index in range(10):
                vote_for(client, comparison["id"], first if index < first_wins else second)
        query = ",".join(str(ids[label]) for label in ("gamma", "alpha", "beta"))
        ranking = client.get("/api/comparisons/ranking", params={"evaluation_ids": query})
        assert ranking.status_code == 200, ranking.text
        body = ranking.json()
        assert body["votes"] == 30
        assert [item["evaluation_id"] for item in body["items"]] == [ids["alpha"], ids["beta"], ids["gamma"]]
        assert [(item["wins"], item["losses"]) for item in body["items"]] == [(17, 3), (10, 10), (3, 17)]
        assert sum(item["strength"] for item in body["items"]) == pytest.approx(1)
        for item in body["items"]:
            assert item["ci_low"] <= item["strength"] <= item["ci_high"]
        assert client.get("/api/comparisons/ranking", params={"evaluation_ids": query}).json() == body

    def test_needs_three_visible_evaluations(
        self, client: TestClient, pair_of_models: tuple[int, int, list[int]]
    ) -> None:
        a, b, _ = pair_of_models
        two = client.get("/api/comparisons/ranking", params={"evaluation_ids": f"{a},{b}"})
        assert (two.status_code, two.json()["field"]) == (422, "query.evaluation_ids")
        assert two.json()["detail"] == (
            "evaluation_ids: rank 3 to 20 evaluations (got 2); two are compared by GET /api/comparisons/{id}"
        )
        assert client.get("/api/comparisons/ranking", params={"evaluation_ids": "1,x"}).status_code == 422
        other = create_account("member@studio.test")
        hidden = client.get(
            "/api/comparisons/ranking", params={"evaluation_ids": f"{a},{b},{a + b}"}, headers=other.headers
        )
        assert hidden.status_code == 404

    @pytest.mark.parametrize(
        ("ids", "message"),
        [
            (",".join(str(i) for i in range(1, 22)), "evaluation_ids: rank 3 to 20 evaluations (got 21); two are "),
            ("4,5,4", "evaluation_ids: evaluation 4 is listed more than once; name each evaluation once"),
            ("1,2,2147483648", "evaluation_ids: 2147483648 is not an evaluation id (1 to 2147483647)"),
        ],
    )
    def test_refused_selections(self, client: TestClient, ids: str, message: str) -> None:
        response = client.get("/api/comparisons/ranking", params={"evaluation_ids": ids})
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith(message)
        assert response.json()["field"] == "query.evaluation_ids"
